// The watcher service (spec 05 §3, contracts/fedora-messaging.md §4–§6): Koji's messages over
// AMQP. Under `fedmsg.topic`, and from the Koji instance `fedmsg.instance`:
// * `task.state.change` of a running scratch build applies the task's state to the build
//   (build-state.ts), so a finished build is recorded without waiting for a polling pass;
// * `tag` registers a newer real build of the package (real-builds.ts), in every collection
//   that has a package of that name (the original looked at one of them);
// * `repo.done` of a collection's build tag wakes the repo-resolver at once (a NOTIFY on
//   `koschei_repo_done`; the original waited for the resolver's interval).
// Every message is then announced as `fedmsg_event`. A message is acknowledged only after its
// effect is committed; outages of the database or Koji keep it and retry it with back-off
// (messaging/consumer.ts). All effects can be repeated harmlessly: a build that is no longer
// running is not touched again, a registered real build is not registered twice.
import type { KojiTaskStateName } from "@koschei/koji-protocol/koji-states.js";
import { isKojiTaskStateName } from "@koschei/koji-protocol/koji-states.js";
import { isNewerEvr } from "@koschei/koji-protocol/evr.js";
import { loadMessagingConfig } from "../messaging/config.js";
import {
  consumeMessages,
  newCounters,
  UnexpectedMessage,
  type BackOff,
  type ConsumerCounters,
  type ReceivedMessage,
} from "../messaging/consumer.js";
import { BuildState } from "../model/states.js";
import { updateBuildState } from "./build-state.js";
import { isOutage } from "./outages.js";
import { loadPlugins } from "../plugins/registry.js";
import { registerRealBuilds } from "./real-builds.js";
import type { ServiceContext, ServiceDefinition } from "./registry.js";
import type { BackendSession } from "./session.js";
import { notifyChannel, REPO_DONE_CHANNEL } from "./wake.js";

/**
 * The topics under `fedmsg.topic` the watcher acts on and binds when nothing is configured,
 * besides the topics enabled plugins listen to (Copr's build-end messages).
 */
export const WATCHED_TOPICS = ["task.state.change", "tag", "repo.done"] as const;

/** With `--once`, the pass ends when no message came for this long. */
const DRAIN_IDLE_MS = 2000;

export interface WatcherOptions {
  /** Between tries of a message that met an outage (default 1 s doubling to 60 s). */
  retry?: BackOff;
  /** Between broker connection attempts (default 1 s doubling to 60 s). */
  reconnect?: BackOff;
}

export interface WatcherService extends ServiceDefinition {
  /** What the watcher did since the process started (logged, and read by tests). */
  readonly counters: ConsumerCounters;
}

