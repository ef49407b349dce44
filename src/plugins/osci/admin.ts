// koschei-admin commands of the osci plugin: build groups are made by hand (spec 11 §4.1),
// so operators get commands to create, list and delete them. Changes are audit-logged.
import type { Kysely } from "kysely";
import { stringOption, UsageError } from "../../cli/command.js";
import type { Schema } from "../../db/index.js";
import { adminCommand } from "../../admin/admin-command.js";

async function collectionId(db: Kysely<Schema>, name: string): Promise<number> {
  const collection = await db
    .selectFrom("collection")
    .select("id")
    .where("name", "=", name)
    .executeTakeFirst();
  if (!collection) throw new Error(`Collection not found: ${name}`);
  return collection.id;
}

function buildGroupId(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 2 ** 31 - 1) {
    throw new UsageError(`ID must be a build group id (a positive whole number), not '${text}'`);
  }
  return Number(text);
}

export const createBuildGroupCommand = adminCommand({
  name: "create-build-group",
  summary: "report CI results of a side collection against its base collection",
  description:
    "Creates a build group: on every polling pass the osci plugin compares the side collection " +
    "(e.g. a side tag's) with the base collection and publishes Fedora CI messages about it.",
  options: [
    { name: "collection", value: "SIDE", help: "the side collection", required: true },
    {
      name: "base-collection",
      value: "BASE",
      help: "the collection it is compared with",
      required: true,
    },
  ],
  async execute(tx, args) {
    const side = stringOption(args, "collection")!;
    const base = stringOption(args, "base-collection")!;
    if (side === base) throw new Error("A build group compares two different collections");
    const pair = {
      collection_id: await collectionId(tx.db, side),
      base_collection_id: await collectionId(tx.db, base),
    };
    const existing = await tx.db
      .selectFrom("build_group")
      .select("id")
      .where("collection_id", "=", pair.collection_id)
      .where("base_collection_id", "=", pair.base_collection_id)
      .executeTakeFirst();
    // Two groups of one pair would report every change twice.
    if (existing) throw new Error(`Build group already exists: ${existing.id}`);
    const { id } = await tx.db
      .insertInto("build_group")
      .values(pair)
      .returning("id")
      .executeTakeFirstOrThrow();
    await tx.audit(`Build group ${id} created: collection ${side} against ${base}`);
  },
});

export const listBuildGroupsCommand = adminCommand({
  name: "list-build-groups",
  summary: "list the build groups and what they last reported",
  description:
    "One line per build group: id, side collection, base collection, last reported state " +
    "and repo id ('-' for none; a deleted collection shows as '(deleted)').",
  async execute(tx) {
    const groups = await tx.db
      .selectFrom("build_group")
      .leftJoin("collection as side", "side.id", "build_group.collection_id")
      .leftJoin("collection as base", "base.id", "build_group.base_collection_id")
      .select([
        "build_group.id",
        "side.name as side",
        "base.name as base",
        "build_group.state",
        "build_group.repo_id",
      ])
      .orderBy("build_group.id")
      .execute();
    for (const group of groups) {
      tx.print(
        [
          group.id,
          group.side ?? "(deleted)",
          group.base ?? "(deleted)",
          group.state ?? "-",
          group.repo_id ?? "-",
        ].join(" "),
      );
    }
  },
});

export const deleteBuildGroupCommand = adminCommand({
  name: "delete-build-group",
  summary: "stop reporting a build group",
  description: "Deletes the build group; no further CI messages are published about it.",
  positionals: [{ name: "ID", help: "the build group's id (see list-build-groups)" }],
  async execute(tx, args) {
    const id = buildGroupId(args.positionals[0]!);
    const deleted = await tx.db.deleteFrom("build_group").where("id", "=", id).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) throw new Error(`Build group not found: ${id}`);
    await tx.audit(`Build group ${id} deleted`);
  },
});
