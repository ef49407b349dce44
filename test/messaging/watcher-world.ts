// The watcher's test bed: the build loop's world (simulated hub f30, PostgreSQL) with the
// simulator publishing its buildsys.* messages to the test RabbitMQ under a topic prefix of
// its own, a fedora-messaging config.toml naming a queue of its own (declared here before the
// simulator sends anything, deleted at the end), and collection f30 with tracked packages
// whose real builds polling registered. Services run in-process through the service runner.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import type { BackendSession } from "../../src/backend/session.js";
import type { ServiceDefinition } from "../../src/backend/registry.js";
import { runServices, type RunnerExitCode } from "../../src/backend/runner.js";
import type { WakeSignals } from "../../src/backend/wake.js";
import type { Logger } from "../../src/log/logger.js";
import {
  KOJI_BUILDS,
  LoopWorld,
  REPO_ID,
  RUNNING,
  TRACKED,
  type PackageName,
} from "../e2e/loop-world.js";
import { insertBuild } from "../support/koji-world.js";

export const AMQP_URL =
  process.env.KOSCHEI_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672/%2F";

let worlds = 0;

export interface WatcherWorldOptions {
  /** The config.toml's amqp_url (default: the test broker). */
  brokerUrl?: string;
  /** fedmsg-publisher.enabled. */
  publish?: boolean;
  log?: Logger;
}

export interface RunningServices {
  /** Stops the services and resolves with the runner's exit code. */
  stop(): Promise<RunnerExitCode>;
  /** The runner's exit code, once it has ended (stopped, or a service ended it). */
  readonly done: Promise<RunnerExitCode>;
}

export class WatcherWorld {
  private readonly running: RunningServices[] = [];

  private constructor(
    readonly world: LoopWorld,
    readonly dir: string,
    /** The topic prefix of this world's messages, e.g. org.koschei.test123x…x1. */
    readonly prefix: string,
    readonly queue: string,
    readonly tomlFile: string,
  ) {}

