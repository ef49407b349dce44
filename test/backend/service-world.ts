// A simulated Koji hub, a fresh PostgreSQL database and a backend session over both, for the
// polling and scheduler tests. The world: target f29 (build tag f29-build with arches armv7hl,
// i686 and x86_64, destination tag f29), one x86 and one ARM builder, and builds of the
// packages the spec's scenarios name.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { after, before, beforeEach } from "node:test";
import { join } from "node:path";
import { KojiTaskState } from "@koschei/koji-protocol/koji-states.js";
import { parseScenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { EventBus, type BackendEvents } from "../../src/backend/events.js";
import type { BackendSession } from "../../src/backend/session.js";
import { loadConfig, type KoscheiConfig } from "../../src/config/index.js";
import { simKojiOptions } from "../support/sim-koji.js";
import { KojiSessions } from "../../src/koji/sessions.js";
import { silentLogger } from "../../src/log/logger.js";
import { control } from "../sim/hub-fixture.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import {
  insertBuild,
  insertF29Collection,
  packageName,
  packageRow,
} from "../support/koji-world.js";

export const RUNNING = 2;
export const COMPLETE = 3;
export const FAILED = 5;
export const REPO_ID = 888027;
/** The Koji client's time limit per request in these tests (delays beyond it time out). */
export const TIMEOUT_SECONDS = 4;
/** Load of the ARM builder at the start: 3 of its capacity of 10. */
export const ARM_LOAD = 0.3;

/** Koji builds of the world: name, epoch, version, release, tags and SRPM headers. */
export const KOJI_BUILDS = {
  rnv: { epoch: null, version: "1.7.11", release: "15.fc28" },
  eclipse: { epoch: 1, version: "4.7.2", release: "2.fc28" },
  expat: { epoch: null, version: "2.2.5", release: "3.fc29" },
  maven: { epoch: 1, version: "3.5.3", release: "2.fc29" },
  lbzip2: { epoch: null, version: "2.5", release: "10.fc28" },
  log4j: { epoch: null, version: "2.9.1", release: "2.fc28" },
  /** Imported into Koji without a build task: it has no repo id. */
  slf4j: { epoch: null, version: "1.7.25", release: "4.fc28" },
  s390utils: { epoch: 2, version: "2.6.0", release: "1.fc29" },
  broken: { epoch: null, version: "1.0", release: "1.fc29" },
  guava: { epoch: null, version: "24.1", release: "1.fc29" },
  /** Tagged in f28 only: Koji knows its SRPM, but f29 has no build of it. */
  oldpkg: { epoch: null, version: "1.0", release: "1.fc28" },
} as const;
export type KojiPackage = keyof typeof KOJI_BUILDS;

function scenario() {
  const build = (name: KojiPackage, extra: Record<string, unknown> = {}) => ({
    name,
    ...KOJI_BUILDS[name],
    tags: [name === "oldpkg" ? "f28" : "f29"],
    rpms: [{ name, arch: "x86_64" }],
    ...extra,
  });
  const f29Packages = (Object.keys(KOJI_BUILDS) as KojiPackage[])
    .filter((name) => name !== "oldpkg")
    .map((name) => ({ name }));
  return parseScenario(
    {
      name: "service-world",
      startTime: "2018-04-05T12:00:00Z",
      // The ARM builder names armv7hl too: the scheduler asks for hosts by the tag's arch
      // names (as Koschei always did), and hubs match those words literally.
      hosts: [
        { name: "x86-builder", arches: ["x86_64", "i386"], capacity: 10 },
        {
          name: "arm-builder",
          arches: ["armhfp", "armv7hl"],
          capacity: 10,
          taskLoad: ARM_LOAD * 10,
        },
      ],
      tags: [
        { name: "f28" },
        {
          name: "f29",
          packages: [...f29Packages, { name: "retired", blocked: true }],
        },
        {
          name: "f29-build",
          parents: ["f29"],
          arches: ["armv7hl", "i686", "x86_64"],
          groups: [{ name: "build", packages: [{ package: "expat" }] }],
        },
      ],
      targets: [{ name: "f29", buildTag: "f29-build", destTag: "f29" }],
      builds: [
        ...(["rnv", "eclipse", "expat", "lbzip2", "log4j", "broken", "guava"] as const).map(
          (name) => build(name),
        ),
        build("maven", {
          srpm: { buildArchs: ["noarch"] },
          rpms: [{ name: "maven", arch: "noarch" }],
        }),
        build("s390utils", { srpm: { exclusiveArch: ["s390x"] } }),
        build("slf4j", { imported: true }),
        build("oldpkg"),
      ],
      repos: [{ id: REPO_ID, tag: "f29-build" }],
      taskRules: [
        { package: "broken", fail: true, durationSeconds: 60 },
        { package: "*", durationSeconds: 600 },
      ],
    },
    "service-world",
  );
}

