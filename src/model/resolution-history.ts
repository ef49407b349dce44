// When a package's resolution result is worth a `resolution_change` history entry (spec 03
// §4.7): the resolved flag changed, or it is still unresolved for different reasons.

export interface ResolutionOutcome {
  /** `package.resolved` before this resolution; null when never resolved. */
  readonly prevResolved: boolean | null;
  readonly resolved: boolean;
  readonly problems: ReadonlySet<string>;
}

/**
 * Whether to record the outcome. `lastRecordedProblems` are the problems of the package's
 * latest history entry, or null without history (which counts as different).
 */
export function needsResolutionChange(
  outcome: ResolutionOutcome,
  lastRecordedProblems: ReadonlySet<string> | null,
): boolean {
  if (outcome.prevResolved !== outcome.resolved) return true;
  if (outcome.resolved) return false;
  return lastRecordedProblems === null || !sameSet(outcome.problems, lastRecordedProblems);
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((item) => b.has(item));
}
