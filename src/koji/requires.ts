// BuildRequires of SRPMs from Koji's getRPMDeps (04-depsolve.md §4).

import type { KojiApi } from "./api.js";
import { KojiFault } from "@koschei/koji-protocol/faults.js";
import {
  DEP_TYPES,
  type KojiRpmDep,
  type RpmIdentifier,
} from "@koschei/koji-protocol/koji-types.js";

const RPMSENSE_LESS = 2;
const RPMSENSE_GREATER = 4;
const RPMSENSE_EQUAL = 8;
const RPMSENSE_FIND_REQUIRES = 16384;
const COMPARISON_BITS = RPMSENSE_LESS | RPMSENSE_GREATER | RPMSENSE_EQUAL;

/**
 * Dependency strings as DNF takes them (`name`, `name >= 1.2`). Auto-generated requirements
 * count as plain ones; entries with any other sense bit (rpmlib(), pre-requisites, scriptlet or
 * config dependencies…) are not build dependencies and are dropped. Koji's order is kept.
 */
export function rpmRequires(deps: KojiRpmDep[]): string[] {
  const requires: string[] = [];
  for (const dep of deps) {
    const flags = dep.flags & ~RPMSENSE_FIND_REQUIRES;
    if ((flags & ~COMPARISON_BITS) !== 0) continue;
    const operator =
      (flags & RPMSENSE_LESS ? "<" : "") +
      (flags & RPMSENSE_GREATER ? ">" : "") +
      (flags & RPMSENSE_EQUAL ? "=" : "");
    requires.push(`${dep.name} ${operator} ${dep.version}`.trimEnd());
  }
  return requires;
}

/**
 * The BuildRequires of each SRPM (one multicall per chunk); null for an SRPM whose call
 * faulted, which Koschei treats like a missing answer.
 */
export async function fetchRpmRequires(
  api: KojiApi,
  srpms: RpmIdentifier[],
): Promise<(string[] | null)[]> {
  const outcomes = await api.getRPMDepsMany(srpms, DEP_TYPES.REQUIRE);
  return outcomes.map((deps) => (deps instanceof KojiFault ? null : rpmRequires(deps)));
}