/** The simulator, database and Koji sessions of one test file. */
/**
 * Registers the file's hooks: one world started before its tests (handed to `started`), closed
 * after them, and reset before each test (then `afterReset`, when given).
 */
export function useServiceWorld(
  started: (world: ServiceWorld) => void,
  afterReset?: (world: ServiceWorld) => Promise<void>,
): void {
  let world: ServiceWorld | undefined;
  before(async () => {
    world = await ServiceWorld.start();
    started(world);
  });
  after(async () => {
    await world?.close();
  });
  beforeEach(async () => {
    await world!.reset();
    await afterReset?.(world!);
  });
}

export class ServiceWorld {
  events = new EventBus(silentLogger);
  stateChanges: BackendEvents["package_state_change"][] = [];
  /** Configuration overrides of the current test (see `configure`). */
  private overrides: (config: KoscheiConfig) => KoscheiConfig = (config) => config;

  private constructor(
    readonly sim: Simulator,
    readonly fresh: FreshDatabase,
    readonly koji: KojiSessions,
    private readonly baseConfig: KoscheiConfig,
    private readonly scratchDir: string,
  ) {}

  static async start(): Promise<ServiceWorld> {
    const sim = await startSimulator({
      listen: "127.0.0.1:0",
      scenario: scenario(),
      plainLoginUser: "koschei",
    });
    const scratchDir = mkdtempSync(join(tmpdir(), "koschei-service-world-"));
    writeFileSync(
      join(scratchDir, "config.yaml"),
      [
        "koji_config:",
        "  max_builds: 2",
        "  load_threshold: 0.6",
        "  task_priority: 30",
        "priorities:",
        "  package_update: 20",
        "",
      ].join("\n"),
    );
    const koji = await KojiSessions.open(
      simKojiOptions(sim, scratchDir, "ssl_login", TIMEOUT_SECONDS),
      null,
    );
    const config = loadConfig("backend", { KOSCHEI_CONFIG_DIR: scratchDir, HOME: scratchDir });
    const fresh = await freshDatabase();
    return new ServiceWorld(sim, fresh, koji, config, scratchDir);
  }

  /** Sessions that stay anonymous (login_method logout). */
  anonymousKoji(): Promise<KojiSessions> {
    return KojiSessions.open(
      simKojiOptions(this.sim, this.scratchDir, "logout", TIMEOUT_SECONDS),
      null,
    );
  }

  async close(): Promise<void> {
    await this.koji?.close();
    await this.sim?.close();
    await this.fresh?.drop();
    rmSync(this.scratchDir, { recursive: true, force: true });
  }

  /** Empties the tables, clears faults and cancels builds earlier tests left active in Koji. */
  async reset(): Promise<void> {
    await this.fresh.database.query(
      "TRUNCATE collection, base_package, package, build, koji_task, unapplied_change, " +
        "dependency, repo_mapping, scalar_stats, resource_consumption_stats RESTART IDENTITY CASCADE",
    );
    await control(this.sim.url, "/faults", undefined, "DELETE");
    const active = await this.koji.primary.listTasks({
      method: "build",
      state: [KojiTaskState.FREE, KojiTaskState.OPEN, KojiTaskState.ASSIGNED],
    });
    for (const task of active) await this.koji.primary.cancelTask(task.id);
    this.overrides = (config) => config;
    this.events = new EventBus(silentLogger);
    this.stateChanges = [];
    this.events.on("package_state_change", (change) => {
      this.stateChanges.push(change);
    });
  }

  /** Changes the configuration for the rest of the test. */
  configure(change: (config: KoscheiConfig) => KoscheiConfig): void {
    this.overrides = change;
  }

