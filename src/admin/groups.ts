// Package-group commands (spec 07 §4): `create-group`, `edit-group`, `add-group`, and the
// group content and maintainer changes they share with the web interface (spec 07 §1.2).
import { readFileSync } from "node:fs";
import type { Kysely, Selectable } from "kysely";
import {
  flagOption,
  listOption,
  stringOption,
  UsageError,
  type OptionSpec,
  type ParsedArgs,
} from "../cli/command.js";
import type { PackageGroupTable, Schema } from "../db/index.js";
import {
  adminCommand,
  UnknownPackages,
  type AdminTransaction,
  type AuditedChanges,
} from "./admin-command.js";

type PackageGroup = Selectable<PackageGroupTable>;

interface GroupName {
  namespace: string | null;
  name: string;
}

/** `namespace/name` (split at the first slash) or a global group's bare `name`. */
function parseGroupName(fullName: string): GroupName {
  const slash = fullName.indexOf("/");
  const namespace = slash >= 0 ? fullName.slice(0, slash) : "";
  const name = slash >= 0 ? fullName.slice(slash + 1) : fullName;
  if (name === "")
    throw new UsageError(`'${fullName}' is not a group name (namespace/name or name)`);
  return { namespace: namespace || null, name };
}

export function fullGroupName(group: GroupName): string {
  return group.namespace === null ? group.name : `${group.namespace}/${group.name}`;
}

async function findGroup(db: Kysely<Schema>, group: GroupName): Promise<PackageGroup | undefined> {
  return db
    .selectFrom("package_group")
    .selectAll()
    .where("name", "=", group.name)
    .where("namespace", group.namespace === null ? "is" : "=", group.namespace)
    .executeTakeFirst();
}

/**
 * The group named `namespace/name`, or by a bare name in whichever namespace holds it — as
 * long as only one does.
 */
export async function findGroupByName(db: Kysely<Schema>, fullName: string): Promise<PackageGroup> {
  const parsed = parseGroupName(fullName);
  let query = db.selectFrom("package_group").selectAll().where("name", "=", parsed.name);
  if (parsed.namespace !== null) query = query.where("namespace", "=", parsed.namespace);
  const groups = await query.orderBy("namespace").execute();
  if (groups.length === 0) throw new Error(`Group ${fullName} not found`);
  if (groups.length > 1) {
    const names = groups.map(fullGroupName).join(", ");
    throw new Error(`Group name ${fullName} is ambiguous (${names}): give namespace/name`);
  }
  return groups[0]!;
}

async function createGroup(tx: AdminTransaction, fullName: string): Promise<PackageGroup> {
  const parsed = parseGroupName(fullName);
  if (await findGroup(tx.db, parsed)) throw new Error("Group already exists");
  const group = await tx.db
    .insertInto("package_group")
    .values(parsed)
    .returningAll()
    .executeTakeFirstOrThrow();
  await tx.audit(`Group ${fullGroupName(group)} created`);
  return group;
}

interface Member {
  id: number;
  name: string;
}

/**
 * Adds the wanted members a set lacks and, unless `append`, removes the others; returns what
 * changed, each sorted by name.
 */
async function reconcileMembers(
  current: Member[],
  wanted: Member[],
  append: boolean,
  store: { add(ids: number[]): Promise<unknown>; remove(ids: number[]): Promise<unknown> },
): Promise<{ added: Member[]; removed: Member[] }> {
  const byName = (a: Member, b: Member) => a.name.localeCompare(b.name);
  const currentIds = new Set(current.map((member) => member.id));
  const wantedIds = new Set(wanted.map((member) => member.id));
  const added = wanted.filter((member) => !currentIds.has(member.id)).sort(byName);
  const removed = append ? [] : current.filter((member) => !wantedIds.has(member.id)).sort(byName);
  if (added.length > 0) await store.add(added.map((member) => member.id));
  if (removed.length > 0) await store.remove(removed.map((member) => member.id));
  return { added, removed };
}

/**
 * Makes the group hold exactly the named base packages, or with `append` adds them to what it
 * holds. Every package added or removed is audit-logged (with the bare group name).
 */
export async function setGroupContent(
  tx: AuditedChanges,
  group: PackageGroup,
  names: string[],
  append: boolean,
): Promise<void> {
  const wanted = [...new Set(names)];
  const bases =
    wanted.length === 0
      ? []
      : await tx.db
          .selectFrom("base_package")
          .select(["id", "name"])
          .where("name", "in", wanted)
          .execute();
  const known = new Set(bases.map((base) => base.name));
  const unknown = wanted.filter((name) => !known.has(name));
  if (unknown.length > 0) throw new UnknownPackages(unknown);
  const current = await tx.db
    .selectFrom("base_package")
    .innerJoin("package_group_relation", "base_id", "base_package.id")
    .select(["base_package.id", "base_package.name"])
    .where("group_id", "=", group.id)
    .execute();
  const { added, removed } = await reconcileMembers(current, bases, append, {
    add: (ids) =>
      tx.db
        .insertInto("package_group_relation")
        .values(ids.map((base_id) => ({ group_id: group.id, base_id })))
        .execute(),
    remove: (ids) =>
      tx.db
        .deleteFrom("package_group_relation")
        .where("group_id", "=", group.id)
        .where("base_id", "in", ids)
        .execute(),
  });
  for (const base of added) {
    await tx.audit(`Group ${group.name} modified: package ${base.name} added`, base.id);
  }
  for (const base of removed) {
    await tx.audit(`Group ${group.name} modified: package ${base.name} removed`, base.id);
  }
}

