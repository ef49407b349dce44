import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSourceLine } from "../../src/depsolve/source-lines.js";

test("a source line becomes a source package, its BuildRequires and optional group", () => {
  const line = '{"name":"foo","epoch":2,"version":"1.0","release":"3","buildrequires":["a >= 1"]}';
  assert.deepEqual(parseSourceLine(line, 1), {
    source: { name: "foo", epoch: 2, version: "1.0", release: "3" },
    buildRequires: ["a >= 1"],
  });
  const grouped =
    '{"name":"g","epoch":null,"version":"1","release":"1","buildrequires":[],"group":["x"]}';
  assert.deepEqual(parseSourceLine(grouped, 1).group, ["x"]);
  assert.equal(parseSourceLine(grouped, 1).source.epoch, 0);
});

test("bad lines name the line and the problem", () => {
  const cases: [string, RegExp][] = [
    ["{", /: line 7: not valid JSON$/],
    ["[]", /: line 7: expected a JSON object$/],
    ['{"name":"","epoch":0,"version":"1","release":"1","buildrequires":[]}', /"name" must be/],
    ['{"name":"a","version":"1","release":"1","buildrequires":[]}', /"epoch" is missing/],
    ['{"name":"a","epoch":-1,"version":"1","release":"1","buildrequires":[]}', /"epoch" must be/],
    ['{"name":"a","epoch":0,"version":"1","release":"1","buildrequires":"x"}', /"buildrequires"/],
    [
      '{"name":"a","epoch":0,"version":"1","release":"1","buildrequires":[],"group":[1]}',
      /"group"/,
    ],
  ];
  for (const [text, message] of cases) assert.throws(() => parseSourceLine(text, 7), message);
});
