// The queries behind every package table (spec 08 §3.6–3.8): one collection ("collection
// view", a row per package) or several ("unified view", a row per base package), tracked
// only or also untracked, optionally narrowed to some base packages (a group, a user's
// packages, search results) or states, sorted by the keys of §3.8 and cut into pages.
//
// Cost on a 30,000-package collection: the collection view counts the collection's rows on
// the partial index ix_package_collection_id and reads the page's ids from
// ix_package_collection_view (index-only, even for deep pages) in the default order; sorting
// by current priority computes it for every row of the collection but reads no build row (the
// last build's start is kept on the package). The page's rows are then read by primary key
// with their last build. The unified view over every collection reads a page of base packages
// from ix_base_package_list, whose flags (running, failing, tracked) triggers keep; over some
// collections, or with a state filter, it aggregates their package rows per base package
// instead. Either way the page's package rows (ix package_unique_in_collection) and groups
// (ix_package_group_relation_base_id) are one query each, whatever the page size.
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { FastifyRequest } from "fastify";
import type { Schema } from "../db/schema.js";
import { currentPrioritySql, type PriorityConfig } from "../model/priority.js";
import { packageState, packageStateSql, type PackageState } from "../model/states.js";
import { badRequest, notFound } from "./errors.js";
import { paginate, parsePage, type Pagination } from "./pagination.js";
import { firstQueryValue, type Collection, type User } from "./request-state.js";

// ---- Sorting (spec 08 §3.8) ----

export interface SortKey {
  /** The key without its `-` prefix, e.g. `state` or `state-f29`. */
  key: string;
  descending: boolean;
}

export const COLLECTION_VIEW_KEYS = [
  "name",
  "state",
  "running",
  "task_id",
  "started",
  "current_priority",
] as const;
export const COLLECTION_VIEW_DEFAULT_ORDER = "running,state,name";
export const UNIFIED_VIEW_DEFAULT_ORDER = "running,failing,name";

/** The keys a view sorts by: the collection view's, or the unified view's for these collections. */
export function sortKeys(collections: readonly Collection[]): string[] {
  if (collections.length === 1) return [...COLLECTION_VIEW_KEYS];
  return ["name", "running", "failing", ...collections.map((c) => `state-${c.name}`)];
}

/**
 * `order_by` as sort keys: comma-separated, `-` for descending; unknown keys and repeated
 * keys are ignored (never an error). Undefined or empty → the view's default.
 */
export function parseOrder(raw: string | undefined, collections: readonly Collection[]): SortKey[] {
  const valid = new Set(sortKeys(collections));
  const text =
    raw === undefined || raw === ""
      ? collections.length === 1
        ? COLLECTION_VIEW_DEFAULT_ORDER
        : UNIFIED_VIEW_DEFAULT_ORDER
      : raw;
  const keys: SortKey[] = [];
  for (const part of text.split(",")) {
    const item = part.trim();
    const descending = item.startsWith("-");
    const key = descending ? item.slice(1) : item;
    if (!valid.has(key) || keys.some((k) => k.key === key)) continue;
    keys.push({ key, descending });
  }
  return keys;
}

export function orderText(keys: readonly SortKey[]): string {
  return keys.map((k) => (k.descending ? `-${k.key}` : k.key)).join(",");
}

/**
 * The `order_by` a column header links to: the column as primary key, reversed when it is
 * the primary key already, ascending otherwise; the rest of the current order after it.
 */
export function headerOrder(current: readonly SortKey[], key: string): string {
  const primary = current[0];
  const descending = primary !== undefined && primary.key === key && !primary.descending;
  return orderText([{ key, descending }, ...current.filter((k) => k.key !== key)]);
}

/** How the column of `key` is sorted now: as primary key ascending/descending, or not. */
export function headerSortState(
  current: readonly SortKey[],
  key: string,
): "ascending" | "descending" | "none" {
  const primary = current[0];
  if (primary === undefined || primary.key !== key) return "none";
  return primary.descending ? "descending" : "ascending";
}

// ---- Query options and results ----

