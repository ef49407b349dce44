import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { builtInDefaults } from "../../src/config/defaults.js";
import { assembleConfig } from "../../src/config/load.js";
import { ConfigError, type KoscheiConfig } from "../../src/config/index.js";
import { loadMessagingConfig } from "../../src/messaging/config.js";

const scratch = mkdtempSync(join(tmpdir(), "koschei-messaging-config-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let fileCount = 0;

function tomlFile(text: string): string {
  const path = join(scratch, `config${++fileCount}.toml`);
  writeFileSync(path, text);
  return path;
}

function koscheiConfig(amqp: Record<string, unknown> = {}): KoscheiConfig {
  const defaults = builtInDefaults({
    configDir: "/etc/koschei",
    dataDir: "/opt/koschei",
    cacheDir: join(scratch, "cache"),
    stateDir: join(scratch, "state"),
    version: "1.0",
  });
  return assembleConfig(defaults, [{ source: "config.yaml", values: { amqp } }]);
}

// Shaped like Fedora's own configs/fedora.toml, with a publishing prefix.
const FEDORA_TOML = `
amqp_url = "amqps://koschei@rabbitmq.fedoraproject.org/%2Fpubsub"
topic_prefix = "org.fedoraproject.prod"
publish_exchange = "amq.topic"
passive_declares = true

[tls]
ca_cert = "/etc/fedora-messaging/cacert.pem"
keyfile = "/etc/fedora-messaging/koschei-key.pem"
certfile = "/etc/fedora-messaging/koschei-cert.pem"

[client_properties]
app = "Koschei"

[exchanges."amq.topic"]
type = "topic"
durable = true

[queues.00000000-0000-0000-0000-000000000001]
durable = true
auto_delete = false
exclusive = false
arguments = {}

[[bindings]]
queue = "00000000-0000-0000-0000-000000000001"
exchange = "amq.topic"
routing_keys = ["org.fedoraproject.prod.buildsys.task.state.change", "org.fedoraproject.prod.buildsys.tag"]

[qos]
prefetch_size = 0
prefetch_count = 25
`;

describe("messaging configuration", () => {
  it("reads broker, TLS, exchange, queue, bindings and prefix from $FEDORA_MESSAGING_CONF", () => {
    const file = tomlFile(FEDORA_TOML);
    const config = loadMessagingConfig(koscheiConfig(), { FEDORA_MESSAGING_CONF: file });
    assert.deepEqual(config, {
      file,
      url: "amqps://koschei@rabbitmq.fedoraproject.org/%2Fpubsub",
      tls: {
        caCert: "/etc/fedora-messaging/cacert.pem",
        certFile: "/etc/fedora-messaging/koschei-cert.pem",
        keyFile: "/etc/fedora-messaging/koschei-key.pem",
      },
      exchange: "amq.topic",
      topicPrefix: "org.fedoraproject.prod",
      queue: {
        name: "00000000-0000-0000-0000-000000000001",
        durable: true,
        autoDelete: false,
        exclusive: false,
      },
      bindings: [
        {
          queue: "00000000-0000-0000-0000-000000000001",
          exchange: "amq.topic",
          routingKeys: [
            "org.fedoraproject.prod.buildsys.task.state.change",
            "org.fedoraproject.prod.buildsys.tag",
          ],
        },
      ],
      prefetchCount: 25,
    });
  });

  it("prefers amqp.config_file to the environment, and amqp.* keys set in YAML to the file", () => {
    const file = tomlFile(FEDORA_TOML);
    const config = loadMessagingConfig(
      koscheiConfig({
        config_file: file,
        url: "amqp://guest:guest@127.0.0.1:5672/%2F",
        topic_prefix: "org.fedoraproject.stg",
        queue: "koschei-stg",
      }),
      { FEDORA_MESSAGING_CONF: join(scratch, "absent.toml") },
    );
    assert.equal(config.file, file);
    assert.equal(config.url, "amqp://guest:guest@127.0.0.1:5672/%2F");
    assert.equal(config.topicPrefix, "org.fedoraproject.stg");
    assert.equal(config.exchange, "amq.topic");
    assert.equal(config.queue.name, "koschei-stg");
    assert.equal(config.queue.durable, true);
    assert.deepEqual(
      config.bindings.map((binding) => binding.queue),
      ["koschei-stg"],
    );
  });

  it("uses fedora-messaging's defaults for what a queue table leaves out", () => {
    const file = tomlFile(`[queues.koschei]\n`);
    const config = loadMessagingConfig(koscheiConfig({ config_file: file }), {});
    assert.deepEqual(config.queue, {
      name: "koschei",
      durable: false,
      autoDelete: true,
      exclusive: false,
    });
    assert.equal(config.url, "amqp://guest:guest@localhost:5672/%2F");
    assert.equal(config.topicPrefix, "org.fedoraproject.prod");
    assert.equal(config.prefetchCount, 10);
  });

  it("without a config.toml, takes everything from the amqp.* keys", () => {
    const config = loadMessagingConfig(koscheiConfig({ topic_prefix: "" }), {});
    assert.equal(config.file, null);
    assert.equal(config.url, "amqp://guest:guest@localhost:5672/%2F");
    assert.equal(config.topicPrefix, "");
    assert.equal(config.queue.name, "koschei");
    assert.deepEqual(config.tls, { caCert: null, certFile: null, keyFile: null });
    assert.deepEqual(config.bindings, []);
  });

  it("refuses bad TOML with one error naming the file and the line", () => {
    const file = tomlFile(`amqp_url = "amqp://"\ntopic_prefix = [\n`);
    assert.throws(
      () => loadMessagingConfig(koscheiConfig({ config_file: file }), {}),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message.startsWith(`${file}: not a readable TOML file: line `),
    );
  });

  it("refuses a missing file, naming it", () => {
    const file = join(scratch, "missing.toml");
    assert.throws(
      () => loadMessagingConfig(koscheiConfig(), { FEDORA_MESSAGING_CONF: file }),
      (error: Error) => error instanceof ConfigError && error.message.includes(`${file}:`),
    );
  });

  const wrongTypes: [toml: string, key: string, expected: string][] = [
    [`amqp_url = 5672`, "amqp_url", "a string"],
    [`[tls]\ncertfile = true`, "tls.certfile", "a string"],
    [`tls = "none"`, "tls", "a table"],
    [`[queues.q]\ndurable = "yes"`, "queues.q.durable", "a boolean"],
    [
      `[[bindings]]\nqueue = "q"\nexchange = "amq.topic"\nrouting_keys = "#"`,
      "bindings[0].routing_keys",
      "a list of strings",
    ],
    [`[[bindings]]\nexchange = "amq.topic"`, "bindings[0].queue", "a string (it is required)"],
    [`[qos]\nprefetch_count = 0`, "qos.prefetch_count", "a whole number of at least 1"],
    [`[qos]\nprefetch_count = 2.5`, "qos.prefetch_count", "a whole number of at least 1"],
  ];
  for (const [text, key, expected] of wrongTypes) {
    it(`refuses ${key} that is not ${expected}`, () => {
      const file = tomlFile(text);
      assert.throws(
        () => loadMessagingConfig(koscheiConfig({ config_file: file }), {}),
        new ConfigError(`${file}: ${key}: expected ${expected}`),
      );
    });
  }
});
