// Koji's buildsys.* messages (the koji-fedoramessaging hub plugin) for the simulator's events,
// published to RabbitMQ in fedora-messaging's wire format (contracts/fedora-messaging.md).

import { randomUUID } from "node:crypto";
import amqp from "amqplib";
import { KOJI_TASK_STATES, KojiTaskState } from "@koschei/koji-protocol/koji-states.js";
import { SimState, type SimEvent, type TaskRecord } from "./state.js";

export interface MessageOptions {
  /** The hub's base URL (body `base_url`), e.g. http://127.0.0.1:8080. */
  baseUrl: string;
  /** The topurl; `files_base_url` is its work/ directory. */
  topurl: string;
  /** Koji instance name in bodies; "primary" in Fedora. */
  instance?: string;
}

/** One message as fedora-messaging would send it, before the topic prefix is applied. */
interface KojiMessage {
  topic: string;
  body: Record<string, unknown>;
  schema: string;
  severity: number;
  /** AMQP priority (only tag messages set one). */
  priority?: number;
  usernames: string[];
  packages: string[];
}

/** getTaskInfo(request=True) as the plugin sends it: epoch-second times, names, children. */
function taskInfoBody(
  state: SimState,
  task: TaskRecord,
  options: MessageOptions,
): Record<string, unknown> {
  const seconds = (ts: number | null) => (ts === null ? null : Math.floor(ts));
  const host = task.hostId === null ? undefined : state.hosts.get(task.hostId);
  return {
    id: task.id,
    state: task.state,
    create_time: seconds(task.createTs),
    start_time: seconds(task.startTs),
    completion_time: seconds(task.completionTs),
    channel_id: task.channelId,
    host_id: task.hostId,
    host_name: host?.name ?? null,
    parent: task.parent,
    label: task.label,
    waiting: task.waiting,
    awaited: task.awaited,
    owner: state.users.get(task.owner)!.name,
    method: task.method,
    arch: task.arch,
    priority: task.priority,
    request: task.request,
    result: task.state === KojiTaskState.CLOSED ? task.result : null,
    url: `${options.baseUrl}/koji/taskinfo?taskID=${task.id}`,
    children: state.children(task).map((child) => taskInfoBody(state, child, options)),
  };
}

function isScratchBuildTask(task: TaskRecord): boolean {
  const last = task.request.at(-1);
  return (
    task.parent === null &&
    typeof last === "object" &&
    last !== null &&
    !Array.isArray(last) &&
    Boolean((last as Record<string, unknown>).scratch)
  );
}

/** The message the hub plugin sends for an event, or null when it sends none. */
function kojiMessage(
  state: SimState,
  event: SimEvent,
  options: MessageOptions,
): KojiMessage | null {
  const common = { instance: options.instance ?? "primary", base_url: options.baseUrl };
  switch (event.kind) {
    case "taskState": {
      const task = state.tasks.get(event.taskId)!;
      // Only top-level scratch builds, and not their creation (koji-fedoramessaging).
      if (event.old === null || !isScratchBuildTask(task)) return null;
      const owner = state.users.get(task.owner)!.name;
      const source = String(task.request[0]);
      return {
        topic: "buildsys.task.state.change",
        schema: "koji_fedoramessaging.task.TaskStateChangeV1",
        severity: 20,
        usernames: [owner],
        packages: [],
        body: {
          id: task.id,
          info: taskInfoBody(state, task, options),
          method: task.method,
          attribute: "state",
          old: KOJI_TASK_STATES[event.old],
          new: KOJI_TASK_STATES[event.new],
          srpm: source.slice(source.lastIndexOf("/") + 1),
          owner,
          files_base_url: `${options.topurl}/work`,
          ...common,
        },
      };
    }
    case "tag": {
      const tag = state.tags.get(event.tagId)!;
      const build = state.builds.get(event.buildId)!;
      const user = state.users.get(event.userId)!.name;
      const owner = state.users.get(build.ownerId)!.name;
      return {
        topic: "buildsys.tag",
        schema: "koji_fedoramessaging.tag.TagV1",
        severity: 10,
        priority: 2,
        usernames: [...new Set([user, owner])],
        packages: [build.name],
        body: {
          tag: tag.name,
          tag_id: tag.id,
          build_id: build.id,
          name: build.name,
          version: build.version,
          release: build.release,
          user,
          owner,
          ...common,
        },
      };
    }
    case "repoInit":
    case "repoDone": {
      const repo = state.repos.get(event.repoId)!;
      const tag = state.tags.get(repo.tagId)!;
      const done = event.kind === "repoDone";
      return {
        topic: done ? "buildsys.repo.done" : "buildsys.repo.init",
        schema: done ? "koji_fedoramessaging.repo.DoneV1" : "koji_fedoramessaging.repo.InitV1",
        severity: 10,
        usernames: [],
        packages: [],
        body: { tag: tag.name, tag_id: tag.id, repo_id: repo.id, ...common },
      };
    }
  }
}

