// The queries behind the package, build and affected-by pages (spec 08 §5.5, §5.6, §5.12).
// Every query is bounded by the page: the history reads at most one page of builds and of
// resolution changes (with their problems) by their indexes (ix_build_composite,
// ix_resolution_change_package_id), and the dependency changes and Koji tasks of exactly the
// builds shown, each in one query whatever the page size.
import { sql, type Kysely, type Selectable } from "kysely";
import type { BuildTable, PackageGroupTable, PackageTable, Schema } from "../db/schema.js";
import { BuildState } from "../model/states.js";

export type PackageRow = Selectable<PackageTable>;
export type BuildRow = Selectable<BuildTable>;
type GroupRow = Selectable<PackageGroupTable>;

export interface Evr {
  epoch: number | null;
  version: string;
  release: string;
}

/** A dependency that changed between two resolutions; prev or curr is null when added/removed. */
export interface DependencyChangeRow {
  depName: string;
  prev: Evr | null;
  curr: Evr | null;
  distance: number | null;
}

export interface KojiTaskRow {
  build_id: number;
  task_id: number;
  arch: string;
  state: number;
}

export interface BuildEntry {
  kind: "build";
  build: BuildRow;
  tasks: KojiTaskRow[];
  changes: DependencyChangeRow[];
}

export interface ResolutionEntry {
  kind: "resolution";
  id: number;
  resolved: boolean;
  timestamp: Date;
  problems: string[];
}

export type HistoryEntry = BuildEntry | ResolutionEntry;

export function entryTime(entry: HistoryEntry): Date {
  return entry.kind === "build" ? entry.build.started : entry.timestamp;
}

/** A package group as the package page lists it, with whether the user may edit it. */
export interface GroupMembership {
  group: GroupRow;
  member: boolean;
  editable: boolean;
}

export async function findBasePackage(db: Kysely<Schema>, name: string) {
  return db.selectFrom("base_package").selectAll().where("name", "=", name).executeTakeFirst();
}

export async function findPackage(db: Kysely<Schema>, name: string, collectionId: number) {
  return db
    .selectFrom("package")
    .selectAll()
    .where("name", "=", name)
    .where("collection_id", "=", collectionId)
    .executeTakeFirst();
}

/**
 * The package's rows in every collection (any state), for the state overview; by name, which
 * a package shares with its base package (index ix_package_name).
 */
export async function packageRowsByName(db: Kysely<Schema>, name: string) {
  return db.selectFrom("package").selectAll().where("name", "=", name).execute();
}

interface RawChange {
  owner_id: number;
  distance: number | null;
  prev_name: string | null;
  prev_epoch: number | null;
  prev_version: string | null;
  prev_release: string | null;
  curr_name: string | null;
  curr_epoch: number | null;
  curr_version: string | null;
  curr_release: string | null;
}

function toChange(row: RawChange): DependencyChangeRow {
  const side = (epoch: number | null, version: string | null, release: string | null) =>
    version === null || release === null ? null : { epoch, version, release };
  return {
    depName: (row.curr_name ?? row.prev_name)!,
    prev: side(row.prev_epoch, row.prev_version, row.prev_release),
    curr: side(row.curr_epoch, row.curr_version, row.curr_release),
    distance: row.distance,
  };
}

/**
 * A change's columns with both sides' dependency rows, each read by its primary key: joined
 * plainly, PostgreSQL merge-joins all 20,000 dependencies with a busy package's few dozen
 * changes (15 ms instead of 0.3 ms).
 */
const CHANGE_WITH_DEPENDENCIES = sql`
  change.distance,
  prev.name AS prev_name, prev.epoch AS prev_epoch,
  prev.version AS prev_version, prev.release AS prev_release,
  curr.name AS curr_name, curr.epoch AS curr_epoch,
  curr.version AS curr_version, curr.release AS curr_release
`;
const DEPENDENCY_SIDES = sql`
  LEFT JOIN LATERAL (SELECT d.name, d.epoch, d.version, d.release FROM dependency d
                     WHERE d.id = change.prev_dep_id OFFSET 0) prev ON TRUE
  LEFT JOIN LATERAL (SELECT d.name, d.epoch, d.version, d.release FROM dependency d
                     WHERE d.id = change.curr_dep_id OFFSET 0) curr ON TRUE
`;

/** The package's unapplied changes, by distance with unknown distances last. */
export async function unappliedChanges(
  db: Kysely<Schema>,
  packageId: number,
): Promise<DependencyChangeRow[]> {
  const { rows } = await sql<RawChange>`
    SELECT change.package_id AS owner_id, ${CHANGE_WITH_DEPENDENCIES}
    FROM unapplied_change change ${DEPENDENCY_SIDES}
    WHERE change.package_id = ${packageId}
    ORDER BY change.distance ASC NULLS LAST, change.id
  `.execute(db);
  return rows.map(toChange);
}

