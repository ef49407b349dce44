// A simulated Koji hub whose build repo is spec 04 §6's test repository (packages A–F, R and
// bar), a fresh PostgreSQL database and backend sessions over both, for the resolver tests.
// Source packages of the destination tag f29: foo (BuildRequires A and F) and qux (G).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseScenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { EventBus, type BackendEvents } from "../../src/backend/events.js";
import type { ResolverContext } from "../../src/backend/repo-resolver.js";
import type { BackendSession } from "../../src/backend/session.js";
import { loadConfig, type KoscheiConfig } from "../../src/config/index.js";
import { KojiSessions } from "../../src/koji/sessions.js";
import { silentLogger } from "../../src/log/logger.js";
import { control } from "../sim/hub-fixture.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import {
  describedChanges,
  insertBuild,
  insertF29Collection,
  packageName,
  packageRow,
  resolutionHistory,
  resolverScenarioJson,
} from "../support/koji-world.js";
import { simKojiOptions } from "../support/sim-koji.js";

export const FIRST_REPO_ID = 100;
export const COMPLETE = 3;
export const RUNNING = 2;
export const FAILED = 5;

/** A binary of the test repository: name, E:V-R, arch, and what it requires and provides. */
interface Binary {
  name: string;
  evr: string;
  arch?: string;
  requires?: string[];
  provides?: string[];
  files?: string[];
}

/** A build of one binary, as the scenario and /control/tag-build take it. */
export function binaryBuild({ name, evr, arch = "x86_64", ...deps }: Binary) {
  const [epoch, versionRelease] = evr.split(":") as [string, string];
  const [version, release] = versionRelease.split("-") as [string, string];
  return {
    name,
    epoch: Number(epoch) === 0 ? null : Number(epoch),
    version,
    release,
    rpms: [{ name, arch, ...deps }],
  };
}

/** Spec 04 §6, plus G (qux's only BuildRequire). */
const REPOSITORY: Binary[] = [
  { name: "A", evr: "0:1-1.fc22", requires: ["B"] },
  { name: "B", evr: "0:4.1-2.fc22", arch: "noarch", requires: ["C"], files: ["/bin/csh"] },
  { name: "C", evr: "1:3-1.fc22" },
  { name: "D", evr: "2:8.b-1.rc1.fc22", requires: ["F"] },
  { name: "E", evr: "0:0.1-1.fc22.1", arch: "noarch", requires: ["D"] },
  { name: "F", evr: "0:1-1.fc22", arch: "noarch", requires: ["B", "C", "E"] },
  { name: "R", evr: "0:3.3-2.fc22", provides: ["virtual"] },
  { name: "bar", evr: "0:1-1.fc22", requires: ["nonexistent"] },
  { name: "G", evr: "0:1-1" },
];

/** The source packages Koschei tracks, with their SRPM's EVR and BuildRequires. */
export const SOURCES = {
  foo: { version: "4", release: "1.fc22", buildRequires: ["A", "F"] },
  qux: { version: "1", release: "1", buildRequires: ["G"] },
} as const;
export type SourceName = keyof typeof SOURCES;

function scenario() {
  return parseScenario(
    resolverScenarioJson({
      name: "resolver-world",
      startTime: "2018-04-05T12:00:00Z",
      host: "builder",
      tag: "f29",
      binaryBuilds: REPOSITORY.map(binaryBuild),
      sources: SOURCES,
      repoId: FIRST_REPO_ID,
    }),
    "resolver-world",
  );
}

/** The simulator, database and configuration of one test file. */
export class ResolverWorld {
  events = new EventBus(silentLogger);
  packageEvents: BackendEvents["package_state_change"][] = [];
  collectionEvents: BackendEvents["collection_state_change"][] = [];
  private overrides: (config: KoscheiConfig) => KoscheiConfig = (config) => config;

  private hub: { sim: Simulator; koji: KojiSessions } | undefined;

  private constructor(
    readonly fresh: FreshDatabase,
    private readonly baseConfig: KoscheiConfig,
    private readonly scratchDir: string,
  ) {}

  static async start(): Promise<ResolverWorld> {
    const scratchDir = mkdtempSync(join(tmpdir(), "koschei-resolver-world-"));
    writeFileSync(
      join(scratchDir, "config.yaml"),
      ["priorities:", "  package_update: 20", "directories:", `  cachedir: ${scratchDir}`, ""].join(
        "\n",
      ),
    );
    const config = loadConfig("backend", { KOSCHEI_CONFIG_DIR: scratchDir, HOME: scratchDir });
    const fresh = await freshDatabase();
    return new ResolverWorld(fresh, config, scratchDir);
  }

  get sim(): Simulator {
    return this.hub!.sim;
  }

  get koji(): KojiSessions {
    return this.hub!.koji;
  }

  async close(): Promise<void> {
    await this.stopHub();
    await this.fresh.drop();
    rmSync(this.scratchDir, { recursive: true, force: true });
  }

  private async stopHub(): Promise<void> {
    await this.hub?.koji.close();
    await this.hub?.sim.close();
    this.hub = undefined;
  }

  /**
   * Empties the tables and starts a new hub from the scenario (tests tag builds and make repos),
   * and forgets configuration overrides and recorded events.
   */
  async reset(): Promise<void> {
    await this.fresh.database.query(
      "TRUNCATE collection, base_package, package, build, dependency, repo_mapping " +
        "RESTART IDENTITY CASCADE",
    );
    await this.stopHub();
    const sim = await startSimulator({
      listen: "127.0.0.1:0",
      scenario: scenario(),
      plainLoginUser: "koschei",
    });
    const koji = await this.kojiSessions(sim, "logout");
    this.hub = { sim, koji };
    this.overrides = (config) => config;
    this.events = new EventBus(silentLogger);
    this.packageEvents = [];
    this.collectionEvents = [];
    this.events.on("package_state_change", (change) => {
      this.packageEvents.push(change);
    });
    this.events.on("collection_state_change", (change) => {
      this.collectionEvents.push(change);
    });
  }

