// The JSON API's queries (spec 09 §2, §3). PostgreSQL builds the whole JSON document, so a list
// of 60,000 packages costs one statement and no per-row work in Node; json_build_object keeps
// the keys in the order the spec gives, and a `timestamp without time zone` renders as the
// spec's `YYYY-MM-DDTHH:MM:SS[.ffffff]`.
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Schema } from "../db/index.js";
import { packageStateSql } from "../model/states.js";

const PACKAGE_STATE = sql.raw(packageStateSql("p"));

export interface PackageListFilter {
  /** Exact package names; absent = every package. */
  names?: readonly string[];
  /** Exact collection names; absent = every collection. */
  collections?: readonly string[];
}

/**
 * What an answer was computed from: the change counter (package_data_version) read before its
 * query, and the transactions the query's snapshot did not see — those it lists as in
 * progress and every one from its horizon (xmax) on. A change the answer missed either
 * advanced the counter after it was read or belongs to one of those transactions.
 */
export interface DataVersion {
  counter: string;
  inProgress: string[];
  horizon: string;
}

export interface VersionedJson {
  json: string;
  version: DataVersion;
}

const COUNTER = sql<string>`(SELECT last_value::text || CASE WHEN is_called THEN '' ELSE '-' END
                             FROM package_data_version)`;
/** The statement's snapshot as `in_progress` and `horizon` columns, selected beside an answer. */
const SNAPSHOT_COLUMNS = sql`
  ARRAY(SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) x) AS in_progress,
  pg_snapshot_xmax(pg_current_snapshot())::text AS horizon`;
/**
 * Transactions begun since an answer's snapshot that are checked one by one; more (a busy
 * server) and the answer is computed again.
 */
const MAX_NEW_TRANSACTIONS = 10_000;

/** Runs a query of one row (`json` and the snapshot columns) after reading the counter. */
async function versionedJson(
  db: Kysely<Schema>,
  query: RawBuilder<{ json: string; in_progress: string[]; horizon: string }>,
): Promise<VersionedJson> {
  const { rows: counter } = await sql<{ counter: string }>`SELECT ${COUNTER} AS counter`.execute(
    db,
  );
  const { json, in_progress: inProgress, horizon } = (await query.execute(db)).rows[0]!;
  return { json, version: { counter: counter[0]!.counter, inProgress, horizon } };
}

/**
 * Whether an answer of this version is still what its query would give: nothing advanced the
 * counter since, and none of the transactions its snapshot did not see has committed. When
 * that cannot be told cheaply (many transactions since, or ids too old for the server), it
 * is not.
 */
export async function unchangedSince(db: Kysely<Schema>, version: DataVersion): Promise<boolean> {
  const horizon = sql`CAST(${version.horizon} AS bigint)`;
  const now = sql`CAST(CAST(pg_snapshot_xmax(pg_current_snapshot()) AS text) AS bigint)`;
  try {
    const { rows } = await sql<{ unchanged: boolean }>`
      SELECT ${COUNTER} = ${version.counter} AND CASE
        WHEN ${now} - ${horizon} > ${MAX_NEW_TRANSACTIONS} THEN FALSE
        ELSE NOT EXISTS (
          SELECT 1
          FROM (SELECT unnest(CAST(${version.inProgress} AS xid8[])) AS x
                UNION ALL
                SELECT CAST(CAST(n AS text) AS xid8) FROM generate_series(${horizon}, ${now} - 1) n
               ) unseen
          WHERE pg_xact_status(unseen.x) = 'committed')
      END AS unchanged
    `.execute(db);
    return rows[0]!.unchanged;
  } catch {
    return false;
  }
}

/**
 * `GET /api/v1/packages` as JSON text: one element per (package, collection), by package name,
 * then in the collections' display order (`order` and name, both descending).
 */
