// The osci plugin: the pure rules (states, reports, artifact id, bodies) and the whole path
// against the Koji simulator over HTTP, PostgreSQL and RabbitMQ — a polling event evaluates the
// build groups, the outbox gets their messages in the transaction that records the new state,
// and the publisher's relay delivers each of them once, valid against the Fedora CI schemas.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import Ajv from "ajv";
import { listenOnTopic, type HeardMessage, type TopicListener } from "../support/amqp-listener.js";
import { parseScenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import {
  runAdminCommand,
  adminEnvironment,
  type AdminCommand,
} from "../../src/admin/admin-command.js";
import { EventBus } from "../../src/backend/events.js";
import type { BackendSession } from "../../src/backend/session.js";
import { parseArgs } from "../../src/cli/command.js";
import { loadConfig, type KoscheiConfig } from "../../src/config/index.js";
import { KojiSessions } from "../../src/koji/sessions.js";
import { silentLogger } from "../../src/log/logger.js";
import { loadMessagingConfig } from "../../src/messaging/config.js";
import { OutboxRelay } from "../../src/messaging/service.js";
import {
  evaluateBuildGroup,
  reportsFor,
  type BuildGroupFacts,
} from "../../src/plugins/osci/evaluation.js";
import {
  artifactId,
  buildGroupArtifact,
  osciMessage,
  osciTopic,
  type MessageSettings,
} from "../../src/plugins/osci/messages.js";
import { osciPlugin } from "../../src/plugins/osci/index.js";
import type { PluginContext } from "../../src/plugins/plugin.js";
import { control } from "../sim/hub-fixture.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { simKojiOptions } from "../support/sim-koji.js";

const AMQP_URL = process.env.KOSCHEI_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672/%2F";
// Each run its own prefix, so that no other run's messages reach this test's queue.
const TOPIC_PREFIX = `org.koschei.osci${process.pid}x${Date.now()}`;
const SCHEMA_DIR = new URL("../../../test/plugins/schema/", import.meta.url);
const scratch = mkdtempSync(join(tmpdir(), "koschei-osci-"));

const RUNNING = 2;
const COMPLETE = 3;
const FAILED = 5;
const SIDE_REPO = 500;
const EMPTY_REPO = 600;
const EMPTY_SHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// ---- the JSON schemas (formats are not checked: the spec's run.url is the placeholder "url")

const ajv = new Ajv({ format: false, allErrors: true });
for (const file of readdirSync(SCHEMA_DIR)) {
  ajv.addSchema(JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), "utf8")) as object);
}

function assertValid(schema: string, value: unknown): void {
  const valid = ajv.validate(`${schema}.json`, value);
  assert.ok(valid, `${schema}: ${ajv.errorsText(ajv.errors)}`);
}

// ---- pure rules

const settled: BuildGroupFacts = {
  repoId: 7,
  repoResolved: true,
  hasRunningBuild: false,
  hasSchedulablePackage: false,
  hasBrokenPackage: false,
};

describe("build group evaluation", () => {
  it("applies the rules in order", () => {
    assert.equal(evaluateBuildGroup({ ...settled, repoId: null, repoResolved: false }), null);
    assert.equal(
      evaluateBuildGroup({ ...settled, repoResolved: null, hasRunningBuild: true }),
      "failed",
    );
    assert.equal(evaluateBuildGroup({ ...settled, repoResolved: false }), "failed");
    assert.equal(
      evaluateBuildGroup({ ...settled, hasRunningBuild: true, hasBrokenPackage: true }),
      "running",
    );
    assert.equal(
      evaluateBuildGroup({ ...settled, hasSchedulablePackage: true, hasBrokenPackage: true }),
      "running",
    );
    assert.equal(evaluateBuildGroup({ ...settled, hasBrokenPackage: true }), "failed");
    assert.equal(evaluateBuildGroup(settled), "passed");
  });

  it("reports a change of state or repo, and a replaced repo as aborted first", () => {
    assert.equal(reportsFor({ state: "passed", repoId: 7 }, { state: "passed", repoId: 7 }), null);
    assert.deepEqual(reportsFor({ state: null, repoId: null }, { state: "running", repoId: 7 }), [
      { state: "running", repoId: 7 },
    ]);
    assert.deepEqual(reportsFor({ state: "running", repoId: 7 }, { state: "failed", repoId: 7 }), [
      { state: "failed", repoId: 7 },
    ]);
    assert.deepEqual(reportsFor({ state: "passed", repoId: 7 }, { state: "passed", repoId: 8 }), [
      { state: "aborted", repoId: 7 },
      { state: "passed", repoId: 8 },
    ]);
    // Back to no repo: the old repo's test is abandoned, a NULL state is no message.
    assert.deepEqual(reportsFor({ state: "running", repoId: 7 }, { state: null, repoId: null }), [
      { state: "aborted", repoId: 7 },
    ]);
    assert.deepEqual(
      reportsFor({ state: "queued", repoId: null }, { state: null, repoId: null }),
      [],
    );
  });
});