/** The service; `watcherService` is the one with the default back-offs. */
export function createWatcherService(options: WatcherOptions = {}): WatcherService {
  const counters = newCounters();
  return {
    name: "watcher",
    summary: "follows Koji's fedora-messaging messages: finished builds, tagged builds, new repos",
    configKey: "watcher",
    counters,
    async runPass(context) {
      const settings = loadMessagingConfig(context.config);
      const prefix = context.config.fedmsg.topic;
      const pluginTopics = (await loadPlugins(context.config)).flatMap(
        (plugin) => plugin.backend?.messageTopics?.(context.config) ?? [],
      );
      await consumeMessages({
        settings,
        defaultRoutingKeys: [
          ...WATCHED_TOPICS.map((topic) => `${prefix}.${topic}`),
          ...pluginTopics,
        ],
        log: context.log,
        handle: (message) => handleMessage(context, message),
        isTransient: isOutage,
        isFatal: (error) => error instanceof SessionUnavailable,
        beforeMessage: context.heartbeat,
        stopping: context.stopping,
        counters,
        // --once: what the queue holds, then return.
        ...(context.once ? { drainIdleMs: DRAIN_IDLE_MS } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
        ...(options.reconnect ? { reconnect: options.reconnect } : {}),
      });
    },
  };
}

export const watcherService: WatcherService = createWatcherService();

/**
 * The session could not be opened for a reason other than an outage (a refused Koji login, a
 * bad database URL): every message would fail the same way, so the service ends (exit 1)
 * instead of dropping them.
 */
class SessionUnavailable extends Error {
  override name = "SessionUnavailable";
}

/** Applies one message, then dispatches `fedmsg_event`; throws outages for a retry. */
export async function handleMessage(
  context: Pick<ServiceContext, "session" | "log">,
  message: ReceivedMessage,
): Promise<void> {
  // Opening the session (the database, a Koji login) may meet an outage too: retried.
  let session: BackendSession;
  try {
    session = await context.session();
  } catch (error) {
    if (isOutage(error)) throw error;
    throw new SessionUnavailable(`cannot open the watcher's session: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const { topic: prefix, instance } = session.config.fedmsg;
  if (message.topic.startsWith(`${prefix}.`) && message.body.instance === instance) {
    const topic = message.topic.slice(prefix.length + 1);
    if (topic === "task.state.change") await onTaskStateChange(session, context, message);
    else if (topic === "tag") await onTag(session, context, message);
    else if (topic === "repo.done") await onRepoDone(session, context, message);
  }
  await session.events.dispatch("fedmsg_event", { topic: message.topic, body: message.body });
}

async function onTaskStateChange(
  session: BackendSession,
  context: Pick<ServiceContext, "log">,
  message: ReceivedMessage,
): Promise<void> {
  const { attribute, id: taskId, new: state } = message.body;
  if (attribute !== "state") {
    throw new UnexpectedMessage(`attribute is ${JSON.stringify(attribute)}, not "state"`);
  }
  if (!Number.isSafeInteger(taskId)) {
    throw new UnexpectedMessage(`id is ${JSON.stringify(taskId)}, not a task id`);
  }
  if (typeof state !== "string" || !isKojiTaskStateName(state)) {
    throw new UnexpectedMessage(`new is ${JSON.stringify(state)}, not a Koji task state`);
  }
  // Only a running build changes: a finished one (or a redelivered message) is left alone.
  const build = await session.database.db
    .selectFrom("build")
    .select(["id", "task_id"])
    .where("task_id", "=", taskId as number)
    .where("real", "=", false)
    .where("state", "=", BuildState.running)
    .orderBy("id")
    .executeTakeFirst();
  if (!build) return;
  const outcome = await updateBuildState(session, build, state as KojiTaskStateName);
  context.log.info(
    { buildId: build.id, taskId: build.task_id, taskState: state, outcome, messageId: message.id },
    `task ${build.task_id} is ${state}: build ${build.id} ${outcome}`,
  );
}

async function onTag(
  session: BackendSession,
  context: Pick<ServiceContext, "log">,
  message: ReceivedMessage,
): Promise<void> {
  const { name } = message.body;
  if (typeof name !== "string" || name === "") {
    throw new UnexpectedMessage(`name is ${JSON.stringify(name)}, not a package name`);
  }
  const packages = await session.database.db
    .selectFrom("package")
    .innerJoin("collection", "collection.id", "package.collection_id")
    .leftJoin("build", "build.id", "package.last_build_id")
    .select([
      "package.id",
      "collection.id as collection_id",
      "collection.display_name",
      "collection.dest_tag",
      "collection.secondary_mode",
      "build.id as build_id",
      "build.epoch",
      "build.version",
      "build.release",
    ])
    .where("package.name", "=", name)
    .orderBy("collection.id")
    .execute();
  for (const pkg of packages) {
    const tagged = await session.koji
      .forCollection(pkg)
      .listTagged(pkg.dest_tag, { latest: true, package: name, inherit: true });
    if (tagged.length > 1) {
      throw new UnexpectedMessage(
        `Koji lists ${tagged.length} latest builds of ${name} in ${pkg.dest_tag}`,
      );
    }
    const [info] = tagged;
    if (!info || info.task_id === null) continue;
    const lastBuild =
      pkg.build_id === null
        ? null
        : { epoch: pkg.epoch, version: pkg.version ?? "", release: pkg.release };
    if (!isNewerEvr(lastBuild, info)) continue;
    const stored = await registerRealBuilds(
      session,
      { id: pkg.collection_id, display_name: pkg.display_name, secondary_mode: pkg.secondary_mode },
      [{ packageId: pkg.id, info: { ...info, task_id: info.task_id } }],
    );
    context.log.info(
      { packageId: pkg.id, taskId: info.task_id, stored, messageId: message.id },
      `${info.nvr ?? name} tagged into ${pkg.dest_tag}: ` +
        (stored > 0 ? "registered as a real build" : "not registered (no repo, or known)"),
    );
  }
}

async function onRepoDone(
  session: BackendSession,
  context: Pick<ServiceContext, "log">,
  message: ReceivedMessage,
): Promise<void> {
  const { tag, repo_id: repoId } = message.body;
  if (typeof tag !== "string") {
    throw new UnexpectedMessage(`tag is ${JSON.stringify(tag)}, not a tag name`);
  }
  const db = session.database.db;
  const collections = await db
    .selectFrom("collection")
    .select("name")
    .where("build_tag", "=", tag)
    .execute();
  if (collections.length === 0) return;
  await notifyChannel(db, REPO_DONE_CHANNEL, tag);
  context.log.info(
    { tag, repoId, collections: collections.map((row) => row.name), messageId: message.id },
    `new repo ${String(repoId)} of ${tag}: waking the repo-resolver`,
  );
}
