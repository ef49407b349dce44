// The worker-thread pool: input order, back-pressure, cancellation, errors.

import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate } from "node:timers/promises";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import {
  MAX_RESOLVER_WORKERS,
  openResolverPool,
  type ResolveRequest,
  type ResolverPool,
} from "../../src/depsolve/resolver-pool.js";
import { depsolveError } from "./depsolve-error.js";
import {
  assertSameProblems,
  EDGE_REPO,
  edgeBuildGroup,
  edgeExpected,
  edgeSources,
} from "./edge-cases.js";

let pool: ResolverPool;

before(async () => {
  pool = await openResolverPool({ repos: [EDGE_REPO], workers: 2 });
});

after(() => pool.close());

function edgeRequests(rounds: number): ResolveRequest[] {
  return Array.from({ length: rounds }, () =>
    edgeSources.map((source) => ({
      source,
      buildRequires: source.buildrequires,
      buildGroup: source.group ?? edgeBuildGroup,
    })),
  ).flat();
}

async function count(results: AsyncIterable<unknown>): Promise<number> {
  let seen = 0;
  for await (const result of results) if (result) seen++;
  return seen;
}

test("results come back in input order and match the single-threaded expectations", async () => {
  const requests = edgeRequests(20);
  let index = 0;
  for await (const resolution of pool.resolveAll(requests)) {
    const expected = edgeExpected[index % edgeExpected.length]!;
    assert.equal(resolution.resolved, expected.resolved, expected.name);
    assert.deepEqual(resolution.installs, expected.installs, expected.name);
    assertSameProblems(resolution.problems, expected.problems, expected.name);
    index++;
  }
  assert.equal(index, requests.length);
  assert.equal(pool.workers, 2);
  assert.deepEqual(pool.compsGroups.build, edgeBuildGroup);
});

test("input is read only a bounded window ahead of the consumer", async () => {
  let pulled = 0;
  const requests = edgeRequests(100);
  function* counted() {
    for (const request of requests) {
      pulled++;
      yield request;
    }
  }
  const iterator = pool.resolveAll(counted());
  await iterator.next();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(pulled < 500, `pulled ${pulled} of ${requests.length} for one consumed result`);
  await iterator.return();
});

test("an abort signal stops the iteration and the pool stays usable", async () => {
  const controller = new AbortController();
  let received = 0;
  await assert.rejects(async () => {
    for await (const resolution of pool.resolveAll(edgeRequests(50), {
      signal: controller.signal,
    })) {
      assert.equal(typeof resolution.resolved, "boolean");
      if (++received === 5) controller.abort();
    }
  }, /aborted/i);
  assert.equal(received, 5);
  const again = [];
  for await (const resolution of pool.resolveAll(edgeRequests(1))) again.push(resolution);
  assert.equal(again.length, edgeSources.length);
});

test("async input, and one iteration at a time", async () => {
  async function* slowly() {
    for (const request of edgeRequests(1).slice(0, 3)) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      yield request;
    }
  }
  const first = pool.resolveAll(slowly());
  const firstResult = first.next();
  await assert.rejects(
    () => pool.resolveAll([]).next(),
    depsolveError("POOL_BUSY", /^the resolver pool is already resolving$/),
  );
  assert.equal((await firstResult).done, false);
  assert.equal(await count(first), 2);
});

test("a bad request fails the iteration with the addon's DepsolveError, code and all", async () => {
  const bad = { source: edgeSources[0]!, buildRequires: [7], buildGroup: [] };
  await assert.rejects(
    () => count(pool.resolveAll([bad as unknown as ResolveRequest])),
    depsolveError(
      "INVALID_ARGUMENT",
      /^buildRequires must be an array of strings \(buildRequires\[0\] is not a string\)$/,
    ),
  );
});

test("a pool over a broken repository fails to open with the loader's DepsolveError", async () => {
  await assert.rejects(
    () => openResolverPool({ repos: ["/nonexistent/repo"], workers: 2 }),
    depsolveError("REPO_METADATA_MISSING", /^\/nonexistent\/repo: no such repository directory$/),
  );
  const scratch = mkdtempSync(join(tmpdir(), "koschei-resolver-pool-"));
  try {
    cpSync(join(EDGE_REPO, "repodata"), join(scratch, "repodata"), { recursive: true });
    const comps = join(scratch, "repodata", "comps.xml.gz");
    unlinkSync(comps);
    writeFileSync(comps, gzipSync("<comps></comps>"));
    await assert.rejects(
      () => openResolverPool({ repos: [scratch], workers: 2 }),
      depsolveError("REPO_CHECKSUM_MISMATCH", /comps\.xml\.gz: sha256 checksum differs/),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test("a worker count outside 1..MAX_RESOLVER_WORKERS is refused before any thread starts", async () => {
  assert.equal(MAX_RESOLVER_WORKERS, 64);
  for (const workers of [0, -1, 1.5, NaN, 65, 1000, 2 ** 32]) {
    await assert.rejects(
      () => openResolverPool({ repos: [EDGE_REPO], workers }),
      depsolveError(
        "INVALID_ARGUMENT",
        new RegExp(`^workers must be an integer from 1 to 64, not ${workers}$`),
      ),
    );
  }
});

test("twelve workers add no listeners to the process's streams (no MaxListeners warning)", async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on("warning", onWarning);
  const listeners = () => [process.stdout, process.stderr].map((s) => s.listenerCount("error"));
  const before = listeners();
  const many = await openResolverPool({ repos: [EDGE_REPO], workers: 12 });
  try {
    assert.equal(await count(many.resolveAll(edgeRequests(2))), 2 * edgeSources.length);
    assert.deepEqual(listeners(), before);
    // What any writer does, e.g. console.log: one more listener on each stream for a moment.
    for (const stream of [process.stdout, process.stderr]) {
      const noop = () => undefined;
      stream.once("error", noop);
      stream.off("error", noop);
    }
    await setImmediate(); // warnings are emitted on the next tick
    assert.deepEqual(warnings, []);
  } finally {
    process.off("warning", onWarning);
    await many.close();
  }
});

test("closing the pool fails a running iteration instead of leaving it waiting", async () => {
  const closing = await openResolverPool({ repos: [EDGE_REPO], workers: 1 });
  const iterator = closing.resolveAll(edgeRequests(200));
  await iterator.next();
  await closing.close();
  await assert.rejects(
    () => count(iterator),
    depsolveError("POOL_CLOSED", /^the resolver pool was closed$/),
  );
  await closing.close();
  await assert.rejects(
    () => closing.resolveAll([]).next(),
    depsolveError("POOL_CLOSED", /^the resolver pool is closed$/),
  );
});
