import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertValidCacheKey,
  cacheKeyForUrl,
  isValidCacheKey,
  scratchName,
  scratchOwnerPid,
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

test("scratch names carry their owner's pid", () => {
  assert.equal(scratchOwnerPid(scratchName("download", 4242, "u")), 4242);
  assert.equal(scratchOwnerPid(scratchName("trash", 7, "u")), 7);
  assert.equal(scratchOwnerPid("primary-f29-build-1"), undefined);
});