  session(koji: KojiSessions = this.koji): BackendSession {
    return {
      config: this.overrides(this.baseConfig),
      database: this.fresh.database,
      koji,
      events: this.events,
      log: silentLogger,
      now: () => this.now(),
    };
  }

  get db() {
    return this.fresh.database.db;
  }

  /** The simulated hub's clock. */
  now(): Date {
    return new Date(this.sim.clock.now() * 1000);
  }

  minutesAgo(minutes: number): Date {
    return new Date(this.now().getTime() - minutes * 60_000);
  }

  async advance(seconds: number): Promise<void> {
    assert.equal((await control(this.sim.url, "/advance", { seconds })).status, 200);
  }

  /** The next `count` calls of `method` ("*": any) fail as described. */
  async inject(method: string, fault: Record<string, unknown>, count = 1): Promise<void> {
    const answer = await control(this.sim.url, "/faults", { method, count, ...fault });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  }

  async pendingFaults(): Promise<unknown[]> {
    return (await control(this.sim.url, "/faults")).body as unknown as unknown[];
  }

  async collection(
    values: {
      latest_repo_resolved?: boolean | null;
      latest_repo_id?: number | null;
      poll_untracked?: boolean;
    } = {},
  ): Promise<number> {
    return insertF29Collection(this.db, {
      latest_repo_id: REPO_ID,
      latest_repo_resolved: true,
      ...values,
    });
  }

  async package(
    name: string,
    values: {
      tracked?: boolean;
      blocked?: boolean;
      resolved?: boolean | null;
      skip_resolution?: boolean;
      arch_override?: string | null;
      dependency_priority?: number;
      manual_priority?: number;
      build_priority?: number;
    } = {},
  ): Promise<number> {
    const collectionId =
      (await this.db.selectFrom("collection").select("id").executeTakeFirst())?.id ??
      (await this.collection());
    const base = await this.db
      .insertInto("base_package")
      .values({ name })
      .onConflict((conflict) => conflict.column("name").doUpdateSet({ name }))
      .returning("id")
      .executeTakeFirstOrThrow();
    const { id } = await this.db
      .insertInto("package")
      .values({
        name,
        base_id: base.id,
        collection_id: collectionId,
        tracked: true,
        resolved: true,
        ...values,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return id;
  }

  // Far above the ids the simulator hands out, so that no made-up task id names a real task.
  private nextTaskId = 50_000_000;

  /** A build row; finished builds get repo 1, the EVR defaults to Koji's build of the package. */
  async build(
    packageId: number,
    values: {
      state?: number;
      started?: Date;
      finished?: Date | null;
      task_id?: number;
      epoch?: number | null;
      version?: string;
      release?: string;
      real?: boolean;
      untagged?: boolean;
      repo_id?: number | null;
    } = {},
  ): Promise<number> {
    const name = await packageName(this.db, packageId);
    const koji = KOJI_BUILDS[name as KojiPackage] ?? { epoch: null, version: "1", release: "1" };
    const state = values.state ?? COMPLETE;
    return insertBuild(this.db, {
      package_id: packageId,
      state,
      task_id: this.nextTaskId++,
      started: this.minutesAgo(40),
      finished: state === RUNNING ? null : this.minutesAgo(30),
      repo_id: state === RUNNING ? null : 1,
      epoch: koji.epoch,
      version: koji.version,
      release: koji.release,
      ...values,
    });
  }

  packageRow(id: number) {
    return packageRow(this.db, id);
  }

  async buildRows(packageId: number) {
    return this.db
      .selectFrom("build")
      .selectAll()
      .where("package_id", "=", packageId)
      .orderBy("id")
      .execute();
  }

  /** Scratch build tasks created in Koji after `afterTaskId`, oldest first, with requests. */
  async buildTasksAfter(afterTaskId: number) {
    const tasks = await this.koji.primary.listTasks(
      { method: "build", decode: true },
      { order: "id" },
    );
    return tasks.filter((task) => task.id > afterTaskId);
  }

  /** The highest task id Koji has handed out so far. */
  async lastTaskId(): Promise<number> {
    const [last] = await this.koji.primary.listTasks({}, { order: "-id", limit: 1 });
    return last?.id ?? 0;
  }
}
