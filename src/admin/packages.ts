// Package commands (spec 07 §3.1–3.3): `add-pkg`, `set-priority`, `set-arch-override`. Every
// changed attribute is audit-logged as the web interface logs it (spec 07 §1.1).
import type { Kysely, Selectable, Updateable } from "kysely";
import { flagOption, stringOption, UsageError } from "../cli/command.js";
import type { PackageTable, Schema } from "../db/index.js";
import { adminCommand, UnknownPackages, type AuditedChanges } from "./admin-command.js";
import { findGroupByName } from "./groups.js";

/** The package attributes the admin commands and the web's edit form set. */
interface PackageAttributes {
  tracked: boolean;
  manual_priority: number;
  static_priority: number;
  arch_override: string | null;
  skip_resolution: boolean;
}
type PackageAttribute = keyof PackageAttributes;

/** A package row with the name of its collection, as the audit messages need. */
export type PackageInCollection = Pick<Selectable<PackageTable>, "id" | "base_id" | "name"> &
  PackageAttributes & { collection_name: string };

/** Python's str() of the values the original logged: None, True, False, numbers, text. */
function pythonText(value: string | number | boolean | null): string {
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  return String(value);
}

/** Audit-logs the change of one attribute of a package (spec 07 §1.1). */
async function auditPackageAttribute<A extends PackageAttribute>(
  tx: AuditedChanges,
  pkg: PackageInCollection,
  attribute: A,
  value: PackageAttributes[A],
): Promise<void> {
  await tx.audit(
    `Package ${pkg.name} (collection ${pkg.collection_name}): ${attribute} set from ` +
      `${pythonText(pkg[attribute])} to ${pythonText(value)}`,
    pkg.base_id,
  );
}

/** Sets one attribute of a package, audit-logged, when it differs from the stored value. */
export async function setPackageAttribute<A extends PackageAttribute>(
  tx: AuditedChanges,
  pkg: PackageInCollection,
  attribute: A,
  value: PackageAttributes[A],
): Promise<void> {
  if (pkg[attribute] === value) return;
  await auditPackageAttribute(tx, pkg, attribute, value);
  const update: Updateable<PackageTable> = { [attribute]: value };
  await tx.db.updateTable("package").set(update).where("id", "=", pkg.id).execute();
}

/** Packages with their collection's name, in collection then package name order. */
export function selectPackages(db: Kysely<Schema>) {
  return db
    .selectFrom("package")
    .innerJoin("collection", "collection.id", "package.collection_id")
    .select([
      "package.id",
      "package.base_id",
      "package.name",
      "package.tracked",
      "package.manual_priority",
      "package.static_priority",
      "package.arch_override",
      "package.skip_resolution",
      "collection.name as collection_name",
    ])
    .orderBy("collection.name")
    .orderBy("package.name");
}

/** The collection of that name, or the spec's one-line error. */
export async function requireCollection(db: Kysely<Schema>, name: string) {
  const collection = await db
    .selectFrom("collection")
    .selectAll()
    .where("name", "=", name)
    .executeTakeFirst();
  if (!collection) throw new Error("Collection not found");
  return collection;
}

/** The named packages of a collection, in the order named; `missing` lists unknown names. */
async function packagesOfCollection(db: Kysely<Schema>, collectionId: number, names: string[]) {
  const unique = [...new Set(names)];
  const rows = await selectPackages(db)
    .where("package.collection_id", "=", collectionId)
    .where("package.name", "in", unique)
    .execute();
  const byName = new Map(rows.map((row) => [row.name, row]));
  return {
    found: unique.flatMap((name) => byName.get(name) ?? []),
    missing: unique.filter((name) => !byName.has(name)),
  };
}

/**
 * Tracks the named packages of a collection (spec 07 §1.2 "track packages"), audit-logged;
 * returns the names of those that were not tracked before. Unknown names change nothing.
 */
export async function trackPackages(
  tx: AuditedChanges,
  collectionId: number,
  names: string[],
): Promise<string[]> {
  const { found, missing } = await packagesOfCollection(tx.db, collectionId, names);
  if (missing.length > 0) throw new UnknownPackages(missing);
  const untracked = found.filter((pkg) => !pkg.tracked);
  if (untracked.length === 0) return [];
  // One update for all: the web form may track a couple of thousand at once.
  for (const pkg of untracked) await auditPackageAttribute(tx, pkg, "tracked", true);
  await tx.db
    .updateTable("package")
    .set({ tracked: true })
    .where(
      "id",
      "in",
      untracked.map((pkg) => pkg.id),
    )
    .execute();
  return untracked.map((pkg) => pkg.name);
}

