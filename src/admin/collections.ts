// Collection commands (spec 07 §6): `create-collection`, `edit-collection`,
// `delete-collection`, `branch-collection`, `fork-collection`. A collection's build tag comes
// from its Koji target; its destination tag defaults to that build tag (§6.2).
import type { Insertable, Kysely, Selectable, Updateable } from "kysely";
import {
  flagOption,
  stringOption,
  UsageError,
  type OptionSpec,
  type ParsedArgs,
} from "../cli/command.js";
import type { CollectionTable, Schema } from "../db/index.js";
import { adminCommand, type AdminTransaction } from "./admin-command.js";
import { copyCollectionData } from "./collection-copy.js";
import { requireCollection } from "./packages.js";

type Collection = Selectable<CollectionTable>;
type CollectionFields = Updateable<CollectionTable>;

/** Where a collection sits in Koji. */
type KojiPlacement = Pick<Collection, "target" | "dest_tag" | "secondary_mode">;

/**
 * The placement completed with the build tag of its target, and its destination tag made the
 * build tag when empty — never the target's own destination tag (spec 07 §6.2). Asks the
 * secondary Koji for collections in secondary mode.
 */
async function withKojiTags(
  tx: AdminTransaction,
  placement: KojiPlacement,
): Promise<KojiPlacement & { build_tag: string }> {
  const koji = (await tx.env.koji()).forCollection(placement);
  const target = await koji.getBuildTarget(placement.target);
  if (!target) throw new Error(`Target ${placement.target} not found in Koji`);
  return {
    target: placement.target,
    secondary_mode: placement.secondary_mode,
    build_tag: target.build_tag_name,
    dest_tag: placement.dest_tag || target.build_tag_name,
  };
}

async function findCollection(db: Kysely<Schema>, name: string): Promise<Collection | undefined> {
  return db.selectFrom("collection").selectAll().where("name", "=", name).executeTakeFirst();
}

function parseNumber(option: string, text: string, whole: boolean): number {
  const pattern = whole ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
  if (!pattern.test(text.trim())) {
    throw new UsageError(
      `--${option} must be ${whole ? "a whole number" : "a number"}, not '${text}'`,
    );
  }
  return Number(text);
}

/**
 * --poll-untracked's value. The original took any non-empty text as true (even 'False');
 * here the usual spellings of false are false, and anything unclear is refused.
 */
function parseBoolean(option: string, text: string): boolean {
  const word = text.trim().toLowerCase();
  if (["", "false", "no", "off", "0"].includes(word)) return false;
  if (["true", "yes", "on", "1"].includes(word)) return true;
  throw new UsageError(`--${option} must be true or false, not '${text}'`);
}

function parseMode(text: string): boolean {
  if (text !== "primary" && text !== "secondary") {
    throw new UsageError(`--mode must be primary or secondary, not '${text}'`);
  }
  return text === "secondary";
}

