// Parsing of the source-package JSON lines `koschei-admin resolve` reads. Pure.

import type { SourcePackage } from "./pool.js";

export interface SourceLine {
  source: SourcePackage;
  buildRequires: string[];
  /** Replaces the build group for this line when present. */
  group?: string[];
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

/**
 * Parses `{"name","epoch","version","release","buildrequires":[...],"group"?:[...]}`.
 * A null epoch (as Koji reports "no epoch") counts as 0.
 */
export function parseSourceLine(text: string, lineNumber: number): SourceLine {
  // Bad input, naming the line.
  const fail = (problem: string): never => {
    throw new Error(`line ${lineNumber}: ${problem}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail("not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("expected a JSON object");
  }
  const record = value as Record<string, unknown>;
  for (const field of ["name", "version", "release"]) {
    if (typeof record[field] !== "string" || record[field] === "") {
      fail(`"${field}" must be a non-empty string`);
    }
  }
  if (!("epoch" in record)) fail('"epoch" is missing (null when the package has none)');
  const epoch = record.epoch ?? 0;
  if (typeof epoch !== "number" || !Number.isInteger(epoch) || epoch < 0) {
    fail('"epoch" must be a whole number (or null)');
  }
  if (!isStringList(record.buildrequires)) fail('"buildrequires" must be a list of strings');
  if (record.group !== undefined && !isStringList(record.group)) {
    fail('"group" must be a list of strings');
  }
  return {
    source: {
      name: record.name as string,
      epoch: epoch as number,
      version: record.version as string,
      release: record.release as string,
    },
    buildRequires: record.buildrequires as string[],
    ...(record.group !== undefined && { group: record.group as string[] }),
  };
}
