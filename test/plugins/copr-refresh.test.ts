// Refreshing running user rebuilds (spec 11 §2.5): what a Copr state and a Copr message mean;
// polling and Copr's build-end messages (published by the Copr simulator to RabbitMQ and
// received by the watcher) against PostgreSQL, with Copr unavailable too.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, beforeEach, describe, test } from "node:test";
import { setTimeout } from "node:timers/promises";
import { pino } from "pino";
import { EventBus } from "../../src/backend/events.js";
import { runServices } from "../../src/backend/runner.js";
import type { BackendSession } from "../../src/backend/session.js";
import { createWatcherService } from "../../src/backend/watcher.js";
import { loadConfig, type KoscheiConfig } from "../../src/config/index.js";
import type { KojiSessions } from "../../src/koji/sessions.js";
import { installPluginListeners } from "../../src/plugins/backend.js";
import { CoprClient } from "../../src/plugins/copr/copr-client.js";
import { readCoprMessage, rebuildStateOf } from "../../src/plugins/copr/copr-names.js";
import { coprPlugin } from "../../src/plugins/copr/index.js";
import { onCoprMessage, refreshRunningRebuilds } from "../../src/plugins/copr/rebuild-refresh.js";
import type { PluginContext } from "../../src/plugins/plugin.js";
import { AMQP_URL, withChannel } from "../messaging/watcher-world.js";
import { createKoscheiProject, startCoprSim, type CoprWorld } from "../support/copr-world.js";
import { insertPackage } from "../frontend/group-seed.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { insertF29Collection } from "../support/koji-world.js";

const RUNNING = 2;
const COMPLETE = 3;
const FAILED = 5;
/** The topic of this run's Copr messages, apart from any other run's on the test broker. */
const TOPIC = `org.koschei.test${process.pid}x${Date.now().toString(36)}.copr.build.end`;

const COPR = { fedmsg_topic: "org.fedoraproject.prod.copr.build.end", copr_owner: "koschei" };

describe("what Copr's answers mean", () => {
  test("succeeded → complete (3), failed → failed (5), anything else → unchanged", () => {
    assert.equal(rebuildStateOf("succeeded"), 3);
    assert.equal(rebuildStateOf("failed"), 5);
    for (const state of ["pending", "running", "importing", "canceled", "skipped", "forked", ""]) {
      assert.equal(rebuildStateOf(state), null, state);
    }
  });

  test("a build-end message of the Copr owner names the build, as a number or digits", () => {
    const message = (build: unknown) => ({
      topic: COPR.fedmsg_topic,
      body: { user: "koschei", owner: "koschei", build, status: 1 },
    });
    assert.deepEqual(readCoprMessage(message(1234), COPR), { kind: "build-end", buildId: 1234 });
    assert.deepEqual(readCoprMessage(message(" 77 "), COPR), { kind: "build-end", buildId: 77 });
    for (const build of [null, "12a", 1.5, "", [], {}, undefined, "99999999999999999999"]) {
      assert.equal(readCoprMessage(message(build), COPR).kind, "malformed", String(build));
    }
  });

  test("other topics and other users' builds are unrelated; a body that is no object is malformed", () => {
    const body = { user: "koschei", build: 5 };
    assert.deepEqual(
      readCoprMessage({ topic: "org.fedoraproject.prod.buildsys.tag", body }, COPR),
      {
        kind: "unrelated",
      },
    );
    assert.deepEqual(
      readCoprMessage({ topic: COPR.fedmsg_topic, body: { ...body, user: "someone" } }, COPR),
      { kind: "unrelated" },
    );
    for (const bad of [null, "text", [body], 3]) {
      assert.equal(
        readCoprMessage({ topic: COPR.fedmsg_topic, body: bad }, COPR).kind,
        "malformed",
      );
    }
  });
});

// ---- against PostgreSQL, the Copr simulator over HTTP and RabbitMQ ----

let fresh: FreshDatabase;
let copr: CoprWorld;
let scratch: string;
let config: KoscheiConfig;
let logLines: { level: number; msg: string }[];
let context: PluginContext;

before(async () => {
  fresh = await freshDatabase();
  copr = await startCoprSim({ timing: { auto: false }, amqpUrl: AMQP_URL, buildEndTopic: TOPIC });
  scratch = mkdtempSync(join(tmpdir(), "koschei-copr-refresh-"));
  const loaded = loadConfig("backend", { KOSCHEI_CONFIG_DIR: scratch, HOME: scratch });
  config = {
    ...loaded,
    copr: { ...loaded.copr, config_path: copr.writeConfig(scratch), fedmsg_topic: TOPIC },
  };
});
after(async () => {
  await copr?.close();
  await fresh?.drop();
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(async () => {
  await fresh.database.query(
    'TRUNCATE collection, base_package, package, "user" RESTART IDENTITY CASCADE',
  );
  copr.sim.setFaults(null);
  logLines = [];
  const log = pino(
    { level: "debug" },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        done();
      },
    }),
  );
  context = {
    config,
    log,
    session: () => Promise.reject(new Error("the copr listeners need no Koji")),
    database: async () => fresh.database,
  };
});

