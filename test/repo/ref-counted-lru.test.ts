import assert from "node:assert/strict";
import { test } from "node:test";
import { RefCountedLru } from "../../src/repo/ref-counted-lru.js";

/** A cache of `{ key }` objects recording every load and dispose. */
function recordingCache(capacity: number) {
  const loads: string[] = [];
  const disposed: string[] = [];
  const cache = new RefCountedLru<string, { key: string }>({
    capacity,
    dispose: (key, value) => disposed.push(value ? value.key : `${key} (not loaded)`),
  });
  const load = async (key: string) => {
    loads.push(key);
    return { key };
  };
  /** Acquires and releases at once. */
  const touch = async (key: string) => (await cache.acquire(key, load)).release();
  return { cache, load, touch, loads, disposed };
}

test("concurrent acquisitions of one key share a single load", async () => {
  const { cache, load, loads } = recordingCache(2);
  const leases = await Promise.all([1, 2, 3].map(() => cache.acquire("a", load)));
  assert.deepEqual(loads, ["a"]);
  assert.ok(leases.every((lease) => lease.value === leases[0]!.value));
});

test("the least recently used entry without users is evicted and disposed", async () => {
  const { touch, loads, disposed } = recordingCache(2);
  await touch("a");
  await touch("b");
  await touch("a");
  await touch("c");
  assert.deepEqual(disposed, ["b"]);
  await touch("b");
  assert.deepEqual(loads, ["a", "b", "c", "b"]);
  assert.deepEqual(disposed, ["b", "a"]);
});

test("an entry in use is disposed only after its last user releases it", async () => {
  const { cache, load, touch, disposed } = recordingCache(1);
  const first = await cache.acquire("a", load);
  const second = await cache.acquire("a", load);
  await touch("b");
  assert.deepEqual(disposed, ["b"], "b was free to go, a was not");
  first.release();
  first.release(); // a second release of the same lease changes nothing
  assert.deepEqual(disposed, ["b"]);
  second.release();
  await touch("c");
  assert.deepEqual(disposed, ["b", "a"]);
});

test("a failed load is reported to every waiter and forgotten", async () => {
  const { cache, load, disposed } = recordingCache(2);
  let attempts = 0;
  const failOnce = async (key: string) => {
    if (++attempts === 1) throw new Error(`cannot load ${key}`);
    return load(key);
  };
  const results = await Promise.allSettled([
    cache.acquire("a", failOnce),
    cache.acquire("a", failOnce),
  ]);
  assert.deepEqual(
    results.map((r) => r.status === "rejected" && (r.reason as Error).message),
    ["cannot load a", "cannot load a"],
  );
  assert.equal(attempts, 1);
  assert.deepEqual((await cache.acquire("a", failOnce)).value, { key: "a" });
  assert.deepEqual(disposed, [], "a failed load leaves nothing to dispose");
});

test("adopted entries count as most recently used and are loaded on first acquisition", async () => {
  const { cache, load, touch, loads, disposed } = recordingCache(2);
  await touch("a");
  cache.adopt("b");
  cache.adopt("a"); // known: stays where it is
  cache.adopt("c");
  assert.deepEqual(disposed, ["a"]);
  assert.deepEqual((await cache.acquire("b", load)).value, { key: "b" });
  cache.adopt("d");
  assert.deepEqual(disposed, ["a", "c (not loaded)"]);
  assert.deepEqual(loads, ["a", "b"]);
  assert.throws(
    () => new RefCountedLru({ capacity: 0, dispose: () => undefined }),
    /capacity must be a positive integer, got 0/,
  );
});
