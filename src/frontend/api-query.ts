// The JSON API's queries (spec 09 §2, §3). PostgreSQL builds the whole JSON document, so a list
// of 60,000 packages costs one statement and no per-row work in Node; json_build_object keeps
// the keys in the order the spec gives, and a `timestamp without time zone` renders as the
// spec's `YYYY-MM-DDTHH:MM:SS[.ffffff]`.
import { sql, type Kysely } from "kysely";
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
 * `GET /api/v1/packages` as JSON text: one element per (package, collection), by package name,
 * then in the collections' display order (`order` and name, both descending).
 */
export async function packageListJson(
  db: Kysely<Schema>,
  filter: PackageListFilter,
): Promise<string> {
  const nameFilter =
    filter.names === undefined ? sql`true` : sql`p.name = ANY(${withoutNul(filter.names)}::text[])`;
  const collectionFilter =
    filter.collections === undefined
      ? sql`true`
      : sql`c.name = ANY(${withoutNul(filter.collections)}::text[])`;
  // Times are stored in UTC and shown without a zone, as the spec's timestamps are.
  const { rows } = await sql<{ json: string }>`
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
           ORDER BY p.name, c."order" DESC, c.name DESC), '[]')::text AS json
    FROM package p
    JOIN collection c ON c.id = p.collection_id
    LEFT JOIN build b ON b.id = p.last_complete_build_id AND b.last_complete
    WHERE ${nameFilter} AND ${collectionFilter}
  `.execute(db);
  return rows[0]!.json;
}

/**
 * `GET /api/v1/collections/diff/<first>/<second>` as JSON text: the packages of both collections
 * whose states differ, by name; each state object keyed by the two collection names in order.
 */
export async function collectionDiffJson(
  db: Kysely<Schema>,
  first: { id: number; name: string },
  second: { id: number; name: string },
): Promise<string> {
  const { rows } = await sql<{ json: string }>`
    SELECT coalesce(json_agg(json_build_object(
             'name', a.name,
             'state', json_build_object(${first.name}::text, a.state, ${second.name}::text, b.state))
           ORDER BY a.name), '[]')::text AS json
    FROM (SELECT p.base_id, p.name, ${PACKAGE_STATE} AS state
            FROM package p WHERE p.collection_id = ${first.id}) a
    JOIN (SELECT p.base_id, ${PACKAGE_STATE} AS state
            FROM package p WHERE p.collection_id = ${second.id}) b
      ON b.base_id = a.base_id
    WHERE a.state <> b.state
  `.execute(db);
  return rows[0]!.json;
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

  get(key: string, options: { fresh: boolean }, compute: () => Promise<T>): Promise<T> {
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

  #refresh(entry: SharedAnswer<T>, compute: () => Promise<T>): Promise<T> {
    const pending = compute().then(
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
