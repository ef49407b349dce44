// What a build group reports (spec 11 §4.2), decided from facts gathered beforehand: the
// state of its side collection against the base collection, and which messages a change of
// state or repo means. Pure, so every rule is tested on its own.
import type { ReportedState } from "./messages.js";

/** A state a build group evaluates to; NULL (nothing to report) is null. */
export type BuildGroupState = "running" | "passed" | "failed";

/** What the evaluation reads about the side collection C and the base collection B. */
export interface BuildGroupFacts {
  /** C.latest_repo_id. */
  readonly repoId: number | null;
  /** C.latest_repo_resolved. */
  readonly repoResolved: boolean | null;
  /** A build of a package of C is running. */
  readonly hasRunningBuild: boolean;
  /** A package of C with a last build has a priority at or above the build threshold. */
  readonly hasSchedulablePackage: boolean;
  /** A package name is `ok` in B and not `ok` in C. */
  readonly hasBrokenPackage: boolean;
}

/** The first rule that applies decides. */
export function evaluateBuildGroup(facts: BuildGroupFacts): BuildGroupState | null {
  if (facts.repoId === null) return null;
  if (facts.repoResolved !== true) return "failed";
  if (facts.hasRunningBuild || facts.hasSchedulablePackage) return "running";
  if (facts.hasBrokenPackage) return "failed";
  return "passed";
}

/** What the build group last reported (its row). */
export interface Reported {
  readonly state: string | null;
  readonly repoId: number | null;
}

/** One message to send: a state about a repo. */
export interface Report {
  readonly state: ReportedState;
  readonly repoId: number;
}

/**
 * The messages a new evaluation means, oldest first, or null when nothing changed (the row
 * stays as it is). A replaced repo is first reported aborted; a group back to no repo (state
 * null) reports nothing, but its row still changes.
 */
export function reportsFor(
  previous: Reported,
  current: { state: BuildGroupState | null; repoId: number | null },
): Report[] | null {
  if (previous.state === current.state && previous.repoId === current.repoId) return null;
  const reports: Report[] = [];
  if (previous.repoId !== null && previous.repoId !== current.repoId) {
    reports.push({ state: "aborted", repoId: previous.repoId });
  }
  if (current.state !== null && current.repoId !== null) {
    reports.push({ state: current.state, repoId: current.repoId });
  }
  return reports;
}
