// The data of the statistics page (spec 08 §5.14): the snapshot tables the polling service
// refreshes (scalar_stats, resource_consumption_stats), and the history of a collection's
// package states drawn as a chart.
import { sql, type Kysely } from "kysely";
import type { Schema } from "../db/schema.js";

export interface ScalarStats {
  refreshTime: Date;
  packages: number;
  trackedPackages: number;
  blockedPackages: number;
  builds: number;
  realBuilds: number;
  scratchBuilds: number;
}

export async function scalarStats(db: Kysely<Schema>): Promise<ScalarStats | undefined> {
  const row = await db
    .selectFrom("scalar_stats")
    .selectAll()
    .orderBy("refresh_time", "desc")
    .limit(1)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    refreshTime: row.refresh_time,
    packages: row.packages,
    trackedPackages: row.tracked_packages,
    blockedPackages: row.blocked_packages,
    builds: row.builds,
    realBuilds: row.real_builds,
    scratchBuilds: row.scratch_builds,
  };
}

export interface ResourceRow {
  name: string;
  arch: string;
  /** Total time of the package's finished tasks on that arch, in seconds; null if none finished. */
  seconds: number | null;
  /** The interval as PostgreSQL prints it, for the tooltip. */
  timeText: string | null;
  /** Share of the time of all tasks, 0–1. */
  share: number | null;
}

/** One page of the resource usage table, by time descending (NULLs last), and the total. */
export async function resourceUsage(
  db: Kysely<Schema>,
  page: number,
  perPage: number,
): Promise<{ rows: ResourceRow[]; total: number }> {
  const result = await sql<{
    name: string;
    arch: string;
    seconds: number | null;
    time_text: string | null;
    share: number | null;
    total: number;
  }>`
    SELECT name, arch,
           CAST(extract(EPOCH FROM "time") AS double precision) AS seconds,
           CAST("time" AS text) AS time_text,
           time_percentage AS share,
           CAST(count(*) OVER () AS integer) AS total
    FROM resource_consumption_stats
    ORDER BY "time" DESC NULLS LAST, name, arch
    LIMIT ${perPage} OFFSET ${(page - 1) * perPage}
  `.execute(db);
  return {
    total: result.rows[0]?.total ?? 0,
    rows: result.rows.map((row) => ({
      name: row.name,
      arch: row.arch,
      seconds: row.seconds,
      timeText: row.time_text,
      share: row.share,
    })),
  };
}

export type HistoryState = "ok" | "failing" | "unresolved" | "unknown";
export const HISTORY_STATES: readonly HistoryState[] = ["ok", "failing", "unresolved", "unknown"];

export interface StateHistory {
  /** The days shown, oldest first (UTC midnight); each count is the state at the day's end. */
  days: Date[];
  counts: Record<HistoryState, number[]>;
  /** Packages counted: those tracked and not blocked in the collection now. */
  packages: number;
}

const DAY_SECONDS = 86_400;

/**
 * How many of a collection's packages were ok, failing, unresolved or unknown at the end of
 * each of the last `days` days (the last one being today, i.e. now).
 *
 * Koschei keeps no state snapshots, so the history is rebuilt from what the database records
 * with a time: every resolution_change row (a package becoming resolvable or unresolvable, at
 * its `timestamp`) and every finished, tagged build (its result known at `finished`, or at
 * `started` when Koji gave no end). Replaying a package's events in time order gives its state
 * after each one with the rules of the package state (spec 08 §3.2): last resolution false →
 * unresolved; else last finished build complete → ok, failed → failing; else unknown. Each
 * state holds from its event to the package's next event, and these spans are summed per day
 * as +1/−1 deltas, so the work grows with the number of events, not events × days.
 *
 * Approximations: the packages counted are those tracked and not blocked now (tracking
 * changes are not recorded); builds and resolution changes deleted by `koschei-admin cleanup`
 * are gone, so a package whose older history was cleaned up counts as unknown before its
 * oldest remaining event.
 */