/** "2019-07-30T19:12:22+00:00": fedora-messaging's sent-at (UTC, no fraction). */
function sentAt(date: Date): string {
  return date.toISOString().slice(0, 19) + "+00:00";
}

/** AMQP routing key and publish options of a message, per fedora-messaging's wire format. */
function amqpEnvelope(
  message: KojiMessage,
  topicPrefix: string,
  now: Date,
): { routingKey: string; content: Buffer; options: amqp.Options.Publish } {
  const headers: Record<string, unknown> = {
    fedora_messaging_schema: message.schema,
    fedora_messaging_schema_package: "koji_fedoramessaging_messages",
    fedora_messaging_severity: message.severity,
    "sent-at": sentAt(now),
    priority: message.priority ?? 0,
  };
  for (const user of message.usernames) headers[`fedora_messaging_user_${user}`] = true;
  for (const name of message.packages) headers[`fedora_messaging_rpm_${name}`] = true;
  const prefix = topicPrefix.replace(/\.+$/, "");
  return {
    routingKey: prefix ? `${prefix}.${message.topic}` : message.topic,
    // Python's json.dumps escapes non-ASCII; JSON.stringify keeps it, so escape the same way.
    content: Buffer.from(
      JSON.stringify(message.body).replace(
        /[\u007f-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
      ),
      "utf8",
    ),
    options: {
      contentType: "application/json",
      contentEncoding: "utf-8",
      deliveryMode: 2,
      messageId: randomUUID(),
      headers,
      ...(message.priority !== undefined ? { priority: message.priority } : {}),
    },
  };
}

export interface PublisherOptions extends MessageOptions {
  amqpUrl: string;
  /** Prepended to every topic, e.g. "org.fedoraproject.prod". */
  topicPrefix: string;
  /** Called when publishing fails (the simulator keeps running). */
  onError?: (error: Error) => void;
}

/** Publishes the state's events to amq.topic on a confirm channel, in event order. */
export class MessagePublisher {
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;

  private constructor(
    private readonly connection: amqp.ChannelModel,
    private readonly channel: amqp.ConfirmChannel,
    private readonly options: PublisherOptions,
  ) {}

  static async start(state: SimState, options: PublisherOptions): Promise<MessagePublisher> {
    const connection = await amqp.connect(options.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      await channel.checkExchange("amq.topic");
      const publisher = new MessagePublisher(connection, channel, options);
      publisher.unsubscribe = state.onEvent((event) => {
        // The body is taken now: the state may move on before the broker confirms.
        const message = kojiMessage(state, event, options);
        if (message) publisher.publish(message);
      });
      return publisher;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  private publish(message: KojiMessage): void {
    const { routingKey, content, options } = amqpEnvelope(
      message,
      this.options.topicPrefix,
      new Date(),
    );
    this.chain = this.chain.then(
      () =>
        new Promise<void>((resolve) => {
          this.channel.publish("amq.topic", routingKey, content, options, (error) => {
            if (error)
              this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
            resolve();
          });
        }),
    );
  }

  /** Resolves once every message published so far is confirmed by the broker. */
  flush(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    await this.flush();
    await this.channel.close();
    await this.connection.close();
  }
}