/** Narrows a package table to some base packages (all conditions must hold). */
export interface PackageFilter {
  /** Base package names (exact). */
  names?: readonly string[];
  /** SQL ILIKE pattern the base package name must match (search). */
  nameLike?: string;
  /** Members of this package group (`package_group.id`). */
  groupId?: number;
  /** Only packages in these states; in the unified view, in at least one shown collection. */
  states?: readonly PackageState[];
}

export interface PackageListOptions {
  /** The collections shown: one → collection view (§3.6), several → unified view (§3.7). */
  collections: readonly Collection[];
  /** Also list untracked packages (`untracked=1`); blocked ones never are. */
  untracked: boolean;
  /** The raw `order_by` parameter; undefined → the view's default order. */
  orderBy: string | undefined;
  /** 1-based page; a page past the end (> 1) throws a 404. */
  page: number;
  perPage: number;
  filter?: PackageFilter;
  /** The logged-in user: their groups are shown besides the global ones. */
  user?: User | undefined;
  priorities: PriorityConfig;
}

/** A group link in the table's "Package groups" column. */
export interface GroupLink {
  id: number;
  namespace: string | null;
  name: string;
  /** `name` or `namespace/name`. */
  fullName: string;
}

/** The last build of a package (of any state; running while a build is in progress). */
export interface LastBuild {
  id: number;
  taskId: number;
  started: Date;
  state: number;
}

/** A package in one collection. */
export interface PackageCell {
  collection: Collection;
  packageId: number;
  tracked: boolean;
  blocked: boolean;
  resolved: boolean | null;
  state: PackageState;
  /** A build is in progress: the last build is not the last complete build. */
  running: boolean;
  lastBuild: LastBuild | null;
  /** Current scheduling priority; null when the package is not schedulable. */
  currentPriority: number | null;
}

export interface PackageRow {
  name: string;
  baseId: number;
  /**
   * One entry per shown collection, in the order of `PackageList.collections`: the package
   * there, or null when the base package has no package row in that collection.
   */
  cells: (PackageCell | null)[];
  /** A build is running in any shown collection. */
  running: boolean;
  /** Global groups, and the user's own groups, containing the package. */
  groups: GroupLink[];
}

export interface PackageList {
  view: "collection" | "unified";
  collections: Collection[];
  rows: PackageRow[];
  pagination: Pagination;
  /** The sort keys in effect (the parsed `order_by` or the default). */
  order: SortKey[];
  untracked: boolean;
}

/** The common query parameters of package tables: `untracked`, `order_by`, `page` (bad → 404). */
export function packageListParams(request: FastifyRequest): {
  untracked: boolean;
  orderBy: string | undefined;
  page: number;
} {
  const page = parsePage(firstQueryValue(request, "page"));
  if (page === null) throw notFound("No such page");
  return {
    untracked: firstQueryValue(request, "untracked") === "1",
    orderBy: firstQueryValue(request, "order_by"),
    page,
  };
}

// ---- SQL pieces ----

interface OrderTerm {
  sql: string;
  ascending: boolean;
  /** NULLs stay last in both directions (current priority); else PostgreSQL's default. */
  nullsLast?: boolean;
}

const PACKAGE_ALIASES = { package: "p", collection: "c", lastBuild: "lb" } as const;
/**
 * The same, with the last build's start read from the package row (`last_build_started`, kept
 * by a trigger) under `lbs`: sorting a collection by priority then reads no build row.
 */
const SORT_ALIASES = { ...PACKAGE_ALIASES, lastBuild: "lbs" } as const;

/**
 * The state of the last build, from the package row alone: a last build that is not the last
 * complete build is running (2); otherwise it is the last complete build (update_last_build
 * keeps them so). Sorting by it needs no join with the build table.
 */
const LAST_BUILD_STATE_SQL =
  "(CASE WHEN p.last_build_id IS DISTINCT FROM p.last_complete_build_id THEN 2" +
  " ELSE p.last_complete_build_state END)";

/** Sort keys of the collection view that read the last build row (joined as `lb`). */
const KEYS_NEEDING_LAST_BUILD = new Set(["task_id"]);

