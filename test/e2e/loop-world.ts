// The build loop's test bed: a Koji world for the simulator (target f30, one x86_64 builder, five
// packages of which `broken` fails to build on x86_64), a fresh PostgreSQL database, and a
// configuration directory pointing at both. In-process, LoopWorld runs the product's admin
// commands (parsed and run as `koschei-admin` would) and the polling and scheduler passes with
// a backend session whose clock is the simulator's; child-process helpers start `koschei
// sim-koji`, `koschei-admin` and `koschei backend` from bin/.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { decodeResponse, encodeCall } from "@koschei/koji-protocol/xmlrpc-client.js";
import type { XmlRpcStruct, XmlRpcValue } from "@koschei/koji-protocol/xmlrpc.js";
import { parseScenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { EventBus, type BackendEvents } from "../../src/backend/events.js";
import { runPollingPass } from "../../src/backend/polling.js";
import { runSchedulerPass, type SchedulerOutcome } from "../../src/backend/scheduler.js";
import type { BackendSession } from "../../src/backend/session.js";
import { loadConfig, type KoscheiConfig } from "../../src/config/index.js";
import { KojiApi } from "../../src/koji/api.js";
import { KojiClient } from "../../src/koji/client.js";
import { KojiSessions } from "../../src/koji/sessions.js";
import { silentLogger, type Logger } from "../../src/log/logger.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { runAdmin, tearDownWorld, type AdminRun } from "../support/koji-world.js";

export const BIN_DIR = fileURLToPath(new URL("../../../bin/", import.meta.url));

/**
 * The environment of the product's processes in a test: the configuration of `dir` alone (no
 * file from this machine's home, no fedora-messaging config.toml, no watchdog), the given
 * database.
 */
export function productEnvironment(dir: string, databaseUrl: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KOSCHEI_CONFIG_DIR: dir,
    KOSCHEI_CONFIG: "",
    KOSCHEI_DATABASE_URL: databaseUrl,
    FEDORA_MESSAGING_CONF: "",
    WATCHDOG_PATH: "",
    HOME: dir,
  };
}

export const RUNNING = 2;
export const COMPLETE = 3;
export const FAILED = 5;
/** Koji task states as stored in koji_task. */
export const TASK_OPEN = 1;
export const TASK_CLOSED = 2;
export const TASK_FAILED = 5;

/** The READY repo of f30-build at the start. */
export const REPO_ID = 4242;
/** The builder's capacity: one build in its buildArch phase (0.2 + 1.5) loads it 0.567. */
export const CAPACITY = 3;
/** Simulated duration of every SRPM and buildArch task (unless the test says otherwise). */
export const TASK_SECONDS = 300;

/** The Koji builds of the world; `gamma` is never tracked. */
export const KOJI_BUILDS = {
  alpha: { epoch: null, version: "1.0", release: "1.fc30" },
  beta: { epoch: null, version: "2.1", release: "3.fc30" },
  broken: { epoch: null, version: "0.9", release: "1.fc30" },
  delta: { epoch: 1, version: "4.0", release: "1.fc30" },
  gamma: { epoch: null, version: "7", release: "2.fc30" },
} as const;
export type PackageName = keyof typeof KOJI_BUILDS;
export const TRACKED: readonly PackageName[] = ["alpha", "beta", "broken", "delta"];

export interface ScenarioOptions {
  /** RFC 3339 start of the simulated clock. */
  startTime: string;
  taskSeconds?: number;
}

/**
 * The world as scenario JSON. `broken`'s x86_64 buildArch task fails (its SRPM builds), so its
 * failed scratch builds have an arch task, as real failures do.
 */
export function loopScenarioJson(options: ScenarioOptions): Record<string, unknown> {
  const names = Object.keys(KOJI_BUILDS) as PackageName[];
  return {
    name: "build-loop",
    startTime: options.startTime,
    hosts: [{ name: "builder01", arches: ["x86_64", "i386"], capacity: CAPACITY }],
    tags: [
      {
        name: "f30",
        packages: names.map((name) => ({ name })),
      },
      { name: "f30-build", parents: ["f30"], arches: ["x86_64"] },
    ],
    targets: [{ name: "f30", buildTag: "f30-build", destTag: "f30" }],
    builds: names.map((name) => ({
      name,
      ...KOJI_BUILDS[name],
      tags: ["f30"],
      rpms: [{ name, arch: "x86_64" }],
    })),
    repos: [{ tag: "f30-build", id: REPO_ID }],
    taskRules: [{ package: "broken", arch: "x86_64", fail: true }],
    defaultTaskDurationSeconds: options.taskSeconds ?? TASK_SECONDS,
  };
}