  static async start(options: WatcherWorldOptions = {}): Promise<WatcherWorld> {
    const n = ++worlds;
    const unique = `${process.pid}x${Date.now().toString(36)}x${n}`;
    const prefix = `org.koschei.test${unique}`;
    const queue = `koschei-watcher-test-${unique}`;
    const dir = mkdtempSync(join(tmpdir(), "koschei-watcher-"));
    const tomlFile = join(dir, "fedora-messaging.toml");
    writeFileSync(
      tomlFile,
      [
        `amqp_url = "${options.brokerUrl ?? AMQP_URL}"`,
        `topic_prefix = "${prefix}"`,
        "",
        `[queues."${queue}"]`,
        "durable = false",
        "auto_delete = false",
        "exclusive = false",
        "",
        "[[bindings]]",
        `queue = "${queue}"`,
        'exchange = "amq.topic"',
        `routing_keys = ["${prefix}.buildsys.task.state.change", "${prefix}.buildsys.tag", ` +
          `"${prefix}.buildsys.repo.done"]`,
        "",
        "[qos]",
        "prefetch_count = 5",
        "",
      ].join("\n"),
    );
    // The queue exists before the simulator publishes: nothing is lost before the watcher starts.
    await withChannel(async (channel) => {
      await channel.assertQueue(queue, { durable: false, autoDelete: false, exclusive: false });
      for (const topic of ["task.state.change", "tag", "repo.done"]) {
        await channel.bindQueue(queue, "amq.topic", `${prefix}.buildsys.${topic}`);
      }
    });
    let world: LoopWorld;
    try {
      world = await LoopWorld.start({
        amqp: { url: AMQP_URL, topicPrefix: prefix },
        ...(options.log ? { log: options.log } : {}),
        extra: [
          "fedmsg:",
          `  topic: ${prefix}.buildsys`,
          "  instance: primary",
          "fedmsg-publisher:",
          `  enabled: ${options.publish ?? false}`,
          "amqp:",
          `  config_file: ${JSON.stringify(tomlFile)}`,
          "services:",
          "  repo-resolver: { interval: 3600 }",
          "  publisher: { interval: 0.2 }",
        ],
      });
    } catch (error) {
      await deleteQueue(queue);
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return new WatcherWorld(world, dir, prefix, queue, tomlFile);
  }

  get db() {
    return this.world.db;
  }

  /** Collection f30 with the tracked packages and their real builds, resolved. */
  async setUpCollection(): Promise<Record<string, number>> {
    const created = await this.world.admin([
      "create-collection",
      "f30",
      "-d",
      "Fedora 30",
      "-t",
      "f30",
      "--bugzilla-product",
      "Fedora",
      "--poll-untracked",
      "false",
    ]);
    if (created.error) throw new Error(created.error);
    await this.world.poll();
    const added = await this.world.admin(["add-pkg", "-c", "f30", ...TRACKED]);
    if (added.error) throw new Error(added.error);
    await this.world.poll();
    await this.db
      .updateTable("collection")
      .set({ latest_repo_id: REPO_ID, latest_repo_resolved: true })
      .execute();
    await this.db
      .updateTable("package")
      .set({ resolved: true })
      .where("tracked", "=", true)
      .execute();
    return this.world.packageIds();
  }

  /**
   * Submits a scratch build of the package to the hub, as the scheduler does, and records it as
   * running; returns the build's id and Koji task.
   */
  async startBuild(name: PackageName): Promise<{ buildId: number; taskId: number }> {
    const { version, release, epoch } = KOJI_BUILDS[name];
    const srpm = `../packages/${name}/${version}/${release}/src/${name}-${version}-${release}.src.rpm`;
    const taskId = await this.world.koji.primary.build(srpm, "f30", {
      arch_override: "x86_64",
      scratch: true,
    });
    const ids = await this.world.packageIds();
    const buildId = await insertBuild(this.db, {
      package_id: ids[name]!,
      task_id: taskId,
      state: RUNNING,
      started: this.world.now(),
      epoch,
      version,
      release,
    });
    return { buildId, taskId };
  }

  async buildState(buildId: number): Promise<number | undefined> {
    const row = await this.db
      .selectFrom("build")
      .select("state")
      .where("id", "=", buildId)
      .executeTakeFirst();
    return row?.state;
  }

  /** Advances the hub's clock and waits until the broker has confirmed the messages it caused. */
  async advance(seconds: number): Promise<void> {
    await this.world.advance(seconds);
    await this.world.sim.publisher!.flush();
  }

  /** Runs the services with the runner in the background until `stop` (or the world's close). */
  run(
    services: readonly ServiceDefinition[],
    options: {
      session?: (service: string) => Promise<BackendSession>;
      wake?: WakeSignals;
      log?: Logger;
    } = {},
  ): RunningServices {
    const stop = new AbortController();
    const done = runServices({
      services,
      config: this.world.config,
      log: options.log ?? this.world.log,
      events: this.world.events,
      session: options.session ?? ((service) => this.world.serviceSession(service)),
      stop: stop.signal,
      retry: { firstDelaySeconds: 0.1, maxDelaySeconds: 0.5 },
      ...(options.wake ? { wake: options.wake } : {}),
    });
    let stopped: Promise<RunnerExitCode> | null = null;
    const handle = {
      done,
      stop: () => {
        stop.abort();
        stopped ??= done;
        return stopped;
      },
    };
    this.running.push(handle);
    return handle;
  }

  async close(): Promise<void> {
    for (const running of this.running) await running.stop();
    await this.world.close();
    await deleteQueue(this.queue);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Runs `body` on a confirm channel of a fresh connection to the test broker; what it published
 * is confirmed before the connection closes.
 */
export async function withChannel<T>(
  body: (channel: amqp.ConfirmChannel) => Promise<T>,
): Promise<T> {
  const connection = await amqp.connect(AMQP_URL);
  try {
    const channel = await connection.createConfirmChannel();
    const result = await body(channel);
    await channel.waitForConfirms();
    return result;
  } finally {
    await connection.close();
  }
}

async function deleteQueue(queue: string): Promise<void> {
  await withChannel((channel) => channel.deleteQueue(queue)).catch(() => undefined);
}
