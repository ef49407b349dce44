import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evrDiff } from "../../src/frontend/evr-diff.js";

describe("evrDiff", () => {
  it("highlights the first differing component on both sides", () => {
    assert.deepEqual(evrDiff("1.2-3", "4.5-6"), {
      previous: { before: "", highlighted: "1", after: ".2-3" },
      current: { before: "", highlighted: "4", after: ".5-6" },
    });
    assert.deepEqual(evrDiff("1.2.3-1.fc25", "1.2.10-1.fc25"), {
      previous: { before: "1.2.", highlighted: "3", after: "-1.fc25" },
      current: { before: "1.2.", highlighted: "10", after: "-1.fc25" },
    });
  });

  it("splits at -, ., _ and ~ and keeps the separators", () => {
    assert.deepEqual(evrDiff("1_2~rc1-1", "1_2~rc2-1"), {
      previous: { before: "1_2~", highlighted: "rc1", after: "-1" },
      current: { before: "1_2~", highlighted: "rc2", after: "-1" },
    });
  });

  it("highlights only the longer side when one runs out of components", () => {
    assert.deepEqual(evrDiff("1.2-1", "1.2-1.1"), {
      previous: { before: "1.2-1", highlighted: "", after: "" },
      current: { before: "1.2-1.", highlighted: "1", after: "" },
    });
  });

  it("highlights nothing for equal texts or a missing side", () => {
    assert.deepEqual(evrDiff("1-1", "1-1").current, { before: "1-1", highlighted: "", after: "" });
    assert.deepEqual(evrDiff(null, "1-1"), {
      previous: null,
      current: { before: "1-1", highlighted: "", after: "" },
    });
    assert.deepEqual(evrDiff("2:1-1", null).current, null);
  });
});
