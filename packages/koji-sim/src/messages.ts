// Koji's buildsys.* messages (the koji-fedoramessaging hub plugin) for the simulator's events,
// published to RabbitMQ in fedora-messaging's wire format (contracts/fedora-messaging.md).

import amqp from "amqplib";
import {
  amqpEnvelope,
  KOJI_SCHEMA_PACKAGE,
  KojiSchema,
  KojiTopic,
  Severity,
  type FedoraMessage,
  type KojiMessageTaskInfo,
  type RepoBody,
  type TagBody,
  type TaskStateChangeBody,
} from "@koschei/koji-protocol/messages.js";
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

/** getTaskInfo(request=True) as the plugin sends it: epoch-second times, names, children. */
function taskInfoBody(
  state: SimState,
  task: TaskRecord,
  options: MessageOptions,
): KojiMessageTaskInfo {
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
): FedoraMessage | null {
  const common = { instance: options.instance ?? "primary", base_url: options.baseUrl };
  switch (event.kind) {
    case "taskState": {
      const task = state.tasks.get(event.taskId)!;
      // Only top-level scratch builds, and not their creation (koji-fedoramessaging).
      if (event.old === null || !isScratchBuildTask(task)) return null;
      const owner = state.users.get(task.owner)!.name;
      const source = String(task.request[0]);
      return {
        topic: KojiTopic.taskStateChange,
        schema: KojiSchema.taskStateChange,
        schemaPackage: KOJI_SCHEMA_PACKAGE,
        severity: Severity.INFO,
        usernames: [owner],
        packages: [],
        body: {
          id: task.id,
          info: taskInfoBody(state, task, options),
          method: task.method,
          attribute: "state",
          old: KOJI_TASK_STATES[event.old]!,
          new: KOJI_TASK_STATES[event.new]!,
          srpm: source.slice(source.lastIndexOf("/") + 1),
          owner,
          files_base_url: `${options.topurl}/work`,
          ...common,
        } satisfies TaskStateChangeBody,
      };
    }
    case "tag": {
      const tag = state.tags.get(event.tagId)!;
      const build = state.builds.get(event.buildId)!;
      const user = state.users.get(event.userId)!.name;
      const owner = state.users.get(build.ownerId)!.name;
      return {
        topic: KojiTopic.tag,
        schema: KojiSchema.tag,
        schemaPackage: KOJI_SCHEMA_PACKAGE,
        severity: Severity.DEBUG,
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
        } satisfies TagBody,
      };
    }
    case "repoInit":
    case "repoDone": {
      const repo = state.repos.get(event.repoId)!;
      const tag = state.tags.get(repo.tagId)!;
      const done = event.kind === "repoDone";
      return {
        topic: done ? KojiTopic.repoDone : KojiTopic.repoInit,
        schema: done ? KojiSchema.repoDone : KojiSchema.repoInit,
        schemaPackage: KOJI_SCHEMA_PACKAGE,
        severity: Severity.DEBUG,
        usernames: [],
        packages: [],
        body: { tag: tag.name, tag_id: tag.id, repo_id: repo.id, ...common } satisfies RepoBody,
      };
    }
  }
}

/**
 * Calls `deliver` with the message the hub plugin sends for each event of the world, as it
 * happens (the demo's in-process watcher; the AMQP publisher). Returns the unsubscription.
 */
export function onKojiMessages(
  state: SimState,
  options: MessageOptions,
  deliver: (message: FedoraMessage) => void,
): () => void {
  return state.onEvent((event) => {
    // The body is taken now: the state may move on before the message is used.
    const message = kojiMessage(state, event, options);
    if (message) deliver(message);
  });
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
      publisher.unsubscribe = onKojiMessages(state, options, (message) =>
        publisher.publish(message),
      );
      return publisher;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  private publish(message: FedoraMessage): void {
    const { routingKey, content, properties } = amqpEnvelope(
      message,
      this.options.topicPrefix,
      new Date(),
    );
    this.chain = this.chain.then(
      () =>
        new Promise<void>((resolve) => {
          this.channel.publish("amq.topic", routingKey, content, properties, (error) => {
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