export async function packageListJson(
  db: Kysely<Schema>,
  filter: PackageListFilter,
): Promise<VersionedJson> {
  const nameFilter =
    filter.names === undefined ? sql`true` : sql`p.name = ANY(${withoutNul(filter.names)}::text[])`;
  const collectionFilter =
    filter.collections === undefined
      ? sql`true`
      : sql`c.name = ANY(${withoutNul(filter.collections)}::text[])`;
  // Times are stored in UTC and shown without a zone, as the spec's timestamps are.
  return versionedJson(
    db,
    sql`
    SELECT coalesce(json_agg(json_build_object(
             'name', p.name,
             'collection', c.name,
             'state', ${PACKAGE_STATE},
             'last_complete_build', CASE WHEN b.id IS NULL THEN NULL ELSE json_build_object(
               'task_id', b.task_id,
               'time_started', b.started AT TIME ZONE 'UTC',
               'time_finished', b.finished AT TIME ZONE 'UTC',
               'epoch', b.epoch,
               'version', b.version,
               'release', b.release) END)
           ORDER BY p.name, c."order" DESC, c.name DESC), '[]')::text AS json,
           ${SNAPSHOT_COLUMNS}
    FROM package p
    JOIN collection c ON c.id = p.collection_id
    LEFT JOIN build b ON b.id = p.last_complete_build_id AND b.last_complete
    WHERE ${nameFilter} AND ${collectionFilter}
  `,
  );
}

/**
 * `GET /api/v1/collections/diff/<first>/<second>` as JSON text: the packages of both collections
 * whose states differ, by name; each state object keyed by the two collection names in order.
 */
export async function collectionDiffJson(
  db: Kysely<Schema>,
  first: { id: number; name: string },
  second: { id: number; name: string },
): Promise<VersionedJson> {
  return versionedJson(
    db,
    sql`
    SELECT coalesce(json_agg(json_build_object(
             'name', a.name,
             'state', json_build_object(${first.name}::text, a.state, ${second.name}::text, b.state))
           ORDER BY a.name), '[]')::text AS json,
           ${SNAPSHOT_COLUMNS}
    FROM (SELECT p.base_id, p.name, ${PACKAGE_STATE} AS state
            FROM package p WHERE p.collection_id = ${first.id}) a
    JOIN (SELECT p.base_id, ${PACKAGE_STATE} AS state
            FROM package p WHERE p.collection_id = ${second.id}) b
      ON b.base_id = a.base_id
    WHERE a.state <> b.state
  `,
  );
}

interface SharedAnswer<T> {
  value?: T;
  /**
   * When `value` was computed. Counting from its end, not its start, keeps a slow query (seconds
   * on a loaded machine) from being rerun back to back: the data is then up to that much older.
   */
  computedAt: number;
  pending?: Promise<T>;
}

/**
 * Answers shared between requests, so that the big ones (every package: 60,000 elements, 14 MB)
 * cost one query however many clients ask. An answer is served as it is for `maxAgeMs` after its
 * query finished; for `staleMs` more it is still served while one query refreshes it in the
 * background; after that, requests wait for the refresh. A request that wants a fresh answer
 * waits for the running query or starts one. At most `maxKeys` keys are kept, the least
 * recently added dropped first.
 */
export class SharedAnswers<T> {
  readonly #entries = new Map<string, SharedAnswer<T>>();

  constructor(readonly limits: { maxAgeMs: number; staleMs: number; maxKeys: number }) {}

  /**
   * `compute` is given the answer it replaces, if any: it may return that one again when it
   * knows the answer is still right.
   */
  get(
    key: string,
    options: { fresh: boolean },
    compute: (previous: T | undefined) => Promise<T>,
  ): Promise<T> {
    const entry = this.#entries.get(key) ?? this.#add(key);
    const age = performance.now() - entry.computedAt;
    const usable = !options.fresh && entry.value !== undefined;
    if (usable && age < this.limits.maxAgeMs) return Promise.resolve(entry.value!);
    const pending = entry.pending ?? this.#refresh(entry, compute);
    if (usable && age < this.limits.maxAgeMs + this.limits.staleMs) {
      return Promise.resolve(entry.value!);
    }
    return pending;
  }

  #add(key: string): SharedAnswer<T> {
    const entry: SharedAnswer<T> = { computedAt: -Infinity };
    this.#entries.set(key, entry);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.limits.maxKeys) break;
      this.#entries.delete(oldest);
    }
    return entry;
  }

  #refresh(entry: SharedAnswer<T>, compute: (previous: T | undefined) => Promise<T>): Promise<T> {
    const pending = compute(entry.value).then(
      (value) => {
        entry.value = value;
        entry.computedAt = performance.now();
        entry.pending = undefined;
        return value;
      },
      (error: unknown) => {
        entry.pending = undefined;
        throw error;
      },
    );
    // A background refresh has no request to report its failure to; the next one that waits
    // for a refresh of this key does.
    pending.catch(() => undefined);
    entry.pending = pending;
    return pending;
  }
}

/** PostgreSQL text cannot hold NUL, so a name with one matches nothing rather than failing. */
function withoutNul(names: readonly string[]): string[] {
  return names.filter((name) => !name.includes("\0"));
}
