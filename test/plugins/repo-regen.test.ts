// The repo_regen plugin against two Koji simulators over HTTP — the primary hub Koschei builds
// on, logged in, and the secondary hub whose repos it mirrors — and PostgreSQL: tags, target
// and comps groups appear on the primary, the secondary's latest repo is attached as the only
// external repo and regenerated once, and a Koji error in one collection spares the others.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { parseScenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { EventBus } from "../../src/backend/events.js";
import type { BackendSession } from "../../src/backend/session.js";
import { loadConfig, type KoscheiConfig } from "../../src/config/index.js";
import type { KojiApi } from "../../src/koji/api.js";
import { simKojiOptions } from "../support/sim-koji.js";
import { KojiSessions } from "../../src/koji/sessions.js";
import { silentLogger } from "../../src/log/logger.js";
import type { PluginContext } from "../../src/plugins/plugin.js";
import {
  externalRepoName,
  externalRepoUrl,
  RepoUrlError,
  tagArches,
} from "../../src/plugins/repo-regen/external-repo.js";
import { repoRegenPlugin } from "../../src/plugins/repo-regen/index.js";
import { control } from "../sim/hub-fixture.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";

const REPO_URL = "https://secondary.test/repos/{build_tag}/{repo_id}/{arch}";
const F30_REPO = 300;
const F31_REPO = 400;

describe("external repo names and URLs", () => {
  it("fills repo_url as str.format would, with Koji's $arch", () => {
    assert.equal(
      externalRepoUrl(REPO_URL, "f30-build", 300),
      "https://secondary.test/repos/f30-build/300/$arch",
    );
    assert.equal(externalRepoUrl("{{literal}}/{repo_id}", "t", 5), "{literal}/5");
    assert.throws(() => externalRepoUrl("{tag}/{repo_id}", "t", 5), RepoUrlError);
    assert.equal(externalRepoName("f30", 300), "f30-300");
  });

  it("creates tags with the build arches, or none", () => {
    assert.equal(tagArches(["x86_64", "i686"]), "x86_64,i686");
    assert.equal(tagArches([]), null);
  });
});

function secondaryScenario() {
  const collectionTags = (name: string) => [
    { name },
    {
      name: `${name}-build`,
      parents: [name],
      arches: ["x86_64"],
      groups: [
        {
          name: "build",
          packages: [
            { package: "bash" },
            { package: "gcc", type: "default" },
            { package: "vim", blocked: true },
          ],
        },
        { name: "srpm-build", packages: [{ package: "rpm-build", type: "optional" }] },
      ],
    },
  ];
  return parseScenario(
    {
      name: "repo-regen-secondary",
      startTime: "2020-04-01T12:00:00Z",
      hosts: [{ name: "builder", arches: ["x86_64"], capacity: 10 }],
      tags: [...collectionTags("f30"), ...collectionTags("f31")],
      targets: [
        { name: "f30", buildTag: "f30-build", destTag: "f30" },
        { name: "f31", buildTag: "f31-build", destTag: "f31" },
      ],
      builds: [],
      repos: [
        { id: F30_REPO, tag: "f30-build" },
        { id: F31_REPO, tag: "f31-build" },
      ],
    },
    "repo-regen-secondary",
  );
}

function primaryScenario() {
  return parseScenario(
    {
      name: "repo-regen-primary",
      startTime: "2020-04-01T12:00:00Z",
      hosts: [{ name: "builder", arches: ["x86_64", "i386"], capacity: 10 }],
      tags: [{ name: "unrelated" }],
      targets: [],
      builds: [],
    },
    "repo-regen-primary",
  );
}

const scratch = mkdtempSync(join(tmpdir(), "koschei-repo-regen-"));
let fresh: FreshDatabase;
let config: KoscheiConfig;
let primarySim: Simulator;
let secondarySim: Simulator;
let koji: KojiSessions;

before(async () => {
  writeFileSync(
    join(scratch, "config.yaml"),
    [
      "koji_config:",
      "  build_arches: [x86_64, i686]",
      "secondary_koji_config:",
      `  repo_url: "${REPO_URL}"`,
      "",
    ].join("\n"),
  );
  config = loadConfig("backend", { KOSCHEI_CONFIG_DIR: scratch, HOME: scratch });
  fresh = await freshDatabase();
});

after(async () => {
  await fresh?.drop();
  rmSync(scratch, { recursive: true, force: true });
});

// Every test gets hubs of its own: the plugin changes the primary one.
beforeEach(async () => {
  primarySim = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: primaryScenario(),
    plainLoginUser: "koschei",
  });
  secondarySim = await startSimulator({ listen: "127.0.0.1:0", scenario: secondaryScenario() });
  koji = await KojiSessions.open(
    simKojiOptions(primarySim, scratch, "ssl_login", 4),
    simKojiOptions(secondarySim, scratch, "logout", 4),
  );
  await fresh.database.query("TRUNCATE collection, repo_mapping RESTART IDENTITY CASCADE");
  for (const [name, secondaryMode] of [
    ["f30", true],
    ["f31", true],
    ["local", false],
  ] as const) {
    await fresh.database.db
      .insertInto("collection")
      .values({
        name,
        display_name: name,
        target: name,
        dest_tag: name,
        build_tag: `${name}-build`,
        secondary_mode: secondaryMode,
      })
      .execute();
  }
});

afterEach(async () => {
  await koji.close();
  await primarySim.close();
  await secondarySim.close();
});

function session(sessionConfig: KoscheiConfig = config): BackendSession {
  return {
    config: sessionConfig,
    database: fresh.database,
    koji,
    events: new EventBus(silentLogger),
    log: silentLogger,
    now: () => new Date(),
  };
}