function collectionTerms(key: string, priorityColumn: string): OrderTerm[] {
  switch (key) {
    case "name":
      return [{ sql: "p.name", ascending: true }];
    case "state":
      return [
        { sql: "p.resolved", ascending: true },
        { sql: LAST_BUILD_STATE_SQL, ascending: false },
      ];
    case "running":
      return [{ sql: "(p.last_complete_build_id = p.last_build_id)", ascending: true }];
    case "task_id":
      return [{ sql: "lb.task_id", ascending: true }];
    case "started":
      return [{ sql: "p.last_build_started", ascending: true }];
    case "current_priority":
      return [{ sql: priorityColumn, ascending: false, nullsLast: true }];
    default:
      return [];
  }
}

function unifiedTerms(key: string, flags: BaseFlags, stateAlias: Map<string, string>): OrderTerm[] {
  switch (key) {
    case "name":
      return [{ sql: "b.name", ascending: true }];
    case "running":
      return [{ sql: flags.running, ascending: false }];
    case "failing":
      return [{ sql: flags.failing, ascending: false }];
    default: {
      const alias = stateAlias.get(key);
      if (alias === undefined) return [];
      return [
        { sql: `${alias}.resolved`, ascending: true },
        { sql: `${alias}.last_complete_build_state`, ascending: false },
      ];
    }
  }
}

/** Where the unified view reads a base package `b`'s flags from. */
interface BaseFlags {
  /** A WITH clause before the query, and a join after `base_package b`. */
  with: RawBuilder<unknown>;
  join: RawBuilder<unknown>;
  /** SQL expressions (fixed text) of the flags. */
  running: string;
  failing: string;
  tracked: RawBuilder<unknown>;
}

/** The flags the triggers keep on base_package, over every collection. */
const STORED_FLAGS: BaseFlags = {
  with: sql``,
  join: sql``,
  running: "b.any_running",
  failing: "b.any_failing",
  tracked: sql`b.any_tracked`,
};

/**
 * The flags over the package rows of the given collections that pass the filter, with
 * `agg.state_match`: some row is in one of the filter's states.
 */
function aggregatedFlags(filter: PackageFilter | undefined, collectionIds: RawBuilder<unknown>) {
  const states = filter?.states;
  const stateMatch =
    states === undefined
      ? sql`TRUE`
      : states.length === 0
        ? sql`FALSE`
        : sql`${sql.raw(packageStateSql("p"))} IN (${sql.join(states.map((s) => sql`${s}`))})`;
  const packageConditions = [
    sql`p.collection_id IN (${collectionIds})`,
    ...filterConditions(filter, sql.raw("p.name"), sql.raw("p.base_id")),
  ];
  return {
    with: sql`WITH agg AS (
      SELECT p.base_id,
             bool_or(p.last_build_id IS DISTINCT FROM p.last_complete_build_id) AS running,
             bool_or(p.last_complete_build_state = 5 OR p.resolved IS FALSE) AS failing,
             bool_or(p.tracked AND NOT p.blocked) AS tracked,
             bool_or(${stateMatch}) AS state_match
      FROM package p
      WHERE ${and(packageConditions)}
      GROUP BY p.base_id
    )`,
    join: sql`LEFT JOIN agg ON agg.base_id = b.id`,
    running: "coalesce(agg.running, false)",
    failing: "coalesce(agg.failing, false)",
    tracked: sql`agg.tracked`,
  } satisfies BaseFlags;
}

/** Whether the collections (ids) are all there are: base_package's flags then apply. */
async function coversEveryCollection(db: Kysely<Schema>, ids: readonly number[]) {
  const { rows } = await sql<{ every: boolean }>`
    SELECT count(*) = ${new Set(ids).size} AS every FROM collection
  `.execute(db);
  return rows[0]!.every;
}

function orderBySql(
  keys: readonly SortKey[],
  terms: (key: string) => OrderTerm[],
  tieBreak: string[],
) {
  const parts: string[] = [];
  for (const { key, descending } of keys) {
    for (const term of terms(key)) {
      const ascending = descending ? !term.ascending : term.ascending;
      parts.push(`${term.sql} ${ascending ? "ASC" : "DESC"}${term.nullsLast ? " NULLS LAST" : ""}`);
    }
  }
  parts.push(...tieBreak);
  // Every piece above is one of the fixed expressions of this file (aliases are generated).
  return sql.raw(parts.join(", "));
}

