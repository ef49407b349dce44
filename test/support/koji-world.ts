// What the test worlds over the Koji hub simulator share: collection f29 of their simulated hub
// (target f29, build tag f29-build, destination tag f29), and reading back what the resolvers
// recorded (dependency changes, resolution history), and koschei-admin run in-process.
import { rmSync } from "node:fs";
import type { Insertable } from "kysely";
import {
  adminEnvironment,
  runAdminCommand,
  type AdminCommand,
} from "../../src/admin/admin-command.js";
import { adminCommands } from "../../src/admin/commands.js";
import { parseArgs } from "../../src/cli/command.js";
import type { KoscheiConfig } from "../../src/config/index.js";
import type { Database } from "../../src/db/index.js";
import type { BuildTable, CollectionTable } from "../../src/db/schema.js";
import type { FreshDatabase } from "./database.js";

/** The name of package `packageId`. */
export async function packageName(db: Database["db"], packageId: number): Promise<string> {
  const { name } = await db
    .selectFrom("package")
    .select("name")
    .where("id", "=", packageId)
    .executeTakeFirstOrThrow();
  return name;
}

/** Inserts a build row; returns its id. */
export async function insertBuild(
  db: Database["db"],
  values: Insertable<BuildTable>,
): Promise<number> {
  const { id } = await db
    .insertInto("build")
    .values(values)
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

/** Package row `id`, all columns. */
export function packageRow(db: Database["db"], id: number) {
  return db.selectFrom("package").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}

/** Inserts collection f29 with `values` over its defaults; returns its id. */
export async function insertF29Collection(
  db: Database["db"],
  values: Partial<Insertable<CollectionTable>> = {},
): Promise<number> {
  const { id } = await db
    .insertInto("collection")
    .values({
      name: "f29",
      display_name: "Fedora 29",
      target: "f29",
      dest_tag: "f29",
      build_tag: "f29-build",
      ...values,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * The changes of a package (`unapplied_change`, by `package_id`) or build (`applied_change`, by
 * `build_id`) as `name prev → curr @distance` (an absent side as `none`), sorted.
 */
export async function describedChanges(
  db: Database["db"],
  table: "unapplied_change" | "applied_change",
  column: "package_id" | "build_id",
  id: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom(`${table} as change` as "unapplied_change as change")
    .leftJoin("dependency as prev", "prev.id", "change.prev_dep_id")
    .leftJoin("dependency as curr", "curr.id", "change.curr_dep_id")
    .select([
      "prev.name as prevName",
      "prev.epoch as prevEpoch",
      "prev.version as prevVersion",
      "prev.release as prevRelease",
      "curr.name as currName",
      "curr.epoch as currEpoch",
      "curr.version as currVersion",
      "curr.release as currRelease",
      "change.distance",
    ])
    .where(`change.${column}` as "change.package_id", "=", id)
    .execute();
  const evr = (epoch: number | null, version: string | null, release: string | null) =>
    version === null ? "none" : `${epoch}:${version}-${release}`;
  return rows
    .map(
      (row) =>
        `${row.currName ?? row.prevName} ` +
        `${evr(row.prevEpoch, row.prevVersion, row.prevRelease)} → ` +
        `${evr(row.currEpoch, row.currVersion, row.currRelease)} @${row.distance}`,
    )
    .sort();
}

/** The package's resolution history, oldest first: resolved flag and problems (sorted). */
export async function resolutionHistory(
  db: Database["db"],
  packageId: number,
): Promise<{ resolved: boolean; problems: string[] }[]> {
  const changes = await db
    .selectFrom("resolution_change")
    .select(["id", "resolved"])
    .where("package_id", "=", packageId)
    .orderBy("id")
    .execute();
  const history = [];
  for (const change of changes) {
    const problems = await db
      .selectFrom("resolution_problem")
      .select("problem")
      .where("resolution_id", "=", change.id)
      .orderBy("problem")
      .execute();
    history.push({ resolved: change.resolved, problems: problems.map((row) => row.problem) });
  }
  return history;
}

export interface AdminRun {
  output: string[];
  error?: string;
}

/** Runs a koschei-admin command line in-process as `userName`: same parsing, one transaction. */
export async function runAdmin(
  config: KoscheiConfig,
  database: Database,
  userName: string,
  argv: string[],
): Promise<AdminRun> {
  const [name, ...rest] = argv;
  const entry = adminCommands.find((candidate) => candidate.name === name);
  if (!entry) throw new Error(`no admin command ${name}`);
  const command = (await entry.load()) as AdminCommand;
  const output: string[] = [];
  const { env, close } = adminEnvironment(config, database, {
    userName,
    readStdin: () => "",
    print: (line) => output.push(line),
  });
  try {
    await runAdminCommand(command, env, parseArgs(command, rest));
    return { output };
  } catch (error) {
    return { output, error: (error as Error).message };
  } finally {
    await close();
  }
}

/**
 * A hub scenario (JSON, for parseScenario) of one x86_64 builder and target `tag` (build tag
 * `tag`-build with group build = R, destination tag `tag`): the binary builds tagged into the
 * build tag, one x86_64 build per source tagged into `tag`, and repo `repoId` of the build tag.
 */
export function resolverScenarioJson(options: {
  name: string;
  startTime: string;
  host: string;
  tag: string;
  binaryBuilds: readonly object[];
  sources: Record<string, { version: string; release: string; buildRequires: readonly string[] }>;
  repoId: number;
}): Record<string, unknown> {
  const { tag } = options;
  const buildTag = `${tag}-build`;
  return {
    name: options.name,
    startTime: options.startTime,
    hosts: [{ name: options.host, arches: ["x86_64"], capacity: 10 }],
    tags: [
      { name: tag },
      {
        name: buildTag,
        parents: [tag],
        arches: ["x86_64"],
        groups: [{ name: "build", packages: [{ package: "R" }] }],
      },
    ],
    targets: [{ name: tag, buildTag, destTag: tag }],
    builds: [
      ...options.binaryBuilds.map((build) => ({ ...build, tags: [buildTag] })),
      ...Object.entries(options.sources).map(([name, { version, release, buildRequires }]) => ({
        name,
        version,
        release,
        tags: [tag],
        srpm: { buildRequires },
        rpms: [{ name, arch: "x86_64" }],
      })),
    ],
    repos: [{ id: options.repoId, tag: buildTag }],
  };
}

/**
 * Takes down what a world started: closes `servers` in order (those started), drops its
 * database and removes its directory.
 */
export async function tearDownWorld(
  dir: string,
  fresh: FreshDatabase | undefined,
  ...servers: ({ close(): Promise<void> } | undefined)[]
): Promise<void> {
  for (const server of servers) await server?.close();
  await fresh?.drop();
  rmSync(dir, { recursive: true, force: true });
}
