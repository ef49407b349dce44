// The resolver loop's test bed: a Koji world for the simulator whose build tag holds binaries
// with dependencies between them (A → B → C, G → H, and the build group's R → S) and whose
// destination tag holds two source packages, foo (BuildRequires A) and qux (BuildRequires G);
// a fresh PostgreSQL database; a configuration directory pointing at both, with Koji's topurl
// behind a proxy that can make repo downloads fail. Backend services run in-process through
// the service runner, each run standing for a `koschei backend` process: the database shared,
// Koji sessions (and so resolver caches) of each service's own, the simulator's clock.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseScenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { EventBus } from "../../src/backend/events.js";
import {
  backendServices,
  findServices,
  type ServiceDefinition,
} from "../../src/backend/registry.js";
import { runServices, type RunnerExitCode } from "../../src/backend/runner.js";
import type { BackendSession } from "../../src/backend/session.js";
import { loadConfig, type KoscheiConfig } from "../../src/config/index.js";
import { openDatabase, type Database } from "../../src/db/index.js";
import { KojiSessions } from "../../src/koji/sessions.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import {
  resolverScenarioJson,
  runAdmin,
  tearDownWorld,
  type AdminRun,
} from "../support/koji-world.js";
import { backendConfigYaml, capturingLogger, controlRequest, type LogLine } from "./loop-world.js";
import { startFaultingProxy, type FaultingProxy } from "./resolver-proxy.js";

/** The READY repo of f31-build at the start. */
export const FIRST_REPO = 700;
/** Simulated duration of every SRPM and buildArch task. */
export const TASK_SECONDS = 300;

/** A binary package built alone: `name`, `E:V-R`, arch, what it requires. */
export interface Binary {
  name: string;
  evr: string;
  arch?: string;
  requires?: string[];
  /** The binary RPMs' names when they differ from the build's (a package split or renamed). */
  rpmNames?: string[];
}

/** A build as the scenario and /control/tag-build take it. */
export function binaryBuild({ name, evr, arch = "x86_64", requires = [], rpmNames }: Binary) {
  const [epoch, versionRelease] = evr.split(":") as [string, string];
  const [version, release] = versionRelease.split("-") as [string, string];
  return {
    name,
    epoch: Number(epoch) === 0 ? null : Number(epoch),
    version,
    release,
    rpms: (rpmNames ?? [name]).map((rpm) => ({ name: rpm, arch, requires })),
  };
}

/** The build tag's binaries at the start. */
const BINARIES: Binary[] = [
  { name: "A", evr: "0:1-1", requires: ["B"] },
  { name: "B", evr: "0:1-1", arch: "noarch", requires: ["C"] },
  { name: "C", evr: "0:1-1" },
  { name: "G", evr: "0:1-1", requires: ["H"] },
  { name: "H", evr: "0:1-1" },
  { name: "R", evr: "0:1-1", requires: ["S"] },
  { name: "S", evr: "0:1-1" },
];

/** The source packages Koschei tracks, with their SRPM's version, release and BuildRequires. */
export const SOURCES = {
  foo: { version: "1.0", release: "1.fc31", buildRequires: ["A"] },
  qux: { version: "2.0", release: "1.fc31", buildRequires: ["G"] },
} as const;
export type SourceName = keyof typeof SOURCES;

function scenarioJson(): Record<string, unknown> {
  return {
    ...resolverScenarioJson({
      name: "resolver-loop",
      startTime: "2026-01-05T08:00:00Z",
      host: "builder01",
      tag: "f31",
      binaryBuilds: BINARIES.map(binaryBuild),
      sources: SOURCES,
      repoId: FIRST_REPO,
    }),
    defaultTaskDurationSeconds: TASK_SECONDS,
  };
}

export type { AdminRun };

/** A service's pass as seen from outside: how it ended, and the rows right after a failure. */
export interface PassRecord<Snapshot> {
  service: string;
  error?: string;
  snapshot?: Snapshot;
}