describe("OSCI messages", () => {
  const config = loadConfig("backend", { KOSCHEI_CONFIG_DIR: scratch, HOME: scratch });
  const settings: MessageSettings = {
    osci: config.osci,
    topurl: "https://koji.test/kojifiles",
    repoArch: "x86_64",
  };
  const builds = [10, 9, 100].map((id) => ({
    id,
    owner_name: "rdieter",
    package_name: `pkg${id}`,
    nvr: `pkg${id}-1-1.fc30`,
  }));

  it("identifies an artifact by the SHA-256 of its build ids sorted as strings", () => {
    const expected = createHash("sha256").update("101009").digest("hex");
    assert.equal(artifactId([10, 9, 100]), `sha256:${expected}`);
    assert.equal(artifactId([100, 9, 10]), `sha256:${expected}`);
    assert.equal(artifactId([]), EMPTY_SHA256);
  });

  it("describes the builds and the repository of the repo", () => {
    const artifact = buildGroupArtifact(settings, { id: 41, tagName: "f30-side-build" }, builds);
    assertValid("rpm-build-group", artifact);
    assert.deepEqual(artifact.builds[0], {
      type: "koji-build",
      id: 10,
      issuer: "rdieter",
      component: "pkg10",
      nvr: "pkg10-1-1.fc30",
      scratch: false,
    });
    assert.equal(artifact.repository, "https://koji.test/kojifiles/repos/f30-side-build/41/x86_64");
    assert.equal(artifact.id, artifactId([10, 9, 100]));
  });

  it("builds every kind valid against its schema, leaving the configuration alone", () => {
    const artifact = buildGroupArtifact(settings, { id: 41, tagName: "side-build" }, builds);
    const now = new Date("2020-04-01T10:11:12.345Z");
    const kinds = [
      ["queued", "queued"],
      ["running", "running"],
      ["passed", "complete"],
      ["failed", "complete"],
      ["aborted", "error"],
    ] as const;
    for (const [state, kind] of kinds) {
      const message = osciMessage(settings.osci, state, artifact, now)!;
      assert.equal(message.topic, `ci.osci.koji-build-group.test.${kind}`);
      assert.equal(message.schema, "base.message");
      assertValid(`koji-build-group.test.${kind}`, message.body);
      const body = message.body as Record<string, unknown>;
      assert.equal(body.generated_at, "2020-04-01T10:11:12.345Z");
      assert.equal(body.version, "0.2.5");
      assert.deepEqual(body.run, { url: "url", log: "log" });
      assert.equal(
        (body.test as { result?: string }).result,
        kind === "complete" ? state : undefined,
      );
      assert.equal("system" in body, kind === "complete");
      assert.deepEqual(
        body.error,
        kind === "error" ? { reason: "Test was aborted by Koschei" } : undefined,
      );
    }
    // The original added `result` to the shared configuration; here it stays clean.
    assert.equal("result" in settings.osci.test, false);
    // Running messages must not validate as complete ones (the schemas can fail).
    const running = osciMessage(settings.osci, "running", artifact, now)!;
    assert.equal(ajv.validate("koji-build-group.test.complete.json", running.body), false);
  });

  it("sends nothing about an artifact without builds", () => {
    const artifact = buildGroupArtifact(settings, { id: 41, tagName: "side-build" }, []);
    assert.equal(artifact.id, EMPTY_SHA256);
    assert.equal(osciMessage(settings.osci, "passed", artifact, new Date()), null);
  });

  it("names the topic after the configured namespace and artifact type", () => {
    const osci = {
      ...settings.osci,
      namespace: "koschei",
      build_group_artifact_type: "brew-build-group",
    };
    assert.equal(osciTopic(osci, "failed"), "ci.koschei.brew-build-group.test.complete");
  });
});

// ---- the whole path

