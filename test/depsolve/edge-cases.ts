// The shared edge-case benchmark (bench/edge): source packages and the expected resolutions.

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
 * The dependencies a problem text names ("nothing provides X needed by", "requires X, but",
 * "conflicts with X provided by", "obsoletes X provided by"), so that problems can be compared
 * by what they are about rather than by libsolv's exact wording.
 */
export function namedDependencies(problem: string): string[] {
  const patterns = [
    /nothing provides (.+?) needed by/g,
    /requires (.+?), but none of the providers/g,
    /conflicts with (.+?) provided by/g,
    /obsoletes (.+?) provided by/g,
  ];
  return patterns
    .flatMap((pattern) => [...problem.matchAll(pattern)].map((match) => match[1]!))
    .sort();
}