/** Conditions of the filter on a package row `p` (its name is the base package's name). */
function filterConditions(
  filter: PackageFilter | undefined,
  nameColumn: RawBuilder<unknown>,
  baseIdColumn: RawBuilder<unknown>,
) {
  const conditions: RawBuilder<unknown>[] = [];
  if (filter?.names !== undefined) {
    conditions.push(
      filter.names.length === 0
        ? sql`FALSE`
        : sql`${nameColumn} IN (${sql.join(filter.names.map((name) => sql`${name}`))})`,
    );
  }
  if (filter?.nameLike !== undefined) conditions.push(sql`${nameColumn} ILIKE ${filter.nameLike}`);
  if (filter?.groupId !== undefined) {
    conditions.push(
      sql`${baseIdColumn} IN (SELECT r.base_id FROM package_group_relation r WHERE r.group_id = ${filter.groupId})`,
    );
  }
  return conditions;
}

function statesCondition(states: readonly PackageState[] | undefined) {
  if (states === undefined) return [];
  if (states.length === 0) return [sql`FALSE`];
  return [sql`${sql.raw(packageStateSql("p"))} IN (${sql.join(states.map((s) => sql`${s}`))})`];
}

function and(conditions: RawBuilder<unknown>[]) {
  return conditions.length === 0 ? sql`TRUE` : sql.join(conditions, sql` AND `);
}

// ---- The queries ----

interface PackageRowSql {
  id: number;
  name: string;
  base_id: number;
  collection_id: number;
  tracked: boolean;
  blocked: boolean;
  resolved: boolean | null;
  last_complete_build_state: number | null;
  last_build_id: number | null;
  last_complete_build_id: number | null;
  lb_id: number | null;
  lb_task_id: number | null;
  lb_started: Date | null;
  lb_state: number | null;
  current_priority: number | null;
}

const PACKAGE_COLUMNS = sql.raw(
  "p.id, p.name, p.base_id, p.collection_id, p.tracked, p.blocked, p.resolved, " +
    "p.last_complete_build_state, p.last_build_id, p.last_complete_build_id, " +
    "lb.id AS lb_id, lb.task_id AS lb_task_id, lb.started AS lb_started, lb.state AS lb_state",
);

/** The current priority over `p`, `c` and `lb` (built from checked identifiers and numbers). */
function priorityExpression(priorities: PriorityConfig) {
  return sql.raw(currentPrioritySql(priorities, "statement_timestamp()", PACKAGE_ALIASES));
}

function packageCell(row: PackageRowSql, collection: Collection): PackageCell {
  return {
    collection,
    packageId: row.id,
    tracked: row.tracked,
    blocked: row.blocked,
    resolved: row.resolved,
    state: packageState(row),
    running: row.last_build_id !== row.last_complete_build_id,
    lastBuild:
      row.lb_id === null
        ? null
        : {
            id: row.lb_id,
            taskId: row.lb_task_id!,
            started: row.lb_started!,
            state: row.lb_state!,
          },
    currentPriority: row.current_priority === null ? null : Number(row.current_priority),
  };
}

/** Reads one page of a package table (spec 08 §3.6/§3.7); a page past the end is a 404. */
export async function queryPackageList(
  db: Kysely<Schema>,
  options: PackageListOptions,
): Promise<PackageList> {
  if (options.collections.length === 0) throw badRequest("No collection selected");
  const list =
    options.collections.length === 1
      ? await collectionView(db, options)
      : await unifiedView(db, options);
  const groups = await visibleGroups(
    db,
    list.rows.map((row) => row.baseId),
    options.user,
  );
  for (const row of list.rows) row.groups = groups.get(row.baseId) ?? [];
  return list;
}

