// intOption: positive whole numbers, a fallback when absent, and one-line usage errors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { intOption, parseArgs, UsageError, type Command } from "../../src/cli/command.js";

const command: Command = {
  name: "count",
  summary: "takes a count",
  options: [{ name: "jobs", value: "N", help: "how many" }],
  run: async () => {},
};
const parse = (...argv: string[]) => parseArgs(command, argv);

describe("intOption", () => {
  it("parses a positive whole number", () => {
    assert.equal(intOption(parse("--jobs", "12"), "jobs", 1), 12);
    assert.equal(intOption(parse("--jobs=3"), "jobs"), 3);
  });

  it("returns the fallback when absent, or undefined without one", () => {
    assert.equal(intOption(parse(), "jobs", 4), 4);
    assert.equal(intOption(parse(), "jobs"), undefined);
  });

  it("rejects zero, signs, decimals and words", () => {
    for (const bad of ["0", "-2", "+2", "1.5", "ten", ""]) {
      assert.throws(
        () => intOption(parse(`--jobs=${bad}`), "jobs"),
        (error: unknown) =>
          error instanceof UsageError &&
          error.message === `--jobs must be a positive whole number, not '${bad}'`,
      );
    }
  });
});
