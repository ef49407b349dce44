// The production test bed (issue #13 item 2): every component of a deployment as a separate
// process started from the built bins — `koschei sim-koji` (the hub over HTTP, its buildsys.*
// messages over AMQP under a topic prefix of this run's own), one `koschei backend SERVICE`
// per service, `koschei frontend` — on a fresh PostgreSQL database made by
// `koschei-admin create-db` and the test RabbitMQ: the watcher's queue (named for this run)
// and a plain amqplib consumer of Koschei's own koschei.* messages are bound before anything
// is sent. Every child is killed by close(), whatever state the test left.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import amqp from "amqplib";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { resolverScenarioJson } from "../support/koji-world.js";
import { binaryBuild, type Binary } from "./resolver-loop-world.js";
import {
  backendConfigYaml,
  BIN_DIR,
  controlRequest,
  productEnvironment,
  runAdminBin,
} from "./loop-world.js";

export const AMQP_URL =
  process.env.KOSCHEI_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672/%2F";

/** The collection, its target and destination tag; the build tag is `f31-build`. */
export const COLLECTION = "f31";
export const BUILD_TAG = "f31-build";
/** The build tag's READY repo at the start. */
export const FIRST_REPO = 900;
/** Simulated seconds per real second, and simulated duration of every task. */
export const SPEED = 10;
export const TASK_SECONDS = 20;

/** The build tag's binaries at the start: A → B → C, G → H, the build group's R → S. */
const BINARIES: Binary[] = [
  { name: "A", evr: "0:1-1", requires: ["B"] },
  { name: "B", evr: "0:1-1", arch: "noarch", requires: ["C"] },
  { name: "C", evr: "0:1-1" },
  { name: "G", evr: "0:1-1", requires: ["H"] },
  { name: "H", evr: "0:1-1" },
  { name: "R", evr: "0:1-1", requires: ["S"] },
  { name: "S", evr: "0:1-1" },
];

/** Tracked source packages: pkg01…pkg24, the odd ones BuildRequire A, the even ones G. */
export const PACKAGES = Array.from(
  { length: 24 },
  (_, i) => `pkg${String(i + 1).padStart(2, "0")}`,
);
export const ON_A = PACKAGES.filter((_, i) => i % 2 === 0);
export const ON_G = PACKAGES.filter((_, i) => i % 2 === 1);

function scenarioJson(startTime: string): Record<string, unknown> {
  return {
    ...resolverScenarioJson({
      name: "production",
      startTime,
      host: "builder01",
      tag: COLLECTION,
      binaryBuilds: BINARIES.map(binaryBuild),
      sources: Object.fromEntries(
        PACKAGES.map((name, i) => [
          name,
          { version: "1.0", release: "1.fc31", buildRequires: [i % 2 === 0 ? "A" : "G"] },
        ]),
      ),
      repoId: FIRST_REPO,
    }),
    defaultTaskDurationSeconds: TASK_SECONDS,
  };
}

export interface LogLine {
  level?: number;
  msg: string;
  [key: string]: unknown;
}

/** A child process of the deployment, with its standard error's JSON log lines. */
export class Component {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();
  /** The end of standard output and error, once the process has exited. */
  private readonly streamsClosed: Promise<void>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    this.streamsClosed = new Promise((resolve) => child.once("close", () => resolve()));
    createInterface({ input: child.stderr! }).on("line", (line) => {
      try {
        const parsed = JSON.parse(line) as unknown;
        this.lines.push(
          typeof parsed === "object" && parsed !== null ? (parsed as LogLine) : { msg: line },
        );
      } catch {
        this.lines.push({ msg: line });
      }
      for (const wake of this.waiters) wake();
    });
    child.stdout!.resume();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Lines at error level or above (pino: 50 error, 60 fatal). */
  errors(): LogLine[] {
    return this.lines.filter((line) => (line.level ?? 0) >= 50);
  }