export class ResolverLoopWorld {
  readonly events: EventBus;
  /** `[repo id, previous state, new state]` of every collection_state_change. */
  readonly collectionChanges: [number, string, string][] = [];
  /** `[package, previous state, new state]` of every package_state_change. */
  readonly packageChanges: [string, string, string][] = [];

  private constructor(
    readonly sim: Simulator,
    readonly proxy: FaultingProxy,
    readonly fresh: FreshDatabase,
    readonly dir: string,
    readonly config: KoscheiConfig,
    private readonly adminConfig: KoscheiConfig,
    /** Koji sessions of the test itself (looking at tasks). */
    readonly koji: KojiSessions,
    readonly logLines: LogLine[],
    private readonly logger: ReturnType<typeof capturingLogger>["log"],
  ) {
    this.events = new EventBus(logger);
    this.events.on("collection_state_change", (change) => {
      this.collectionChanges.push([change.repoId, change.prevState, change.newState]);
    });
    this.events.on("package_state_change", (change) => {
      this.packageChanges.push([change.package.name, change.prevState, change.newState]);
    });
  }

  static async start(): Promise<ResolverLoopWorld> {
    const dir = mkdtempSync(join(tmpdir(), "koschei-resolver-loop-"));
    let sim: Simulator | undefined;
    let proxy: FaultingProxy | undefined;
    let fresh: FreshDatabase | undefined;
    try {
      sim = await startSimulator({
        listen: "127.0.0.1:0",
        scenario: parseScenario(scenarioJson()),
        plainLoginUser: "koschei",
      });
      proxy = await startFaultingProxy(sim.url);
      fresh = await freshDatabase();
      const certFile = join(dir, "koschei.pem");
      writeFileSync(certFile, "not read over plain HTTP\n");
      const configDir = join(dir, "config");
      mkdirSync(configDir);
      writeFileSync(
        join(configDir, "config-backend.yaml"),
        backendConfigYaml({ hubUrl: sim.hubUrl, topurl: `${proxy.url}/kojifiles` }, certFile, {
          // Koji faults reach the passes: the client does not retry them itself.
          retry: "{ max_retries: 0, retry_interval: 0, timeout: 20 }",
          extra: [
            "directories:",
            `  cachedir: ${join(dir, "cache")}`,
            "services:",
            "  repo-resolver: { interval: 0.05 }",
            "  build-resolver: { interval: 0.05 }",
          ],
        }),
      );
      const env = { KOSCHEI_CONFIG_DIR: configDir, HOME: dir };
      const config = loadConfig("backend", env);
      const adminConfig = loadConfig("admin", env);
      const captured = capturingLogger();
      const koji = await KojiSessions.fromConfig(config, captured.log);
      return new ResolverLoopWorld(
        sim,
        proxy,
        fresh,
        dir,
        config,
        adminConfig,
        koji,
        captured.lines,
        captured.log,
      );
    } catch (error) {
      await tearDownWorld(dir, fresh, proxy, sim);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.koji.close().catch(() => undefined);
    await tearDownWorld(this.dir, this.fresh, this.proxy, this.sim);
  }

  get db() {
    return this.fresh.database.db;
  }

  now(): Date {
    return new Date(this.sim.clock.now() * 1000);
  }

  /** Runs a koschei-admin command line in-process: same parsing, one transaction. */
  admin(argv: string[]): Promise<AdminRun> {
    return runAdmin(this.adminConfig, this.fresh.database, "resolver-loop-tester", argv);
  }

  /**
   * One `koschei backend SERVICE… --once` process: the services' passes through the runner,
   * run concurrently as the command runs them. With `ownDatabase` the process opens a
   * database pool of its own (as a separate process has).
   */
  async runOnce(names: string[], options: { ownDatabase?: boolean } = {}): Promise<RunnerExitCode> {
    return this.runProcess(lookup(names), { once: true, ...options });
  }

  /**
   * A `koschei backend SERVICE` process that runs until every service has completed one
   * pass, retrying failed passes (outages) with a short back-off. Every pass is recorded; after
   * a failed one, `snapshot` is taken before the next pass starts.
   */
  async runUntilPassed<Snapshot>(
    names: string[],
    snapshot: () => Promise<Snapshot>,
  ): Promise<{ exitCode: RunnerExitCode; passes: PassRecord<Snapshot>[] }> {
    const passes: PassRecord<Snapshot>[] = [];
    const stop = new AbortController();
    const passed = new Set<string>();
    const observed = lookup(names).map((service): ServiceDefinition => ({
      ...service,
      runPass: async (context) => {
        try {
          await service.runPass(context);
        } catch (error) {
          passes.push({
            service: service.name,
            error: (error as Error).message,
            snapshot: await snapshot(),
          });
          throw error;
        }
        passes.push({ service: service.name });
        passed.add(service.name);
        if (passed.size === names.length) stop.abort();
      },
    }));
    const exitCode = await this.runProcess(observed, { stop: stop.signal });
    return { exitCode, passes };
  }

  private async runProcess(
    services: ServiceDefinition[],
    options: { once?: boolean; stop?: AbortSignal; ownDatabase?: boolean },
  ): Promise<RunnerExitCode> {
    const database: Database = options.ownDatabase
      ? await openDatabase({ kind: "postgresql", url: this.fresh.url })
      : this.fresh.database;
    const sessions = new Map<string, Promise<BackendSession>>();
    const open = async (): Promise<BackendSession> => ({
      config: this.config,
      database,
      koji: await KojiSessions.fromConfig(this.config, this.logger),
      events: this.events,
      log: this.logger,
      now: () => this.now(),
    });
    try {
      return await runServices({
        services,
        config: this.config,
        log: this.logger,
        events: this.events,
        session: (service) => {
          let session = sessions.get(service);
          if (!session) sessions.set(service, (session = open()));
          return session;
        },
        once: options.once,
        stop: options.stop,
        retry: { firstDelaySeconds: 0.05, maxDelaySeconds: 0.2 },
      });
    } finally {
      for (const session of sessions.values()) await (await session).koji.close();
      if (options.ownDatabase) await database.close();
    }
  }

  async control(path: string, body?: unknown): Promise<Record<string, unknown>> {
    return (await controlRequest(this.sim.url, path, body)) as Record<string, unknown>;
  }

  /** Tags a new build into f31-build (in no repo until one is regenerated). */
  async tagBuild(binary: Binary): Promise<void> {
    await this.control("/tag-build", { tag: "f31-build", build: binaryBuild(binary) });
  }

  /** A new READY repo of f31-build; returns its id. */
  async regenRepo(): Promise<number> {
    const answer = await this.control("/regen-repo", { tag: "f31-build" });
    return answer.repo_id as number;
  }

  async advance(seconds: number): Promise<void> {
    await this.control("/advance", { seconds });
  }

  /** The next `count` XML-RPC calls of `method` fail as described. */
  async injectKojiFault(method: string, fault: Record<string, unknown>, count = 1): Promise<void> {
    await this.control("/faults", { method, count, ...fault });
  }

  async kojiFaultsPending(): Promise<number> {
    return ((await controlRequest(this.sim.url, "/faults")) as unknown[]).length;
  }

  /** The top-level scratch build tasks Koji has, oldest first: [task id, SRPM URL, options]. */
  async scratchTasks(): Promise<[number, unknown, unknown][]> {
    const tasks = await this.koji.primary.listTasks(
      { method: "build", parent: null, decode: true },
      { order: "id" },
    );
    return tasks
      .filter((task) => (task.request?.[2] as { scratch?: boolean } | undefined)?.scratch)
      .map((task) => [task.id, task.request![0], task.request![2]]);
  }

  async packageId(name: SourceName): Promise<number> {
    const row = await this.db
      .selectFrom("package")
      .select("id")
      .where("name", "=", name)
      .executeTakeFirstOrThrow();
    return row.id;
  }
}

function lookup(names: string[]): ServiceDefinition[] {
  const found = findServices(backendServices, names);
  assert.ok("found" in found, `unknown services ${names.join(", ")}`);
  return found.found;
}