/** config-backend.yaml for a hub; `extra` lines are appended (top-level sections). */
export function backendConfigYaml(
  hub: { hubUrl: string; topurl: string },
  certFile: string,
  options: { retry?: string; extra?: string[] } = {},
): string {
  return [
    "koji_config:",
    `  server: ${hub.hubUrl}`,
    `  topurl: ${hub.topurl}`,
    "  login_method: ssl_login",
    `  login_args: { cert: ${certFile} }`,
    "  max_builds: 2",
    "  load_threshold: 0.5",
    "  task_priority: 30",
    `  retry: ${options.retry ?? "{ max_retries: 1, retry_interval: 0, timeout: 20 }"}`,
    ...(options.extra ?? []),
    "",
  ].join("\n");
}

export type { AdminRun };

export interface LogLine {
  level: number;
  msg: string;
  /** The message of the logged error, if any. */
  err?: string;
}

/** Collects pino JSON lines (level, message, error message) in memory. */
export function capturingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        const entry = JSON.parse(line) as { level: number; msg: string; err?: { message: string } };
        lines.push({ level: entry.level, msg: entry.msg, err: entry.err?.message });
      }
      done();
    },
  });
  return { log: pino({ level: "info" }, sink), lines };
}

/** The simulator, database, configuration and Koji sessions of one in-process test. */
export class LoopWorld {
  readonly events: EventBus;
  readonly stateChanges: BackendEvents["package_state_change"][] = [];

  private constructor(
    readonly sim: Simulator,
    readonly fresh: FreshDatabase,
    readonly dir: string,
    readonly config: KoscheiConfig,
    private readonly adminConfig: KoscheiConfig,
    readonly koji: KojiSessions,
    readonly log: Logger,
  ) {
    this.events = new EventBus(log);
    this.events.on("package_state_change", (change) => {
      this.stateChanges.push(change);
    });
  }