  configure(change: (config: KoscheiConfig) => KoscheiConfig): void {
    this.overrides = change;
  }

  private kojiSessions(sim: Simulator, loginMethod: "ssl_login" | "logout"): Promise<KojiSessions> {
    return KojiSessions.open(simKojiOptions(sim, this.scratchDir, loginMethod, 30), null);
  }

  /**
   * Runs a newRepo task of f29-build to its end (as repo_regen asks the primary hub to mirror a
   * secondary repo); returns the task's id.
   */
  async finishedNewRepoTask(): Promise<number> {
    const loggedIn = await this.kojiSessions(this.sim, "ssl_login");
    try {
      const taskId = await loggedIn.primary.newRepo("f29-build");
      const advanced = await control(this.sim.url, "/advance", { seconds: 600 });
      assert.equal(advanced.status, 200);
      return taskId;
    } finally {
      await loggedIn.close();
    }
  }

  /** A backend session: one per simulated process (each has its own caches). */
  session(): BackendSession {
    return {
      config: this.overrides(this.baseConfig),
      database: this.fresh.database,
      koji: this.koji,
      events: this.events,
      log: silentLogger,
      now: () => new Date(this.sim.clock.now() * 1000),
    };
  }

  /** What a pass of a service gets from the runner, over the given session. */
  context(
    session: BackendSession = this.session(),
    overrides: Partial<Omit<ResolverContext, "session">> = {},
  ): ResolverContext {
    return {
      session: async () => session,
      log: silentLogger,
      stopping: new AbortController().signal,
      ...overrides,
    };
  }

  get db() {
    return this.fresh.database.db;
  }

  /** Tags a new build into f29-build (not yet in any repo). */
  async tagBuild(build: ReturnType<typeof binaryBuild>): Promise<void> {
    const answer = await control(this.sim.url, "/tag-build", { tag: "f29-build", build });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  }

  /** A new READY repo of f29-build; returns its id. */
  async regenRepo(): Promise<number> {
    const answer = await control(this.sim.url, "/regen-repo", { tag: "f29-build" });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.repo_id as number;
  }

  /** The next `count` XML-RPC calls of `method` fail as described. */
  async inject(method: string, fault: Record<string, unknown>, count = 1): Promise<void> {
    const answer = await control(this.sim.url, "/faults", { method, count, ...fault });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  }

  async collection(
    values: {
      latest_repo_id?: number | null;
      latest_repo_resolved?: boolean | null;
      build_group?: string;
    } = {},
  ): Promise<number> {
    return insertF29Collection(this.db, {
      latest_repo_id: null,
      latest_repo_resolved: null,
      ...values,
    });
  }

  /** A tracked package of the collection, with `resolved` NULL unless given. */
  async package(
    name: SourceName,
    collectionId: number,
    values: { resolved?: boolean | null; tracked?: boolean } = {},
  ): Promise<number> {
    const base = await this.db
      .insertInto("base_package")
      .values({ name })
      .onConflict((conflict) => conflict.column("name").doUpdateSet({ name }))
      .returning("id")
      .executeTakeFirstOrThrow();
    const { id } = await this.db
      .insertInto("package")
      .values({ name, base_id: base.id, collection_id: collectionId, tracked: true, ...values })
      .returning("id")
      .executeTakeFirstOrThrow();
    return id;
  }

  private nextTaskId = 1000;

  /** A build of the package's SRPM (Koji's EVR), complete in the first repo unless given. */
  async build(
    packageId: number,
    values: {
      state?: number;
      repo_id?: number | null;
      started?: Date;
      deps_resolved?: boolean | null;
    } = {},
  ): Promise<number> {
    const name = await packageName(this.db, packageId);
    const { version, release } = SOURCES[name as SourceName];
    const state = values.state ?? COMPLETE;
    const taskId = this.nextTaskId++;
    return insertBuild(this.db, {
      package_id: packageId,
      state,
      task_id: taskId,
      // Later builds start later.
      started: new Date(Date.UTC(2018, 3, 1) + taskId * 60_000),
      finished: state === RUNNING ? null : new Date(Date.UTC(2018, 3, 2)),
      repo_id: state === RUNNING ? null : FIRST_REPO_ID,
      version,
      release,
      ...values,
    });
  }

  packageRow(id: number) {
    return packageRow(this.db, id);
  }

  async buildRow(id: number) {
    return this.db.selectFrom("build").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  }

  async collectionRow(id: number) {
    return this.db
      .selectFrom("collection")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
  }

  /** The package's unapplied changes as `name prev → curr @distance`, by name. */
  async unappliedChanges(packageId: number): Promise<string[]> {
    return describedChanges(this.db, "unapplied_change", "package_id", packageId);
  }

  /** The build's applied changes, described like `unappliedChanges`. */
  async appliedChanges(buildId: number): Promise<string[]> {
    return describedChanges(this.db, "applied_change", "build_id", buildId);
  }

  /** The package's resolution history, oldest first: resolved flag and problems. */
  async history(packageId: number): Promise<{ resolved: boolean; problems: string[] }[]> {
    return resolutionHistory(this.db, packageId);
  }
}