export async function stateHistory(
  db: Kysely<Schema>,
  collectionId: number,
  days: number,
  now: Date = new Date(),
): Promise<StateHistory> {
  const todayStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const windowStart = new Date(todayStart - (days - 1) * DAY_SECONDS * 1000);
  const dayIndex = (column: string) =>
    sql`floor(extract(EPOCH FROM (${sql.raw(column)} - ${windowStart}::timestamptz)) / ${DAY_SECONDS})`;
  const packages = await sql<{ count: number }>`
    SELECT CAST(count(*) AS integer) AS count FROM package
    WHERE collection_id = ${collectionId} AND tracked AND NOT blocked
  `.execute(db);
  const deltas = await sql<{ state: HistoryState; day: number; delta: number }>`
    WITH pkgs AS (
      SELECT id FROM package WHERE collection_id = ${collectionId} AND tracked AND NOT blocked
    ),
    events AS (
      SELECT rc.package_id, rc."timestamp" AS at, 0 AS kind, rc.resolved, CAST(NULL AS integer) AS build_state
      FROM resolution_change rc JOIN pkgs ON pkgs.id = rc.package_id
      UNION ALL
      SELECT b.package_id, coalesce(b.finished, b.started), 1, CAST(NULL AS boolean), b.state
      FROM build b JOIN pkgs ON pkgs.id = b.package_id
      WHERE b.state IN (3, 5) AND NOT b.untagged
    ),
    numbered AS (
      SELECT *, row_number() OVER (PARTITION BY package_id ORDER BY at, kind) AS seq
      FROM events
    ),
    grouped AS (
      SELECT *,
             count(resolved) OVER (PARTITION BY package_id ORDER BY seq) AS resolution_group,
             count(build_state) OVER (PARTITION BY package_id ORDER BY seq) AS build_group
      FROM numbered
    ),
    states AS (
      SELECT package_id, seq, at,
             first_value(resolved) OVER (PARTITION BY package_id, resolution_group ORDER BY seq) AS last_resolved,
             first_value(build_state) OVER (PARTITION BY package_id, build_group ORDER BY seq) AS last_build_state
      FROM grouped
    ),
    spans AS (
      SELECT CASE WHEN last_resolved IS FALSE THEN 'unresolved'
                  WHEN last_build_state = 3 THEN 'ok'
                  WHEN last_build_state = 5 THEN 'failing'
                  ELSE 'unknown' END AS state,
             at AS from_at,
             lead(at) OVER (PARTITION BY package_id ORDER BY seq) AS to_at
      FROM states
    ),
    days AS (
      SELECT state,
             CAST(greatest(${dayIndex("from_at")}, 0) AS integer) AS first_day,
             CAST(least(coalesce(${dayIndex("to_at")}, ${days}), ${days}) AS integer) AS end_day
      FROM spans
      WHERE state <> 'unknown'
    )
    SELECT state, first_day AS day, CAST(count(*) AS integer) AS delta
    FROM days WHERE first_day < end_day GROUP BY state, first_day
    UNION ALL
    SELECT state, end_day, -CAST(count(*) AS integer)
    FROM days WHERE first_day < end_day AND end_day < ${days} GROUP BY state, end_day
  `.execute(db);
  const total = packages.rows[0]?.count ?? 0;
  const counts: Record<HistoryState, number[]> = {
    ok: new Array<number>(days).fill(0),
    failing: new Array<number>(days).fill(0),
    unresolved: new Array<number>(days).fill(0),
    unknown: new Array<number>(days).fill(0),
  };
  const change: Record<HistoryState, number[]> = {
    ok: new Array<number>(days + 1).fill(0),
    failing: new Array<number>(days + 1).fill(0),
    unresolved: new Array<number>(days + 1).fill(0),
    unknown: [],
  };
  for (const row of deltas.rows) change[row.state][row.day]! += row.delta;
  for (const state of ["ok", "failing", "unresolved"] as const) {
    let running = 0;
    for (let day = 0; day < days; day++) {
      running += change[state][day]!;
      counts[state][day] = running;
    }
  }
  for (let day = 0; day < days; day++) {
    counts.unknown[day] = total - counts.ok[day]! - counts.failing[day]! - counts.unresolved[day]!;
  }
  return {
    days: Array.from(
      { length: days },
      (_, day) => new Date(windowStart.getTime() + day * DAY_SECONDS * 1000),
    ),
    counts,
    packages: total,
  };
}
