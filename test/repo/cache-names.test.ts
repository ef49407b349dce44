import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertValidCacheKey,
  cacheKeyForUrl,
  hiddenName,
  isValidCacheKey,
  parseCacheFileName,
} from "../../src/repo/cache-names.js";

test("URL-derived keys are readable, valid and distinct per URL", () => {
  const key = cacheKeyForUrl("https://koji.test/repos/f29-build/888027/x86_64/");
  assert.match(key, /^koji\.test_repos_f29-build_888027_x86_64-[0-9a-f]{12}$/);
  assert.ok(isValidCacheKey(key));
  assert.notEqual(key, cacheKeyForUrl("https://koji.test/repos/f29-build/888027/x86_64/?x"));
  assert.equal(key, cacheKeyForUrl("https://koji.test/repos/f29-build/888027/x86_64/"));
});

test("keys may not escape the cache directory or look like scratch entries", () => {
  assert.ok(isValidCacheKey("primary-f29-build-888027"));
  for (const bad of ["", ".", "..", ".download-1-x", "a/b", "../x", "a b"]) {
    assert.equal(isValidCacheKey(bad), false, bad);
  }
  assert.throws(() => assertValidCacheKey("a/b"), /invalid repo cache key "a\/b"/);
});

test("hidden names carry their owner's pid and start time, and the key concerned", () => {
  const owner = { pid: 4242, startTime: "987654" };
  assert.deepEqual(parseCacheFileName(hiddenName("download", owner, "0af3", "f29-build-1")), {
    kind: "download",
    owner,
    key: "f29-build-1",
  });
  assert.deepEqual(parseCacheFileName(hiddenName("trash", { pid: 7 }, "0af3")), {
    kind: "trash",
    owner: { pid: 7 },
  });
  assert.deepEqual(parseCacheFileName(hiddenName("lease", owner, "0af3", "a")), {
    kind: "lease",
    owner,
    key: "a",
  });
  assert.deepEqual(parseCacheFileName(hiddenName("evict", { pid: 7 }, "0af3", "a")), {
    kind: "evict",
    owner: { pid: 7 },
    key: "a",
  });
  assert.deepEqual(parseCacheFileName(".download-12-x"), { kind: "download", owner: { pid: 12 } });
  for (const other of ["f29-build-1", ".lease-12-nokey", ".evict-12-x-.bad", ".lock-12-x-a"]) {
    assert.equal(parseCacheFileName(other), undefined, other);
  }
});
