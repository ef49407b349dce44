// Pure helpers of the simulated hub: dependency matching (taskRules' repoHas), Koji's
// timestamp text and the simulated clock.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDependency } from "@koschei/koji-sim/rpmmd.js";
import { SimClock, formatKojiTime, provideSatisfies } from "@koschei/koji-sim/state.js";

test("provideSatisfies follows rpm's range overlap rules", () => {
  const cases: [string, string, boolean][] = [
    ["foo = 2.1-1", "foo >= 2", true],
    ["foo = 1.9-1", "foo >= 2", false],
    ["foo = 2-1", "foo >= 2", true],
    ["foo = 2-1", "foo > 2", false],
    ["foo = 1:1.0-1", "foo >= 2", true],
    ["foo", "foo >= 2", true],
    ["foo = 2", "foo", true],
    ["bar = 3", "foo >= 2", false],
    ["foo >= 3", "foo < 2", false],
    ["foo >= 1", "foo < 2", true],
    ["foo <= 2", "foo >= 2", true],
    ["foo < 2", "foo >= 2", false],
    ["foo = 2.0-1", "foo = 2.0-2", false],
    ["foo = 2.0", "foo = 2.0-2", true],
  ];
  for (const [provide, require, expected] of cases) {
    assert.equal(
      provideSatisfies(parseDependency(provide), parseDependency(require)),
      expected,
      `${provide} ⊨ ${require}`,
    );
  }
});

test("formatKojiTime is isoformat(' ') in UTC, without a zero fraction", () => {
  assert.equal(formatKojiTime(1720034624.554858), "2024-07-03 19:23:44.554858+00:00");
  assert.equal(formatKojiTime(1566212998), "2019-08-19 11:09:58+00:00");
  assert.equal(formatKojiTime(1566212998.5), "2019-08-19 11:09:58.500000+00:00");
});

test("a manual clock moves only when advanced", () => {
  const clock = new SimClock(1000, 0);
  assert.equal(clock.now(), 1000);
  clock.advance(60);
  assert.equal(clock.now(), 1060);
});
