// The outbox and its publisher against PostgreSQL and RabbitMQ: a committed state change
// arrives as fedora-messaging would send it, a rolled-back one never, and a broker outage
// only delays messages. The consumer is plain amqplib, not the code under test.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { EventBus, type BackendEvents } from "../../src/backend/events.js";
import { builtInDefaults } from "../../src/config/defaults.js";
import { assembleConfig } from "../../src/config/load.js";
import type { KoscheiConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/logger.js";
import { loadMessagingConfig, type MessagingConfig } from "../../src/messaging/config.js";
import { installOutbox } from "../../src/messaging/outbox.js";
import { BrokerError, publishOutbox } from "../../src/messaging/publisher.js";
import { OutboxRelay } from "../../src/messaging/service.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { listenOnTopic, type TopicListener } from "../support/amqp-listener.js";

const AMQP_URL = process.env.KOSCHEI_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672/%2F";
// Each run its own prefix, so that no other run's messages reach this test's queue.
const TOPIC_PREFIX = `org.koschei.test${process.pid}x${Date.now()}`;

const scratch = mkdtempSync(join(tmpdir(), "koschei-publisher-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function koscheiConfig(enabled: boolean): KoscheiConfig {
  const defaults = builtInDefaults({
    configDir: "/etc/koschei",
    dataDir: "/opt/koschei",
    cacheDir: join(scratch, "cache"),
    stateDir: join(scratch, "state"),
    version: "1.0",
  });
  return assembleConfig(defaults, [
    { source: "config.yaml", values: { "fedmsg-publisher": { enabled } } },
  ]);
}

/** The broker settings as an operator would give them: a fedora-messaging config.toml. */
function brokerSettings(url: string): MessagingConfig {
  const file = join(scratch, `broker-${Math.abs(hash(url))}.toml`);
  writeFileSync(file, `amqp_url = "${url}"\ntopic_prefix = "${TOPIC_PREFIX}"\n`);
  return loadMessagingConfig(koscheiConfig(true), { FEDORA_MESSAGING_CONF: file });
}

function hash(text: string): number {
  return [...text].reduce((sum, c) => (sum * 31 + c.charCodeAt(0)) | 0, 0);
}

let fresh: FreshDatabase;
let consumer: TopicListener;
let collectionId: number;
let packagesMade = 0;

before(async () => {
  fresh = await freshDatabase();
  consumer = await listenOnTopic(AMQP_URL, `${TOPIC_PREFIX}.koschei.#`);
  ({ id: collectionId } = await fresh.database.db
    .insertInto("collection")
    .values({
      name: "f25",
      display_name: "Fedora Rawhide",
      target: "f25",
      dest_tag: "f25",
      build_tag: "f25-build",
      latest_repo_id: 888027,
      latest_repo_resolved: true,
    })
    .returning("id")
    .executeTakeFirstOrThrow());
});
after(async () => {
  await consumer.close();
  await fresh.drop();
});

/** A tracked package in the given groups (`namespace/name` or `name`). */
async function makePackage(
  groups: string[] = [],
): Promise<BackendEvents["package_state_change"]["package"]> {
  const db = fresh.database.db;
  const name = `pkg${++packagesMade}`;
  const base = await db
    .insertInto("base_package")
    .values({ name })
    .returning("id")
    .executeTakeFirstOrThrow();
  const { id } = await db
    .insertInto("package")
    .values({ name, base_id: base.id, collection_id: collectionId, tracked: true })
    .returning("id")
    .executeTakeFirstOrThrow();
  for (const fullName of groups) {
    const [namespace, groupName] = fullName.includes("/") ? fullName.split("/") : [null, fullName];
    const group = await db
      .insertInto("package_group")
      .values({ namespace, name: groupName! })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db
      .insertInto("package_group_relation")
      .values({ group_id: group.id, base_id: base.id })
      .execute();
  }
  return { id, name, collection_id: collectionId };
}

/** What build-state.ts does: a change in a transaction that announces it. */
function changePackage(
  bus: EventBus,
  pkg: BackendEvents["package_state_change"]["package"],
  prevState: BackendEvents["package_state_change"]["prevState"],
  newState: BackendEvents["package_state_change"]["newState"],
  options: { rollBack?: boolean } = {},
): Promise<void> {
  return bus.transaction(fresh.database.db, async (trx, events) => {
    await trx
      .updateTable("package")
      .set({ resolved: newState !== "unresolved" })
      .where("id", "=", pkg.id)
      .execute();
    events.add("package_state_change", { package: pkg, prevState, newState });
    if (options.rollBack) throw new Error("rolled back");
  });
}

function enabledBus(): EventBus {
  const bus = new EventBus(silentLogger);
  installOutbox(bus, koscheiConfig(true));
  return bus;
}

const unpublishedCount = async () =>
  (
    await fresh.database.db
      .selectFrom("outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("published_at", "is", null)
      .executeTakeFirstOrThrow()
  ).n;

describe("publishing state changes through the outbox", { concurrency: false }, () => {
  it("sends a committed package state change with the contract's body, headers and routing key", async () => {
    const pkg = await makePackage(["c", "foo/xml"]);
    await changePackage(enabledBus(), pkg, "failing", "ok");

    assert.equal(await publishOutbox(fresh.database.db, brokerSettings(AMQP_URL)), 1);

    const [message] = await consumer.receive(1);
    assert.equal(message!.routingKey, `${TOPIC_PREFIX}.koschei.package.state.change`);
    assert.deepEqual(message!.body, {
      name: pkg.name,
      old: "failing",
      new: "ok",
      koji_instance: "primary",
      repo: "f25",
      collection: "f25",
      collection_name: "Fedora Rawhide",
      groups: ["c", "foo/xml"],
    });
    const { headers, contentType, contentEncoding, deliveryMode, messageId } = message!.properties;
    assert.deepEqual(
      { contentType, contentEncoding, deliveryMode },
      { contentType: "application/json", contentEncoding: "utf-8", deliveryMode: 2 },
    );
    assert.match(
      messageId as string,
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const { "sent-at": sentAt, ...fixedHeaders } = headers!;
    assert.match(sentAt as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    assert.deepEqual(fixedHeaders, {
      fedora_messaging_schema: "koschei.package.state.change",
      fedora_messaging_schema_package: "koschei_messages",
      fedora_messaging_severity: 20,
      priority: 0,
      [`fedora_messaging_rpm_${pkg.name}`]: true,
      fedora_messaging_group_c: true,
      "fedora_messaging_group_foo/xml": true,
    });
    assert.equal(await unpublishedCount(), 0);
  });

  it("sends a collection state change, repo_id as a string; the same state again is no message", async () => {
    const bus = enabledBus();
    const collection = { id: collectionId, name: "f25" };
    await bus.transaction(fresh.database.db, async (_trx, events) => {
      events.add("collection_state_change", {
        collection,
        repoId: 888027,
        prevState: "ok",
        newState: "ok",
      });
      events.add("collection_state_change", {
        collection,
        repoId: 888027,
        prevState: "unresolved",
        newState: "ok",
      });
    });
    const before = consumer.messages.length;

    assert.equal(await publishOutbox(fresh.database.db, brokerSettings(AMQP_URL)), 1);

    const message = (await consumer.receive(before + 1))[before]!;
    assert.equal(message.routingKey, `${TOPIC_PREFIX}.koschei.collection.state.change`);
    assert.deepEqual(message.body, {
      old: "unresolved",
      new: "ok",
      koji_instance: "primary",
      collection: "f25",
      collection_name: "Fedora Rawhide",
      repo_id: "888027",
    });
    assert.equal(
      message.properties.headers!.fedora_messaging_schema,
      "koschei.collection.state.change",
    );
    assert.equal(message.properties.headers!.fedora_messaging_severity, 20);
  });

  it("never sends a rolled-back change", async () => {
    const bus = enabledBus();
    const [rolledBack, committed] = [await makePackage(), await makePackage()];
    await assert.rejects(
      changePackage(bus, rolledBack, "ok", "failing", { rollBack: true }),
      /rolled back/,
    );
    await changePackage(bus, committed, "ok", "failing");
    const before = consumer.messages.length;

    assert.equal(await publishOutbox(fresh.database.db, brokerSettings(AMQP_URL)), 1);

    // One queue keeps the order: a message of the rolled-back change would have come first.
    const [message] = (await consumer.receive(before + 1)).slice(before);
    assert.equal((message!.body as { name: string }).name, committed.name);
  });

  it("writes nothing to the outbox when publishing is disabled", async () => {
    const bus = new EventBus(silentLogger);
    installOutbox(bus, koscheiConfig(false));
    const count = async () =>
      (
        await fresh.database.db
          .selectFrom("outbox")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n;
    const before = await count();

    await changePackage(bus, await makePackage(), "ok", "failing");

    assert.equal(await count(), before);
  });

  it("keeps messages while the broker is unreachable, then sends each once, in order", async () => {
    const bus = enabledBus();
    const pkg = await makePackage();
    const states = ["ok", "failing", "unresolved", "ok"] as const;
    for (let i = 1; i < states.length; i++)
      await changePackage(bus, pkg, states[i - 1]!, states[i]!);
    const closedPort = await unusedPort();

    await assert.rejects(
      publishOutbox(
        fresh.database.db,
        brokerSettings(`amqp://guest:guest@127.0.0.1:${closedPort}/%2F`),
      ),
      (error: Error) =>
        error instanceof BrokerError && error.message.includes(`127.0.0.1:${closedPort}`),
    );
    assert.equal(await unpublishedCount(), 3);

    const before = consumer.messages.length;
    assert.equal(await publishOutbox(fresh.database.db, brokerSettings(AMQP_URL)), 3);
    assert.equal(await unpublishedCount(), 0);
    assert.equal(await publishOutbox(fresh.database.db, brokerSettings(AMQP_URL)), 0);
    // A marker after them: once it is here, nothing sent before it is still on its way.
    const marker = await makePackage();
    await changePackage(bus, marker, "ignored", "ok");
    assert.equal(await publishOutbox(fresh.database.db, brokerSettings(AMQP_URL)), 1);

    const received = (await consumer.receive(before + 4)).slice(before);
    assert.deepEqual(
      received.map((message) => {
        const body = message.body as { name: string; old: string; new: string };
        return `${body.name} ${body.old}→${body.new}`;
      }),
      [
        `${pkg.name} ok→failing`,
        `${pkg.name} failing→unresolved`,
        `${pkg.name} unresolved→ok`,
        `${marker.name} ignored→ok`,
      ],
    );
  });
});

/** A port nothing listens on: one the system just handed out and that was closed again. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the publisher service's relay", () => {
  it("waits out an unreachable broker with back-off, keeping the messages", async () => {
    const logged: Record<string, unknown>[] = [];
    const log = pino(
      { level: "debug" },
      { write: (line: string) => logged.push(JSON.parse(line)) },
    );
    let clock = 1_000_000;
    const settings = brokerSettings(`amqp://guest:guest@127.0.0.1:${await unusedPort()}/%2F`);
    const relay = new OutboxRelay(settings, log, () => clock);
    await changePackage(enabledBus(), await makePackage(), "ok", "failing");
    const unpublished = await unpublishedCount();
    const attempts = () =>
      logged.map((record) => [record.msg, record.attempt, record.nextDelaySeconds]);

    await relay.runPass(fresh.database.db);
    clock += 4_999;
    await relay.runPass(fresh.database.db);
    assert.deepEqual(attempts(), [["broker unavailable, messages wait in the outbox", 1, 5]]);

    clock += 1;
    await relay.runPass(fresh.database.db);
    assert.deepEqual(attempts().at(-1), ["broker unavailable, messages wait in the outbox", 2, 10]);
    assert.equal(await unpublishedCount(), unpublished);
  });
});

describe("koschei backend publisher", () => {
  it("--once sends the outbox to the broker of the configured config.toml", async () => {
    const pkg = await makePackage();
    await changePackage(enabledBus(), pkg, "ok", "failing");
    const toml = brokerSettings(AMQP_URL).file!;
    const configDir = mkdtempSync(join(scratch, "etc-"));
    writeFileSync(
      join(configDir, "config-backend.yaml"),
      `amqp:\n  config_file: ${JSON.stringify(toml)}\nfedmsg-publisher:\n  enabled: true\n`,
    );
    const before = consumer.messages.length;
    // The earlier test's unreachable broker left a row behind; this run sends it too.
    const unpublished = await unpublishedCount();

    const result = spawnSync(
      process.execPath,
      [join(process.cwd(), "bin", "koschei"), "backend", "publisher", "--once"],
      {
        env: {
          ...process.env,
          KOSCHEI_CONFIG_DIR: configDir,
          KOSCHEI_DATABASE_URL: fresh.url,
          HOME: configDir,
          WATCHDOG_PATH: "",
        },
        encoding: "utf8",
      },
    );

    assert.equal(result.status, 0, result.stderr);
    assert.equal(await unpublishedCount(), 0);
    const received = (await consumer.receive(before + unpublished)).slice(before);
    assert.equal((received.at(-1)!.body as { name: string }).name, pkg.name);
  });
});