  /** Waits for a log line matching `pattern`; fails if the process exits or time runs out. */
  async waitForLog(pattern: RegExp, timeoutMs = 120_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line) => pattern.test(line.msg));
      if (found) return found;
      if (!this.running) {
        throw new Error(`${this.name} exited before logging ${pattern}: ${this.tail()}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name} never logged ${pattern}: ${this.tail()}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 500));
        this.waiters.add(wake);
      });
    }
  }

  /** The exit code, once the process ends by itself (and every log line read). */
  async finished(): Promise<number | null> {
    const code = await this.exited;
    await this.streamsClosed;
    return code;
  }

  /** SIGTERM, then the exit code (and every log line read). */
  async stop(): Promise<number | null> {
    if (this.running) this.child.kill("SIGTERM");
    const code = await this.exited;
    await this.streamsClosed;
    return code;
  }

  /** SIGKILL if still running (clean-up). */
  async kill(): Promise<void> {
    if (this.running) this.child.kill("SIGKILL");
    await this.exited;
  }

  tail(count = 8): string {
    return JSON.stringify(this.lines.slice(-count).map((line) => line.msg));
  }
}

/** A koschei.* message as the broker delivered it to the test's own queue. */
export interface Received {
  routingKey: string;
  messageId: string;
  body: Record<string, unknown>;
}

export class ProductionWorld {
  /** Every child ever started, for close(). */
  private readonly components: Component[] = [];
  readonly received: Received[] = [];

  private constructor(
    readonly dir: string,
    /** The topic prefix of this run's messages. */
    readonly prefix: string,
    /** The watcher's queue. */
    readonly queue: string,
    readonly env: NodeJS.ProcessEnv,
    readonly fresh: FreshDatabase,
    private readonly connection: amqp.ChannelModel,
    readonly sim: { url: string; hubUrl: string; topurl: string; component: Component },
  ) {}

  static async start(): Promise<ProductionWorld> {
    const unique = `${process.pid}x${Date.now().toString(36)}`;
    const prefix = `org.koschei.e2e${unique}`;
    const queue = `koschei-production-test-${unique}`;
    const dir = mkdtempSync(join(tmpdir(), "koschei-production-"));
    let connection: amqp.ChannelModel | undefined;
    let fresh: FreshDatabase | undefined;
    let sim: Component | undefined;
    try {
      connection = await amqp.connect(AMQP_URL);
      const channel = await connection.createChannel();
      // The watcher's queue, bound before the simulator sends anything.
      await channel.assertQueue(queue, { durable: false, autoDelete: false, exclusive: false });
      for (const topic of ["task.state.change", "tag", "repo.done"]) {
        await channel.bindQueue(queue, "amq.topic", `${prefix}.buildsys.${topic}`);
      }
      const tomlFile = join(dir, "fedora-messaging.toml");
      writeFileSync(
        tomlFile,
        [
          `amqp_url = "${AMQP_URL}"`,
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
        ].join("\n"),
      );

      const startTime = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      const scenarioFile = join(dir, "scenario.json");
      writeFileSync(scenarioFile, JSON.stringify(scenarioJson(startTime)));
      sim = new Component(
        "sim-koji",
        spawn(
          process.execPath,
          [
            join(BIN_DIR, "koschei"),
            "sim-koji",
            "--listen",
            "127.0.0.1:0",
            "--scenario",
            scenarioFile,
            "--speed",
            String(SPEED),
            "--amqp",
            AMQP_URL,
            "--topic-prefix",
            prefix,
          ],
          { stdio: ["ignore", "pipe", "pipe"] },
        ),
      );
      const banner = await simBanner(sim);

      fresh = await freshDatabase({ migrated: false });
      const certFile = join(dir, "koschei.pem");
      writeFileSync(certFile, "not read over plain HTTP\n");
      writeFileSync(
        join(dir, "config.yaml"),
        backendConfigYaml(banner, certFile, {
          retry: "{ max_retries: 2, retry_interval: 1, timeout: 30 }",
          extra: [
            // A direct dependency change alone (100) stays below the threshold (256): the
            // scheduler builds what the test raises by hand, and unapplied changes stay.
            "priorities: { package_update: 100 }",
            // Small chunks: a pass stopped midway has persisted some packages, not all.
            "dependency: { persist_chunk_size: 5 }",
            "directories:",
            `  cachedir: ${JSON.stringify(join(dir, "cache"))}`,
            `  statedir: ${JSON.stringify(join(dir, "state"))}`,
            "services:",
            // Builds must be seen to end through the watcher: polling runs once, at start.
            "  polling: { interval: 3600 }",
            "  scheduler: { interval: 1 }",
            "  repo-resolver: { interval: 3 }",
            "  build-resolver: { interval: 1 }",
            "  publisher: { interval: 0.5 }",
            "fedmsg:",
            `  topic: ${prefix}.buildsys`,
            "  instance: primary",
            "fedmsg-publisher: { enabled: true }",
            "amqp:",
            `  config_file: ${JSON.stringify(tomlFile)}`,
            "flask: { SECRET_KEY: production-e2e-test-secret-0123456789 }",
          ],
        }),
      );
      const env = productEnvironment(dir, fresh.url);
      const world = new ProductionWorld(dir, prefix, queue, env, fresh, connection, {
        ...banner,
        component: sim,
      });
      world.components.push(sim);
      await world.consumeKoscheiMessages();
      return world;
    } catch (error) {
      await sim?.kill();
      await fresh?.drop().catch(() => undefined);
      if (connection) await deleteQueueAndClose(connection, queue);
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** An exclusive queue of the test's own on amq.topic, bound to this run's koschei.* topics. */
  private async consumeKoscheiMessages(): Promise<void> {
    const channel = await this.connection.createChannel();
    const { queue } = await channel.assertQueue("", { exclusive: true });
    await channel.bindQueue(queue, "amq.topic", `${this.prefix}.koschei.#`);
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        this.received.push({
          routingKey: message.fields.routingKey,
          messageId: String(message.properties.messageId),
          body: JSON.parse(message.content.toString("utf8")) as Record<string, unknown>,
        });
      },
      { noAck: true },
    );
  }

  /** Messages waiting in the watcher's queue. */
  async watcherQueueDepth(): Promise<number> {
    const channel = await this.connection.createChannel();
    try {
      return (await channel.checkQueue(this.queue)).messageCount;
    } finally {
      await channel.close();
    }
  }

  get db() {
    return this.fresh.database.db;
  }

  /** `koschei-admin ARGS…`; fails the test unless it exits with 0. */
  async admin(args: string[]): Promise<string> {
    const result = await runAdminBin(args, this.env);
    assert.equal(result.code, 0, `koschei-admin ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  }

  /** `koschei backend ARGS…` as a child process. */
  backend(args: string[]): Component {
    return this.track(
      new Component(
        `backend ${args.join(" ")}`,
        spawn(process.execPath, [join(BIN_DIR, "koschei"), "backend", ...args], {
          env: this.env,
          stdio: ["ignore", "pipe", "pipe"],
        }),
      ),
    );
  }

  /** `koschei frontend --listen 127.0.0.1:0`, once it listens; resolves with its base URL. */
  async frontend(): Promise<{ component: Component; url: string }> {
    const component = this.track(
      new Component(
        "frontend",
        spawn(process.execPath, [join(BIN_DIR, "koschei"), "frontend", "--listen", "127.0.0.1:0"], {
          env: this.env,
          stdio: ["ignore", "pipe", "pipe"],
        }),
      ),
    );
    const line = await component.waitForLog(/^frontend listening$/);
    const address = String(line.address);
    assert.match(address, /^http:\/\/127\.0\.0\.1:\d+$/);
    return { component, url: address };
  }

  /** The last log lines of every process, for a failure's report. */
  report(count = 40): string {
    return this.components
      .map((component) => {
        const lines = component.lines.slice(-count).map((line) => JSON.stringify(line));
        return [`--- ${component.name} (exit ${component.child.exitCode})`, ...lines].join("\n");
      })
      .join("\n");
  }

  private track(component: Component): Component {
    this.components.push(component);
    return component;
  }

  async control(path: string, body?: unknown): Promise<Record<string, unknown>> {
    return (await controlRequest(this.sim.url, path, body)) as Record<string, unknown>;
  }

  /** Tags a new binary build into the build tag (in no repo until one is regenerated). */
  async tagBuild(binary: Binary): Promise<void> {
    await this.control("/tag-build", { tag: BUILD_TAG, build: binaryBuild(binary) });
  }

  /** A new READY repo of the build tag; returns its id. */
  async regenRepo(): Promise<number> {
    return (await this.control("/regen-repo", { tag: BUILD_TAG })).repo_id as number;
  }

  async close(): Promise<void> {
    for (const component of this.components) await component.kill();
    await deleteQueueAndClose(this.connection, this.queue);
    await this.fresh.drop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The simulator's addresses from its banner on standard output. */
async function simBanner(sim: Component): Promise<{ url: string; hubUrl: string; topurl: string }> {
  let banner = "";
  const stdout = sim.child.stdout!;
  stdout.setEncoding("utf8");
  const found = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 120_000);
    const onData = (chunk: string) => {
      banner += chunk;
      if (banner.includes("control")) {
        clearTimeout(timer);
        stdout.off("data", onData);
        resolve(true);
      }
    };
    stdout.on("data", onData);
    void sim.exited.then(() => resolve(false));
  });
  const hubUrl = /at (http:\/\/\S+\/kojihub)/.exec(banner)?.[1];
  const topurl = /topurl (http:\/\/\S+?),/.exec(banner)?.[1];
  const url = /control (http:\/\/\S+)\/control/.exec(banner)?.[1];
  if (!found || !hubUrl || !topurl || !url) {
    throw new Error(`unexpected simulator banner: ${banner} ${sim.tail()}`);
  }
  return { url, hubUrl, topurl };
}

async function deleteQueueAndClose(connection: amqp.ChannelModel, queue: string): Promise<void> {
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue(queue);
  } catch {
    // The broker may be gone; nothing to clean then.
  }
  await connection.close().catch(() => undefined);
}

/** Waits until `check` returns something other than undefined/false, every 250 ms. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