export const addPkgCommand = adminCommand({
  name: "add-pkg",
  summary: "track packages of a collection",
  description:
    "Marks the named packages of the collection as tracked, so that Koschei resolves and " +
    "builds them. The packages must already be known (Koschei learns them from Koji); " +
    "already tracked ones are left alone. Each change is audit-logged.",
  options: [
    { name: "collection", short: "c", value: "COLL", help: "the collection", required: true },
  ],
  positionals: [{ name: "NAMES", help: "package names", variadic: true, oneOrMore: true }],
  async execute(tx, args) {
    const collection = await requireCollection(tx.db, stringOption(args, "collection")!);
    await trackPackages(tx, collection.id, args.positionals);
  },
});

/** The lowest and highest values of a PostgreSQL integer column. */
const INTEGER_RANGE = [-(2 ** 31), 2 ** 31 - 1] as const;

function parsePriority(text: string): number {
  const value = Number(text);
  if (!/^[+-]?\d+$/.test(text) || value < INTEGER_RANGE[0] || value > INTEGER_RANGE[1]) {
    throw new UsageError(`VALUE must be a whole number, not '${text}'`);
  }
  return value;
}

export const setPriorityCommand = adminCommand({
  name: "set-priority",
  summary: "set the manual or static priority of packages",
  description:
    "Sets the manual priority of the named packages of the collection to VALUE (the " +
    "scheduler resets it to 0 once it submits a build), or with --static their permanent " +
    "static priority. Nothing changes if any package is unknown. Each change is audit-logged.",
  options: [
    { name: "collection", value: "COLL", help: "the collection", required: true },
    { name: "static", help: "set the static priority instead of the manual one" },
  ],
  positionals: [
    { name: "NAMES", help: "package names", variadic: true, oneOrMore: true },
    { name: "VALUE", help: "the priority, a whole number (may be negative)" },
  ],
  async execute(tx, args) {
    const value = parsePriority(args.positionals.at(-1)!);
    const collection = await requireCollection(tx.db, stringOption(args, "collection")!);
    const names = args.positionals.slice(0, -1);
    const { found, missing } = await packagesOfCollection(tx.db, collection.id, names);
    if (missing.length > 0) throw new Error(`Packages not found: ${missing.join(",")}`);
    const attribute = flagOption(args, "static") ? "static_priority" : "manual_priority";
    for (const pkg of found) await setPackageAttribute(tx, pkg, attribute, value);
  },
});

export const setArchOverrideCommand = adminCommand({
  name: "set-arch-override",
  summary: "set the arches a package is built for",
  description:
    "Sets the arch override passed to Koji when the package is built, in every collection: " +
    "space-separated arches to build for, or '^' and arches to leave out (e.g. '^s390x " +
    "ppc64le'). An empty ARCH_OVERRIDE clears it. With --group, sets it on every package of " +
    "the group. Each change is audit-logged.",
  options: [{ name: "group", help: "NAME is a package group: apply to all its packages" }],
  positionals: [
    { name: "NAME", help: "package name, or group name (namespace/name or name) with --group" },
    { name: "ARCH_OVERRIDE", help: "e.g. 'x86_64 i686' or '^armv7hl'; '' clears it" },
  ],
  async execute(tx, args) {
    const [name, override] = args.positionals as [string, string];
    const value = override.trim() === "" ? null : override;
    let query = selectPackages(tx.db);
    if (flagOption(args, "group")) {
      const group = await findGroupByName(tx.db, name);
      query = query.where("package.base_id", "in", (db) =>
        db.selectFrom("package_group_relation").select("base_id").where("group_id", "=", group.id),
      );
    } else {
      query = query.where("package.name", "=", name);
    }
    const packages = await query.execute();
    if (packages.length === 0 && !flagOption(args, "group")) {
      throw new Error(`Package ${name} not found`);
    }
    for (const pkg of packages) await setPackageAttribute(tx, pkg, "arch_override", value);
  },
});
