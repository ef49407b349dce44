// State codes and the state strings derived from them: builds, Koji tasks and builds,
// packages (shown on pages and sent in messages) and collections.
import { KojiBuildState, type KojiTaskStateName } from "@koschei/koji-protocol/koji-states.js";
import { DEFAULT_TABLE_ALIASES, sqlIdentifier } from "./sql.js";

// ---- Koschei builds (build.state) ----

export const BuildState = { running: 2, complete: 3, failed: 5 } as const;
export type BuildStateCode = (typeof BuildState)[keyof typeof BuildState];
export type BuildStateString = keyof typeof BuildState;

export const FINISHED_BUILD_STATES: readonly BuildStateCode[] = [
  BuildState.complete,
  BuildState.failed,
];

export function buildStateString(code: number): BuildStateString {
  switch (code) {
    case BuildState.running:
      return "running";
    case BuildState.complete:
      return "complete";
    case BuildState.failed:
      return "failed";
    default:
      throw new Error(`unknown build state ${code}`);
  }
}

// ---- What Koji's task and build states mean for Koschei's builds ----

/**
 * The final build state a Koji task state means: CLOSED → complete, FAILED → failed, and
 * null for a task that has not finished (or was canceled, which deletes the build instead).
 */
export function buildStateForTaskState(name: KojiTaskStateName): BuildStateCode | null {
  if (name === "CLOSED") return BuildState.complete;
  if (name === "FAILED") return BuildState.failed;
  return null;
}

/** COMPLETE → complete, FAILED → failed; other Koji build states register nothing. */
export function buildStateForKojiBuildState(code: number): BuildStateCode | null {
  if (code === KojiBuildState.COMPLETE) return BuildState.complete;
  if (code === KojiBuildState.FAILED) return BuildState.failed;
  return null;
}

// ---- Packages ----

export type PackageState = "blocked" | "untracked" | "unresolved" | "ok" | "failing" | "unknown";
/** The package states messages and events carry: everything not interesting is "ignored". */
export type PackageMessageState = "ok" | "failing" | "unresolved" | "ignored";

/** The package columns the state depends on (a `package` row satisfies it). */
export interface PackageStateInputs {
  readonly blocked: boolean;
  readonly tracked: boolean;
  /** Result of the latest dependency resolution; null when not attempted. */
  readonly resolved: boolean | null;
  /** State of the package's last complete build; null when it has none. */
  readonly last_complete_build_state: number | null;
}

/** The first matching rule wins: blocked, untracked, unresolved, ok, failing, unknown. */
export function packageState(pkg: PackageStateInputs): PackageState {
  if (pkg.blocked) return "blocked";
  if (!pkg.tracked) return "untracked";
  if (pkg.resolved === false) return "unresolved";
  if (pkg.last_complete_build_state === BuildState.complete) return "ok";
  if (pkg.last_complete_build_state === BuildState.failed) return "failing";
  return "unknown";
}

export function messageState(state: PackageState): PackageMessageState {
  return state === "ok" || state === "failing" || state === "unresolved" ? state : "ignored";
}

export function packageMessageState(pkg: PackageStateInputs): PackageMessageState {
  return messageState(packageState(pkg));
}

/**
 * The same rules as `packageState`, as a SQL expression over the `package` table (or the
 * given alias), for filtering and sorting in queries.
 */
export function packageStateSql(packageAlias: string = DEFAULT_TABLE_ALIASES.package): string {
  const p = sqlIdentifier(packageAlias);
  return (
    `(CASE WHEN ${p}.blocked THEN 'blocked'` +
    ` WHEN NOT ${p}.tracked THEN 'untracked'` +
    ` WHEN ${p}.resolved IS FALSE THEN 'unresolved'` +
    ` WHEN ${p}.last_complete_build_state = ${BuildState.complete} THEN 'ok'` +
    ` WHEN ${p}.last_complete_build_state = ${BuildState.failed} THEN 'failing'` +
    ` ELSE 'unknown' END)`
  );
}

// ---- Collections ----

export type CollectionState = "ok" | "unresolved" | "unknown";

/** From `collection.latest_repo_resolved`: whether the base buildroot is installable. */
export function collectionState(latestRepoResolved: boolean | null): CollectionState {
  if (latestRepoResolved === null) return "unknown";
  return latestRepoResolved ? "ok" : "unresolved";
}