/** The collection columns the create/edit options set; options not given are left out. */
function fieldsFromOptions(args: ParsedArgs): CollectionFields {
  const text = (option: string) => stringOption(args, option);
  const fields: CollectionFields = {
    display_name: text("display-name"),
    target: text("target"),
    dest_tag: text("dest-tag"),
    build_group: text("build-group"),
    bugzilla_product: text("bugzilla-product"),
    bugzilla_version: text("bugzilla-version"),
  };
  const mode = text("mode");
  if (mode !== undefined) fields.secondary_mode = parseMode(mode);
  const coefficient = text("priority-coefficient");
  if (coefficient !== undefined) {
    fields.priority_coefficient = parseNumber("priority-coefficient", coefficient, false);
  }
  const order = text("order");
  if (order !== undefined) fields.order = parseNumber("order", order, true);
  const pollUntracked = text("poll-untracked");
  if (pollUntracked !== undefined) {
    fields.poll_untracked = parseBoolean("poll-untracked", pollUntracked);
  }
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function collectionOptions(create: boolean): OptionSpec[] {
  const required = create;
  return [
    ...(create ? [] : [{ name: "new-name", value: "NAME", help: "rename the collection" }]),
    { name: "display-name", short: "d", value: "NAME", help: "human-readable name", required },
    { name: "target", short: "t", value: "TARGET", help: "Koji build target", required },
    {
      name: "dest-tag",
      value: "TAG",
      help: "Koji tag the packages and real builds come from (default: the target's build tag)",
    },
    {
      name: "mode",
      short: "m",
      value: "MODE",
      help: "primary (default) or secondary: which Koji the packages come from",
    },
    {
      name: "priority-coefficient",
      short: "p",
      value: "X",
      help: "priority coefficient (default 1)",
    },
    {
      name: "order",
      short: "o",
      value: "N",
      help: "display order; the collection with the highest is the web default (default 100)",
    },
    {
      name: "build-group",
      value: "GROUP",
      help: "comps group of the base buildroot (default build)",
    },
    {
      name: "poll-untracked",
      value: "BOOL",
      help: "whether to poll builds of untracked packages: true (default) or false",
    },
    { name: "bugzilla-product", value: "PRODUCT", help: "Bugzilla product of bug reports" },
    { name: "bugzilla-version", value: "VERSION", help: "Bugzilla version of bug reports" },
  ];
}

export const createCollectionCommand = adminCommand({
  name: "create-collection",
  summary: "create a collection",
  description:
    "Creates a collection following a Koji target: its build tag is the target's, its " +
    "destination tag the one given or else the build tag. Audit-logged.",
  options: collectionOptions(true),
  positionals: [{ name: "NAME", help: "the collection's name, e.g. f42" }],
  async execute(tx, args) {
    const name = args.positionals[0]!;
    if (await findCollection(tx.db, name)) throw new Error("Object already exists");
    const fields = fieldsFromOptions(args);
    const placement = await withKojiTags(tx, {
      target: fields.target!,
      dest_tag: fields.dest_tag ?? "",
      secondary_mode: fields.secondary_mode ?? false,
    });
    const values = { ...fields, ...placement, name } as Insertable<CollectionTable>;
    await tx.db.insertInto("collection").values(values).execute();
    await tx.audit(`Collection ${name} created`);
  },
});

export const editCollectionCommand = adminCommand({
  name: "edit-collection",
  summary: "change a collection",
  description:
    "Sets the given attributes of the collection. With --target or --mode, its build tag is " +
    "looked up in Koji again; its destination tag changes only with --dest-tag. Audit-logged.",
  options: collectionOptions(false),
  positionals: [{ name: "NAME", help: "the collection's current name" }],
  async execute(tx, args) {
    const current = await findCollection(tx.db, args.positionals[0]!);
    if (!current) throw new Error("Object not found");
    const newName = stringOption(args, "new-name");
    if (newName && newName !== current.name && (await findCollection(tx.db, newName))) {
      throw new Error(`Collection ${newName} already exists`);
    }
    const fields = fieldsFromOptions(args);
    if (newName) fields.name = newName;
    const edited = { ...current, ...fields } as Collection;
    if (fields.target !== undefined || fields.secondary_mode !== undefined || !edited.dest_tag) {
      Object.assign(fields, await withKojiTags(tx, edited));
    }
    await tx.db.updateTable("collection").set(fields).where("id", "=", current.id).execute();
    await tx.audit(`Collection ${fields.name ?? current.name} modified`);
  },
});

const DELETE_REFUSAL =
  "The collection contains packages. Specify --force to delete it anyway. It means deleting " +
  "all the packages build history. It cannot be reverted and may take long time to execute";

export const deleteCollectionCommand = adminCommand({
  name: "delete-collection",
  summary: "delete a collection with its packages and builds",
  description:
    "Deletes the collection and everything in it: packages, builds, dependency changes, " +
    "resolution history. A collection that has packages needs --force. Cannot be undone. " +
    "Audit-logged.",
  options: [{ name: "force", short: "f", help: "delete it even though it has packages" }],
  positionals: [{ name: "NAME", help: "the collection's name" }],
  async execute(tx, args) {
    const collection = await requireCollection(tx.db, args.positionals[0]!);
    const hasPackages = await tx.db
      .selectFrom("package")
      .select("id")
      .where("collection_id", "=", collection.id)
      .limit(1)
      .executeTakeFirst();
    if (hasPackages && !flagOption(args, "force")) throw new Error(DELETE_REFUSAL);
    await tx.audit(`Collection ${collection.name} deleted`);
    await tx.db.deleteFrom("collection").where("id", "=", collection.id).execute();
  },
});

/** Columns a branched or forked collection takes over from its master. */
function inherited(master: Collection) {
  const { secondary_mode, priority_coefficient, bugzilla_product, poll_untracked, build_group } =
    master;
  return { secondary_mode, priority_coefficient, bugzilla_product, poll_untracked, build_group };
}

/** Inserts a copy of the master, in the master's collection groups, with (some of) its data. */
async function insertCopy(
  tx: AdminTransaction,
  master: Collection,
  copy: Insertable<CollectionTable>,
  minimal: boolean,
): Promise<void> {
  const { id } = await tx.db
    .insertInto("collection")
    .values(copy)
    .returning("id")
    .executeTakeFirstOrThrow();
  await tx.db
    .insertInto("collection_group_relation")
    .columns(["group_id", "collection_id"])
    .expression((db) =>
      db
        .selectFrom("collection_group_relation")
        .select((eb) => ["group_id", eb.val(id).as("collection_id")])
        .where("collection_id", "=", master.id),
    )
    .execute();
  await copyCollectionData(tx.db, master.id, id, { minimal });
}

const copyOptions = (what: string): OptionSpec[] => [
  {
    name: "display-name",
    short: "d",
    value: "NAME",
    help: `human-readable name of the ${what} collection`,
    required: true,
  },
];

export const branchCollectionCommand = adminCommand({
  name: "branch-collection",
  summary: "branch a release off a collection that follows rawhide",
  description:
    "For a release branching from rawhide: a new collection takes over the master's name, " +
    "target and tags (with -d as its display name and --bugzilla-version), and gets copies " +
    "of its packages, builds of the last month and last complete builds; the master is " +
    "renamed NEW_NAME, moved to TARGET and ordered one higher, to go on following rawhide. " +
    "Audit-logged.",
  options: [
    ...copyOptions("branched"),
    {
      name: "target",
      short: "t",
      value: "TARGET",
      help: "new Koji target of the master collection",
      required: true,
    },
    {
      name: "dest-tag",
      value: "TAG",
      help: "new destination tag of the master collection (default: its new build tag)",
    },
    {
      name: "bugzilla-version",
      value: "VERSION",
      help: "Bugzilla version of the branched collection",
    },
  ],
  positionals: [
    { name: "MASTER", help: "the collection to branch, e.g. f42 while it follows rawhide" },
    { name: "NEW_NAME", help: "the master collection's new name, e.g. f43" },
  ],
  async execute(tx, args) {
    const [masterName, newName] = args.positionals as [string, string];
    const master = await requireCollection(tx.db, masterName);
    if (await findCollection(tx.db, newName)) throw new Error("Branched collection exists already");
    const branched: Insertable<CollectionTable> = {
      ...inherited(master),
      ...(await withKojiTags(tx, master)),
      name: master.name,
      order: master.order,
      display_name: stringOption(args, "display-name")!,
      bugzilla_version: stringOption(args, "bugzilla-version") ?? null,
    };
    const moved = {
      ...(await withKojiTags(tx, {
        target: stringOption(args, "target")!,
        dest_tag: stringOption(args, "dest-tag") ?? "",
        secondary_mode: master.secondary_mode,
      })),
      name: newName,
      order: master.order + 1,
    };
    await tx.db.updateTable("collection").set(moved).where("id", "=", master.id).execute();
    await insertCopy(tx, master, branched, false);
    await tx.audit(`Collection ${newName} branched from ${masterName}`);
  },
});

export const forkCollectionCommand = adminCommand({
  name: "fork-collection",
  summary: "create a collection beside another, e.g. for a Koji side tag",
  description:
    "Creates collection NEW_NAME following TARGET, with the master's attributes and order, " +
    "its collection groups, and copies of its packages with their last complete builds. " +
    "The master is unchanged. Audit-logged.",
  options: [
    ...copyOptions("forked"),
    {
      name: "target",
      short: "t",
      value: "TARGET",
      help: "Koji target of the forked collection",
      required: true,
    },
    {
      name: "dest-tag",
      value: "TAG",
      help: "destination tag of the forked collection (default: its build tag)",
    },
  ],
  positionals: [
    { name: "MASTER", help: "the collection to fork" },
    { name: "NEW_NAME", help: "the forked collection's name" },
  ],
  async execute(tx, args) {
    const [masterName, newName] = args.positionals as [string, string];
    const master = await requireCollection(tx.db, masterName);
    if (await findCollection(tx.db, newName)) throw new Error("Forked collection already exists");
    const forked: Insertable<CollectionTable> = {
      ...inherited(master),
      ...(await withKojiTags(tx, {
        target: stringOption(args, "target")!,
        dest_tag: stringOption(args, "dest-tag") ?? "",
        secondary_mode: master.secondary_mode,
      })),
      name: newName,
      order: master.order,
      display_name: stringOption(args, "display-name")!,
      bugzilla_version: master.bugzilla_version,
    };
    await insertCopy(tx, master, forked, true);
    await tx.audit(`Collection ${newName} forked from ${masterName}`);
  },
});