/** One polling event as the polling service dispatches it to the plugin. */
function poll(pollConfig: KoscheiConfig = config): Promise<unknown> {
  const context: PluginContext = {
    config: pollConfig,
    log: silentLogger,
    session: async () => session(pollConfig),
    database: async () => fresh.database,
  };
  return repoRegenPlugin.backend!.listeners!.polling_event!({}, context);
}

async function mappings() {
  return fresh.database.db.selectFrom("repo_mapping").selectAll().orderBy("secondary_id").execute();
}

async function newRepoTasks(): Promise<{ id: number; tag: unknown }[]> {
  const tasks = await koji.primary.listTasks({ method: "newRepo", decode: true }, { order: "id" });
  return tasks.map((task) => ({ id: task.id, tag: task.request?.[0] }));
}

async function externalRepos(tag: string) {
  const attached = await koji.primary.getTagExternalRepos(tag);
  return attached.map(({ external_repo_name, url, priority }) => ({
    name: external_repo_name,
    url,
    priority,
  }));
}

/** Group → "package type blocked" lines, as a hub lists them. */
async function groups(api: KojiApi, tag: string): Promise<Record<string, string[]>> {
  const listed = await api.getTagGroups(tag);
  return Object.fromEntries(
    listed.map((group) => [
      group.name,
      group.packagelist.map((entry) => `${entry.package} ${entry.type} ${entry.blocked}`).sort(),
    ]),
  );
}

async function regenSecondaryRepo(tag: string): Promise<number> {
  const answer = await control(secondarySim.url, "/regen-repo", { tag });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.repo_id as number;
}

describe("mirroring secondary repos", () => {
  it("sets up tags, target and groups on the primary hub and mirrors the latest repo once", async () => {
    await poll();

    const buildTag = await koji.primary.getTag("f30-build");
    assert.equal(buildTag?.arches, "x86_64 i686");
    assert.ok(await koji.primary.getTag("f30"));
    const target = await koji.primary.getBuildTarget("f30");
    assert.equal(target?.build_tag_name, "f30-build");
    assert.equal(target?.dest_tag_name, "f30");
    // getTagGroups leaves blocked entries (vim) out, as Koji does: they are not copied.
    assert.deepEqual(await groups(koji.primary, "f30-build"), {
      build: ["bash mandatory false", "gcc default false"],
      "srpm-build": ["rpm-build optional false"],
    });
    assert.deepEqual(
      await groups(koji.primary, "f30-build"),
      await groups(koji.secondary, "f30-build"),
    );
    assert.deepEqual(await externalRepos("f30-build"), [
      {
        name: "f30-300",
        url: "https://secondary.test/repos/f30-build/300/$arch/",
        priority: 0,
      },
    ]);
    // A collection outside secondary mode is left alone.
    assert.equal(await koji.primary.getTag("local-build"), null);

    const tasks = await newRepoTasks();
    assert.deepEqual(
      tasks.map((task) => task.tag),
      ["f30-build", "f31-build"],
    );
    assert.deepEqual(await mappings(), [
      { secondary_id: F30_REPO, task_id: tasks[0]!.id, primary_id: null },
      { secondary_id: F31_REPO, task_id: tasks[1]!.id, primary_id: null },
    ]);

    // The same secondary repos again: nothing to do.
    await poll();
    assert.equal((await newRepoTasks()).length, 2);
    assert.equal((await mappings()).length, 2);
    assert.equal((await externalRepos("f30-build")).length, 1);
  });

  it("replaces the external repo by the secondary hub's newer repo", async () => {
    await poll();
    const newer = await regenSecondaryRepo("f30-build");
    await poll();

    assert.deepEqual(
      (await externalRepos("f30-build")).map((repo) => repo.name),
      [`f30-${newer}`],
    );
    assert.deepEqual(
      (await mappings()).map((mapping) => mapping.secondary_id),
      [F30_REPO, F31_REPO, newer],
    );
    assert.deepEqual(
      (await newRepoTasks()).map((task) => task.tag),
      ["f30-build", "f31-build", "f30-build"],
    );
  });

  it("logs a Koji error of one collection and goes on with the others", async () => {
    // The first collection's first call.
    await control(primarySim.url, "/faults", {
      method: "getTag",
      faultCode: 1000,
      faultString: "injected",
    });
    await poll();
    assert.deepEqual(
      (await mappings()).map((mapping) => mapping.secondary_id),
      [F31_REPO],
    );

    await poll();
    assert.deepEqual(
      (await mappings()).map((mapping) => mapping.secondary_id),
      [F30_REPO, F31_REPO],
    );
  });

  it("ends the pass on a Koji outage without a mapping, and mirrors on the next pass", async () => {
    // Both attempts of the client (it retries once).
    await control(primarySim.url, "/faults", { method: "newRepo", count: 2, httpStatus: 503 });
    await assert.rejects(poll());
    assert.deepEqual(await mappings(), []);

    await poll();
    assert.deepEqual(
      (await mappings()).map((mapping) => mapping.secondary_id),
      [F30_REPO, F31_REPO],
    );
    assert.deepEqual(
      (await externalRepos("f30-build")).map((repo) => repo.name),
      ["f30-300"],
    );
  });

  it("mirrors nothing without secondary_koji_config.repo_url, and logs why", async () => {
    const withoutUrl = {
      ...config,
      secondary_koji_config: { ...config.secondary_koji_config, repo_url: null },
    };
    await poll(withoutUrl);
    assert.ok(await koji.primary.getBuildTarget("f30"));
    assert.deepEqual(await mappings(), []);
    assert.deepEqual(await newRepoTasks(), []);
  });
});
