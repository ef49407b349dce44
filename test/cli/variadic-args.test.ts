// Options that take zero or more values (argparse's nargs='*'), required options, and
// variadic positionals that need at least one argument, possibly followed by further ones.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseArgs, UsageError, type Command } from "../../src/cli/command.js";

const command: Command = {
  name: "group",
  summary: "takes lists",
  options: [
    { name: "contents", short: "c", value: "COLL", variadic: true, help: "collections" },
    { name: "display-name", short: "d", value: "NAME", help: "shown name" },
    { name: "target", short: "t", value: "TARGET", help: "Koji target", required: true },
  ],
  positionals: [
    { name: "NAMES", help: "one or more", variadic: true, oneOrMore: true },
    { name: "VALUE", help: "the last one" },
  ],
  run: async () => {},
};
const parse = (...argv: string[]) => parseArgs(command, ["-t", "f42", ...argv]);
const usageError = (message: string) => (error: unknown) =>
  error instanceof UsageError && error.message === message;

describe("variadic options", () => {
  it("take the following arguments up to the next option", () => {
    assert.deepEqual(parse("a", "1", "-c", "f28", "f29", "-d", "Fedora"), {
      options: { target: "f42", contents: ["f28", "f29"], "display-name": "Fedora" },
      positionals: ["a", "1"],
    });
  });

  it("may take no argument at all, which differs from being absent", () => {
    assert.deepEqual(parse("a", "1", "-c").options, { target: "f42", contents: [] });
    assert.deepEqual(parse("a", "1", "--contents", "-d", "x").options, {
      target: "f42",
      contents: [],
      "display-name": "x",
    });
    assert.deepEqual(parse("a", "1").options, { target: "f42" });
  });

  it("take an inline value first", () => {
    assert.deepEqual(parse("--contents=f28", "f29", "-d", "x", "a", "1").options, {
      target: "f42",
      contents: ["f28", "f29"],
      "display-name": "x",
    });
  });

  it("may be given once only", () => {
    assert.throws(
      () => parse("-c", "x", "-d", "y", "-c", "z"),
      usageError("option --contents given more than once"),
    );
  });
});

describe("required options", () => {
  it("are a usage error when left out", () => {
    assert.throws(() => parseArgs(command, ["rnv", "1"]), usageError("missing option --target"));
  });
});

describe("one-or-more positionals", () => {
  it("leave the last argument to the positional after them", () => {
    assert.deepEqual(parse("rnv", "eclipse", "2000").positionals, ["rnv", "eclipse", "2000"]);
  });

  it("need one argument of their own", () => {
    assert.throws(() => parse(), usageError("missing argument NAMES"));
    assert.throws(() => parse("rnv"), usageError("missing argument VALUE"));
  });
});
