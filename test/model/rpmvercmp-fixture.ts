// The shared rpmvercmp test vectors (test/fixtures/rpmvercmp-cases.json), used by the
// TypeScript and the SQL implementation's tests alike.
import { readFileSync } from "node:fs";

export interface VersionComparisonCase {
  readonly a: string;
  readonly b: string;
  readonly expected: -1 | 0 | 1;
}

export interface RpmvercmpFixture {
  readonly description: string;
  /** Every active case of rpm's tests/rpmvercmp.at. */
  readonly cases: readonly VersionComparisonCase[];
  /** Cases rpmvercmp.at documents as current behaviour in comments (non-ASCII, RhBug:811992). */
  readonly oddities: readonly VersionComparisonCase[];
  /** Random pairs (see version-samples.ts) with the answer of rpm itself. */
  readonly generated: readonly VersionComparisonCase[];
}

// Resolved from the compiled module (dist/test/model/) back to the source tree.
export const RPMVERCMP_FIXTURE_URL = new URL(
  "../../../test/fixtures/rpmvercmp-cases.json",
  import.meta.url,
);

export function loadRpmvercmpFixture(): RpmvercmpFixture {
  return JSON.parse(readFileSync(RPMVERCMP_FIXTURE_URL, "utf8")) as RpmvercmpFixture;
}
