// The simulator's buildsys.* messages arrive on a real RabbitMQ queue bound to amq.topic, with
// fedora-messaging's properties, headers and the koji-fedoramessaging bodies.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { APP_SRC, TestSession, control, distScenario } from "./hub-fixture.js";
import { listenOnTopic, type HeardMessage, type TopicListener } from "../support/amqp-listener.js";

const AMQP_URL = process.env.KOSCHEI_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672/%2F";
// A prefix of our own, so parallel test runs do not see each other's messages.
const PREFIX = `org.koschei-test-${randomUUID().slice(0, 8)}`;

let sim: Simulator;
let listener: TopicListener;

before(async () => {
  listener = await listenOnTopic(AMQP_URL, `${PREFIX}.buildsys.#`);
  sim = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: distScenario(),
    plainLoginUser: "koschei",
    amqpUrl: AMQP_URL,
    topicPrefix: PREFIX,
  });
});

after(async () => {
  await sim.close();
  await listener.close();
});

/** Waits until `count` messages with the topic arrived (the broker delivers asynchronously). */
async function messages(topic: string, count: number): Promise<HeardMessage[]> {
  await sim.publisher!.flush();
  const matching = () => listener.messages.filter((m) => m.routingKey === `${PREFIX}.${topic}`);
  for (let waited = 0; matching().length < count && waited < 10_000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return matching();
}

test("a scratch build's state changes are published as buildsys.task.state.change", async () => {
  const koji = await TestSession.open(sim.hubUrl);
  const id = await koji.value<number>("build", [APP_SRC, "dist", { scratch: true }], {
    priority: 30,
  });
  await control(sim.url, "/advance", { seconds: 3600 });
  const states = (await messages("buildsys.task.state.change", 3)).filter((m) => m.body.id === id);
  assert.deepEqual(
    states.map((m) => [m.body.old, m.body.new]),
    [
      ["FREE", "ASSIGNED"],
      ["ASSIGNED", "OPEN"],
      ["OPEN", "CLOSED"],
    ],
  );
  const closed = states[2]!;
  assert.equal(closed.properties.contentType, "application/json");
  assert.equal(closed.properties.contentEncoding, "utf-8");
  assert.equal(closed.properties.deliveryMode, 2);
  assert.match(closed.properties.messageId as string, /^[0-9a-f-]{36}$/);
  const headers = closed.properties.headers!;
  assert.equal(headers.fedora_messaging_schema, "koji_fedoramessaging.task.TaskStateChangeV1");
  assert.equal(headers.fedora_messaging_severity, 20);
  assert.equal(headers.fedora_messaging_user_koschei, true);
  assert.match(headers["sent-at"] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);

  const body = closed.body;
  assert.deepEqual(
    {
      id: body.id,
      method: body.method,
      attribute: body.attribute,
      srpm: body.srpm,
      owner: body.owner,
      instance: body.instance,
      base_url: body.base_url,
      files_base_url: body.files_base_url,
    },
    {
      id,
      method: "build",
      attribute: "state",
      srpm: "app-1.0-1.src.rpm",
      owner: "koschei",
      instance: "primary",
      base_url: sim.url,
      files_base_url: `${sim.topurl}/work`,
    },
  );
  const info = body.info as Record<string, unknown>;
  assert.equal(info.state, 2);
  assert.equal(info.owner, "koschei");
  assert.equal(info.url, `${sim.url}/koji/taskinfo?taskID=${id}`);
  assert.equal(typeof info.create_time, "number");
  assert.equal(typeof info.host_name, "string");
  assert.deepEqual(info.request, [APP_SRC, "dist", { scratch: true }]);
  for (const scrubbed of ["weight", "create_ts", "start_ts", "completion_ts"])
    assert.ok(!(scrubbed in info));
  const children = info.children as Record<string, unknown>[];
  assert.deepEqual(children.map((c) => c.method).sort(), ["buildArch", "rebuildSRPM"]);
});

test("tagging and repo regeneration are published as buildsys.tag and buildsys.repo.init/done", async () => {
  const tagged = await control(sim.url, "/tag-build", {
    tag: "dist",
    build: { name: "libfoo", version: "2.0", release: "1", owner: "alice" },
  });
  assert.equal(tagged.status, 200);
  const regen = await control(sim.url, "/regen-repo", { tag: "dist-build" });

  const [tag] = (await messages("buildsys.tag", 1)).filter(
    (m) => m.body.build_id === tagged.body.build_id,
  );
  assert.ok(tag, "tag message");
  assert.equal(tag.properties.priority, 2);
  assert.equal(tag.properties.headers!.fedora_messaging_schema, "koji_fedoramessaging.tag.TagV1");
  assert.equal(tag.properties.headers!.fedora_messaging_rpm_libfoo, true);
  assert.equal(tag.properties.headers!.fedora_messaging_user_alice, true);
  assert.deepEqual(
    { ...tag.body, tag_id: undefined },
    {
      tag: "dist",
      tag_id: undefined,
      build_id: tagged.body.build_id,
      name: "libfoo",
      version: "2.0",
      release: "1",
      user: "alice",
      owner: "alice",
      instance: "primary",
      base_url: sim.url,
    },
  );

  for (const topic of ["buildsys.repo.init", "buildsys.repo.done"]) {
    const found = (await messages(topic, 1)).find((m) => m.body.repo_id === regen.body.repo_id);
    assert.ok(found, topic);
    assert.equal(found.body.tag, "dist-build");
    assert.equal(found.properties.headers!.fedora_messaging_severity, 10);
  }
});
