// Leak check: many resolutions (resolved and not, with changing build groups) in one pool keep
// the process's memory flat. Not a timing test.

import assert from "node:assert/strict";
import { test } from "node:test";
import { openPool } from "../../src/depsolve/pool.js";
import { EDGE_REPO, edgeBuildGroup, edgeSources } from "./edge-cases.js";

test("20,000 resolutions leave resident memory flat", () => {
  const pool = openPool({ repos: [EDGE_REPO] });
  const run = (count: number) => {
    for (let i = 0; i < count; i++) {
      const source = edgeSources[i % edgeSources.length]!;
      const resolution = pool.resolve(source.buildrequires, source.group ?? edgeBuildGroup, source);
      // Reading the installs parses them, as every consumer does.
      assert.equal(resolution.installs === null, !resolution.resolved);
    }
  };
  run(2_000);
  const warm = process.memoryUsage().rss;
  run(20_000);
  const grown = process.memoryUsage().rss - warm;
  pool.close();
  assert.ok(
    grown < 24 * 1024 * 1024,
    `resident memory grew by ${(grown / 1048576).toFixed(1)} MiB`,
  );
});
