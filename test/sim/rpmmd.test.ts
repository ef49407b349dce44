// The rpm-md writer and reader: dependency strings, a round trip of the edge repository
// (made by createrepo_c) through reader and writer, repomd checksums, primary's file subset,
// and libsolv (our addon) resolving the rewritten repository exactly like the original.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { openPool } from "../../src/depsolve/pool.js";
import {
  formatDependency,
  generateRepodata,
  isPrimaryFile,
  parseDependency,
  writeRepodata,
  type RepoPackage,
} from "@koschei/koji-sim/rpmmd.js";
import {
  XmlTokenizer,
  type XmlHandler,
  readFilelists,
  readPrimary,
  readRepomd,
  readRpmmdRepo,
} from "@koschei/koji-sim/rpmmd-reader.js";
import { dependencyKinds, type SimRpm } from "@koschei/koji-sim/scenario.js";
import { EDGE_REPO, edgeBuildGroup, edgeSources } from "../depsolve/edge-cases.js";

const scratch = mkdtempSync(join(tmpdir(), "koschei-rpmmd-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => join(scratch, `repo-${dirs++}`);

function rpm(name: string, fields: Partial<SimRpm> = {}): SimRpm {
  const base = {
    name,
    epoch: null,
    version: "1.0",
    release: "1",
    arch: "x86_64",
    files: [],
    size: 1000,
    summary: `${name} summary`,
  } as Partial<SimRpm>;
  for (const kind of dependencyKinds) base[kind] = [];
  return { ...(base as SimRpm), ...fields };
}

function repoPackage(simRpm: SimRpm): RepoPackage {
  return {
    rpm: simRpm,
    sourceRpm: `${simRpm.name}-${simRpm.version}-${simRpm.release}.src.rpm`,
    location: `Packages/${simRpm.name}-${simRpm.version}-${simRpm.release}.${simRpm.arch}.rpm`,
  };
}

describe("dependency strings", () => {
  test("plain, versioned and rich dependencies map to rpm-md entries", () => {
    assert.deepEqual(parseDependency("foo"), { name: "foo" });
    assert.deepEqual(parseDependency("/usr/bin/x"), { name: "/usr/bin/x" });
    assert.deepEqual(parseDependency("foo >= 1.2-3"), {
      name: "foo",
      flags: "GE",
      ver: "1.2",
      rel: "3",
    });
    assert.deepEqual(parseDependency("foo = 2:1.0~rc1"), {
      name: "foo",
      flags: "EQ",
      epoch: "2",
      ver: "1.0~rc1",
    });
    assert.deepEqual(parseDependency("foo < 1.0-1.fc40-x"), {
      name: "foo",
      flags: "LT",
      ver: "1.0-1.fc40",
      rel: "x",
    });
    assert.deepEqual(parseDependency("(a >= 2 or (b and c))"), { name: "(a >= 2 or (b and c))" });
  });

  test("formatting leaves out epoch 0, as rpm-md always spells it", () => {
    assert.equal(
      formatDependency({ name: "a", flags: "LE", epoch: "0", ver: "1", rel: "2" }),
      "a <= 1-2",
    );
    assert.equal(formatDependency({ name: "a", flags: "GT", epoch: "3", ver: "1" }), "a > 3:1");
    assert.equal(formatDependency({ name: "a" }), "a");
    for (const text of ["x", "x = 1", "x >= 1:2-3", "x < 2.0~a-1", "(x or y)"]) {
      assert.equal(formatDependency(parseDependency(text)), text);
    }
  });

  test("malformed dependencies are rejected", () => {
    assert.throws(() => parseDependency("foo >="), /malformed dependency "foo >="/);
    assert.throws(() => parseDependency("foo ~ 1"), /malformed dependency/);
    assert.throws(() => parseDependency("(foo or bar"), /unbalanced parentheses/);
    assert.throws(() => parseDependency(""), /malformed dependency/);
  });
});

describe("rpm-md writer", () => {
  test("repomd.xml records the sha256 and size of every file, compressed and open", () => {
    const files = generateRepodata([repoPackage(rpm("a"))], {
      timestamp: 1700000000,
      groups: [{ name: "build", description: null, packages: [] }],
    });
    const repomd = files.get("repodata/repomd.xml")!.toString("utf8");
    const records = [...repomd.matchAll(/<data type="(\w+)">([\s\S]*?)<\/data>/g)];
    assert.deepEqual(
      records.map((r) => r[1]),
      ["primary", "filelists", "other", "group", "group_gz"],
    );
    const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
    for (const [, , body] of records) {
      const href = /<location href="([^"]+)"\/>/.exec(body!)![1]!;
      const content = files.get(href);
      assert.ok(content, `${href} is generated`);
      assert.match(body!, new RegExp(`<checksum type="sha256">${sha256(content)}</checksum>`));
      assert.match(body!, new RegExp(`<size>${content.length}</size>`));
      assert.match(body!, /<timestamp>1700000000<\/timestamp>/);
      if (href.endsWith(".gz")) {
        const open = gunzipSync(content);
        assert.match(
          body!,
          new RegExp(`<open-checksum type="sha256">${sha256(open)}</open-checksum>`),
        );
        assert.match(body!, new RegExp(`<open-size>${open.length}</open-size>`));
      }
    }
  });

  test("primary.xml lists /etc, bin/ and sendmail files; filelists.xml lists them all", async () => {
    const files = [
      "/etc/a.conf",
      "/usr/bin/a",
      "/opt/sbin/x",
      "/usr/lib/sendmail",
      "/usr/share/a/b",
    ];
    const dir = newDir();
    await writeRepodata(dir, [repoPackage(rpm("a", { files }))], { timestamp: 1 });
    const [primary] = await readPrimary(join(dir, "repodata/primary.xml.gz"));
    assert.deepEqual(primary!.rpm.files, files.filter(isPrimaryFile));
    assert.deepEqual(primary!.rpm.files, files.slice(0, 4));
    const filelists = await readFilelists(join(dir, "repodata/filelists.xml.gz"));
    assert.deepEqual(filelists.get(primary!.checksum), files);
  });

  test("names and dependencies with XML's special characters survive", async () => {
    const odd = rpm("c++-lib", {
      summary: 'Uses <angle> & "quotes"',
      provides: ["c++-lib = 1.0-1", "lib<x>.so()(64bit)"],
      requires: ["(a & b >= 1 or c < 2)", "d > 1"],
    });
    const dir = newDir();
    await writeRepodata(dir, [repoPackage(odd)], { timestamp: 1 });
    const { packages } = await readRpmmdRepo(dir);
    assert.deepEqual(packages[0]!.rpm, odd);
  });

  test("the edge repository round-trips through reader and writer", async () => {
    const original = await readRpmmdRepo(EDGE_REPO);
    assert.equal(original.packages.length, 62);
    const dir = newDir();
    await writeRepodata(dir, original.packages, { timestamp: 1700000000, groups: original.groups });
    const rewritten = await readRpmmdRepo(dir);
    assert.deepEqual(rewritten, original);
    assert.deepEqual(
      [...(await readRepomd(dir)).keys()],
      ["primary", "filelists", "other", "group", "group_gz"],
    );
  });

  test("libsolv resolves every edge case against the rewritten repository as against the original", async () => {
    const original = await readRpmmdRepo(EDGE_REPO);
    const dir = newDir();
    await writeRepodata(dir, original.packages, { timestamp: 1700000000, groups: original.groups });
    const resolveAll = (repo: string) => {
      const pool = openPool({ repos: [repo] });
      try {
        return edgeSources.map((source) => {
          const { resolved, installs, problems } = pool.resolve(
            source.buildrequires,
            source.group ?? edgeBuildGroup,
            source,
          );
          return { name: source.name, resolved, installs, problems };
        });
      } finally {
        pool.close();
      }
    };
    assert.deepEqual(resolveAll(dir), resolveAll(EDGE_REPO));
  });

  test("a repository larger than a read chunk is read back whole", async () => {
    const packages = Array.from({ length: 3000 }, (_, i) =>
      repoPackage(
        rpm(`pkg-${i}`, {
          requires: [`pkg-${(i + 1) % 3000} >= 1.0`, `(lib-${i % 7} or lib-${i % 11})`],
          files: [`/usr/bin/pkg-${i}`, `/usr/share/doc/pkg-${i}/README`],
          summary: `Package number ${i} with a summary long enough to make the file grow`,
        }),
      ),
    );
    const dir = newDir();
    await writeRepodata(dir, packages, { timestamp: 5 });
    assert.ok(gunzipSync(readFileSync(join(dir, "repodata/primary.xml.gz"))).length > 1 << 20);
    const read = await readRpmmdRepo(dir);
    assert.deepEqual(
      read.packages.map((p) => p.rpm),
      packages.map((p) => p.rpm),
    );
    assert.deepEqual(read.groups, []);
  });
});