async function collectionView(
  db: Kysely<Schema>,
  options: PackageListOptions,
): Promise<PackageList> {
  const collection = options.collections[0]!;
  const order = parseOrder(options.orderBy, options.collections);
  const offset = (options.page - 1) * options.perPage;
  const conditions = [
    sql`p.collection_id = ${collection.id}`,
    sql`NOT p.blocked`,
    ...(options.untracked ? [] : [sql`p.tracked`]),
    ...filterConditions(options.filter, sql.raw("p.name"), sql.raw("p.base_id")),
    ...statesCondition(options.filter?.states),
  ];
  const where = and(conditions);
  // The page's ids: the last build is joined (one primary key probe per package) only when
  // the order needs its task id; the database keeps just the top rows of the sort. The total
  // comes along (computed once; the partial index ix_package_collection_id covers the
  // collection's non-blocked packages): no row means a page past the end, or no package.
  const needsBuild = order.some((k) => KEYS_NEEDING_LAST_BUILD.has(k.key));
  const needsPriority = order.some((k) => k.key === "current_priority");
  const sortPriority = currentPrioritySql(
    options.priorities,
    "statement_timestamp()",
    SORT_ALIASES,
  );
  const pageIds = await sql<{ id: number; total: number }>`
    SELECT p.id,
           (SELECT CAST(count(*) AS integer) FROM package p WHERE ${where}) AS total
    FROM package p
    ${
      needsPriority
        ? sql`JOIN collection c ON c.id = p.collection_id
              CROSS JOIN LATERAL (SELECT p.last_build_started AS started) lbs`
        : sql``
    }
    ${
      needsBuild
        ? sql`LEFT JOIN LATERAL (
                SELECT b.task_id FROM build b WHERE b.id = p.last_build_id OFFSET 0
              ) lb ON TRUE`
        : sql``
    }
    WHERE ${where}
    ORDER BY ${orderBySql(order, (key) => collectionTerms(key, sortPriority), [
      "p.name ASC",
      "p.id ASC",
    ])}
    LIMIT ${options.perPage} OFFSET ${offset}
  `.execute(db);
  const pagination = paginate(options.page, options.perPage, pageIds.rows[0]?.total ?? 0);
  if (pagination === null) throw notFound("No such page");
  const ids = pageIds.rows.map((row) => row.id);
  const result =
    ids.length === 0
      ? { rows: [] as PackageRowSql[] }
      : await sql<PackageRowSql>`
          SELECT ${PACKAGE_COLUMNS}, ${priorityExpression(options.priorities)} AS current_priority
          FROM package p
          JOIN collection c ON c.id = p.collection_id
          LEFT JOIN build lb ON lb.id = p.last_build_id
          WHERE p.id IN (${sql.join(ids.map((id) => sql`${id}`))})
        `.execute(db);
  const position = new Map(ids.map((id, index) => [id, index]));
  result.rows.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
  return {
    view: "collection",
    collections: [collection],
    order,
    untracked: options.untracked,
    pagination,
    rows: result.rows.map((row) => {
      const cell = packageCell(row, collection);
      return {
        name: row.name,
        baseId: row.base_id,
        cells: [cell],
        running: cell.running,
        groups: [],
      };
    }),
  };
}