const db = () => fresh.database.db;
const client = () => new CoprClient({ url: copr.url, ...copr.user });
let projects = 0;

/** A request of `state` with a rebuild per entry: a running Copr build, or queued (null). */
async function request(
  rebuilds: ("running" | null)[],
  state: "scheduled" | "in progress" = "scheduled",
): Promise<{ id: number; builds: number[] }> {
  const collectionId =
    (await db().selectFrom("collection").select("id").executeTakeFirst())?.id ??
    (await insertF29Collection(db()));
  const { id: userId } = await db()
    .insertInto("user")
    .values({ name: `user${++projects}` })
    .returning("id")
    .executeTakeFirstOrThrow();
  const { id } = await db()
    .insertInto("copr_rebuild_request")
    .values({ user_id: userId, collection_id: collectionId, repo_source: "copr:a/b", state })
    .returning("id")
    .executeTakeFirstOrThrow();
  const builds: number[] = [];
  for (const [order, kind] of rebuilds.entries()) {
    const name = `p${id}-${order}`;
    const packageId = await insertPackage(db(), collectionId, name);
    let buildId: number | null = null;
    if (kind === "running") {
      const project = `k-${id}-${packageId}-${++projects}`;
      await createKoscheiProject(copr, project);
      const srpm = `http://koji.example/${name}-1-1.fc29.src.rpm`;
      buildId = (
        await client().createBuildFromUrl("koschei", project, srpm, {
          chroots: ["custom-1-x86_64"],
        })
      ).id;
      builds.push(buildId);
    }
    await db()
      .insertInto("copr_rebuild")
      .values({
        request_id: id,
        package_id: packageId,
        prev_state: 3,
        order,
        copr_build_id: buildId,
        state: buildId === null ? null : RUNNING,
      })
      .execute();
  }
  return { id, builds };
}

async function states(
  requestId: number,
): Promise<{ request: string; rebuilds: (number | null)[] }> {
  const request = await db()
    .selectFrom("copr_rebuild_request")
    .select("state")
    .where("id", "=", requestId)
    .executeTakeFirstOrThrow();
  const rebuilds = await db()
    .selectFrom("copr_rebuild")
    .select("state")
    .where("request_id", "=", requestId)
    .orderBy("order")
    .execute();
  return { request: request.state, rebuilds: rebuilds.map((rebuild) => rebuild.state) };
}

const warnings = () => logLines.filter((line) => line.level === 40).map((line) => line.msg);

describe("polling", () => {
  test("succeeded → complete, failed → failed, the rest untouched; a request with all done finishes", async () => {
    const done = await request(["running", "running"]);
    const busy = await request(["running", "running"]);
    copr.sim.finishBuild(done.builds[0]!, "succeeded");
    copr.sim.finishBuild(done.builds[1]!, "failed");
    copr.sim.finishBuild(busy.builds[0]!, "failed");
    await refreshRunningRebuilds(context);
    assert.deepEqual(await states(done.id), { request: "finished", rebuilds: [COMPLETE, FAILED] });
    assert.deepEqual(await states(busy.id), { request: "scheduled", rebuilds: [FAILED, RUNNING] });
  });

  test("a request with a queued rebuild never finishes (spec 11 §2.5)", async () => {
    const partly = await request(["running", null]);
    copr.sim.finishBuild(partly.builds[0]!, "succeeded");
    await refreshRunningRebuilds(context);
    assert.deepEqual(await states(partly.id), { request: "scheduled", rebuilds: [COMPLETE, null] });
  });

  test("a cancelled request keeps its state and reason when its last build ends", async () => {
    const cancelled = await request(["running"]);
    await db()
      .updateTable("copr_rebuild_request")
      .set({ state: "failed", error: "Cancelled by alice" })
      .where("id", "=", cancelled.id)
      .execute();
    copr.sim.finishBuild(cancelled.builds[0]!, "succeeded");
    await refreshRunningRebuilds(context);
    assert.deepEqual(await states(cancelled.id), { request: "failed", rebuilds: [COMPLETE] });
  });

  test("Copr down: logged, nothing changes; the next polling pass catches up", async () => {
    const { id, builds } = await request(["running", "running"]);
    copr.sim.finishBuild(builds[0]!, "succeeded");
    copr.sim.finishBuild(builds[1]!, "succeeded");
    copr.sim.setFaults({ status: 503 });
    await refreshRunningRebuilds(context);
    assert.deepEqual(await states(id), { request: "scheduled", rebuilds: [RUNNING, RUNNING] });
    assert.equal(warnings().filter((msg) => msg.startsWith("Copr unavailable")).length, 1);
    copr.sim.setFaults(null);
    await refreshRunningRebuilds(context);
    assert.deepEqual(await states(id), { request: "finished", rebuilds: [COMPLETE, COMPLETE] });
  });
});

