import assert from "node:assert/strict";
import { test } from "node:test";
import { PoolCache } from "../../src/repo/pool-cache.js";

/** A cache of `{ key }` objects recording every load and dispose. */
function recordingCache(capacity: number, failFirstLoadOf?: string) {
  const loads: string[] = [];
  const disposed: string[] = [];
  const cache = new PoolCache<{ key: string }>({
    capacity,
    load: async (key) => {
      loads.push(key);
      if (key === failFirstLoadOf && loads.filter((k) => k === key).length === 1) {
        throw new Error(`cannot load ${key}`);
      }
      return { key };
    },
    dispose: (value) => disposed.push(value.key),
  });
  return { cache, loads, disposed };
}

test("concurrent requests for one key share a single load", async () => {
  const { cache, loads } = recordingCache(2);
  const values = await Promise.all([cache.get("a"), cache.use("a", (v) => v), cache.get("a")]);
  assert.deepEqual(loads, ["a"]);
  assert.ok(values.every((value) => value === values[0]));
  assert.equal(cache.size, 1);
});

test("the least recently used value is evicted and disposed", async () => {
  const { cache, loads, disposed } = recordingCache(2);
  await cache.get("a");
  await cache.get("b");
  await cache.get("a");
  await cache.get("c");
  assert.deepEqual(disposed, ["b"]);
  assert.ok(cache.has("a") && cache.has("c") && !cache.has("b"));
  await cache.get("b");
  assert.deepEqual(loads, ["a", "b", "c", "b"]);
  assert.deepEqual(disposed, ["b", "a"]);
});

test("a value in use is disposed only after its last user releases it", async () => {
  const { cache, disposed } = recordingCache(1);
  const first = await cache.acquire("a");
  const second = await cache.acquire("a");
  await cache.use("b", () => {
    assert.ok(cache.has("a"), "a is in use, so it stays while b is loaded");
  });
  assert.deepEqual(disposed, ["b"], "b was free to go, a was not");
  cache.clear();
  assert.equal(cache.size, 0);
  first.release();
  first.release(); // a second release of the same lease changes nothing
  assert.deepEqual(disposed, ["b"]);
  second.release();
  assert.deepEqual(disposed, ["b", "a"]);
});

test("a failed load is reported to every waiter and not cached", async () => {
  const { cache, loads } = recordingCache(2, "a");
  const results = await Promise.allSettled([cache.get("a"), cache.get("a")]);
  assert.deepEqual(
    results.map((r) => r.status === "rejected" && (r.reason as Error).message),
    ["cannot load a", "cannot load a"],
  );
  assert.equal(cache.has("a"), false);
  assert.deepEqual(await cache.get("a"), { key: "a" });
  assert.deepEqual(loads, ["a", "a"]);
});

test("clear disposes every unused value", async () => {
  const { cache, disposed } = recordingCache(3);
  await cache.get("a");
  await cache.get("b");
  cache.clear();
  assert.deepEqual(disposed, ["a", "b"]);
  assert.throws(
    () => new PoolCache({ capacity: 0, load: async () => 1, dispose: () => undefined }),
    /capacity must be a positive integer/,
  );
});
