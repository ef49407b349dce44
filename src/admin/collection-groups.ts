// Collection-group commands (spec 07 §5): the categories of the web "Collections" page.
// These changes are not audit-logged and print nothing.
import type { Kysely } from "kysely";
import { listOption, stringOption, type OptionSpec, type ParsedArgs } from "../cli/command.js";
import type { Schema } from "../db/index.js";
import { adminCommand } from "./admin-command.js";

async function findGroup(db: Kysely<Schema>, name: string) {
  return db.selectFrom("collection_group").selectAll().where("name", "=", name).executeTakeFirst();
}

async function requireGroup(db: Kysely<Schema>, name: string) {
  const group = await findGroup(db, name);
  if (!group) throw new Error("Object not found");
  return group;
}

/** With at least one collection after -c, makes the group hold exactly those collections. */
async function setContentsFromOption(db: Kysely<Schema>, groupId: number, args: ParsedArgs) {
  const names = [...new Set(listOption(args, "contents"))];
  if (names.length === 0) return;
  const collections = await db
    .selectFrom("collection")
    .select(["id", "name"])
    .where("name", "in", names)
    .execute();
  const found = new Set(collections.map((collection) => collection.name));
  const missing = names.filter((name) => !found.has(name));
  if (missing.length > 0) throw new Error(`Some collections weren't found: ${missing.join(",")}`);
  await db.deleteFrom("collection_group_relation").where("group_id", "=", groupId).execute();
  await db
    .insertInto("collection_group_relation")
    .values(collections.map(({ id }) => ({ group_id: groupId, collection_id: id })))
    .execute();
}

const contentsOption: OptionSpec = {
  name: "contents",
  short: "c",
  value: "COLL",
  variadic: true,
  help: "the group's collections, replacing its current ones (none given: unchanged)",
};

export const createCollectionGroupCommand = adminCommand({
  name: "create-collection-group",
  summary: "create a collection group",
  description: "Creates a group of collections, shown together on the web Collections page.",
  options: [
    {
      name: "display-name",
      short: "d",
      value: "NAME",
      help: "human-readable name",
      required: true,
    },
    contentsOption,
  ],
  positionals: [{ name: "NAME", help: "the group's name" }],
  async execute(tx, args) {
    const name = args.positionals[0]!;
    if (await findGroup(tx.db, name)) throw new Error("Object already exists");
    const group = await tx.db
      .insertInto("collection_group")
      .values({ name, display_name: stringOption(args, "display-name")! })
      .returning("id")
      .executeTakeFirstOrThrow();
    await setContentsFromOption(tx.db, group.id, args);
  },
});

export const editCollectionGroupCommand = adminCommand({
  name: "edit-collection-group",
  summary: "change a collection group",
  description: "Changes the group's display name, or replaces its collections.",
  options: [
    { name: "display-name", short: "d", value: "NAME", help: "human-readable name" },
    contentsOption,
  ],
  positionals: [{ name: "NAME", help: "the group's name" }],
  async execute(tx, args) {
    const group = await requireGroup(tx.db, args.positionals[0]!);
    const displayName = stringOption(args, "display-name");
    if (displayName) {
      await tx.db
        .updateTable("collection_group")
        .set({ display_name: displayName })
        .where("id", "=", group.id)
        .execute();
    }
    await setContentsFromOption(tx.db, group.id, args);
  },
});

export const deleteCollectionGroupCommand = adminCommand({
  name: "delete-collection-group",
  summary: "delete a collection group",
  description: "Deletes the group; its collections stay.",
  positionals: [{ name: "NAME", help: "the group's name" }],
  async execute(tx, args) {
    const group = await requireGroup(tx.db, args.positionals[0]!);
    await tx.db.deleteFrom("collection_group").where("id", "=", group.id).execute();
  },
});
