// The outbox end to end: polling (a service that produces state changes) records finished
// builds while the broker is cut off from the publisher service (a TCP proxy in front of
// RabbitMQ); once the broker is back, a consumer written with plain amqplib from the contract
// (contracts/fedora-messaging.md §2, §7.1; none of the project's code) receives every
// koschei.package.state.change, in commit order, once each, with the contract's frame.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import amqp from "amqplib";
import { publisherService } from "../../src/messaging/service.js";
import { installOutbox } from "../../src/messaging/outbox.js";
import { FAILED, waitFor } from "../e2e/loop-world.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { AMQP_URL, WatcherWorld } from "./watcher-world.js";

const BUILD_SECONDS = 2000;

interface Frame {
  routingKey: string;
  raw: string;
  properties: amqp.MessageProperties;
}

/** Binds a fresh exclusive queue to amq.topic for `<prefix>.koschei.#` and acknowledges all. */
async function contractConsumer(prefix: string) {
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue("", { exclusive: true });
  await channel.bindQueue(queue, "amq.topic", `${prefix}.koschei.#`);
  const frames: Frame[] = [];
  await channel.consume(queue, (message) => {
    if (!message) return;
    frames.push({
      routingKey: message.fields.routingKey,
      raw: message.content.toString("utf8"),
      properties: message.properties,
    });
    channel.ack(message);
  });
  return { frames, close: () => connection.close() };
}

let proxy: TcpProxy | undefined;
let world: WatcherWorld | undefined;
let consumer: Awaited<ReturnType<typeof contractConsumer>> | undefined;
after(async () => {
  await consumer?.close();
  await world?.close();
  await proxy?.close();
});

test("state changes made while the broker is away arrive after it returns, in order, once each", async () => {
  proxy = await startTcpProxy("127.0.0.1", Number(new URL(AMQP_URL).port || 5672));
  world = await WatcherWorld.start({
    brokerUrl: `amqp://guest:guest@127.0.0.1:${proxy.port}/%2F`,
    publish: true,
  });
  const w = world;
  installOutbox(w.world.events, w.world.config);
  const ids = await w.setUpCollection();
  consumer = await contractConsumer(w.prefix);
  const failAlpha = () =>
    w.db.updateTable("build").set({ state: FAILED }).where("package_id", "=", ids.alpha!).execute();
  const unpublished = async () =>
    (
      await w.db
        .selectFrom("outbox")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("published_at", "is", null)
        .executeTakeFirstOrThrow()
    ).n;

  proxy.cut();
  w.run([publisherService]);
  // Round 1: alpha (failing until now) builds, broken fails; polling records both.
  await failAlpha();
  await w.startBuild("alpha");
  await w.startBuild("broken");
  await w.advance(BUILD_SECONDS);
  await w.world.poll();
  // Round 2: alpha failing again, and fixed again by its next build.
  await failAlpha();
  await w.startBuild("alpha");
  await w.advance(BUILD_SECONDS);
  await w.world.poll();
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(consumer.frames.length, 0);
  assert.equal(await unpublished(), 3);

  proxy.restore();
  const frames = consumer.frames;
  await waitFor(
    "three messages",
    async () => frames.length >= 3 && (await unpublished()) === 0,
    30_000,
  );
  // Nothing more comes: each message once.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(frames.length, 3);

  const bodies = frames.map((frame) => JSON.parse(frame.raw) as Record<string, unknown>);
  assert.deepEqual(
    bodies.map((body) => `${String(body.name)} ${String(body.old)}→${String(body.new)}`),
    ["alpha failing→ok", "broken ok→failing", "alpha failing→ok"],
  );
  const outbox = await w.db.selectFrom("outbox").select(["message_id"]).orderBy("id").execute();
  assert.deepEqual(
    frames.map((frame) => frame.properties.messageId),
    outbox.map((row) => row.message_id),
  );
  for (const [index, frame] of frames.entries()) {
    const body = bodies[index]!;
    const name = String(body.name);
    // §1: the routing key is the topic under the configured prefix.
    assert.equal(frame.routingKey, `${w.prefix}.koschei.package.state.change`);
    // §2: the properties.
    const { contentType, contentEncoding, deliveryMode, messageId, headers } = frame.properties;
    assert.equal(contentType, "application/json");
    assert.equal(contentEncoding, "utf-8");
    assert.equal(deliveryMode, 2);
    assert.match(
      String(messageId),
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const { "sent-at": sentAt, ...fixed } = headers!;
    assert.match(String(sentAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    assert.deepEqual(fixed, {
      fedora_messaging_schema: "koschei.package.state.change",
      fedora_messaging_schema_package: "koschei_messages",
      fedora_messaging_severity: 20,
      priority: 0,
      [`fedora_messaging_rpm_${name}`]: true,
    });
    // §7.1: the body.
    assert.deepEqual(body, {
      name,
      old: body.old,
      new: body.new,
      koji_instance: "primary",
      repo: "f30",
      collection: "f30",
      collection_name: "Fedora 30",
      groups: [],
    });
    // Python's separators (", " and ": "); the key order is PostgreSQL's (jsonb), which JSON
    // objects leave free.
    assert.doesNotMatch(frame.raw, /(",|":)\S/, frame.raw);
  }
});
