// Loading repodata: damaged or missing files give clear errors, and the .solv cache round-trips.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gzipSync } from "node:zlib";
import { openPool, type DepsolvePool, type LoadedRepo } from "../../src/depsolve/pool.js";
import { depsolveError } from "./depsolve-error.js";
import { EDGE_REPO, edgeBuildGroup, edgeSources } from "./edge-cases.js";

const scratch = mkdtempSync(join(tmpdir(), "koschei-repodata-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

let copies = 0;
/** A writable copy of the edge repository's repodata (the packages are not needed). */
function copyOfEdgeRepo(): string {
  const dir = join(scratch, `repo-${copies++}`);
  cpSync(join(EDGE_REPO, "repodata"), join(dir, "repodata"), { recursive: true });
  return dir;
}

/** Replaces a file (the originals are read-only, so are their copies). */
function replaceFile(path: string, content: Buffer | string): void {
  unlinkSync(path);
  writeFileSync(path, content);
}

const sha256 = (content: Buffer | string) => createHash("sha256").update(content).digest("hex");

/**
 * Replaces a copy's repodata file and its checksum in repomd.xml, as a repository generator
 * that wrote this content would.
 */
function replaceListedFile(dir: string, name: string, content: Buffer): void {
  const path = join(dir, "repodata", name);
  const repomd = join(dir, "repodata", "repomd.xml");
  const index = readFileSync(repomd, "utf8").replaceAll(
    sha256(readFileSync(path)),
    sha256(content),
  );
  replaceFile(path, content);
  replaceFile(repomd, index);
}

/** Replaces a copy's comps (plain and gzipped) and updates their checksums in repomd.xml. */
function replaceComps(dir: string, xml: string): void {
  replaceListedFile(dir, "comps.xml", Buffer.from(xml));
  replaceListedFile(dir, "comps.xml.gz", gzipSync(xml));
}

/** The pool's only repo, the pool closed. */
function loadedRepo(pool: DepsolvePool): LoadedRepo {
  const [repo] = pool.repos;
  pool.close();
  return repo!;
}

function allResults(pool: DepsolvePool): string {
  return JSON.stringify(
    edgeSources.map((s) => pool.resolve(s.buildrequires, s.group ?? edgeBuildGroup, s)),
  );
}

test("a missing repository directory or repomd.xml is named", () => {
  assert.throws(
    () => openPool({ repos: [join(scratch, "nowhere")] }),
    depsolveError("REPO_METADATA_MISSING", /nowhere: no such repository directory$/),
  );
  const dir = copyOfEdgeRepo();
  unlinkSync(join(dir, "repodata", "repomd.xml"));
  assert.throws(
    () => openPool({ repos: [dir] }),
    depsolveError("REPO_METADATA_MISSING", /repomd\.xml: cannot be read$/),
  );
  mkdirSync(join(dir, "repodata", "repomd.xml"));
  assert.throws(
    () => openPool({ repos: [dir] }),
    depsolveError("REPO_METADATA_MISSING", /repomd\.xml: cannot be read$/),
  );
});

test("a corrupt repomd.xml is reported", () => {
  const dir = copyOfEdgeRepo();
  replaceFile(join(dir, "repodata", "repomd.xml"), "<repomd><data type=");
  assert.throws(
    () => openPool({ repos: [dir] }),
    depsolveError("REPO_METADATA_CORRUPT", /repomd\.xml: not a valid repomd\.xml \(.+\)$/),
  );
});

test("a truncated primary.xml.gz fails its checksum", () => {
  const dir = copyOfEdgeRepo();
  const primary = join(dir, "repodata", "primary.xml.gz");
  const content = readFileSync(primary);
  replaceFile(primary, content.subarray(0, content.length / 2));
  assert.throws(
    () => openPool({ repos: [dir] }),
    depsolveError(
      "REPO_CHECKSUM_MISMATCH",
      /primary\.xml\.gz: sha256 checksum differs from repomd\.xml \(damaged or truncated file\)$/,
    ),
  );
});

test("a missing filelists file is named", () => {
  const dir = copyOfEdgeRepo();
  unlinkSync(join(dir, "repodata", "filelists.xml.gz"));
  assert.throws(
    () => openPool({ repos: [dir] }),
    depsolveError(
      "REPO_METADATA_MISSING",
      /filelists\.xml\.gz: missing \(listed in repomd\.xml\)$/,
    ),
  );
});

test("broken XML with a matching checksum is reported by the parser", () => {
  const dir = copyOfEdgeRepo();
  replaceListedFile(dir, "primary.xml.gz", gzipSync("<metadata><package type='rpm'><name>half"));
  assert.throws(
    () => openPool({ repos: [dir] }),
    depsolveError(
      "REPO_METADATA_CORRUPT",
      /primary\.xml\.gz: not a valid primary metadata \(repo_rpmmd: .+\)$/,
    ),
  );
});

test("a truncated comps.xml.gz is an error, never an empty build group", () => {
  const dir = copyOfEdgeRepo();
  const comps = readFileSync(join(dir, "repodata", "comps.xml.gz"));
  replaceListedFile(dir, "comps.xml.gz", comps.subarray(0, comps.length / 2));
  assert.throws(
    () => openPool({ repos: [dir] }),
    depsolveError(
      "COMPS_CORRUPT",
      /comps\.xml\.gz: not a valid comps file \(read error \(damaged or truncated compressed data\)\)$/,
    ),
  );
});

test("comps.xml that is not XML is an error (read when repomd.xml lists no group_gz)", () => {
  const dir = copyOfEdgeRepo();
  const repomd = join(dir, "repodata", "repomd.xml");
  replaceFile(repomd, readFileSync(repomd, "utf8").replace('type="group_gz"', 'type="other_gz"'));
  replaceListedFile(dir, "comps.xml", Buffer.from("<comps><group><id>build</id><name>b"));
  assert.throws(
    () => openPool({ repos: [dir] }),
    depsolveError("COMPS_CORRUPT", /comps\.xml: not a valid comps file \(repo_comps: .+\)$/),
  );
});

test("a comps checksum differing from repomd.xml is an error", () => {
  const dir = copyOfEdgeRepo();
  replaceFile(join(dir, "repodata", "comps.xml.gz"), gzipSync("<comps></comps>"));
  assert.throws(
    () => openPool({ repos: [dir] }),
    depsolveError("REPO_CHECKSUM_MISMATCH", /comps\.xml\.gz: sha256 checksum differs/),
  );
});

test("a gzip file failing its own CRC is reported as damaged, not as bad XML", () => {
  const dir = copyOfEdgeRepo();
  const primary = Buffer.from(readFileSync(join(dir, "repodata", "primary.xml.gz")));
  // The trailer is the CRC-32 of the content, then its size.
  primary[primary.length - 8]! ^= 0xff;
  replaceListedFile(dir, "primary.xml.gz", primary);
  assert.throws(
    () => openPool({ repos: [dir] }),
    depsolveError(
      "REPO_METADATA_CORRUPT",
      /primary\.xml\.gz: not a valid primary metadata \(read error \(damaged or truncated compressed data\)\)$/,
    ),
  );
});

test("primary.xml changed after a warm cache exists is a checksum error, not stale results", () => {
  const dir = copyOfEdgeRepo();
  const cacheDir = join(scratch, "swapped-primary-cache");
  openPool({ repos: [dir], cacheDir }).close();
  assert.equal(loadedRepo(openPool({ repos: [dir], cacheDir })).fromCache, true);

  const primary = join(dir, "repodata", "primary.xml.gz");
  const original = readFileSync(primary);
  replaceFile(primary, gzipSync("<metadata packages='0'></metadata>"));
  assert.throws(
    () => openPool({ repos: [dir], cacheDir }),
    depsolveError("REPO_CHECKSUM_MISMATCH", /primary\.xml\.gz: sha256 checksum differs/),
  );
  replaceFile(primary, original);
  assert.equal(loadedRepo(openPool({ repos: [dir], cacheDir })).fromCache, true);
});

test("without checksums in repomd.xml, the cache is named by the files' actual content", () => {
  const dir = copyOfEdgeRepo();
  const repomd = join(dir, "repodata", "repomd.xml");
  replaceFile(
    repomd,
    readFileSync(repomd, "utf8").replace(/<checksum [^>]*>[^<]*<\/checksum>/g, ""),
  );
  const cacheDir = join(scratch, "unlisted-checksum-cache");
  const warm = () => openPool({ repos: [dir], cacheDir });
  warm().close();
  const before = loadedRepo(warm());
  assert.deepEqual([before.fromCache, before.packages], [true, 62]);

  replaceFile(join(dir, "repodata", "primary.xml.gz"), gzipSync("<metadata></metadata>"));
  const after = loadedRepo(warm());
  assert.deepEqual([after.fromCache, after.packages], [false, 0]);
  assert.notEqual(after.cacheFile, before.cacheFile);
});

test("the .solv cache is written, reused with the same results, and survives damage", () => {
  const cacheDir = join(scratch, "solv-cache");
  const cold = openPool({ repos: [EDGE_REPO], cacheDir });
  const coldResults = allResults(cold);
  assert.deepEqual(
    cold.repos.map((r) => [r.fromCache, r.packages]),
    [[false, 62]],
  );
  cold.close();
  const [cacheFile] = readdirSync(cacheDir);
  assert.match(cacheFile!, /^[0-9a-f]{64}\.solv$/);

  const warm = openPool({ repos: [EDGE_REPO], cacheDir });
  assert.equal(warm.repos[0]!.fromCache, true);
  assert.equal(allResults(warm), coldResults);
  assert.deepEqual(warm.compsGroups.build, edgeBuildGroup);
  warm.close();

  replaceFile(join(cacheDir, cacheFile!), "not a solv file");
  const recovered = openPool({ repos: [EDGE_REPO], cacheDir });
  assert.equal(recovered.repos[0]!.fromCache, false);
  assert.equal(allResults(recovered), coldResults);
  recovered.close();
});

test("a temporary .solv file abandoned by a killed writer is removed, a fresh one is not", () => {
  const cacheDir = join(scratch, "abandoned-cache");
  mkdirSync(cacheDir);
  const abandoned = "0123.solv.4242-99.tmp";
  const beingWritten = "4567.solv.4243-98.tmp";
  for (const name of [abandoned, beingWritten]) writeFileSync(join(cacheDir, name), "partial");
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
  utimesSync(join(cacheDir, abandoned), twoHoursAgo, twoHoursAgo);
  const cacheFile = loadedRepo(openPool({ repos: [EDGE_REPO], cacheDir })).cacheFile;
  assert.deepEqual(readdirSync(cacheDir).sort(), [beingWritten, cacheFile].sort());
});

test("a .solv file that cannot be renamed into place leaves no temporary file", () => {
  const cacheDir = join(scratch, "blocked-cache");
  const cacheFile = loadedRepo(openPool({ repos: [EDGE_REPO] })).cacheFile;
  mkdirSync(join(cacheDir, cacheFile), { recursive: true });
  const repo = loadedRepo(openPool({ repos: [EDGE_REPO], cacheDir }));
  assert.deepEqual([repo.fromCache, repo.packages], [false, 62]);
  assert.deepEqual(readdirSync(cacheDir), [cacheFile]);
});

test("several repos form one pool", () => {
  const pool = openPool({ repos: [EDGE_REPO, copyOfEdgeRepo()] });
  assert.deepEqual(
    pool.repos.map((r) => r.packages),
    [62, 62],
  );
  assert.equal(pool.resolve(["e-lib"], edgeBuildGroup).resolved, true);
  pool.close();
});

test("the cache keeps its most recently used files up to its capacity", () => {
  const cacheDir = join(scratch, "pruned-cache");
  mkdirSync(cacheDir);
  const stale = ["a", "b", "c"].map((name, age) => {
    const path = join(cacheDir, `${name}.solv`);
    writeFileSync(path, "old");
    const time = new Date(Date.now() - (age + 1) * 3_600_000);
    utimesSync(path, time, time);
    return `${name}.solv`;
  });
  const pool = openPool({ repos: [EDGE_REPO], cacheDir, cacheCapacity: 2 });
  const used = pool.repos[0]!.cacheFile;
  pool.close();
  assert.deepEqual(readdirSync(cacheDir).sort(), [stale[0]!, used].sort());
});

test("comps groups list their mandatory and default members once each", () => {
  const dir = copyOfEdgeRepo();
  replaceComps(
    dir,
    `<?xml version="1.0" encoding="UTF-8"?>
<comps>
  <group><id>mandatory-only</id><name>m</name><packagelist>
    <packagereq type="mandatory">m-a</packagereq>
    <packagereq type="mandatory">m-b</packagereq>
  </packagelist></group>
  <group><id>mixed</id><name>x</name><packagelist>
    <packagereq type="mandatory">x-mandatory</packagereq>
    <packagereq type="default">x-default</packagereq>
    <packagereq type="optional">x-optional</packagereq>
    <packagereq type="conditional" requires="x-default">x-conditional</packagereq>
    <packagereq type="mandatory">x-mandatory-2</packagereq>
  </packagelist></group>
</comps>`,
  );
  const pool = openPool({ repos: [dir] });
  assert.deepEqual(pool.compsGroups, {
    "mandatory-only": ["m-a", "m-b"],
    mixed: ["x-mandatory", "x-mandatory-2", "x-default"],
  });
  pool.close();
});

test("a comps group named __proto__ is an ordinary entry", () => {
  const dir = copyOfEdgeRepo();
  replaceComps(
    dir,
    `<comps><group><id>__proto__</id><name>p</name><packagelist>
      <packagereq type="mandatory">p-a</packagereq>
    </packagelist></group></comps>`,
  );
  const pool = openPool({ repos: [dir] });
  const groups = pool.compsGroups;
  pool.close();
  assert.equal(Object.getPrototypeOf(groups), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(groups, "__proto__")?.value, ["p-a"]);
});
