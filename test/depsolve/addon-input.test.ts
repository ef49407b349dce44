// Bad input from JavaScript reaches the libsolv addon as a clear DepsolveError, never a crash.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { DepsolveErrorCode } from "../../src/depsolve/errors.js";
import {
  MAX_STRING_BYTES,
  openPool,
  type DepsolvePool,
  type PoolOptions,
} from "../../src/depsolve/pool.js";
import { depsolveError } from "./depsolve-error.js";
import { EDGE_REPO } from "./edge-cases.js";

let pool: DepsolvePool;

before(() => {
  pool = openPool({ repos: [EDGE_REPO] });
});

after(() => pool.close());

/** Asserts that `run` throws a DepsolveError with this code and a message matching `message`. */
function throwsError(run: () => unknown, code: DepsolveErrorCode, message: RegExp): void {
  assert.throws(run, depsolveError(code, message));
}

const source = { name: "bad-input", epoch: 0, version: "1", release: "1" };
/** Bypasses the static types, as a JavaScript caller could. */
const untyped = <T>(value: unknown) => value as T;

test("pool options of the wrong type are INVALID_ARGUMENT errors naming the option", () => {
  const cases: [unknown, RegExp][] = [
    [undefined, /Pool options must be an object/],
    ["repo", /Pool options must be an object/],
    [{ repos: EDGE_REPO }, /repos must be an array of strings/],
    [{ repos: [EDGE_REPO, 7] }, /repos must be an array of strings \(repos\[1\] is not a string\)/],
    [{ repos: [EDGE_REPO], arch: 64 }, /arch must be a string/],
    [{ repos: [EDGE_REPO], cacheDir: 1 }, /cacheDir must be a string/],
    [{ repos: [EDGE_REPO], cacheCapacity: -1 }, /cacheCapacity must be a positive integer/],
    [{ repos: [EDGE_REPO], cacheCapacity: NaN }, /cacheCapacity must be a positive integer/],
    [{ repos: [EDGE_REPO], ignoreWeakDeps: "no" }, /ignoreWeakDeps must be a boolean/],
    [{ repos: [`${EDGE_REPO}\0/elsewhere`] }, /repos\[0\] contains a NUL character/],
  ];
  for (const [options, message] of cases) {
    throwsError(() => openPool(untyped<PoolOptions>(options)), "INVALID_ARGUMENT", message);
  }
});