/** The applied changes of the given builds, by build id, each by distance (unknown last). */
export async function appliedChanges(
  db: Kysely<Schema>,
  buildIds: number[],
): Promise<Map<number, DependencyChangeRow[]>> {
  const byBuild = new Map<number, DependencyChangeRow[]>(buildIds.map((id) => [id, []]));
  if (buildIds.length === 0) return byBuild;
  const { rows } = await sql<RawChange>`
    SELECT change.build_id AS owner_id, ${CHANGE_WITH_DEPENDENCIES}
    FROM applied_change change ${DEPENDENCY_SIDES}
    WHERE change.build_id IN (${sql.join(buildIds.map((id) => sql`${id}`))})
    ORDER BY change.distance ASC NULLS LAST, change.id
  `.execute(db);
  for (const row of rows) byBuild.get(row.owner_id)!.push(toChange(row));
  return byBuild;
}

/** The Koji arch sub-tasks of the given builds, by build id, each ordered by arch. */
export async function kojiTasks(
  db: Kysely<Schema>,
  buildIds: number[],
): Promise<Map<number, KojiTaskRow[]>> {
  const byBuild = new Map<number, KojiTaskRow[]>(buildIds.map((id) => [id, []]));
  if (buildIds.length === 0) return byBuild;
  const rows = await db
    .selectFrom("koji_task")
    .select(["build_id", "task_id", "arch", "state"])
    .where("build_id", "in", buildIds)
    .orderBy("arch")
    .orderBy("task_id")
    .execute();
  for (const row of rows) byBuild.get(row.build_id)!.push(row);
  return byBuild;
}

/** A package's resolution changes, newest first, each with its problems (one query). */
function resolutionChanges(db: Kysely<Schema>, packageId: number, limit: number) {
  return db
    .selectFrom("resolution_change as change")
    .select([
      "change.id",
      "change.resolved",
      "change.timestamp",
      sql<string[]>`ARRAY(SELECT problem FROM resolution_problem
        WHERE resolution_id = change.id ORDER BY problem)`.as("problems"),
    ])
    .where("change.package_id", "=", packageId)
    .orderBy("change.timestamp", "desc")
    .orderBy("change.id", "desc")
    .limit(limit);
}

/**
 * The newest `limit` entries of the package's history (builds by start, resolution changes by
 * time), only those before `before` when given, newest first (spec 08 §5.5).
 */
export async function packageHistory(
  db: Kysely<Schema>,
  packageId: number,
  limit: number,
  before: Date | undefined,
): Promise<HistoryEntry[]> {
  let builds = db
    .selectFrom("build")
    .selectAll()
    .where("package_id", "=", packageId)
    .orderBy("started", "desc")
    .orderBy("id", "desc")
    .limit(limit);
  let resolutions = resolutionChanges(db, packageId, limit);
  if (before !== undefined) {
    builds = builds.where("started", "<", before);
    resolutions = resolutions.where("change.timestamp", "<", before);
  }
  const [buildRows, resolutionRows] = await Promise.all([builds.execute(), resolutions.execute()]);
  const entries: HistoryEntry[] = [
    ...buildRows.map((build): HistoryEntry => ({ kind: "build", build, tasks: [], changes: [] })),
    ...resolutionRows.map((row): HistoryEntry => ({ kind: "resolution", ...row })),
  ]
    .sort((a, b) => entryTime(b).getTime() - entryTime(a).getTime())
    .slice(0, limit);
  const buildIds = entries.flatMap((entry) => (entry.kind === "build" ? [entry.build.id] : []));
  const [changes, tasks] = await Promise.all([
    appliedChanges(db, buildIds),
    kojiTasks(db, buildIds),
  ]);
  for (const entry of entries) {
    if (entry.kind !== "build") continue;
    entry.changes = changes.get(entry.build.id)!;
    entry.tasks = tasks.get(entry.build.id)!;
  }
  return entries;
}

/** The problems of the package's latest resolution, when it failed. */
export async function currentProblems(db: Kysely<Schema>, packageId: number): Promise<string[]> {
  const latest = await resolutionChanges(db, packageId, 1).executeTakeFirst();
  return latest === undefined || latest.resolved ? [] : latest.problems;
}

/** What the build chart draws: the package's most recent builds, oldest first. */
export interface ChartBuild {
  id: number;
  task_id: number;
  state: number;
  started: Date;
  finished: Date | null;
}