async function unifiedView(db: Kysely<Schema>, options: PackageListOptions): Promise<PackageList> {
  const collections = [...options.collections];
  const order = parseOrder(options.orderBy, collections);
  const offset = (options.page - 1) * options.perPage;
  const ids = collections.map((c) => c.id);
  const idList = sql.join(ids.map((id) => sql`${id}`));
  // One joined package row per collection the order needs (state-<name> keys).
  const stateAlias = new Map<string, string>();
  const stateJoins: RawBuilder<unknown>[] = [];
  for (const { key } of order) {
    const collection = collections.find((c) => `state-${c.name}` === key);
    if (collection === undefined) continue;
    const alias = `s${stateAlias.size}`;
    stateAlias.set(key, alias);
    stateJoins.push(
      sql`LEFT JOIN package ${sql.raw(alias)} ON ${sql.raw(alias)}.base_id = b.id AND ${sql.raw(alias)}.collection_id = ${collection.id}`,
    );
  }
  const states = options.filter?.states;
  // Over every collection and without a state filter, the flags base_package keeps are the
  // aggregate's: a page is then an index scan of ix_base_package_list and the total a count
  // of base packages, never a pass over every package row.
  const flags =
    states === undefined && (await coversEveryCollection(db, ids))
      ? STORED_FLAGS
      : aggregatedFlags(options.filter, idList);
  const baseConditions = [
    sql`NOT b.all_blocked`,
    ...(options.untracked ? [] : [flags.tracked]),
    ...(states === undefined ? [] : [sql`agg.state_match`]),
    ...filterConditions(options.filter, sql.raw("b.name"), sql.raw("b.id")),
  ];
  const where = and(baseConditions);
  const terms = (key: string) => unifiedTerms(key, flags, stateAlias);
  // The total comes along, computed once (a window would read every row of the index scan).
  const result = await sql<{ id: number; name: string; running: boolean; total: number }>`
    ${flags.with}
    SELECT b.id, b.name, ${sql.raw(flags.running)} AS running,
           (SELECT CAST(count(*) AS integer) FROM base_package b ${flags.join} WHERE ${where})
             AS total
    FROM base_package b
    ${flags.join}
    ${sql.join(stateJoins, sql` `)}
    WHERE ${where}
    ORDER BY ${orderBySql(order, terms, ["b.name ASC", "b.id ASC"])}
    LIMIT ${options.perPage} OFFSET ${offset}
  `.execute(db);
  const pagination = paginate(options.page, options.perPage, result.rows[0]?.total ?? 0);
  if (pagination === null) throw notFound("No such page");
  const baseIds = result.rows.map((row) => row.id);
  const cells = new Map<number, (PackageCell | null)[]>();
  if (baseIds.length > 0) {
    const packages = await sql<PackageRowSql>`
      SELECT ${PACKAGE_COLUMNS}, ${priorityExpression(options.priorities)} AS current_priority
      FROM package p
      JOIN collection c ON c.id = p.collection_id
      LEFT JOIN build lb ON lb.id = p.last_build_id
      WHERE p.base_id IN (${sql.join(baseIds.map((id) => sql`${id}`))})
        AND p.collection_id IN (${idList})
    `.execute(db);
    for (const row of packages.rows) {
      const index = ids.indexOf(row.collection_id);
      let rowCells = cells.get(row.base_id);
      if (rowCells === undefined) {
        rowCells = collections.map(() => null);
        cells.set(row.base_id, rowCells);
      }
      rowCells[index] = packageCell(row, collections[index]!);
    }
  }
  return {
    view: "unified",
    collections,
    order,
    untracked: options.untracked,
    pagination,
    rows: result.rows.map((row) => ({
      name: row.name,
      baseId: row.id,
      cells: cells.get(row.id) ?? collections.map(() => null),
      running: row.running,
      groups: [],
    })),
  };
}

/**
 * The groups shown for each base package: global groups, plus the user's groups (where they
 * are a maintainer); by namespace (global last) then name.
 */
export async function visibleGroups(
  db: Kysely<Schema>,
  baseIds: readonly number[],
  user: User | undefined,
): Promise<Map<number, GroupLink[]>> {
  const byBase = new Map<number, GroupLink[]>();
  if (baseIds.length === 0) return byBase;
  const mine =
    user === undefined
      ? sql`FALSE`
      : sql`EXISTS (SELECT 1 FROM group_acl a WHERE a.group_id = g.id AND a.user_id = ${user.id})`;
  const result = await sql<{ base_id: number; id: number; namespace: string | null; name: string }>`
    SELECT r.base_id, g.id, g.namespace, g.name
    FROM package_group_relation r
    JOIN package_group g ON g.id = r.group_id
    WHERE r.base_id IN (${sql.join(baseIds.map((id) => sql`${id}`))})
      AND (g.namespace IS NULL OR ${mine})
    ORDER BY g.namespace ASC NULLS LAST, g.name ASC
  `.execute(db);
  for (const row of result.rows) {
    const links = byBase.get(row.base_id) ?? [];
    links.push({
      id: row.id,
      namespace: row.namespace,
      name: row.name,
      fullName: row.namespace === null ? row.name : `${row.namespace}/${row.name}`,
    });
    byBase.set(row.base_id, links);
  }
  return byBase;
}