/** Makes the group's maintainers exactly the named users, creating unknown users. */
export async function setGroupMaintainers(
  tx: AuditedChanges,
  group: PackageGroup,
  names: string[],
): Promise<void> {
  const wanted = [...new Set(names)];
  let users: Member[] = [];
  if (wanted.length > 0) {
    await tx.db
      .insertInto("user")
      .values(wanted.map((name) => ({ name })))
      .onConflict((conflict) => conflict.column("name").doNothing())
      .execute();
    users = await tx.db
      .selectFrom("user")
      .select(["id", "name"])
      .where("name", "in", wanted)
      .execute();
  }
  const current = await tx.db
    .selectFrom("user")
    .innerJoin("group_acl", "user_id", "user.id")
    .select(["user.id", "user.name"])
    .where("group_id", "=", group.id)
    .execute();
  const { added, removed } = await reconcileMembers(current, users, false, {
    add: (ids) =>
      tx.db
        .insertInto("group_acl")
        .values(ids.map((user_id) => ({ group_id: group.id, user_id })))
        .execute(),
    remove: (ids) =>
      tx.db
        .deleteFrom("group_acl")
        .where("group_id", "=", group.id)
        .where("user_id", "in", ids)
        .execute(),
  });
  for (const user of added) {
    await tx.audit(`Group ${group.name} modified: maintainer ${user.name} added`);
  }
  for (const user of removed) {
    await tx.audit(`Group ${group.name} modified: maintainer ${user.name} removed`);
  }
}

const contentOptions: OptionSpec[] = [
  {
    name: "content-from-file",
    value: "PATH",
    help: "set the group's packages to the names in PATH ('-': standard input), whitespace-separated",
  },
  { name: "append", help: "with --content-from-file: add to the group's packages, remove none" },
];

/** Applies --content-from-file/--append; an empty list is refused. */
async function setContentFromFile(tx: AdminTransaction, group: PackageGroup, args: ParsedArgs) {
  const path = stringOption(args, "content-from-file");
  if (path === undefined) return;
  const text = path === "-" ? tx.env.readStdin() : readFileSync(path, "utf8");
  const names = text.split(/\s+/).filter((name) => name !== "");
  if (names.length === 0) throw new Error("Group content empty");
  await setGroupContent(tx, group, names, flagOption(args, "append"));
}

export const createGroupCommand = adminCommand({
  name: "create-group",
  summary: "create a package group",
  description:
    "Creates an empty package group, or one holding the packages listed in a file. " +
    "Audit-logged, as is each package added.",
  options: contentOptions,
  positionals: [{ name: "NAME", help: "namespace/name, or just name for a global group" }],
  async execute(tx, args) {
    const group = await createGroup(tx, args.positionals[0]!);
    await setContentFromFile(tx, group, args);
  },
});

export const editGroupCommand = adminCommand({
  name: "edit-group",
  summary: "rename a package group or change its packages",
  description:
    "Renames the group or moves it to another namespace (--make-global wins over " +
    "--new-namespace), and sets its packages from a file: only those listed, or with " +
    "--append the listed ones added. Each package added or removed is audit-logged.",
  options: [
    { name: "new-name", value: "NAME", help: "rename the group" },
    { name: "new-namespace", value: "NS", help: "move the group to namespace NS" },
    { name: "make-global", help: "make the group global (no namespace)" },
    ...contentOptions,
  ],
  positionals: [{ name: "CURRENT_NAME", help: "the group's namespace/name, or name if global" }],
  async execute(tx, args) {
    const currentName = args.positionals[0]!;
    const found = await findGroup(tx.db, parseGroupName(currentName));
    if (!found) throw new Error(`Group ${currentName} not found`);
    const renamed: GroupName = {
      name: stringOption(args, "new-name") || found.name,
      namespace: flagOption(args, "make-global")
        ? null
        : stringOption(args, "new-namespace") || found.namespace,
    };
    let group = found;
    if (renamed.name !== found.name || renamed.namespace !== found.namespace) {
      if (await findGroup(tx.db, renamed)) {
        throw new Error(`Group ${fullGroupName(renamed)} already exists`);
      }
      group = await tx.db
        .updateTable("package_group")
        .set(renamed)
        .where("id", "=", found.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    await setContentFromFile(tx, group, args);
  },
});

export const addGroupCommand = adminCommand({
  name: "add-group",
  summary: "create a package group with its packages and maintainers",
  description:
    "Creates the group holding the listed packages, maintained by the users listed after " +
    "-m (created if unknown). Audit-logged, as is each package and maintainer added.",
  options: [
    {
      name: "maintainer",
      short: "m",
      value: "NAMES",
      variadic: true,
      help: "user names of the group's maintainers",
    },
  ],
  positionals: [
    { name: "GROUP", help: "namespace/name, or just name for a global group" },
    { name: "PKGS", help: "package names", variadic: true },
  ],
  async execute(tx, args) {
    const [fullName, ...packages] = args.positionals as [string, ...string[]];
    const group = await createGroup(tx, fullName);
    await setGroupContent(tx, group, packages, false);
    await setGroupMaintainers(tx, group, listOption(args, "maintainer"));
  },
});