  /**
   * Starts the simulator in manual time, creates the database and writes config-backend.yaml;
   * the Koji sessions are opened from that configuration as `koschei backend` opens them.
   */
  static async start(
    options: {
      retry?: string;
      extra?: string[];
      log?: Logger;
      /** The simulator publishes its buildsys.* messages to this broker, under this prefix. */
      amqp?: { url: string; topicPrefix: string };
    } = {},
  ): Promise<LoopWorld> {
    const dir = mkdtempSync(join(tmpdir(), "koschei-build-loop-"));
    let sim: Simulator | undefined;
    let fresh: FreshDatabase | undefined;
    try {
      sim = await startSimulator({
        listen: "127.0.0.1:0",
        scenario: parseScenario(loopScenarioJson({ startTime: "2025-03-01T00:00:00Z" })),
        plainLoginUser: "koschei",
        ...(options.amqp
          ? { amqpUrl: options.amqp.url, topicPrefix: options.amqp.topicPrefix }
          : {}),
      });
      fresh = await freshDatabase();
      const certFile = join(dir, "koschei.pem");
      writeFileSync(certFile, "not read over plain HTTP\n");
      const configDir = join(dir, "config");
      mkdirSync(configDir);
      writeFileSync(
        join(configDir, "config-backend.yaml"),
        backendConfigYaml(sim, certFile, options),
      );
      const env = { KOSCHEI_CONFIG_DIR: configDir, HOME: dir };
      const config = loadConfig("backend", env);
      const adminConfig = loadConfig("admin", env);
      const log = options.log ?? silentLogger;
      const koji = await KojiSessions.fromConfig(config, log);
      return new LoopWorld(sim, fresh, dir, config, adminConfig, koji, log);
    } catch (error) {
      await tearDownWorld(dir, fresh, sim);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.koji.close().catch(() => undefined);
    for (const koji of this.serviceKoji.values()) {
      await (await koji).close().catch(() => undefined);
    }
    await tearDownWorld(this.dir, this.fresh, this.sim);
  }

  get db() {
    return this.fresh.database.db;
  }

  /** The simulated hub's clock. */
  now(): Date {
    return new Date(this.sim.clock.now() * 1000);
  }

  /** A backend session as `koschei backend` has it, with the simulator's clock. */
  session(): BackendSession {
    return {
      config: this.config,
      database: this.fresh.database,
      koji: this.koji,
      events: this.events,
      log: this.log,
      now: () => this.now(),
    };
  }

  private readonly serviceKoji = new Map<string, Promise<KojiSessions>>();

  /**
   * The session of a service run by the service runner: as `koschei backend` opens them
   * (serviceSessions), the database shared and Koji sessions of the service's own, but with
   * the simulator's clock.
   */
  async serviceSession(service: string): Promise<BackendSession> {
    let koji = this.serviceKoji.get(service);
    if (!koji) {
      koji = KojiSessions.fromConfig(this.config, this.log);
      this.serviceKoji.set(service, koji);
    }
    return { ...this.session(), koji: await koji };
  }

  /** One polling pass. */
  poll(): Promise<void> {
    const session = this.session();
    return runPollingPass({
      session: async () => session,
      log: this.log,
      stopping: new AbortController().signal,
    });
  }

  /** One scheduler pass. */
  schedule(): Promise<SchedulerOutcome> {
    const session = this.session();
    return runSchedulerPass({ session: async () => session, log: this.log });
  }

  /** Runs a koschei-admin command line in-process: same parsing, one transaction. */
  admin(argv: string[]): Promise<AdminRun> {
    return runAdmin(this.adminConfig, this.fresh.database, "loop-tester", argv);
  }

  async control(path: string, body?: unknown, method?: string): Promise<unknown> {
    return controlRequest(this.sim.url, path, body, method);
  }

  async advance(seconds: number): Promise<void> {
    await this.control("/advance", { seconds });
  }

  private adminSession: { login: XmlRpcStruct; callnum: number } | null = null;

  /**
   * A call to the hub over HTTP as `kojiadmin`, the simulator's admin (a Koji admin's change,
   * such as packageListBlock). Over plain HTTP the simulator logs in only its `koschei` user,
   * so the admin's session is made in-process, as the hub would make it for an admin's
   * certificate; the call itself goes through the hub like any client's. Faults are thrown.
   */
  async kojiAdmin(method: string, params: XmlRpcValue[]): Promise<XmlRpcValue> {
    if (!this.adminSession) {
      const session = this.sim.state.login("kojiadmin");
      this.adminSession = {
        login: { "session-id": session.id, "session-key": session.key },
        callnum: 0,
      };
    }
    const callnum = ++this.adminSession.callnum;
    const response = await fetch(this.sim.hubUrl, {
      method: "POST",
      body: encodeCall(method, params),
      headers: {
        "Koji-Session-Id": String(this.adminSession.login["session-id"]),
        "Koji-Session-Key": String(this.adminSession.login["session-key"]),
        "Koji-Session-Callnum": String(callnum),
      },
    });
    return decodeResponse(await response.text());
  }

  /** Koji's top-level `build` tasks after `afterId`, oldest first, requests decoded. */
  async buildTasksAfter(afterId: number) {
    const tasks = await this.koji.primary.listTasks(
      { method: "build", parent: null, decode: true },
      { order: "id" },
    );
    return tasks.filter((task) => task.id > afterId);
  }

  async lastTaskId(): Promise<number> {
    const [last] = await this.koji.primary.listTasks({}, { order: "-id", limit: 1 });
    return last?.id ?? 0;
  }

  async packageIds(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom("package").select(["id", "name"]).execute();
    return Object.fromEntries(rows.map((row) => [row.name, row.id]));
  }
}

export async function controlRequest(
  simUrl: string,
  path: string,
  body?: unknown,
  method = body === undefined ? "GET" : "POST",
): Promise<unknown> {
  const response = await fetch(`${simUrl}/control${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json()) as unknown;
  assert.equal(response.status, 200, `${method} /control${path}: ${JSON.stringify(answer)}`);
  return answer;
}

/** Waits until `check` returns a value other than undefined/false, polling every 100 ms. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes

export interface SimChild {
  child: ChildProcess;
  url: string;
  hubUrl: string;
  topurl: string;
  /** An anonymous client of the hub, for looking at its tasks. */
  api: KojiApi;
  stop(): Promise<number | null>;
}

/** `koschei sim-koji --listen 127.0.0.1:0 --scenario FILE --speed N`, once it has said where. */
export async function startSimChild(scenarioFile: string, speed: number): Promise<SimChild> {
  const child = spawn(
    process.execPath,
    [
      join(BIN_DIR, "koschei"),
      "sim-koji",
      "--listen",
      "127.0.0.1:0",
      "--scenario",
      scenarioFile,
      "--speed",
      String(speed),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let banner = "";
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdout!.setEncoding("utf8");
  for await (const chunk of child.stdout!) {
    banner += chunk as string;
    if (banner.includes("control")) break;
  }
  const hubUrl = /at (http:\/\/\S+\/kojihub)/.exec(banner)?.[1];
  const topurl = /topurl (http:\/\/\S+?),/.exec(banner)?.[1];
  const url = /control (http:\/\/\S+)\/control/.exec(banner)?.[1];
  if (!hubUrl || !topurl || !url) {
    child.kill("SIGKILL");
    throw new Error(`unexpected simulator banner: ${banner} ${stderr}`);
  }
  const api = new KojiApi(new KojiClient({ server: hubUrl, topurl }));
  return {
    child,
    url,
    hubUrl,
    topurl,
    api,
    async stop() {
      api.client.close();
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** Runs bin/koschei-admin with the given environment; resolves with its exit and output. */
export function runAdminBin(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(BIN_DIR, "koschei-admin"), ...args], { env });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
