// The package groups as the web pages see them (spec 08 §5.8–5.11, §6.6): the lists with
// package counts, one group with its maintainers and packages, who may edit it, naming and
// deleting it, the packages of a user, and the audit log the web's changes write. The
// content and maintainer changes themselves are the admin CLI's (src/admin/groups.ts).
import type { Insertable, Kysely, Selectable, Transaction } from "kysely";
import type { AuditedChanges } from "../admin/admin-command.js";
import { fullGroupName } from "../admin/groups.js";
import type { LogEntryTable, PackageGroupTable, Schema } from "../db/index.js";
import type { GroupReference } from "./group-forms.js";
import type { User } from "./request-state.js";

export type Group = Selectable<PackageGroupTable>;

/** A group in the group lists, with what its row shows. */
export interface GroupSummary extends Group {
  /** Base packages in the group that are not blocked in every collection (spec 08 §5.8). */
  packageCount: number;
  editable: boolean;
}

/** Another group already has the wanted name (spec 08 §5.10 step 4). */
export class GroupExists extends Error {
  override name = "GroupExists";
  constructor() {
    super("Group already exists");
  }
}

/** PostgreSQL's unique_violation: a concurrent request took the name first. */
const UNIQUE_VIOLATION = "23505";

/** `/groups/name` or `/groups/namespace/name`. */
export function groupPath(group: GroupReference): string {
  const name = encodeURIComponent(group.name);
  return group.namespace === null
    ? `/groups/${name}`
    : `/groups/${encodeURIComponent(group.namespace)}/${name}`;
}

export async function findGroup(
  db: Kysely<Schema>,
  group: GroupReference,
): Promise<Group | undefined> {
  return db
    .selectFrom("package_group")
    .selectAll()
    .where("name", "=", group.name)
    .where("namespace", group.namespace === null ? "is" : "=", group.namespace)
    .executeTakeFirst();
}

/** Logged in and an admin or one of the group's maintainers (spec 08 §6.6). */
export async function canEditGroup(
  db: Kysely<Schema>,
  user: User | undefined,
  group: Group,
): Promise<boolean> {
  if (user === undefined) return false;
  if (user.admin) return true;
  const acl = await db
    .selectFrom("group_acl")
    .select("user_id")
    .where("group_id", "=", group.id)
    .where("user_id", "=", user.id)
    .executeTakeFirst();
  return acl !== undefined;
}

/**
 * The global groups (by name), or those `maintainer` maintains (by namespace, global last,
 * then name), each with its package count and whether `user` may edit it.
 */
export async function groupSummaries(
  db: Kysely<Schema>,
  which: "global" | { maintainer: User },
  user: User | undefined,
): Promise<GroupSummary[]> {
  let query = db
    .selectFrom("package_group as g")
    .leftJoin("package_group_relation as r", "r.group_id", "g.id")
    .leftJoin("base_package as b", (join) =>
      join.onRef("b.id", "=", "r.base_id").on("b.all_blocked", "=", false),
    )
    .select(["g.id", "g.namespace", "g.name"])
    .select((eb) => eb.fn.count<string>("b.id").as("package_count"))
    .select((eb) =>
      (user === undefined
        ? eb.lit(false)
        : user.admin
          ? eb.lit(true)
          : eb.exists(
              eb
                .selectFrom("group_acl as a")
                .select("a.user_id")
                .whereRef("a.group_id", "=", "g.id")
                .where("a.user_id", "=", user.id),
            )
      ).as("editable"),
    )
    .groupBy("g.id");
  if (which === "global") {
    query = query.where("g.namespace", "is", null).orderBy("g.name");
  } else {
    const maintainer = which.maintainer;
    query = query
      .where("g.id", "in", (eb) =>
        eb.selectFrom("group_acl").select("group_id").where("user_id", "=", maintainer.id),
      )
      .orderBy("g.namespace")
      .orderBy("g.name");
  }
  const rows = await query.execute();
  return rows.map(({ package_count, editable, ...group }) => ({
    ...group,
    packageCount: Number(package_count),
    editable: Boolean(editable),
  }));
}

