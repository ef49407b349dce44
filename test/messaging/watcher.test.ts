// The watcher against real RabbitMQ, PostgreSQL and the Koji hub simulator publishing its
// buildsys.* messages: builds finish without a polling pass, tag messages register real builds,
// repo.done wakes the repo-resolver, and neither bad messages nor a lost broker or database
// lose a message or apply one twice. Each test has a world (topic prefix, queue) of its own.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { amqpEnvelope, KojiSchema, KojiTopic } from "@koschei/koji-protocol/messages.js";
import type { BackendEvents } from "../../src/backend/events.js";
import { backendServices } from "../../src/backend/registry.js";
import { postgresWakeSignals, REPO_DONE_CHANNEL } from "../../src/backend/wake.js";
import { createWatcherService, type WatcherService } from "../../src/backend/watcher.js";
import { DATABASE_TIMEOUT_DEFAULTS } from "../../src/config/index.js";
import { openDatabase, type Database } from "../../src/db/index.js";
import { BIN_DIR, capturingLogger, COMPLETE, FAILED, RUNNING, waitFor } from "../e2e/loop-world.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { AMQP_URL, WatcherWorld, withChannel } from "./watcher-world.js";

/** Short back-offs, so that the tests need not wait long for retries and reconnections. */
const FAST = { firstDelayMs: 100, maxDelayMs: 400 };
/** Long enough for a build's SRPM and buildArch tasks on the simulated hub. */
const BUILD_SECONDS = 2000;

function fastWatcher(): WatcherService {
  return createWatcherService({ retry: FAST, reconnect: FAST });
}

/** Publishes a message to amq.topic as a fedora-messaging publisher would (or raw bytes). */
async function publish(
  routingKey: string,
  content: Buffer | object,
  messageId: string = randomUUID(),
): Promise<void> {
  await withChannel(async (channel) => {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(JSON.stringify(content));
    channel.publish("amq.topic", routingKey, bytes, {
      contentType: "application/json",
      contentEncoding: "utf-8",
      messageId,
      headers: { fedora_messaging_severity: 20, "sent-at": "2025-03-01T00:00:00+00:00" },
    });
  });
}

