// fedora-messaging's wire format (contracts/fedora-messaging.md): the AMQP envelope every
// message travels in, and the bodies of the topics Koschei reads (Koji's buildsys.*) and
// publishes (koschei.*). Publishers and consumers on both sides of the wire share these.
import { randomUUID } from "node:crypto";

/** fedora-messaging severities (header fedora_messaging_severity). */
export const Severity = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 } as const;

/** One message as a fedora-messaging publisher hands it over, before the topic prefix. */
export interface FedoraMessage {
  topic: string;
  body: object;
  /** Entry-point name of the schema class (header fedora_messaging_schema). */
  schema: string;
  /** Normalised distribution name of the schema package. */
  schemaPackage: string;
  severity: number;
  /** AMQP priority; absent means none (RabbitMQ treats it as 0). */
  priority?: number;
  usernames?: string[];
  packages?: string[];
  groups?: string[];
}

/** The AMQP properties fedora-messaging sets, in amqplib's option names. */
export interface AmqpPublishProperties {
  contentType: "application/json";
  contentEncoding: "utf-8";
  deliveryMode: 2;
  messageId: string;
  headers: Record<string, string | number | boolean>;
  priority?: number;
}

export interface AmqpEnvelope {
  routingKey: string;
  content: Buffer;
  properties: AmqpPublishProperties;
}

/** "2019-07-30T19:12:22+00:00": fedora-messaging's sent-at (UTC, no fraction). */
export function sentAt(date: Date): string {
  return date.toISOString().slice(0, 19) + "+00:00";
}

/** `topic_prefix.rstrip('.') + '.' + topic`, as fedora-messaging's publish does. */
export function routingKey(topicPrefix: string, topic: string): string {
  const prefix = topicPrefix.replace(/\.+$/, "");
  return prefix ? `${prefix}.${topic}` : topic;
}

/**
 * Python's json.dumps with its defaults, as fedora-messaging encodes bodies: `", "` and
 * `": "` separators, non-ASCII escaped as \uXXXX. Values JSON cannot hold (undefined,
 * functions) are dropped from objects and become null in arrays, as JSON.stringify does.
 */
export function pythonJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    const text = JSON.stringify(value) ?? "null";
    return text.replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  }
  if ("toJSON" in value && typeof value.toJSON === "function") return pythonJson(value.toJSON());
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  const members = Object.entries(value)
    .filter(([, member]) => member !== undefined && typeof member !== "function")
    .map(([key, member]) => `${pythonJson(key)}: ${pythonJson(member)}`);
  return `{${members.join(", ")}}`;
}

/** The routing key, body bytes and properties of a message, as fedora-messaging sends it. */
export function amqpEnvelope(
  message: FedoraMessage,
  topicPrefix: string,
  now: Date,
  messageId: string = randomUUID(),
): AmqpEnvelope {
  const headers: Record<string, string | number | boolean> = {
    fedora_messaging_schema: message.schema,
    fedora_messaging_schema_package: message.schemaPackage,
    fedora_messaging_severity: message.severity,
    "sent-at": sentAt(now),
    priority: message.priority ?? 0,
  };
  for (const user of message.usernames ?? []) headers[`fedora_messaging_user_${user}`] = true;
  for (const group of message.groups ?? []) headers[`fedora_messaging_group_${group}`] = true;
  for (const name of message.packages ?? []) headers[`fedora_messaging_rpm_${name}`] = true;
  return {
    routingKey: routingKey(topicPrefix, message.topic),
    content: Buffer.from(pythonJson(message.body), "utf8"),
    properties: {
      contentType: "application/json",
      contentEncoding: "utf-8",
      deliveryMode: 2,
      messageId,
      headers,
      ...(message.priority !== undefined ? { priority: message.priority } : {}),
    },
  };
}

// ---- Koji's messages (the koji-fedoramessaging hub plugin) ----

export const KOJI_SCHEMA_PACKAGE = "koji_fedoramessaging_messages";

export const KojiTopic = {
  taskStateChange: "buildsys.task.state.change",
  tag: "buildsys.tag",
  untag: "buildsys.untag",
  repoInit: "buildsys.repo.init",
  repoDone: "buildsys.repo.done",
  buildStateChange: "buildsys.build.state.change",
} as const;

export const KojiSchema = {
  taskStateChange: "koji_fedoramessaging.task.TaskStateChangeV1",
  tag: "koji_fedoramessaging.tag.TagV1",
  untag: "koji_fedoramessaging.tag.UntagV1",
  repoInit: "koji_fedoramessaging.repo.InitV1",
  repoDone: "koji_fedoramessaging.repo.DoneV1",
  buildStateChange: "koji_fedoramessaging.build.BuildStateChangeV1",
} as const;

/** Fields every Koji message body carries. */
export interface KojiMessageCommon {
  instance: string;
  base_url: string;
}

/** getTaskInfo(request=True) as the plugin sends it: epoch-second times, names, children. */
export interface KojiMessageTaskInfo {
  id: number;
  state: number;
  create_time: number | null;
  start_time: number | null;
  completion_time: number | null;
  channel_id: number | null;
  host_id: number | null;
  host_name: string | null;
  parent: number | null;
  label: string | null;
  waiting: boolean | null;
  awaited: boolean | null;
  owner: string;
  method: string;
  arch: string;
  priority: number;
  request: unknown[];
  result: unknown;
  url: string;
  children: KojiMessageTaskInfo[];
}

/** buildsys.task.state.change: top-level scratch-build tasks only, state names. */
export interface TaskStateChangeBody extends KojiMessageCommon {
  id: number;
  info: KojiMessageTaskInfo;
  method: string;
  attribute: "state";
  old: string | null;
  new: string;
  srpm: string;
  owner: string | null;
  files_base_url: string;
}

/** buildsys.tag and buildsys.untag. */
export interface TagBody extends KojiMessageCommon {
  tag: string;
  tag_id: number;
  build_id: number;
  name: string;
  version: string;
  release: string;
  user: string;
  owner: string;
}

/** buildsys.repo.init and buildsys.repo.done. */
export interface RepoBody extends KojiMessageCommon {
  tag: string;
  tag_id: number;
  repo_id: number;
}

// ---- Koschei's messages (koschei-messages 1.0.1 schemas) ----

export const KOSCHEI_SCHEMA_PACKAGE = "koschei_messages";

export const KoscheiTopic = {
  packageStateChange: "koschei.package.state.change",
  collectionStateChange: "koschei.collection.state.change",
} as const;

/** koschei.package.state.change; the schema name equals the topic. */
export interface PackageStateChangeBody {
  name: string;
  old: "ok" | "failing" | "unresolved" | "ignored";
  new: "ok" | "failing" | "unresolved" | "ignored";
  koji_instance: string;
  collection: string;
  collection_name: string;
  /** Compatibility alias of `collection`. */
  repo: string;
  /** Group full names, "name" or "namespace/name". */
  groups: string[];
}

/** koschei.collection.state.change; `repo_id` is a string, as the schema says. */
export interface CollectionStateChangeBody {
  old: "ok" | "unresolved" | "unknown";
  new: "ok" | "unresolved";
  koji_instance: string;
  collection: string;
  collection_name: string;
  repo_id: string;
}
