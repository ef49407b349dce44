// The shared edge-case benchmark (bench/edge): source packages and the expected resolutions.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { InstalledPackage, SourcePackage } from "../../src/depsolve/pool.js";
import { sharedPath } from "../support/shared.js";

export interface EdgeSource extends SourcePackage {
  buildrequires: string[];
  group?: string[];
}

export interface ExpectedResolution {
  name: string;
  resolved: boolean;
  problems: string[];
  installs: InstalledPackage[] | null;
}

export const EDGE_REPO = sharedPath("bench", "edge", "repo");
export const EDGE_SRPMS = sharedPath("bench", "edge", "srpms.jsonl");
export const EDGE_BUILD_GROUP_FILE = sharedPath("bench", "edge", "build-group.json");

function jsonLines<T>(path: string): T[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

export const edgeSources: EdgeSource[] = jsonLines(EDGE_SRPMS);
export const edgeExpected: ExpectedResolution[] = jsonLines(
  sharedPath("bench", "edge", "expected.jsonl"),
);
export const edgeBuildGroup: string[] = JSON.parse(readFileSync(EDGE_BUILD_GROUP_FILE, "utf8"));

export function edgeSource(name: string): EdgeSource {
  const source = edgeSources.find((candidate) => candidate.name === name);
  if (!source) throw new Error(`no edge case ${name}`);
  return source;
}

/**
 * The rules of a problem, exact text, in sorted order. The addon prints libsolv's own wording
 * ("Problem: <rule>" then "\n - <rule>" per further rule) but puts the rules in a fixed order
 * (src/depsolve/README.md, "How a resolution works"), while the oracle that wrote expected.jsonl
 * printed them in libsolv's rule order, which differs for edge-conflict, edge-conflict-versioned,
 * edge-obsoletes-both and edge-self-conflict-pair. Every rule's text is the same on both sides,
 * so problems are compared as sets of exact rule texts rather than as whole strings.
 */
function problemRules(problem: string): string[] {
  const lines = problem.split("\n");
  const [headline, ...rest] = lines;
  if (!headline?.startsWith("Problem: ") || rest.some((line) => !line.startsWith(" - "))) {
    throw new Error(`not a libsolv problem text: ${JSON.stringify(problem)}`);
  }
  return [
    headline.slice("Problem: ".length),
    ...rest.map((line) => line.slice(" - ".length)),
  ].sort();
}

/** Asserts that the problems are the expected ones, problem by problem, rule texts exact. */
export function assertSameProblems(actual: string[], expected: string[], message?: string): void {
  assert.deepEqual(actual.map(problemRules), expected.map(problemRules), message);
}