test("resolve arguments of the wrong type are INVALID_ARGUMENT errors naming the argument", () => {
  const cases: [unknown, unknown, unknown, RegExp][] = [
    ["e-lib", [], source, /buildRequires must be an array of strings/],
    [["e-lib", null], [], source, /buildRequires must be an array of strings \(buildRequires\[1\]/],
    [["e-lib"], undefined, source, /buildGroup must be an array of strings/],
    [["e-lib"], [{}], source, /buildGroup must be an array of strings \(buildGroup\[0\]/],
    [["e-lib"], [], null, /source package must be an object/],
    [["e-lib"], [], { ...source, name: 1 }, /name must be a string/],
    [["e-lib"], [], { ...source, version: undefined }, /version must be a string/],
    [["e-lib"], [], { ...source, epoch: "1" }, /epoch must be a number/],
    [["e-lib"], [], { ...source, epoch: NaN }, /epoch must be an integer from 0 to 4294967295/],
    [["e-lib"], [], { ...source, epoch: -1 }, /epoch must be an integer from 0 to 4294967295/],
    [["e-lib"], [], { ...source, epoch: 1.5 }, /epoch must be an integer from 0 to 4294967295/],
    [["e-lib"], [], { ...source, epoch: 2 ** 32 }, /epoch must be an integer from 0 to 4294967295/],
  ];
  for (const [buildRequires, buildGroup, pkg, message] of cases) {
    throwsError(
      () =>
        pool.resolve(
          untyped<string[]>(buildRequires),
          untyped<string[]>(buildGroup),
          untyped<typeof source>(pkg),
        ),
      "INVALID_ARGUMENT",
      message,
    );
  }
});

test("an embedded NUL is refused rather than cut short", () => {
  // libsolv would read "e-lib" and resolve it.
  throwsError(
    () => pool.resolve(["e-lib\0 and more"], []),
    "INVALID_ARGUMENT",
    /buildRequires\[0\] contains a NUL character/,
  );
  throwsError(
    () => pool.resolve(["e-lib"], [], { ...source, name: "a\0b" }),
    "INVALID_ARGUMENT",
    /name contains a NUL character/,
  );
});

test("a huge string or sparse array is refused", () => {
  assert.equal(pool.resolve(["e".repeat(MAX_STRING_BYTES)], []).resolved, false);
  throwsError(
    () => pool.resolve(["e".repeat(MAX_STRING_BYTES + 1)], []),
    "INVALID_ARGUMENT",
    /buildRequires\[0\] is longer than 65536 bytes/,
  );
  const sparse: string[] = [];
  sparse.length = 2 ** 32 - 1;
  throwsError(
    () => pool.resolve(sparse, []),
    "INVALID_ARGUMENT",
    /buildRequires\[0\] is not a string/,
  );
});

test("a rich dependency nested too deeply is a problem, not a stack overflow", () => {
  const nested = (levels: number) => "(".repeat(levels) + "e-lib" + ")".repeat(levels);
  assert.equal(pool.resolve([nested(200)], []).resolved, true);
  const tooDeep = pool.resolve([nested(10_000)], []);
  assert.equal(tooDeep.resolved, false);
  assert.match(tooDeep.problems[0]!, /more than 256 nested parentheses and operators\)$/);

  const chain = (operands: number) =>
    `(${Array.from({ length: operands }, (_, i) => `e-none-${i}`).join(" or ")} or e-lib)`;
  assert.equal(pool.resolve([chain(200)], []).resolved, true);
  assert.equal(pool.resolve([chain(2_000)], []).resolved, false);
  // A build group member nested too deeply is skipped like any unparsable one.
  assert.equal(pool.resolve(["e-lib"], [nested(10_000)]).resolved, true);
});

test("a getter that closes the pool during resolve makes it throw, not crash", () => {
  const closing = openPool({ repos: [EDGE_REPO] });
  const treacherous = {
    ...source,
    get release() {
      closing.close();
      return "1";
    },
  };
  throwsError(
    () => closing.resolve(["e-lib"], [], treacherous),
    "POOL_CLOSED",
    /the pool is closed/,
  );
});

/** Runs `use` while assigning `key` on any object (the addon's results too) closes `closing`. */
function withClosingSetter<T>(key: string, closing: DepsolvePool, use: () => T): T {
  Object.defineProperty(Object.prototype, key, { set: () => closing.close(), configurable: true });
  try {
    return use();
  } finally {
    delete (Object.prototype as Record<string, unknown>)[key];
  }
}

test("a pool closed by a setter while results are built is not read afterwards", () => {
  // The addon sets "problems" before "installsJson", and a repo's "dir" before the next repo.
  const closing = openPool({ repos: [EDGE_REPO] });
  assert.equal(
    withClosingSetter("problems", closing, () => closing.resolve(["e-lib"], [])).resolved,
    true,
  );
  throwsError(() => closing.repos, "POOL_CLOSED", /the pool is closed/);

  const twoRepos = openPool({ repos: [EDGE_REPO, EDGE_REPO] });
  assert.equal(withClosingSetter("dir", twoRepos, () => twoRepos.repos).length, 2);
  throwsError(() => twoRepos.repos, "POOL_CLOSED", /the pool is closed/);
});

test("every accessor of a closed pool throws, and close() may be repeated", () => {
  const closed = openPool({ repos: [EDGE_REPO] });
  closed.close();
  closed.close();
  throwsError(() => closed.repos, "POOL_CLOSED", /the pool is closed/);
  throwsError(() => closed.compsGroups, "POOL_CLOSED", /the pool is closed/);
  throwsError(() => closed.resolve(["e-lib"], []), "POOL_CLOSED", /the pool is closed/);
});
