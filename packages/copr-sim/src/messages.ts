// Copr's `copr.build.end` message (copr_messaging.schema.BuildChrootEndedV1, one per build
// chroot, sent by the backend when a chroot's build ends), published to RabbitMQ's amq.topic in
// fedora-messaging's wire format: JSON body as Python's json.dumps writes it, the
// fedora_messaging_* headers, persistent delivery and a UUID message id.
import { randomUUID } from "node:crypto";
import amqp from "amqplib";
import { BUILD_STATUS_NUMBERS, type BuildRecord } from "./state.js";

/** fedora-messaging's topic_prefix for Fedora's production bus + the message's topic. */
export const DEFAULT_BUILD_END_TOPIC = "org.fedoraproject.prod.copr.build.end";
const SCHEMA = "copr.build.end";
const SCHEMA_PACKAGE = "copr_messaging";
const SEVERITY_INFO = 20;

/** The body of copr.build.end (backend msgbus.message_from_worker_job, style v1). */
export interface BuildEndBody {
  user: string | null;
  copr: string;
  owner: string;
  pkg: string | null;
  build: number;
  chroot: string;
  version: string | null;
  status: number;
  ip: string | null;
  who: string;
  pid: number;
  what: string;
}

export interface CoprMessage {
  /** The AMQP routing key (fedora-messaging's prefixed topic). */
  topic: string;
  body: BuildEndBody;
  headers: Record<string, string | number | boolean>;
  messageId: string;
}

/** One copr.build.end message per chroot of the build, with its current state. */
export function buildEndMessages(build: BuildRecord, topic: string, now: Date): CoprMessage[] {
  return build.chroots.map((chroot) => {
    const body: Omit<BuildEndBody, "what"> = {
      user: build.submitter,
      copr: build.projectname,
      owner: build.ownername,
      pkg: build.packageName,
      build: build.id,
      chroot,
      version: build.packageVersion,
      status: BUILD_STATUS_NUMBERS[build.state],
      ip: "127.0.0.1",
      who: "backend.worker-copr-sim",
      pid: process.pid,
    };
    const what =
      `build end: user:${body.user} copr:${body.copr} build:${body.build} pkg:${body.pkg} ` +
      `version:${body.version} ip:${body.ip} pid:${body.pid} status:${body.status}`;
    const headers: Record<string, string | number | boolean> = {
      fedora_messaging_schema: SCHEMA,
      fedora_messaging_schema_package: SCHEMA_PACKAGE,
      fedora_messaging_severity: SEVERITY_INFO,
      "sent-at": now.toISOString().slice(0, 19) + "+00:00",
      priority: 0,
    };
    // BuildChrootEndedV1.usernames: submitter and owner, without groups or namespaced names.
    const usernames = new Set(
      [build.submitter, build.ownername].filter((u) => !u.startsWith("@") && !u.includes(":")),
    );
    for (const user of [...usernames].sort()) headers[`fedora_messaging_user_${user}`] = true;
    return { topic, body: { ...body, what }, headers, messageId: randomUUID() };
  });
}

/** Python's json.dumps with its defaults: ", " and ": " separators, non-ASCII as \uXXXX. */
export function pythonJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    const text = JSON.stringify(value) ?? "null";
    return text.replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  }
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  const members = Object.entries(value)
    .filter(([, member]) => member !== undefined)
    .map(([key, member]) => `${pythonJson(key)}: ${pythonJson(member)}`);
  return `{${members.join(", ")}}`;
}

/** Publishes messages to amq.topic on a confirm channel, in order. */
export class MessagePublisher {
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly connection: amqp.ChannelModel,
    private readonly channel: amqp.ConfirmChannel,
    private readonly onError: (error: Error) => void,
  ) {}

  static async start(amqpUrl: string, onError: (error: Error) => void): Promise<MessagePublisher> {
    const connection = await amqp.connect(amqpUrl);
    connection.on("error", onError);
    try {
      const channel = await connection.createConfirmChannel();
      channel.on("error", onError);
      await channel.checkExchange("amq.topic");
      return new MessagePublisher(connection, channel, onError);
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  publish(message: CoprMessage): void {
    const content = Buffer.from(pythonJson(message.body), "utf8");
    const properties = {
      contentType: "application/json",
      contentEncoding: "utf-8",
      deliveryMode: 2,
      messageId: message.messageId,
      headers: message.headers,
    };
    this.chain = this.chain.then(
      () =>
        new Promise<void>((resolve) => {
          try {
            this.channel.publish("amq.topic", message.topic, content, properties, (error) => {
              if (error) this.onError(error instanceof Error ? error : new Error(String(error)));
              resolve();
            });
          } catch (error) {
            this.onError(error as Error);
            resolve();
          }
        }),
    );
  }

  /** Resolves once every message published so far is confirmed (or failed). */
  flush(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}