/** Tokenizes a whole document at once, as a stream's single chunk. */
function tokenize(xml: string, handler: XmlHandler): void {
  const tokenizer = new XmlTokenizer(handler);
  tokenizer.push(Buffer.from(xml, "utf8"));
  tokenizer.end();
}

describe("XML tokenizer", () => {
  test("entities, CDATA, comments, quotes and self-closing elements", () => {
    const events: string[] = [];
    tokenize(
      `<?xml version="1.0"?><!DOCTYPE x><!-- <skip> --><a k="1 &gt; 0" q='it&apos;s' gt=">"><b/>` +
        `x &amp; &#65;&#x42;<![CDATA[<raw>]]></a>`,
      {
        open: (name, attributes) => events.push(`open ${name} ${JSON.stringify(attributes)}`),
        close: (name) => events.push(`close ${name}`),
        text: (text) => events.push(`text ${text}`),
      },
    );
    assert.deepEqual(events, [
      `open a {"k":"1 > 0","q":"it's","gt":">"}`,
      "open b {}",
      "close b",
      "text x & AB",
      "text <raw>",
      "close a",
    ]);
  });

  test("truncated XML is an error", () => {
    const handler = { open() {}, close() {}, text() {} };
    assert.throws(() => tokenize("<a><b attr=", handler), /unexpected end of XML/);
  });
});
