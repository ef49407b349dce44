import assert from "node:assert/strict";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, test } from "node:test";
import {
  MAX_SOURCE_LINE_BYTES,
  parseSourceLine,
  readSourceLines,
  type SourceLine,
} from "../../src/depsolve/source-lines.js";

const scratch = mkdtempSync(join(tmpdir(), "koschei-source-lines-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const line = (name: string, extra = "") =>
  `{"name":"${name}","epoch":0,"version":"1","release":"1","buildrequires":["b"]${extra}}`;

async function readAll(input: AsyncIterable<Buffer | string>, maxLineBytes?: number) {
  const names: string[] = [];
  for await (const { source } of readSourceLines(input, maxLineBytes)) names.push(source.name);
  return names;
}

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
    [
      '{"name":"a\\u0000b","epoch":0,"version":"1","release":"1","buildrequires":[]}',
      /: line 7: "name" contains a NUL character$/,
    ],
    [
      '{"name":"a","epoch":0,"version":"1","release":"1","buildrequires":["x","y\\u0000"]}',
      /: line 7: "buildrequires"\[1\] contains a NUL character$/,
    ],
    [
      `{"name":"a","epoch":0,"version":"1","release":"1","buildrequires":[],"group":["${"g".repeat(65537)}"]}`,
      /: line 7: "group"\[0\] is longer than 65536 bytes$/,
    ],
    [
      '{"name":"a","epoch":4294967296,"version":"1","release":"1","buildrequires":[]}',
      /: line 7: "epoch" is out of range \(0 to 4294967295\)$/,
    ],
  ];
  for (const [text, message] of cases) assert.throws(() => parseSourceLine(text, 7), message);
});

test("the highest epoch RPM stores is accepted", () => {
  const text = '{"name":"a","epoch":4294967295,"version":"1","release":"1","buildrequires":[]}';
  assert.equal(parseSourceLine(text, 1).source.epoch, 4294967295);
});

test("lines are read across chunk boundaries, LF or CRLF, blank ones skipped but counted", async () => {
  const text = `${line("a")}\r\n\n  \n${line("b")}\n${line("c")}`;
  const chunks = [...text].map((character) => Buffer.from(character));
  assert.deepEqual(await readAll(Readable.from(chunks)), ["a", "b", "c"]);
  await assert.rejects(
    () => readAll(Readable.from([`${line("a")}\n\n\n{`])),
    /^Error: line 4: not valid JSON$/,
  );
});

test("a line longer than the limit is an error naming it, read no further", async () => {
  assert.equal(MAX_SOURCE_LINE_BYTES, 1024 * 1024);
  const exact = line("a").length;
  assert.deepEqual(await readAll(Readable.from([line("a")]), exact), ["a"]);
  let pulled = 0;
  async function* endless() {
    yield `${line("a")}\n${line("b")}\n`;
    for (;;) {
      pulled++;
      yield Buffer.alloc(64 * 1024, " ");
    }
  }
  await assert.rejects(
    () => readAll(endless()),
    /^Error: line 3: too long \(over 1048576 bytes\)$/,
  );
  assert.equal(pulled, 17);
});

test("a file is read as a stream of lines", async () => {
  const path = join(scratch, "srpms.jsonl");
  writeFileSync(path, `${line("x")}\n${line("y", ',"group":["g"]')}\n`);
  const lines: SourceLine[] = [];
  for await (const parsed of readSourceLines(createReadStream(path))) lines.push(parsed);
  assert.deepEqual(
    lines.map((parsed) => [parsed.source.name, parsed.group]),
    [
      ["x", undefined],
      ["y", ["g"]],
    ],
  );
});
