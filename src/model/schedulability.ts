// Why a package is not (or was not) scheduled: the reasons listed on its page, and the
// conditions that keep the scheduler away from it, in TypeScript and as SQL.
import { DEFAULT_TABLE_ALIASES, sqlIdentifier, type TableAliases } from "./sql.js";

/** Codes of `package.scheduler_skip_reason`, set by the scheduler's last attempt. */
export const SchedulerSkipReason = { noSrpm: 1, noAllowedArch: 2 } as const;

/** The package columns schedulability depends on (a `package` row satisfies it). */
export interface SchedulingPackage {
  readonly tracked: boolean;
  readonly blocked: boolean;
  readonly skip_resolution: boolean;
  readonly resolved: boolean | null;
  readonly last_build_id: number | null;
  readonly last_complete_build_id: number | null;
  readonly scheduler_skip_reason: number | null;
}

/** The collection columns schedulability depends on (a `collection` row satisfies it). */
export interface SchedulingCollection {
  readonly display_name: string;
  readonly latest_repo_resolved: boolean | null;
}

export type SkipReasonCode =
  | "no-srpm"
  | "no-allowed-arch"
  | "untracked"
  | "blocked"
  | "running-build"
  | "unresolvable"
  | "not-resolved-yet"
  | "no-build"
  | "buildroot-unresolvable"
  | "buildroot-not-resolved-yet";

export interface SkipReason {
  readonly code: SkipReasonCode;
  readonly message: string;
}

interface Rule {
  readonly code: SkipReasonCode;
  applies(pkg: SchedulingPackage, collection: SchedulingCollection): boolean;
  message(collection: SchedulingCollection): string;
}

interface BlockingRule extends Rule {
  /** The same condition in SQL; never NULL, so it can be combined with OR safely. */
  sql(aliases: TableAliases): string;
}

/**
 * Notes the scheduler leaves after trying a package. They do not stop it from trying again
 * on its next pass (the package keeps a priority), but explain why nothing was built.
 */
const SCHEDULER_NOTES: readonly Rule[] = [
  {
    code: "no-srpm",
    applies: (pkg) => pkg.scheduler_skip_reason === SchedulerSkipReason.noSrpm,
    message: () => "No suitable SRPM was found",
  },
  {
    code: "no-allowed-arch",
    applies: (pkg) => pkg.scheduler_skip_reason === SchedulerSkipReason.noAllowedArch,
    message: () => "No build architecture allowed for SRPM",
  },
];

/** Any of these makes the package's priority NULL: the scheduler does not consider it. */
const BLOCKING_RULES: readonly BlockingRule[] = [
  {
    code: "untracked",
    applies: (pkg) => !pkg.tracked,
    message: () => "Package is not tracked",
    sql: ({ package: p }) => `NOT ${p}.tracked`,
  },
  {
    code: "blocked",
    applies: (pkg) => pkg.blocked,
    message: () => "Package is blocked in koji",
    sql: ({ package: p }) => `${p}.blocked`,
  },
  {
    // A last build that is not the last complete build is running. Unlike the original's
    // SQL, a package whose only build is running counts too (it must not be submitted twice).
    code: "running-build",
    applies: (pkg) => pkg.last_build_id !== pkg.last_complete_build_id,
    message: () => "Package has a running build",
    sql: ({ package: p }) => `${p}.last_build_id IS DISTINCT FROM ${p}.last_complete_build_id`,
  },
  {
    code: "unresolvable",
    applies: (pkg) => pkg.resolved === false,
    message: () => "Package dependencies are not resolvable",
    sql: ({ package: p }) => `${p}.resolved IS FALSE`,
  },
  {
    code: "not-resolved-yet",
    applies: (pkg) => pkg.resolved === null && !pkg.skip_resolution,
    message: () => "Package dependencies were not resolved yet",
    sql: ({ package: p }) => `${p}.resolved IS NULL AND NOT ${p}.skip_resolution`,
  },
  {
    code: "no-build",
    applies: (pkg) => pkg.last_build_id === null,
    message: () => "Package has no known build",
    sql: ({ package: p }) => `${p}.last_build_id IS NULL`,
  },
  {
    code: "buildroot-unresolvable",
    applies: (_pkg, collection) => collection.latest_repo_resolved === false,
    message: (collection) => `Base buildroot for ${collection.display_name} is not resolvable`,
    sql: ({ collection: c }) => `${c}.latest_repo_resolved IS FALSE`,
  },
  {
    code: "buildroot-not-resolved-yet",
    applies: (_pkg, collection) => collection.latest_repo_resolved === null,
    message: (collection) => `Base buildroot for ${collection.display_name} was not resolved yet`,
    sql: ({ collection: c }) => `${c}.latest_repo_resolved IS NULL`,
  },
];

/** Every reason that applies, in the order the package page lists them; empty if none. */
export function skipReasons(
  pkg: SchedulingPackage,
  collection: SchedulingCollection,
): SkipReason[] {
  return [...SCHEDULER_NOTES, ...BLOCKING_RULES]
    .filter((rule) => rule.applies(pkg, collection))
    .map((rule) => ({ code: rule.code, message: rule.message(collection) }));
}

/** Whether the scheduler considers the package at all (its priority is not NULL). */
export function isSchedulable(pkg: SchedulingPackage, collection: SchedulingCollection): boolean {
  return !BLOCKING_RULES.some((rule) => rule.applies(pkg, collection));
}

/**
 * SQL condition that is TRUE exactly when `isSchedulable` is false, over the `package` and
 * `collection` tables (or the given aliases). Never NULL.
 */
export function unschedulableSql(aliases: TableAliases = DEFAULT_TABLE_ALIASES): string {
  const checked: TableAliases = {
    package: sqlIdentifier(aliases.package),
    collection: sqlIdentifier(aliases.collection),
    lastBuild: sqlIdentifier(aliases.lastBuild),
  };
  return `(${BLOCKING_RULES.map((rule) => `(${rule.sql(checked)})`).join(" OR ")})`;
}