/** The groups a user maintains, by full name; the add-packages form offers them. */
export async function groupsMaintainedBy(db: Kysely<Schema>, user: User): Promise<Group[]> {
  const groups = await db
    .selectFrom("package_group as g")
    .innerJoin("group_acl as a", "a.group_id", "g.id")
    .select(["g.id", "g.namespace", "g.name"])
    .where("a.user_id", "=", user.id)
    .execute();
  return groups.sort((a, b) => fullGroupName(a).localeCompare(fullGroupName(b)));
}

/** The names of the group's maintainers, sorted. */
export async function groupMaintainers(db: Kysely<Schema>, group: Group): Promise<string[]> {
  const rows = await db
    .selectFrom("user")
    .innerJoin("group_acl", "group_acl.user_id", "user.id")
    .select("user.name")
    .where("group_acl.group_id", "=", group.id)
    .orderBy("user.name")
    .execute();
  return rows.map((row) => row.name);
}

/** The names of the group's base packages, sorted. */
export async function groupPackageNames(db: Kysely<Schema>, group: Group): Promise<string[]> {
  const rows = await db
    .selectFrom("base_package")
    .innerJoin("package_group_relation", "package_group_relation.base_id", "base_package.id")
    .select("base_package.name")
    .where("package_group_relation.group_id", "=", group.id)
    .orderBy("base_package.name")
    .execute();
  return rows.map((row) => row.name);
}

/** The packages of the groups a user maintains (the user page's source without plugins). */
export async function packagesOfMaintainedGroups(
  db: Kysely<Schema>,
  userName: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom("base_package as b")
    .innerJoin("package_group_relation as r", "r.base_id", "b.id")
    .innerJoin("group_acl as a", "a.group_id", "r.group_id")
    .innerJoin("user as u", "u.id", "a.user_id")
    .select("b.name")
    .distinct()
    .where("u.name", "=", userName)
    .orderBy("b.name")
    .execute();
  return rows.map((row) => row.name);
}

/** The audit-log row of a change made through the web (spec 08 §9). */
function webLogEntry(user: User, message: string, baseId?: number): Insertable<LogEntryTable> {
  return { user_id: user.id, environment: "frontend", message, base_id: baseId ?? null };
}

/** Changes in a transaction, each audit-logged at once as the logged-in user. */
export function webChanges(trx: Transaction<Schema>, user: User): AuditedChanges {
  return {
    db: trx,
    async audit(message, baseId) {
      await trx
        .insertInto("log_entry")
        .values(webLogEntry(user, message, baseId))
        .execute();
    },
  };
}

/**
 * Runs `body` in one transaction whose changes are audit-logged as the logged-in user; the
 * entries are written together at the end, one statement however many changes (a form may
 * change a couple of thousand packages).
 */
export async function webTransaction<T>(
  db: Kysely<Schema>,
  user: User,
  body: (tx: AuditedChanges) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const entries: Insertable<LogEntryTable>[] = [];
    const result = await body({
      db: trx,
      async audit(message, baseId) {
        entries.push(webLogEntry(user, message, baseId));
      },
    });
    if (entries.length > 0) await trx.insertInto("log_entry").values(entries).execute();
    return result;
  });
}

/**
 * Creates the group `target` (no `group`), or renames `group` to `target.name` in its own
 * namespace; audit-logged. Another group of that name is a GroupExists.
 */
export async function nameGroup(
  tx: AuditedChanges,
  group: Group | undefined,
  target: GroupReference,
): Promise<Group> {
  if (group !== undefined && group.name === target.name) return group;
  if (await findGroup(tx.db, target)) throw new GroupExists();
  let named: Group;
  try {
    named =
      group === undefined
        ? await tx.db
            .insertInto("package_group")
            .values(target)
            .returningAll()
            .executeTakeFirstOrThrow()
        : await tx.db
            .updateTable("package_group")
            .set({ name: target.name })
            .where("id", "=", group.id)
            .returningAll()
            .executeTakeFirstOrThrow();
  } catch (error) {
    if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) throw new GroupExists();
    throw error;
  }
  await tx.audit(
    group === undefined
      ? `Group ${fullGroupName(named)} created`
      : `Group ${group.name} renamed to ${named.name}`,
  );
  return named;
}

/** Deletes the group (its members and maintainers go with it), audit-logged. */
export async function deleteGroup(tx: AuditedChanges, group: Group): Promise<void> {
  await tx.audit(`Group ${group.name} deleted`);
  await tx.db.deleteFrom("package_group").where("id", "=", group.id).execute();
}