export async function chartBuilds(
  db: Kysely<Schema>,
  packageId: number,
  limit: number,
): Promise<ChartBuild[]> {
  const rows = await db
    .selectFrom("build")
    .select(["id", "task_id", "state", "started", "finished"])
    .where("package_id", "=", packageId)
    .orderBy("started", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.reverse();
}

/**
 * The groups shown on the package page (spec 08 §5.5, §6.5): global groups holding the
 * package, the user's namespaced groups holding it, and the user's other groups (which the
 * membership form offers to add it to). Ordered by namespace (global last), then name.
 */
export async function packageGroups(
  db: Kysely<Schema>,
  baseId: number,
  user: { id: number; admin: boolean } | undefined,
): Promise<GroupMembership[]> {
  const member = sql<boolean>`EXISTS (SELECT 1 FROM package_group_relation AS r
    WHERE r.group_id = g.id AND r.base_id = ${baseId})`;
  const maintained =
    user === undefined
      ? sql<boolean>`false`
      : sql<boolean>`EXISTS (SELECT 1 FROM group_acl AS acl
          WHERE acl.group_id = g.id AND acl.user_id = ${user.id})`;
  const rows = await db
    .selectFrom("package_group as g")
    .selectAll("g")
    .select([member.as("member"), maintained.as("maintained")])
    .where(sql<boolean>`(g.namespace IS NULL AND ${member}) OR ${maintained}`)
    .orderBy("g.namespace", (order) => order.asc().nullsLast())
    .orderBy("g.name")
    .execute();
  return rows.map(({ member, maintained, ...group }) => ({
    group,
    member,
    editable: user !== undefined && (user.admin || maintained),
  }));
}

export async function findBuild(db: Kysely<Schema>, id: number) {
  return db
    .selectFrom("build")
    .innerJoin("package", "package.id", "build.package_id")
    .selectAll("build")
    .select(["package.name as package_name", "package.collection_id", "package.base_id"])
    .where("build.id", "=", id)
    .executeTakeFirst();
}

/** The parameters of the affected-by report: a dependency and the EVR range it moved across. */
export interface AffectedByQuery {
  depName: string;
  collectionId: number;
  from: Evr;
  to: Evr;
}

export interface AffectedPackage {
  name: string;
  resolved: boolean | null;
  last_complete_build_state: number | null;
  build_id: number;
  started: Date;
  distance: number | null;
}

/**
 * Packages of the collection whose build failed after the dependency moved across the range
 * while the build before it did not fail (spec 08 §5.12), by distance then newest build.
 * EVRs are compared in the database with rpmvercmp_evr, as RPM compares them.
 */
export async function affectedPackages(
  db: Kysely<Schema>,
  query: AffectedByQuery,
): Promise<AffectedPackage[]> {
  const e1 = query.from;
  const e2 = query.to;
  const compare = (a: [unknown, unknown, unknown], b: [unknown, unknown, unknown]) =>
    sql<number>`rpmvercmp_evr(${a[0]}, ${a[1]}, ${a[2]}, ${b[0]}, ${b[1]}, ${b[2]})`;
  const low = [e1.epoch, e1.version, e1.release] as [unknown, unknown, unknown];
  const high = [e2.epoch, e2.version, e2.release] as [unknown, unknown, unknown];
  const prev = [sql.ref("prev.epoch"), sql.ref("prev.version"), sql.ref("prev.release")] as [
    unknown,
    unknown,
    unknown,
  ];
  const curr = [sql.ref("curr.epoch"), sql.ref("curr.version"), sql.ref("curr.release")] as [
    unknown,
    unknown,
    unknown,
  ];
  return db
    .selectFrom("applied_change as change")
    .innerJoin("dependency as prev", "prev.id", "change.prev_dep_id")
    .innerJoin("dependency as curr", "curr.id", "change.curr_dep_id")
    .innerJoin("build", "build.id", "change.build_id")
    .innerJoin("package", "package.id", "build.package_id")
    .select([
      "package.name",
      "package.resolved",
      "package.last_complete_build_state",
      "build.id as build_id",
      "build.started",
      "change.distance",
    ])
    .where("prev.name", "=", query.depName)
    .where("package.collection_id", "=", query.collectionId)
    .where("package.tracked", "=", true)
    .where("package.blocked", "=", false)
    .where("build.state", "=", BuildState.failed)
    .where(
      sql<boolean>`(
        (${compare(low, prev)} < 0 AND ${compare(prev, high)} < 0)
        OR (${compare(low, curr)} < 0 AND ${compare(curr, high)} < 0)
        OR (${compare(prev, low)} <= 0 AND ${compare(curr, high)} >= 0)
      )`,
    )
    .where((eb) =>
      eb(
        eb
          .selectFrom("build as previous")
          .select("previous.state")
          .whereRef("previous.package_id", "=", "build.package_id")
          .whereRef("previous.started", "<", "build.started")
          .orderBy("previous.started", "desc")
          .orderBy("previous.id", "desc")
          .limit(1),
        "<>",
        BuildState.failed,
      ),
    )
    .orderBy("change.distance", (order) => order.asc().nullsLast())
    .orderBy("build.started", "desc")
    .execute();
}
