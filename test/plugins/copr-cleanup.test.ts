// The copr part of `koschei-admin cleanup` (spec 11 §2.7) against PostgreSQL and the Copr
// simulator over HTTP: old requests go with their Copr projects and cache directories, and a
// request whose project Copr would not delete stays, also while Copr is down.
import {
  adminEnvironment,
  runAdminCommand,
  type AdminCommand,
} from "../../src/admin/admin-command.js";
import { adminCommands } from "../../src/admin/commands.js";
import { parseArgs } from "../../src/cli/command.js";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";
import { loadConfig, type KoscheiConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/logger.js";
import { cleanupOldRequests } from "../../src/plugins/copr/cleanup.js";
import { requestCacheDir } from "../../src/plugins/copr/copr-names.js";
import type { PluginContext } from "../../src/plugins/plugin.js";
import { createKoscheiProject, startCoprSim, type CoprWorld } from "../support/copr-world.js";
import { insertPackage } from "../frontend/group-seed.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { insertF29Collection } from "../support/koji-world.js";

let fresh: FreshDatabase;
let copr: CoprWorld;
let scratch: string;
let cachedir: string;
let context: PluginContext;

before(async () => {
  fresh = await freshDatabase();
  copr = await startCoprSim({ timing: { auto: false } });
  scratch = mkdtempSync(join(tmpdir(), "koschei-copr-cleanup-"));
});
after(async () => {
  await copr?.close();
  await fresh?.drop();
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(async () => {
  await fresh.database.query(
    'TRUNCATE collection, base_package, package, "user", log_entry RESTART IDENTITY CASCADE',
  );
  for (const project of [...copr.sim.state.projects.values()]) {
    copr.sim.state.deleteProject(project);
  }
  copr.sim.setFaults(null);
  cachedir = mkdtempSync(join(scratch, "cache-"));
  const loaded = loadConfig("backend", { KOSCHEI_CONFIG_DIR: scratch, HOME: scratch });
  const config: KoscheiConfig = {
    ...loaded,
    copr: { ...loaded.copr, config_path: copr.writeConfig(scratch) },
    directories: { ...loaded.directories, cachedir },
  };
  context = {
    config,
    log: silentLogger,
    session: () => Promise.reject(new Error("cleanup needs no Koji")),
    database: async () => fresh.database,
  };
});

const db = () => fresh.database.db;

/**
 * A request created `monthsAgo` months ago with a cache directory and a rebuild per entry of
 * `projects`: true, submitted and with a Copr project; false, submitted, its project gone;
 * null, never submitted.
 */
async function request(monthsAgo: number, projects: (boolean | null)[]): Promise<number> {
  const collectionId =
    (await db().selectFrom("collection").select("id").executeTakeFirst())?.id ??
    (await insertF29Collection(db()));
  const user = await db()
    .insertInto("user")
    .values({ name: "alice" })
    .onConflict((conflict) => conflict.column("name").doUpdateSet({ name: "alice" }))
    .returning("id")
    .executeTakeFirstOrThrow();
  const { id } = await db()
    .insertInto("copr_rebuild_request")
    .values({ user_id: user.id, collection_id: collectionId, repo_source: "copr:a/b" })
    .returning("id")
    .executeTakeFirstOrThrow();
  await fresh.database.query(
    "UPDATE copr_rebuild_request SET timestamp = now() - make_interval(months => $1) WHERE id = $2",
    [monthsAgo, id],
  );
  mkdirSync(requestCacheDir(cachedir, id), { recursive: true });
  writeFileSync(join(requestCacheDir(cachedir, id), "comps.xml"), "<comps/>");
  for (const [order, project] of projects.entries()) {
    const packageId = await insertPackage(db(), collectionId, `p${id}-${order}`);
    if (project) await createKoscheiProject(copr, `k-${id}-${packageId}`);
    await db()
      .insertInto("copr_rebuild")
      .values({
        request_id: id,
        package_id: packageId,
        prev_state: 3,
        order,
        copr_build_id: project === null ? null : 1000 + packageId,
        state: project === null ? null : 3,
      })
      .execute();
  }
  return id;
}

async function remainingRequests(): Promise<number[]> {
  const rows = await db().selectFrom("copr_rebuild_request").select("id").orderBy("id").execute();
  return rows.map((row) => row.id);
}

async function auditLog(): Promise<{ message: string; environment: string; user: string }[]> {
  return db()
    .selectFrom("log_entry")
    .innerJoin("user", "user.id", "log_entry.user_id")
    .select(["message", "environment", "user.name as user"])
    .orderBy("log_entry.id")
    .execute();
}

const projectNames = () => [...copr.sim.state.projects.values()].map((project) => project.name);

test("old requests go with their projects and cache directories; recent ones stay", async () => {
  const withProject = await request(7, [true, true]);
  const neverSubmitted = await request(7, [null]);
  const projectGone = await request(8, [false]);
  const recent = await request(1, [true]);
  const unrelated = join(cachedir, "user_repos", "someone-elses");
  mkdirSync(unrelated, { recursive: true });
  const recentProjects = projectNames().filter((name) => name.startsWith(`k-${recent}-`));
  await cleanupOldRequests(6, context, "admin-alice");
  assert.deepEqual(await remainingRequests(), [recent]);
  assert.deepEqual(projectNames(), recentProjects);
  for (const id of [withProject, neverSubmitted, projectGone]) {
    assert.equal(existsSync(requestCacheDir(cachedir, id)), false, `directory of ${id}`);
  }
  assert.ok(existsSync(requestCacheDir(cachedir, recent)));
  assert.ok(existsSync(unrelated));
  assert.deepEqual(await auditLog(), [
    { message: "Cleanup: Deleted 3 copr requests", environment: "admin", user: "admin-alice" },
  ]);
  const rebuilds = await db().selectFrom("copr_rebuild").select("request_id").execute();
  assert.deepEqual(
    rebuilds.map((rebuild) => rebuild.request_id),
    [recent],
  );
});

test("Copr down: requests with projects stay, the others go; a later cleanup finishes", async () => {
  const withProject = await request(7, [true]);
  const another = await request(7, [true]);
  const neverSubmitted = await request(7, [null]);
  copr.sim.setFaults({ status: 503 });
  await cleanupOldRequests(6, context, "admin-alice");
  assert.deepEqual(await remainingRequests(), [withProject, another]);
  assert.equal(existsSync(requestCacheDir(cachedir, neverSubmitted)), false);
  assert.ok(existsSync(requestCacheDir(cachedir, withProject)));
  assert.equal(projectNames().length, 2);
  // Once unavailable, Copr is not asked about the other request's project.
  assert.equal(copr.sim.calls.filter((call) => call.status === 503).length, 1);
  copr.sim.setFaults(null);
  await cleanupOldRequests(6, context, "admin-alice");
  assert.deepEqual(await remainingRequests(), []);
  assert.deepEqual(projectNames(), []);
  assert.deepEqual(
    (await auditLog()).map((entry) => entry.message),
    ["Cleanup: Deleted 1 copr requests", "Cleanup: Deleted 2 copr requests"],
  );
});

test("a refused deletion keeps that request only; nothing old, no audit entry", async () => {
  const refused = await request(7, [true]);
  const fine = await request(7, [true]);
  copr.sim.setFaults({ status: 403, count: 1 });
  await cleanupOldRequests(6, context, "admin-alice");
  assert.deepEqual(await remainingRequests(), [refused]);
  assert.ok(!projectNames().some((name) => name.startsWith(`k-${fine}-`)));
  await db().deleteFrom("copr_rebuild_request").execute();
  await db().deleteFrom("log_entry").execute();
  await request(1, [true]);
  await cleanupOldRequests(6, context, "admin-alice");
  assert.deepEqual(await auditLog(), []);
});

test("koschei-admin cleanup with the plugin enabled removes old requests after its own work", async () => {
  const old = await request(7, [true]);
  const recent = await request(1, [true]);
  const printed: string[] = [];
  const config = { ...context.config, plugins: ["copr"] };
  const { env, close } = adminEnvironment(config, fresh.database, {
    userName: "admin-bob",
    readStdin: () => "",
    print: (line) => printed.push(line),
  });
  try {
    const command = (await adminCommands
      .find((entry) => entry.name === "cleanup")!
      .load()) as AdminCommand;
    await runAdminCommand(command, env, parseArgs(command, ["--older-than", "6"]));
  } finally {
    await close();
  }
  assert.deepEqual(await remainingRequests(), [recent]);
  assert.ok(!projectNames().some((name) => name.startsWith(`k-${old}-`)));
  assert.ok(printed.includes("Cleanup: Deleted 0 builds"), printed.join("\n"));
  assert.deepEqual(
    (await auditLog()).filter((entry) => entry.message.includes("copr")),
    [{ message: "Cleanup: Deleted 1 copr requests", environment: "admin", user: "admin-bob" }],
  );
});
