// The pool option excludeOlderDuplicates (copr.overriding_by_exclusions): of the packages
// sharing a name across the repos, only the newest EVR can be installed.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openPool, type DepsolvePool, type Resolution } from "../../src/depsolve/pool.js";
import { openResolverPool } from "../../src/depsolve/resolver-pool.js";
import { depsolveError } from "./depsolve-error.js";
import { writeFixtureRepo } from "../plugins/fixtures/copr/repos.js";

const scratch = mkdtempSync(join(tmpdir(), "koschei-overriding-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The "distribution": libfoo 1.0 (and its i686 twin), libbar 3.0, a tool needing libfoo 1.0. */
const BASE = join(scratch, "base");
/** The "user repo": a newer libfoo that needs something nobody has, an older libbar. */
const USER = join(scratch, "user");
/** A newer libfoo that installs, offered first. */
const NEWER_FIRST = join(scratch, "newer-first");

before(async () => {
  await writeFixtureRepo(BASE, [
    { name: "libfoo", evr: "1.0-1", provides: ["libfoo(x86-64)"] },
    { name: "libfoo", evr: "1.0-1", arch: "i686", provides: ["libfoo(x86-32)"] },
    { name: "libbar", evr: "3.0-1" },
    { name: "pinned-tool", evr: "1-1", requires: ["libfoo = 1.0-1"] },
    { name: "ppc-only", evr: "1-1" },
  ]);
  await writeFixtureRepo(USER, [
    { name: "libfoo", evr: "2.0-1", requires: ["missing-soname"] },
    { name: "libbar", evr: "2.5-1" },
    // Not installable on x86_64: it must not push the x86_64 build out.
    { name: "ppc-only", evr: "9-1", arch: "ppc64le" },
  ]);
  await writeFixtureRepo(NEWER_FIRST, [{ name: "libfoo", evr: "1:0.5-1" }]);
});

function withPool<T>(
  repos: string[],
  excludeOlderDuplicates: boolean | undefined,
  body: (pool: DepsolvePool) => T,
): T {
  const pool = openPool({ repos, excludeOlderDuplicates });
  try {
    return body(pool);
  } finally {
    pool.close();
  }
}

function installed(resolution: Resolution): string[] {
  return (resolution.installs ?? []).map(
    (pkg) => `${pkg.name}-${pkg.epoch}:${pkg.version}-${pkg.release}.${pkg.arch}`,
  );
}

describe("without the option, libsolv chooses among all versions", () => {
  test("a newer version that cannot be installed leaves libsolv the older one", () => {
    withPool([BASE, USER], false, (pool) => {
      const resolution = pool.resolve(["libfoo"], []);
      assert.deepEqual(installed(resolution), ["libfoo-0:1.0-1.x86_64"]);
      assert.deepEqual(
        pool.repos.map((repo) => repo.excluded),
        [0, 0],
      );
    });
  });

  test("an exact older version still resolves (the default is off)", () => {
    withPool([BASE, USER], undefined, (pool) => {
      assert.equal(pool.resolve(["pinned-tool"], []).resolved, true);
    });
  });
});

describe("with the option, the newest version wins", () => {
  test("the older libfoo is gone: the newer one's missing dependency is the problem", () => {
    withPool([BASE, USER], true, (pool) => {
      const resolution = pool.resolve(["libfoo"], []);
      assert.equal(resolution.resolved, false);
      assert.deepEqual(resolution.problems, [
        "Problem: package @builddeps(source)-0-0.noarch requires libfoo, but none of the " +
          "providers can be installed" +
          "\n - nothing provides missing-soname needed by libfoo-2.0-1.x86_64",
      ]);
    });
  });

  test("a dependency on the excluded version is unsatisfiable", () => {
    withPool([BASE, USER], true, (pool) => {
      const resolution = pool.resolve(["pinned-tool"], []);
      assert.equal(resolution.resolved, false);
      assert.match(resolution.problems.join("\n"), /libfoo = 1\.0-1/);
    });
  });

  test("an older version in the later repo is excluded: the base's newer one installs", () => {
    withPool([BASE, USER], true, (pool) => {
      assert.deepEqual(installed(pool.resolve(["libbar"], [])), ["libbar-0:3.0-1.x86_64"]);
      assert.equal(pool.resolve(["libbar = 2.5-1"], []).resolved, false);
    });
  });

  test("the newer version wins whichever repo comes first; the epoch counts", () => {
    withPool([NEWER_FIRST, BASE], true, (pool) => {
      // 1:0.5-1 is newer than (0:)1.0-1: the base's libfoo, both arches, is left out.
      assert.deepEqual(installed(pool.resolve(["libfoo"], [])), ["libfoo-1:0.5-1.x86_64"]);
      assert.equal(pool.resolve(["libfoo(x86-32)"], []).resolved, false);
      assert.deepEqual(
        pool.repos.map((repo) => repo.excluded),
        [0, 2],
      );
    });
  });

  test("packages of the newest EVR all stay: both arches of a multilib package", () => {
    withPool([BASE], true, (pool) => {
      assert.equal(pool.resolve(["libfoo(x86-32)"], []).resolved, true);
      assert.deepEqual(installed(pool.resolve(["libfoo"], [])), ["libfoo-0:1.0-1.x86_64"]);
      assert.deepEqual(
        pool.repos.map((repo) => repo.excluded),
        [0],
      );
    });
  });

  test("a package for another arch excludes nothing", () => {
    withPool([BASE, USER], true, (pool) => {
      assert.deepEqual(installed(pool.resolve(["ppc-only"], [])), ["ppc-only-0:1-1.x86_64"]);
      // BASE: libfoo ×2, libbar stays; USER: libbar 2.5.
      assert.deepEqual(
        pool.repos.map((repo) => repo.excluded),
        [2, 1],
      );
    });
  });

  test("the option reaches the resolver threads", async () => {
    const pool = await openResolverPool({
      repos: [BASE, USER],
      excludeOlderDuplicates: true,
      workers: 1,
    });
    try {
      const results = [];
      for await (const result of pool.resolveAll([
        {
          source: { name: "s", epoch: 0, version: "1", release: "1" },
          buildRequires: ["libfoo"],
          buildGroup: [],
        },
      ])) {
        results.push(result.resolved);
      }
      assert.deepEqual(results, [false]);
      assert.deepEqual(
        pool.repos.map((repo) => repo.excluded),
        [2, 1],
      );
    } finally {
      await pool.close();
    }
  });
});

test("a non-boolean option is refused", () => {
  assert.throws(
    () => openPool({ repos: [BASE], excludeOlderDuplicates: "yes" as unknown as boolean }),
    depsolveError("INVALID_ARGUMENT", /excludeOlderDuplicates must be a boolean/),
  );
});