describe("Copr's build-end messages", () => {
  test("through RabbitMQ and the watcher: the build's rebuild and its request finish", async () => {
    const { id, builds } = await request(["running"]);
    const queue = `koschei-copr-refresh-${process.pid}-${Date.now().toString(36)}`;
    const toml = join(scratch, "fedora-messaging.toml");
    writeFileSync(
      toml,
      [
        `amqp_url = "${AMQP_URL}"`,
        `[queues."${queue}"]`,
        "durable = false",
        "auto_delete = false",
        "exclusive = false",
        "[[bindings]]",
        `queue = "${queue}"`,
        'exchange = "amq.topic"',
        `routing_keys = ["${TOPIC}"]`,
        "",
      ].join("\n"),
    );
    await withChannel(async (channel) => {
      await channel.assertQueue(queue, { durable: false, autoDelete: false, exclusive: false });
      await channel.bindQueue(queue, "amq.topic", TOPIC);
    });
    const watcherConfig = { ...config, amqp: { ...config.amqp, config_file: toml } };
    const events = new EventBus(context.log);
    installPluginListeners([coprPlugin], {
      config: watcherConfig,
      log: context.log,
      events,
      openSession: () => Promise.reject(new Error("no Koji here")),
      openDatabase: async () => fresh.database,
    });
    const session: BackendSession = {
      config: watcherConfig,
      database: fresh.database,
      // The watcher asks Koji only about buildsys messages.
      koji: {} as KojiSessions,
      events,
      log: context.log,
      now: () => new Date(),
    };
    const stop = new AbortController();
    const running = runServices({
      services: [createWatcherService()],
      config: watcherConfig,
      log: context.log,
      events,
      session: async () => session,
      stop: stop.signal,
      retry: { firstDelaySeconds: 0.1, maxDelaySeconds: 0.5 },
    });
    try {
      copr.sim.finishBuild(builds[0]!, "succeeded");
      await copr.sim.flush();
      while ((await states(id)).request !== "finished") await setTimeout(50);
      assert.deepEqual(await states(id), { request: "finished", rebuilds: [COMPLETE] });
    } finally {
      stop.abort();
      await running;
      await withChannel((channel) => channel.deleteQueue(queue));
    }
  });

  test("a redelivered message changes nothing more", async () => {
    const { id, builds } = await request(["running", "running"]);
    copr.sim.finishBuild(builds[0]!, "failed");
    const [message] = copr.sim.messages.filter((sent) => sent.body.build === builds[0]);
    const event = { topic: message!.topic, body: message!.body };
    await onCoprMessage(event, context);
    assert.deepEqual(await states(id), { request: "scheduled", rebuilds: [FAILED, RUNNING] });
    await db()
      .updateTable("copr_rebuild")
      .set({ state: COMPLETE })
      .where("copr_build_id", "=", builds[0]!)
      .execute();
    await onCoprMessage(event, context);
    assert.deepEqual(await states(id), { request: "scheduled", rebuilds: [COMPLETE, RUNNING] });
  });

  test("malformed messages and builds of others are ignored; malformed ones with a warning", async () => {
    const { id, builds } = await request(["running"]);
    copr.sim.finishBuild(builds[0]!, "succeeded");
    copr.sim.calls.length = 0;
    for (const body of [{ user: "koschei", build: "x" }, "text", null]) {
      await onCoprMessage({ topic: TOPIC, body }, context);
    }
    await onCoprMessage({ topic: TOPIC, body: { user: "someone", build: builds[0] } }, context);
    await onCoprMessage(
      { topic: "org.example.other", body: { user: "koschei", build: builds[0] } },
      context,
    );
    await onCoprMessage({ topic: TOPIC, body: { user: "koschei", build: 999999 } }, context);
    assert.deepEqual(await states(id), { request: "scheduled", rebuilds: [RUNNING] });
    assert.equal(warnings().filter((msg) => msg.startsWith("Ignoring a Copr message")).length, 3);
    assert.equal(copr.sim.calls.length, 0);
  });

  test("Copr down when the message comes: logged, the rebuild stays running for polling", async () => {
    const { id, builds } = await request(["running"]);
    copr.sim.finishBuild(builds[0]!, "succeeded");
    copr.sim.setFaults({ mode: "down" });
    await onCoprMessage(
      { topic: TOPIC, body: { user: "koschei", build: String(builds[0]) } },
      context,
    );
    assert.deepEqual(await states(id), { request: "scheduled", rebuilds: [RUNNING] });
    assert.equal(warnings().length, 1);
  });
});