/** Waits quickly (every 20 ms) for a condition; returns how long it took. */
async function within(what: string, ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function queueDepth(queue: string): Promise<number> {
  return withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
}

const worlds: WatcherWorld[] = [];
async function newWorld(options: Parameters<typeof WatcherWorld.start>[0] = {}) {
  const world = await WatcherWorld.start(options);
  worlds.push(world);
  return world;
}
after(async () => {
  for (const world of worlds) await world.close();
});

describe("the watcher", () => {
  test("a finished build is recorded within a second of Koji's message, with no polling pass", async () => {
    const w = await newWorld();
    const ids = await w.setUpCollection();
    const events: BackendEvents["fedmsg_event"][] = [];
    w.world.events.on("fedmsg_event", (event) => {
      events.push(event);
    });
    const watcher = fastWatcher();
    w.run([watcher]);
    const { buildId, taskId } = await w.startBuild("alpha");
    // The task starts (FREE → ASSIGNED → OPEN): the watcher opens its sessions on these.
    await waitFor(
      "the task's start handled",
      async () => {
        if (watcher.counters.handled >= 2) return true;
        await w.advance(10);
        return false;
      },
      10_000,
    );
    assert.equal(await w.buildState(buildId), RUNNING);

    await w.advance(BUILD_SECONDS);
    const elapsed = await within("alpha's build recorded", 1000, async () => {
      return (await w.buildState(buildId)) === COMPLETE;
    });

    assert.ok(elapsed <= 1000, `${elapsed} ms`);
    const pkg = await w.db
      .selectFrom("package")
      .select(["last_complete_build_id"])
      .where("id", "=", ids.alpha!)
      .executeTakeFirstOrThrow();
    assert.equal(pkg.last_complete_build_id, buildId);
    const archTasks = await w.db
      .selectFrom("koji_task")
      .select(["arch", "state"])
      .where("build_id", "=", buildId)
      .execute();
    assert.deepEqual(archTasks, [{ arch: "x86_64", state: 2 }]);
    // Every message was announced, with its full topic and body.
    const closed = events.find(
      (event) => (event.body as { id?: number; new?: string }).new === "CLOSED",
    );
    assert.equal(closed?.topic, `${w.prefix}.buildsys.task.state.change`);
    assert.equal((closed?.body as { id: number }).id, taskId);
    assert.equal(watcher.counters.malformed + watcher.counters.failed, 0);
  });

  test("a tag message registers the newer real build; the same message again changes nothing", async () => {
    const w = await newWorld();
    const ids = await w.setUpCollection();
    const watcher = fastWatcher();
    w.run([watcher]);
    const realBuilds = () =>
      w.db
        .selectFrom("build")
        .select(["version", "release", "task_id"])
        .where("package_id", "=", ids.alpha!)
        .where("real", "=", true)
        .orderBy("id")
        .execute();
    assert.deepEqual(
      (await realBuilds()).map((build) => build.version),
      ["1.0"],
    );

    const tagged = (await w.world.control("/tag-build", {
      tag: "f30",
      build: {
        name: "alpha",
        version: "1.1",
        release: "1.fc30",
        rpms: [{ name: "alpha", arch: "x86_64" }],
      },
    })) as { build_id: number };
    await w.world.sim.publisher!.flush();
    await waitFor(
      "the tagged build registered",
      async () => (await realBuilds()).length === 2,
      5000,
    );

    const [, registered] = await realBuilds();
    assert.deepEqual([registered!.version, registered!.release], ["1.1", "1.fc30"]);
    const kojiBuild = await w.world.koji.primary.getBuild(tagged.build_id);
    assert.equal(registered!.task_id, kojiBuild!.task_id);
    const pkg = await w.db
      .selectFrom("package")
      .innerJoin("build", "build.id", "package.last_build_id")
      .select(["build.version"])
      .where("package.id", "=", ids.alpha!)
      .executeTakeFirstOrThrow();
    assert.equal(pkg.version, "1.1");

    // The same message delivered again (at-least-once delivery): nothing more is registered.
    const handled = watcher.counters.handled;
    const envelope = amqpEnvelope(
      {
        topic: KojiTopic.tag,
        schema: KojiSchema.tag,
        schemaPackage: "koji_fedoramessaging_messages",
        severity: 10,
        body: { name: "alpha", tag: "f30", version: "1.1", release: "1.fc30", instance: "primary" },
      },
      w.prefix,
      new Date(),
    );
    await withChannel(async (channel) => {
      channel.publish("amq.topic", envelope.routingKey, envelope.content, envelope.properties);
    });
    await waitFor(
      "the repeated message handled",
      async () => watcher.counters.handled > handled,
      5000,
    );
    assert.equal((await realBuilds()).length, 2);
  });

  test("a repo.done message of a collection's build tag starts a repo-resolver pass at once", async () => {
    const w = await newWorld();
    await w.setUpCollection();
    // The repo-resolver as registered (its wake channel), with a pass that only counts.
    const registered = backendServices.find((service) => service.name === "repo-resolver")!;
    assert.equal(registered.wakeChannel, REPO_DONE_CHANNEL);
    const passes: number[] = [];
    const resolver = { ...registered, runPass: async () => void passes.push(Date.now()) };
    const wake = postgresWakeSignals(w.world.fresh.url, w.world.log, {
      firstDelayMs: 100,
      maxDelayMs: 400,
    });
    try {
      w.run([fastWatcher(), resolver], { wake });
      await waitFor("the first pass", async () => passes.length === 1, 60_000);
      // Listening before Koji makes the repo (the interval is an hour: only a wake-up helps).
      await waitFor("the LISTEN", async () => {
        const rows = await w.world.fresh.database.query<{ n: number }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        );
        return rows[0]!.n > 0;
      });

      // A repo of a tag that is no collection's build tag wakes nobody.
      await publish(`${w.prefix}.buildsys.repo.done`, {
        tag: "f31-build",
        tag_id: 99,
        repo_id: 5,
        instance: "primary",
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(passes.length, 1);

      const { repo_id: repoId } = (await w.world.control("/regen-repo", { tag: "f30-build" })) as {
        repo_id: number;
      };
      await w.world.sim.publisher!.flush();
      const sent = Date.now();
      await waitFor("a pass after the new repo", async () => passes.length === 2, 60_000);

      assert.ok(passes[1]! - sent < 1000, `${passes[1]! - sent} ms`);
      assert.ok(repoId > 0);
    } finally {
      await wake.close();
    }
  });

  test("malformed and unexpected messages are logged with their id, counted and acknowledged", async () => {
    const { log, lines } = capturingLogger();
    const w = await newWorld({ log });
    await w.setUpCollection();
    const watcher = fastWatcher();
    const running = w.run([watcher]);
    const topic = `${w.prefix}.buildsys.task.state.change`;

    await publish(topic, Buffer.from("this is not JSON"), "bad-json");
    await publish(topic, [1, 2, 3], "bad-array");
    await publish(
      topic,
      { instance: "primary", attribute: "owner", id: 1, new: "CLOSED" },
      "bad-attr",
    );
    await publish(
      topic,
      { instance: "primary", attribute: "state", id: "x", new: "CLOSED" },
      "bad-id",
    );
    // From another Koji instance: not ours, ignored (and not malformed).
    await publish(topic, { instance: "secondary", attribute: "state", id: 1, new: "CLOSED" });
    await waitFor("four malformed", async () => watcher.counters.malformed === 4, 60_000);

    // Still consuming: a build finishes as usual.
    const { buildId } = await w.startBuild("beta");
    await w.advance(BUILD_SECONDS);
    await waitFor(
      "beta's build recorded",
      async () => (await w.buildState(buildId)) === COMPLETE,
      5000,
    );

    for (const id of ["bad-json", "bad-array", "bad-attr", "bad-id"]) {
      assert.ok(
        lines.some((line) => line.msg.includes(id)),
        `a log line names message ${id}`,
      );
    }
    assert.equal(watcher.counters.malformed, 4);
    assert.equal(watcher.counters.failed, 0);
    // All acknowledged: after the watcher stops, nothing comes back to the queue.
    assert.equal(await running.stop(), 0);
    assert.equal(await queueDepth(w.queue), 0);
  });

  test("the broker connection cut in the middle of a stream: reconnects and handles every message", async () => {
    const proxy = await startTcpProxy("127.0.0.1", Number(new URL(AMQP_URL).port || 5672));
    try {
      const w = await newWorld({ brokerUrl: `amqp://guest:guest@127.0.0.1:${proxy.port}/%2F` });
      await w.setUpCollection();
      const stateChanges = w.world.stateChanges;
      const watcher = fastWatcher();
      w.run([watcher]);
      const first = await w.startBuild("alpha");
      await w.advance(BUILD_SECONDS);
      await waitFor(
        "alpha recorded",
        async () => (await w.buildState(first.buildId)) === COMPLETE,
        5000,
      );

      const beta = await w.startBuild("beta");
      const broken = await w.startBuild("broken");
      // The messages of both builds are on their way when the broker goes away.
      const advanced = w.advance(BUILD_SECONDS);
      proxy.cut();
      await advanced;
      await new Promise((resolve) => setTimeout(resolve, 500));
      const during = [await w.buildState(beta.buildId), await w.buildState(broken.buildId)];
      proxy.restore();

      await waitFor(
        "beta and broken recorded",
        async () =>
          (await w.buildState(beta.buildId)) === COMPLETE &&
          (await w.buildState(broken.buildId)) === FAILED,
        10_000,
      );
      assert.ok(watcher.counters.connections >= 2, `${watcher.counters.connections} connections`);
      // At most the message in progress at the cut was handled while the broker was away.
      assert.ok(during.includes(RUNNING), JSON.stringify(during));
      // One state change for broken (ok → failing), none twice.
      assert.deepEqual(
        stateChanges.map(
          (change) => `${change.package.name} ${change.prevState}→${change.newState}`,
        ),
        ["broken ok→failing"],
      );
      assert.equal(watcher.counters.failed + watcher.counters.malformed, 0);
    } finally {
      await proxy.close();
    }
  });

  test("a database outage while messages arrive: held and retried, then all applied once", async () => {
    const w = await newWorld();
    await w.setUpCollection();
    const target = new URL(w.world.fresh.url);
    const proxy: TcpProxy = await startTcpProxy(
      decodeURIComponent(target.hostname),
      Number(target.port || 5432),
    );
    target.hostname = "127.0.0.1";
    target.port = String(proxy.port);
    let proxied: Database | undefined;
    try {
      proxied = await openDatabase(
        {
          kind: "postgresql",
          url: target.toString(),
          timeouts: { ...DATABASE_TIMEOUT_DEFAULTS, connect_timeout: 2 },
        },
        { maxConnections: 2 },
      );
      const database = proxied;
      const watcher = fastWatcher();
      w.run([watcher], {
        session: async (service) => ({ ...(await w.world.serviceSession(service)), database }),
      });
      const beta = await w.startBuild("beta");
      const broken = await w.startBuild("broken");

      proxy.cut();
      await w.advance(BUILD_SECONDS);
      await waitFor("retries", async () => watcher.counters.retried >= 2, 60_000);
      assert.equal(await w.buildState(beta.buildId), RUNNING);
      assert.equal(await w.buildState(broken.buildId), RUNNING);
      proxy.restore();

      await waitFor(
        "both builds recorded",
        async () =>
          (await w.buildState(beta.buildId)) === COMPLETE &&
          (await w.buildState(broken.buildId)) === FAILED,
        10_000,
      );
      const tasks = await w.db
        .selectFrom("koji_task")
        .select(["build_id", "task_id"])
        .where("build_id", "in", [beta.buildId, broken.buildId])
        .execute();
      assert.equal(new Set(tasks.map((task) => task.task_id)).size, tasks.length);
      assert.equal(tasks.length, 2);
      assert.deepEqual(
        w.world.stateChanges.map(
          (change) => `${change.package.name} ${change.prevState}→${change.newState}`,
        ),
        ["broken ok→failing"],
      );
      assert.equal(watcher.counters.failed + watcher.counters.malformed, 0);
      const { build_priority: priority } = await w.db
        .selectFrom("package")
        .select("build_priority")
        .where("name", "=", "broken")
        .executeTakeFirstOrThrow();
      assert.equal(priority, w.world.config.priorities.failed_build_priority);
    } finally {
      await proxied?.close();
      await proxy.close();
    }
  });

  /** `koschei backend ARGS…` against the world's configuration and database. */
  async function startBackend(w: WatcherWorld, args: string[]) {
    const configDir = join(w.world.dir, "config");
    // The process runs on the wall clock, not the hub's (years earlier): its builds must not
    // look timed out (koji_config.task_timeout) to it. config.yaml is read before, and merged
    // with, config-backend.yaml.
    writeFileSync(join(configDir, "config.yaml"), "koji_config:\n  task_timeout: 315360000\n");
    const child = spawn(process.execPath, [join(BIN_DIR, "koschei"), "backend", ...args], {
      env: {
        ...process.env,
        KOSCHEI_CONFIG_DIR: configDir,
        KOSCHEI_DATABASE_URL: w.world.fresh.url,
        HOME: w.world.dir,
        WATCHDOG_PATH: "",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const process_ = { child, stderr: "", exited: once(child, "exit") };
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (process_.stderr += chunk));
    return process_;
  }

  test("koschei backend watcher, as a process, records a finished build; SIGTERM ends it with 0", async () => {
    const w = await newWorld();
    await w.setUpCollection();
    const backend = await startBackend(w, ["watcher"]);
    try {
      const { buildId } = await w.startBuild("delta");
      await w.advance(BUILD_SECONDS);
      await waitFor(
        "delta's build recorded",
        async () => (await w.buildState(buildId)) === COMPLETE,
        15_000,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; its stderr:\n${backend.stderr}`);
    } finally {
      backend.child.kill("SIGTERM");
    }
    const [code] = (await backend.exited) as [number | null];
    assert.equal(code, 0, backend.stderr);
    assert.match(backend.stderr, /watcher started/);
  });

  test("koschei backend watcher --once handles what the queue holds, then exits with 0", async () => {
    const w = await newWorld();
    await w.setUpCollection();
    const { buildId } = await w.startBuild("delta");
    await w.advance(BUILD_SECONDS);
    assert.ok((await queueDepth(w.queue)) >= 3, "the task's messages wait in the queue");

    const backend = await startBackend(w, ["watcher", "--once"]);
    const [code] = (await backend.exited) as [number | null];

    assert.equal(code, 0, backend.stderr);
    assert.equal(await w.buildState(buildId), COMPLETE);
    assert.equal(await queueDepth(w.queue), 0);
  });

  test("a session that cannot be opened for a reason other than an outage ends the service with 1; the message stays queued", async () => {
    const { log, lines } = capturingLogger();
    const w = await newWorld({ log });
    const running = w.run([fastWatcher()], {
      session: () => Promise.reject(new Error("the hub refused the login")),
    });

    await publish(`${w.prefix}.buildsys.tag`, { instance: "primary", name: "alpha" });

    assert.equal(await running.done, 1);
    assert.ok(lines.some((line) => line.msg === "Service watcher crashed."));
    assert.equal(await queueDepth(w.queue), 1);
  });
});
