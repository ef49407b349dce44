// The broker settings, read the way Fedora applications read them: from fedora-messaging's
// config.toml (contracts/fedora-messaging.md §1, §4), with Koschei's `amqp.*` keys as
// overrides. Only the keys Koschei uses are read; the others are left to fedora-messaging.
import { readFileSync } from "node:fs";
import { parse, TomlError } from "smol-toml";
import { AMQP_DEFAULTS } from "../config/defaults.js";
import { ConfigError, type AmqpConfig, type KoscheiConfig } from "../config/index.js";

export interface MessagingQueue {
  /** "" lets the broker name a transient queue. */
  name: string;
  durable: boolean;
  autoDelete: boolean;
  exclusive: boolean;
}

export interface MessagingBinding {
  queue: string;
  exchange: string;
  routingKeys: string[];
}

/** Paths of the TLS client certificate, its key and the CA bundle (amqps). */
export interface MessagingTls {
  caCert: string | null;
  certFile: string | null;
  keyFile: string | null;
}

export interface MessagingConfig {
  /** The config.toml read, or null when none is configured. */
  file: string | null;
  url: string;
  tls: MessagingTls;
  /** Where messages are published. */
  exchange: string;
  /** Prepended (with a dot) to the topic of every published message. */
  topicPrefix: string;
  /** The queue the watcher consumes from. */
  queue: MessagingQueue;
  bindings: MessagingBinding[];
  /** `[qos] prefetch_count`: deliveries the broker sends before waiting for their acks. */
  prefetchCount: number;
}

/** fedora-messaging's default `[qos] prefetch_count`. */
export const DEFAULT_PREFETCH_COUNT = 10;

/** The config.toml named by `amqp.config_file`, else by $FEDORA_MESSAGING_CONF, else none. */
export function messagingConfigFile(
  config: KoscheiConfig,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  return config.amqp.config_file ?? (env.FEDORA_MESSAGING_CONF || null);
}

/** Reads the broker settings: config.toml first, then `amqp.*` keys that differ from their default. */
export function loadMessagingConfig(
  config: KoscheiConfig,
  env: NodeJS.ProcessEnv = process.env,
): MessagingConfig {
  const file = messagingConfigFile(config, env);
  const fromFile = file === null ? null : readToml(file);
  // Koschei's config does not record which file set a key, so a key left at its built-in
  // default counts as not set and the config.toml decides.
  const override = <K extends keyof AmqpConfig>(key: K): AmqpConfig[K] | undefined =>
    config.amqp[key] !== AMQP_DEFAULTS[key] ? config.amqp[key] : undefined;
  const queue = fromFile?.queue ?? {
    name: config.amqp.queue,
    durable: true,
    autoDelete: false,
    exclusive: false,
  };
  const queueName = override("queue") ?? queue.name;
  return {
    file,
    url: override("url") ?? fromFile?.url ?? config.amqp.url,
    tls: fromFile?.tls ?? { caCert: null, certFile: null, keyFile: null },
    exchange: override("exchange") ?? fromFile?.exchange ?? config.amqp.exchange,
    topicPrefix: override("topic_prefix") ?? fromFile?.topicPrefix ?? config.amqp.topic_prefix,
    queue: { ...queue, name: queueName },
    // A renamed queue keeps the bindings the config.toml gave it.
    bindings: (fromFile?.bindings ?? []).map((binding) =>
      binding.queue === queue.name ? { ...binding, queue: queueName } : binding,
    ),
    prefetchCount: fromFile?.prefetchCount ?? DEFAULT_PREFETCH_COUNT,
  };
}

type FileSettings = Omit<
  MessagingConfig,
  "file" | "url" | "exchange" | "topicPrefix" | "queue" | "prefetchCount"
> & {
  prefetchCount: number | undefined;
  url: string | undefined;
  exchange: string | undefined;
  topicPrefix: string | undefined;
  queue: MessagingQueue | undefined;
};

