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
 * as +1/−1 deltas, in one pass here (cheaper than the chain of window functions it takes in
 * SQL). Only the events of the window are read, plus the last resolution change and build
 * before it per package (by index), so the work grows with the packages and the window's
 * events, not with the whole history or with events × days.
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
  const packages = await sql<{ count: number }>`
    SELECT CAST(count(*) AS integer) AS count FROM package
    WHERE collection_id = ${collectionId} AND tracked AND NOT blocked
  `.execute(db);
  // Each package's state when the window opens (its last resolution change and last
  // finished build before it, found by index), then its events inside the window; in order.
  const events = await sql<{
    package_id: number;
    at: number;
    resolved: boolean | null;
    build_state: number | null;
  }>`
    WITH pkgs AS (
      SELECT id FROM package WHERE collection_id = ${collectionId} AND tracked AND NOT blocked
    ),
    events AS (
      SELECT p.id AS package_id, ${windowStart}::timestamptz AS at, -1 AS kind,
             r.resolved, lb.state AS build_state
      FROM pkgs p
      LEFT JOIN LATERAL (
        SELECT rc.resolved FROM resolution_change rc
        WHERE rc.package_id = p.id AND rc."timestamp" < ${windowStart}::timestamptz
        ORDER BY rc."timestamp" DESC LIMIT 1
      ) r ON TRUE
      LEFT JOIN LATERAL (
        SELECT b.state FROM build b
        WHERE b.package_id = p.id AND b.state IN (3, 5) AND NOT b.untagged
          AND coalesce(b.finished, b.started) < ${windowStart}::timestamptz
        ORDER BY b.started DESC LIMIT 1
      ) lb ON TRUE
      UNION ALL
      SELECT rc.package_id, rc."timestamp", 0, rc.resolved, CAST(NULL AS integer)
      FROM resolution_change rc JOIN pkgs ON pkgs.id = rc.package_id
      WHERE rc."timestamp" >= ${windowStart}::timestamptz
      UNION ALL
      SELECT b.package_id, coalesce(b.finished, b.started), 1, CAST(NULL AS boolean), b.state
      FROM build b JOIN pkgs ON pkgs.id = b.package_id
      WHERE b.state IN (3, 5) AND NOT b.untagged
        AND coalesce(b.finished, b.started) >= ${windowStart}::timestamptz
    )
    SELECT package_id, CAST(extract(EPOCH FROM at) * 1000 AS double precision) AS at,
           resolved, build_state
    FROM events
    ORDER BY package_id, at, kind
  `.execute(db);
  const total = packages.rows[0]?.count ?? 0;
  // Replay: each event gives the package's state until its next event; a state other than
  // unknown adds +1 on the first day whose end it reaches and −1 on the first day it misses.
  const change: Record<HistoryState, number[]> = {
    ok: new Array<number>(days + 1).fill(0),
    failing: new Array<number>(days + 1).fill(0),
    unresolved: new Array<number>(days + 1).fill(0),
    unknown: new Array<number>(days + 1).fill(0),
  };
  const dayOf = (ms: number) => Math.floor((ms - windowStart.getTime()) / (DAY_SECONDS * 1000));
  const rows = events.rows;
  let resolved: boolean | null = null;
  let buildState: number | null = null;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (i === 0 || rows[i - 1]!.package_id !== row.package_id) {
      resolved = null;
      buildState = null;
    }
    if (row.resolved !== null) resolved = row.resolved;
    if (row.build_state !== null) buildState = row.build_state;
    const state: HistoryState =
      resolved === false
        ? "unresolved"
        : buildState === 3
          ? "ok"
          : buildState === 5
            ? "failing"
            : "unknown";
    if (state === "unknown") continue;
    const next = rows[i + 1];
    const end = next?.package_id === row.package_id ? Math.min(dayOf(next.at), days) : days;
    const first = Math.max(dayOf(row.at), 0);
    if (first >= end) continue;
    change[state][first]! += 1;
    change[state][end]! -= 1;
  }
  const counts: Record<HistoryState, number[]> = {
    ok: [],
    failing: [],
    unresolved: [],
    unknown: [],
  };
  for (const state of ["ok", "failing", "unresolved"] as const) {
    let running = 0;
    for (let day = 0; day < days; day++) {
      running += change[state][day]!;
      counts[state].push(running);
    }
  }
  for (let day = 0; day < days; day++) {
    counts.unknown.push(total - counts.ok[day]! - counts.failing[day]! - counts.unresolved[day]!);
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