/** The messages that arrived after the first `seen`, once `count` of them are there and no more come. */
async function receiveAfter(
  listener: TopicListener,
  seen: number,
  count: number,
): Promise<HeardMessage[]> {
  const deadline = Date.now() + 10_000;
  while (listener.messages.length < seen + count && Date.now() < deadline) await sleep(20);
  // Anything sent twice would arrive right behind.
  await sleep(200);
  return listener.messages.slice(seen);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function scenario() {
  const build = (id: number, name: string) => ({
    id,
    name,
    version: "1",
    release: "1.fc30",
    owner: "rdieter",
    tags: ["side"],
  });
  return parseScenario(
    {
      name: "osci-world",
      startTime: "2020-04-01T12:00:00Z",
      hosts: [{ name: "x86-builder", arches: ["x86_64"], capacity: 10 }],
      tags: [
        { name: "side" },
        { name: "side-build", parents: ["side"], arches: ["x86_64"] },
        { name: "empty" },
        { name: "empty-build", parents: ["empty"], arches: ["x86_64"] },
      ],
      targets: [
        { name: "side", buildTag: "side-build", destTag: "side" },
        { name: "empty", buildTag: "empty-build", destTag: "empty" },
      ],
      builds: [build(10, "alpha"), build(9, "beta"), build(100, "gamma")],
      repos: [
        { id: SIDE_REPO, tag: "side-build" },
        { id: EMPTY_REPO, tag: "empty-build" },
      ],
    },
    "osci-world",
  );
}

let sim: Simulator;
let fresh: FreshDatabase;
let koji: KojiSessions;
let config: KoscheiConfig;
let consumer: TopicListener;
let relay: OutboxRelay;

before(async () => {
  sim = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: scenario(),
    plainLoginUser: "koschei",
  });
  writeFileSync(join(scratch, "config.yaml"), `koji_config:\n  topurl: "${sim.topurl}"\n`);
  config = loadConfig("backend", { KOSCHEI_CONFIG_DIR: scratch, HOME: scratch });
  koji = await KojiSessions.open(simKojiOptions(sim, scratch, "ssl_login", 4), null);
  fresh = await freshDatabase();
  consumer = await listenOnTopic(AMQP_URL, `${TOPIC_PREFIX}.ci.#`);
  const broker = join(scratch, "broker.toml");
  writeFileSync(broker, `amqp_url = "${AMQP_URL}"\ntopic_prefix = "${TOPIC_PREFIX}"\n`);
  relay = new OutboxRelay(
    loadMessagingConfig(config, { FEDORA_MESSAGING_CONF: broker }),
    silentLogger,
  );
});

after(async () => {
  await consumer?.close();
  await koji?.close();
  await sim?.close();
  await fresh?.drop();
  rmSync(scratch, { recursive: true, force: true });
});

function session(): BackendSession {
  return {
    config,
    database: fresh.database,
    koji,
    events: new EventBus(silentLogger),
    log: silentLogger,
    now: () => new Date(sim.clock.now() * 1000),
  };
}

/** One polling event as the polling service dispatches it to the plugin. */
function poll(): Promise<unknown> {
  const context: PluginContext = {
    config,
    log: silentLogger,
    session: async () => session(),
    database: async () => fresh.database,
  };
  return osciPlugin.backend!.listeners!.polling_event!({}, context);
}

const db = () => fresh.database.db;