function readToml(file: string): FileSettings {
  let document: Record<string, unknown>;
  try {
    document = parse(readFileSync(file, "utf8"));
  } catch (error) {
    const detail =
      error instanceof TomlError
        ? `line ${error.line}, column ${error.column}: ${error.message.split("\n")[0]}`
        : (error as Error).message;
    throw new ConfigError(`${file}: not a readable TOML file: ${detail}`);
  }
  const read = new TomlReader(file);
  const tls = read.table(document, "tls");
  const qos = read.table(document, "qos");
  const queues = read.table(document, "queues");
  const [queueName] = Object.keys(queues);
  const queueTable = queueName === undefined ? undefined : read.table(queues, queueName, "queues");
  return {
    url: read.optional(document, "amqp_url", "string"),
    exchange: read.optional(document, "publish_exchange", "string"),
    topicPrefix: read.optional(document, "topic_prefix", "string"),
    tls: {
      caCert: read.optional(tls, "ca_cert", "string", "tls") ?? null,
      certFile: read.optional(tls, "certfile", "string", "tls") ?? null,
      keyFile: read.optional(tls, "keyfile", "string", "tls") ?? null,
    },
    // fedora-messaging's defaults for a queue table's missing keys.
    queue:
      queueName === undefined || queueTable === undefined
        ? undefined
        : {
            name: queueName,
            durable:
              read.optional(queueTable, "durable", "boolean", `queues.${queueName}`) ?? false,
            autoDelete:
              read.optional(queueTable, "auto_delete", "boolean", `queues.${queueName}`) ?? true,
            exclusive:
              read.optional(queueTable, "exclusive", "boolean", `queues.${queueName}`) ?? false,
          },
    prefetchCount: read.optional(qos, "prefetch_count", "count", "qos"),
    bindings: read.tableList(document, "bindings").map((binding, index) => {
      const at = `bindings[${index}]`;
      const routingKeys = read.optional(binding, "routing_keys", "string-list", at);
      return {
        queue: read.required(binding, "queue", "string", at),
        exchange: read.required(binding, "exchange", "string", at),
        routingKeys: routingKeys ?? [],
      };
    }),
  };
}

interface TomlKinds {
  string: string;
  /** A whole number ≥ 1. */
  count: number;
  boolean: boolean;
  "string-list": string[];
}

const KIND_NAMES: Record<keyof TomlKinds, string> = {
  string: "a string",
  count: "a whole number of at least 1",
  boolean: "a boolean",
  "string-list": "a list of strings",
};

/** Typed access to a parsed config.toml; a wrong type is a ConfigError naming file and key. */
class TomlReader {
  constructor(private readonly file: string) {}

  optional<K extends keyof TomlKinds>(
    table: Record<string, unknown>,
    key: string,
    kind: K,
    at?: string,
  ): TomlKinds[K] | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    const fits =
      kind === "string-list"
        ? Array.isArray(value) && value.every((item) => typeof item === "string")
        : kind === "count"
          ? Number.isInteger(value) && (value as number) >= 1
          : typeof value === kind;
    if (!fits) this.fail(key, at, KIND_NAMES[kind]);
    return value as TomlKinds[K];
  }

  required<K extends keyof TomlKinds>(
    table: Record<string, unknown>,
    key: string,
    kind: K,
    at: string,
  ): TomlKinds[K] {
    const value = this.optional(table, key, kind, at);
    if (value === undefined) this.fail(key, at, `${KIND_NAMES[kind]} (it is required)`);
    return value;
  }

  table(parent: Record<string, unknown>, key: string, at?: string): Record<string, unknown> {
    const value = parent[key];
    if (value === undefined) return {};
    if (!isTable(value)) this.fail(key, at, "a table");
    return value;
  }

  tableList(parent: Record<string, unknown>, key: string): Record<string, unknown>[] {
    const value = parent[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every(isTable))
      this.fail(key, undefined, "an array of tables");
    return value;
  }

  private fail(key: string, at: string | undefined, expected: string): never {
    throw new ConfigError(`${this.file}: ${at ? `${at}.` : ""}${key}: expected ${expected}`);
  }
}

function isTable(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}
