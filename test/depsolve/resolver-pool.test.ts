// The worker-thread pool: input order, back-pressure, cancellation, errors.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openResolverPool, type ResolveRequest, type ResolverPool } from "../../src/depsolve/resolver-pool.js";
import { EDGE_REPO, edgeBuildGroup, edgeExpected, edgeSources } from "./edge-cases.js";

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
  await assert.rejects(() => pool.resolveAll([]).next(), /already resolving/);
  assert.equal((await firstResult).done, false);
  assert.equal(await count(first), 2);
});

test("a bad request fails the iteration with the addon's message", async () => {
  const bad = { source: edgeSources[0]!, buildRequires: [7], buildGroup: [] };
  await assert.rejects(
    () => count(pool.resolveAll([bad as unknown as ResolveRequest])),
    /buildRequires must be an array of strings/,
  );
});

test("a pool over a broken repository fails to open with the loader's message", async () => {
  await assert.rejects(
    () => openResolverPool({ repos: ["/nonexistent/repo"], workers: 2 }),
    /no such repository directory/,
  );
});

test("closing the pool fails a running iteration instead of leaving it waiting", async () => {
  const closing = await openResolverPool({ repos: [EDGE_REPO], workers: 1 });
  const iterator = closing.resolveAll(edgeRequests(200));
  await iterator.next();
  await closing.close();
  await assert.rejects(() => count(iterator), /the resolver pool was closed/);
  await closing.close();
});