async function collection(name: string, values: { latest_repo_id?: number | null } = {}) {
  const { id } = await db()
    .insertInto("collection")
    .values({
      name,
      display_name: name,
      target: name,
      dest_tag: name,
      build_tag: `${name}-build`,
      // Resolved exactly when there is a repo, as the table requires.
      latest_repo_resolved: values.latest_repo_id ? true : null,
      ...values,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

/** A tracked, resolved package with one build in `state` (none when null). */
async function pkg(collectionId: number, name: string, state: number | null, manualPriority = 0) {
  const base = await db()
    .insertInto("base_package")
    .values({ name })
    .onConflict((conflict) => conflict.column("name").doUpdateSet({ name }))
    .returning("id")
    .executeTakeFirstOrThrow();
  const { id } = await db()
    .insertInto("package")
    .values({
      name,
      base_id: base.id,
      collection_id: collectionId,
      tracked: true,
      resolved: true,
      manual_priority: manualPriority,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  if (state !== null) await build(id, state);
  return id;
}

let taskIds = 70_000_000;
async function build(packageId: number, state: number): Promise<number> {
  const now = new Date(sim.clock.now() * 1000);
  const { id } = await db()
    .insertInto("build")
    .values({
      package_id: packageId,
      state,
      task_id: taskIds++,
      started: now,
      finished: state === RUNNING ? null : now,
      repo_id: state === RUNNING ? null : 1,
      version: "1",
      release: "1",
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

async function group(sideId: number | null, baseId: number) {
  const { id } = await db()
    .insertInto("build_group")
    .values({ collection_id: sideId, base_collection_id: baseId })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

async function groupRow(id: number) {
  return db()
    .selectFrom("build_group")
    .select(["state", "repo_id"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

/** Polls, relays the outbox to RabbitMQ and returns what arrived. */
async function pollAndReceive(expected: number): Promise<HeardMessage[]> {
  const seen = consumer.messages.length;
  await poll();
  await relay.runPass(db());
  return receiveAfter(consumer, seen, expected);
}

function assertMessage(message: HeardMessage, kind: string, repoId: number, result?: string): void {
  assert.equal(message.routingKey, `${TOPIC_PREFIX}.ci.osci.koji-build-group.test.${kind}`);
  assert.equal(message.properties.headers!.fedora_messaging_schema, "base.message");
  assertValid(`koji-build-group.test.${kind}`, message.body);
  const artifact = message.body.artifact as { repository: string; id: string; builds: unknown[] };
  assert.equal(artifact.repository, `${sim.topurl}/repos/side-build/${repoId}/x86_64`);
  assert.equal((message.body.test as { result?: string }).result, result);
}

describe("polling build groups", () => {
  beforeEach(async () => {
    await fresh.database.query(
      "TRUNCATE collection, base_package, package, build, build_group, outbox RESTART IDENTITY CASCADE",
    );
    await control(sim.url, "/faults", undefined, "DELETE");
  });

  it("reports running, passed, failed and a replaced repo once each, through the outbox", async () => {
    const base = await collection("f30");
    const side = await collection("side", { latest_repo_id: SIDE_REPO });
    await pkg(base, "alpha", COMPLETE);
    await pkg(base, "beta", COMPLETE);
    const alpha = await pkg(side, "alpha", COMPLETE);
    const beta = await pkg(side, "beta", COMPLETE);
    const running = await build(alpha, RUNNING);
    const id = await group(side, base);

    const [first, ...more] = await pollAndReceive(1);
    assert.equal(more.length, 0);
    assertMessage(first!, "running", SIDE_REPO);
    const artifact = first!.body.artifact as {
      id: string;
      builds: { id: number; component: string }[];
    };
    assert.deepEqual(
      artifact.builds.map((b) => b.id).sort((a, b) => a - b),
      [9, 10, 100],
    );
    assert.equal(artifact.id, artifactId([10, 9, 100]));
    assert.deepEqual(await groupRow(id), { state: "running", repo_id: SIDE_REPO });

    // Nothing changed: nothing is sent, the published row is not sent again.
    assert.deepEqual(await pollAndReceive(0), []);

    await db()
      .updateTable("build")
      .set({ state: COMPLETE, finished: new Date(), repo_id: 1 })
      .where("id", "=", running)
      .execute();
    const [passed] = await pollAndReceive(1);
    assertMessage(passed!, "complete", SIDE_REPO, "passed");
    assert.deepEqual(passed!.body.system, []);

    await build(beta, FAILED);
    const [failed] = await pollAndReceive(1);
    assertMessage(failed!, "complete", SIDE_REPO, "failed");
    assert.deepEqual(await groupRow(id), { state: "failed", repo_id: SIDE_REPO });

    const regen = await control(sim.url, "/regen-repo", { tag: "side-build" });
    const newRepo = regen.body.repo_id as number;
    await db()
      .updateTable("collection")
      .set({ latest_repo_id: newRepo })
      .where("id", "=", side)
      .execute();
    const [aborted, again] = await pollAndReceive(2);
    assertMessage(aborted!, "error", SIDE_REPO);
    assert.deepEqual(aborted!.body.error, { reason: "Test was aborted by Koschei" });
    assertMessage(again!, "complete", newRepo, "failed");
    assert.deepEqual(await groupRow(id), { state: "failed", repo_id: newRepo });

    const outbox = await db()
      .selectFrom("outbox")
      .select(["topic", "published_at"])
      .orderBy("id")
      .execute();
    assert.deepEqual(
      outbox.map((row) => row.topic),
      ["running", "complete", "complete", "error", "complete"].map(
        (kind) => `ci.osci.koji-build-group.test.${kind}`,
      ),
    );
    assert.ok(outbox.every((row) => row.published_at !== null));
  });

  it("counts a package the scheduler would build as running, and a broken buildroot as failed", async () => {
    const base = await collection("f30");
    const side = await collection("side", { latest_repo_id: SIDE_REPO });
    await pkg(side, "alpha", COMPLETE, 1000);
    const id = await group(side, base);
    await poll();
    assert.deepEqual(await groupRow(id), { state: "running", repo_id: SIDE_REPO });

    await db()
      .updateTable("collection")
      .set({ latest_repo_resolved: false })
      .where("id", "=", side)
      .execute();
    await poll();
    assert.deepEqual(await groupRow(id), { state: "failed", repo_id: SIDE_REPO });
  });

  it("records the state of a group without builds but sends nothing", async () => {
    const base = await collection("f30");
    const empty = await collection("empty", { latest_repo_id: EMPTY_REPO });
    const id = await group(empty, base);
    await poll();
    assert.deepEqual(await groupRow(id), { state: "passed", repo_id: EMPTY_REPO });
    assert.equal((await db().selectFrom("outbox").selectAll().execute()).length, 0);
  });

  it("skips a group whose collection was deleted and goes on with the others", async () => {
    const base = await collection("f30");
    const gone = await collection("gone", { latest_repo_id: SIDE_REPO });
    const side = await collection("side", { latest_repo_id: SIDE_REPO });
    const orphan = await group(gone, base);
    const live = await group(side, base);
    await db().deleteFrom("collection").where("id", "=", gone).execute();
    await poll();
    assert.deepEqual(await groupRow(orphan), { state: null, repo_id: null });
    assert.deepEqual(await groupRow(live), { state: "passed", repo_id: SIDE_REPO });
  });

  it("writes nothing when Koji fails during the pass, and reports on the next one", async () => {
    const base = await collection("f30");
    const side = await collection("side", { latest_repo_id: SIDE_REPO });
    const id = await group(side, base);
    // Two attempts: the client retries once.
    await control(sim.url, "/faults", { method: "listTagged", count: 2, httpStatus: 503 });
    await assert.rejects(poll());
    assert.deepEqual(await groupRow(id), { state: null, repo_id: null });
    assert.equal((await db().selectFrom("outbox").selectAll().execute()).length, 0);

    await poll();
    assert.deepEqual(await groupRow(id), { state: "passed", repo_id: SIDE_REPO });
    assert.equal((await db().selectFrom("outbox").selectAll().execute()).length, 1);
  });
});

describe("build group admin commands", () => {
  beforeEach(async () => {
    await fresh.database.query(
      "TRUNCATE collection, build_group, log_entry RESTART IDENTITY CASCADE",
    );
  });

  async function admin(argv: string[]): Promise<{ output: string[]; error?: string }> {
    const [name, ...rest] = argv;
    const entry = osciPlugin.adminCommands!.find((candidate) => candidate.name === name)!;
    const command = (await entry.load()) as AdminCommand;
    const output: string[] = [];
    const { env, close } = adminEnvironment(config, fresh.database, {
      userName: "operator",
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

  it("creates, lists and deletes build groups, audited", async () => {
    await collection("f30");
    await collection("side", { latest_repo_id: SIDE_REPO });
    const created = await admin([
      "create-build-group",
      "--collection",
      "side",
      "--base-collection",
      "f30",
    ]);
    assert.deepEqual(created, { output: ["Build group 1 created: collection side against f30"] });
    assert.deepEqual(await admin(["list-build-groups"]), { output: ["1 side f30 - -"] });
    assert.equal(
      (await admin(["create-build-group", "--collection", "side", "--base-collection", "f30"]))
        .error,
      "Build group already exists: 1",
    );

    await db().updateTable("build_group").set({ state: "passed", repo_id: SIDE_REPO }).execute();
    await db().deleteFrom("collection").where("name", "=", "f30").execute();
    assert.deepEqual(await admin(["list-build-groups"]), {
      output: [`1 side (deleted) passed ${SIDE_REPO}`],
    });

    assert.deepEqual(await admin(["delete-build-group", "1"]), {
      output: ["Build group 1 deleted"],
    });
    assert.equal((await db().selectFrom("build_group").selectAll().execute()).length, 0);
    const audit = await db().selectFrom("log_entry").select("message").orderBy("id").execute();
    assert.deepEqual(
      audit.map((entry) => entry.message),
      ["Build group 1 created: collection side against f30", "Build group 1 deleted"],
    );
  });

  it("refuses unknown collections and build groups, changing nothing", async () => {
    await collection("f30");
    assert.equal(
      (await admin(["create-build-group", "--collection", "nope", "--base-collection", "f30"]))
        .error,
      "Collection not found: nope",
    );
    assert.equal(
      (await admin(["create-build-group", "--collection", "f30", "--base-collection", "f30"]))
        .error,
      "A build group compares two different collections",
    );
    assert.equal((await admin(["delete-build-group", "3"])).error, "Build group not found: 3");
    assert.match((await admin(["delete-build-group", "x"])).error!, /positive whole number/);
    assert.equal((await db().selectFrom("build_group").selectAll().execute()).length, 0);
    assert.equal((await db().selectFrom("log_entry").selectAll().execute()).length, 0);
  });
});
