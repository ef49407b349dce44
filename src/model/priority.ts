// The scheduling priority of a package (spec 02 §1, §3) and its components, in TypeScript
// for display and as SQL for the scheduler's query. Both give the same numbers.
import {
  isSchedulable,
  unschedulableSql,
  type SchedulingCollection,
  type SchedulingPackage,
} from "./schedulability.js";
import { BuildState } from "./states.js";
import { DEFAULT_TABLE_ALIASES, sqlFloat, sqlIdentifier, type TableAliases } from "./sql.js";

/** The `priorities` configuration section. */
export interface PriorityConfig {
  /** Build priority given when a package's last build has unresolvable dependencies. */
  readonly newly_added: number;
  /** Lowest priority the scheduler submits. */
  readonly build_threshold: number;
  /** Weight of one direct dependency change. */
  readonly package_update: number;
  /** Build priority given when a package starts failing. */
  readonly failed_build_priority: number;
  /** Age of the last build, in hours, at which the time priority is 0. */
  readonly t0: number;
  /** Age of the last build, in hours, at which the time priority reaches the threshold. */
  readonly t1: number;
}

export const DEFAULT_PRIORITY_CONFIG: PriorityConfig = {
  newly_added: 3000,
  build_threshold: 256,
  package_update: 256,
  failed_build_priority: 200,
  t0: 6,
  t1: 168,
};

/** The package columns the priority depends on (a `package` row satisfies it). */
export interface PriorityPackage extends SchedulingPackage {
  readonly manual_priority: number;
  readonly static_priority: number;
  readonly dependency_priority: number;
  readonly build_priority: number;
}

/** The collection columns the priority depends on (a `collection` row satisfies it). */
export interface PriorityCollection extends SchedulingCollection {
  readonly priority_coefficient: number;
}

/** The build `package.last_build_id` points at, or null when there is none. */
export interface LastBuild {
  readonly started: Date;
}

/** Lowest time priority: a fresh build is penalised, but only so much. */
const TIME_PRIORITY_FLOOR = -30;
/** Ages are clamped to this many hours before taking the logarithm (no log of 0). */
const MIN_AGE_HOURS = 0.000001;
const MS_PER_SECOND = 1000;
const SECONDS_PER_HOUR = 3600;

/** time priority = slope · log10(age in hours) + intercept (before the floor). */
interface TimePriorityCurve {
  readonly slope: number;
  readonly intercept: number;
}

/** The curve through (t0, 0) and (t1, build_threshold) on a log10 age axis. */
function timePriorityCurve(config: PriorityConfig): TimePriorityCurve {
  const { t0, t1, build_threshold } = config;
  if (!(t0 > 0 && t1 > t0)) {
    throw new Error(`priorities need 0 < t0 < t1, got t0 = ${t0}, t1 = ${t1}`);
  }
  if (!Number.isFinite(build_threshold)) {
    throw new Error(`priorities.build_threshold must be a number, got ${build_threshold}`);
  }
  const slope = build_threshold / (Math.log10(t1) - Math.log10(t0));
  return { slope, intercept: -slope * Math.log10(t0) };
}

/** Priority earned by the age of the last build: 0 at t0, the threshold at t1, never < −30. */
export function timePriority(ageHours: number, config: PriorityConfig): number {
  const { slope, intercept } = timePriorityCurve(config);
  return Math.max(
    slope * Math.log10(Math.max(MIN_AGE_HOURS, ageHours)) + intercept,
    TIME_PRIORITY_FLOOR,
  );
}

/** Hours between two instants, computed in the same steps as the SQL form. */
function ageHours(since: Date, now: Date): number {
  return (now.getTime() - since.getTime()) / MS_PER_SECOND / SECONDS_PER_HOUR;
}

/**
 * The current priority of a package, or null when the scheduler does not consider it:
 * manual + static + (dependency + build + time priority) × collection coefficient.
 */
export function currentPriority(
  pkg: PriorityPackage,
  collection: PriorityCollection,
  lastBuild: LastBuild | null,
  config: PriorityConfig,
  now: Date,
): number | null {
  if (lastBuild === null || !isSchedulable(pkg, collection)) return null;
  const time = timePriority(ageHours(lastBuild.started, now), config);
  return (
    pkg.manual_priority +
    pkg.static_priority +
    (pkg.dependency_priority + pkg.build_priority + time) * collection.priority_coefficient
  );
}

/**
 * `currentPriority` as a SQL expression (double precision, NULL when unschedulable) over
 * the `package`, `collection` and last build rows under the given aliases, e.g.
 *
 *   FROM package
 *   JOIN collection ON collection.id = package.collection_id
 *   JOIN build AS last_build ON last_build.id = package.last_build_id
 *
 * `now` is SQL text for the current time, such as a parameter placeholder (`$1`) or
 * `clock_timestamp()`; it is read as a timestamptz.
 */
export function currentPrioritySql(
  config: PriorityConfig,
  now: string,
  aliases: TableAliases = DEFAULT_TABLE_ALIASES,
): string {
  const p = sqlIdentifier(aliases.package);
  const c = sqlIdentifier(aliases.collection);
  const b = sqlIdentifier(aliases.lastBuild);
  const { slope, intercept } = timePriorityCurve(config);
  const f8 = (expression: string): string => `CAST(${expression} AS double precision)`;
  const hours =
    `${f8(`EXTRACT(EPOCH FROM (CAST((${now}) AS timestamp with time zone) - ${b}.started))`)}` +
    ` / ${SECONDS_PER_HOUR}`;
  // PostgreSQL's log() is base 10, like Math.log10.
  const time =
    `GREATEST(${sqlFloat(slope)} * log(GREATEST(${sqlFloat(MIN_AGE_HOURS)}, ${hours}))` +
    ` + ${sqlFloat(intercept)}, ${sqlFloat(TIME_PRIORITY_FLOOR)})`;
  // Integers are widened first, so large priorities cannot overflow integer arithmetic.
  const priority =
    `${f8(`${p}.manual_priority`)} + ${p}.static_priority` +
    ` + (${f8(`${p}.dependency_priority`)} + ${p}.build_priority + ${time})` +
    ` * ${c}.priority_coefficient`;
  return `(CASE WHEN ${unschedulableSql(aliases)} THEN NULL ELSE ${priority} END)`;
}

/** Whether the scheduler submits a package of this priority (the threshold is inclusive). */
export function meetsBuildThreshold(priority: number | null, config: PriorityConfig): boolean {
  return priority !== null && priority >= config.build_threshold;
}

/**
 * Dependency priority from the distances of a package's unapplied dependency changes:
 * each change weighs package_update / distance, a change without distance (build group,
 * too distant, removed) counts as distance 8; the sum is truncated toward zero.
 */
export function dependencyPriority(
  distances: Iterable<number | null>,
  config: PriorityConfig,
): number {
  let sum = 0;
  for (const distance of distances) sum += config.package_update / (distance || 8);
  return Math.trunc(sum);
}

/**
 * Build priority after a build finished (the other components having just been cleared):
 * the failed-build bump when the package starts failing, i.e. the build failed and the
 * package's previous build (by start time) did not fail or does not exist; else 0.
 */
export function buildPriorityAfterFinish(
  finishedState: number,
  previousBuildState: number | null,
  config: PriorityConfig,
): number {
  const startsFailing =
    finishedState === BuildState.failed && previousBuildState !== BuildState.failed;
  return startsFailing ? config.failed_build_priority : 0;
}
