// The copr plugin end to end (issue #14): `koschei frontend` and `koschei backend
// copr-resolver copr-scheduler polling` as processes from the built bins, with `plugins:
// [copr]`, against PostgreSQL, the Koji simulator and the Copr simulator over HTTP. A packager
// asks on the web page what a Copr project does to collection f29; the resolver finds the
// package it fixes, the one it breaks and the ones it changes; the scheduler rebuilds those in
// Copr; polling follows the Copr builds; the request's page then shows which rebuild broke.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseScenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { startCoprSim, type CoprWorld } from "../support/copr-world.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { resolverScenarioJson } from "../support/koji-world.js";
import { csrfTokenFor } from "../frontend/group-seed.js";
import { webClient, type WebClient } from "../frontend/web-world.js";
import {
  BASELINE,
  binaryBuild,
  RAWHIDE,
  REPO_ID,
  seedCollection,
  SOURCES,
  startFileServer,
  USER_REPO,
} from "../plugins/fixtures/copr/collection.js";
import { writeFixtureRepo } from "../plugins/fixtures/copr/repos.js";
import { BIN_DIR, productEnvironment } from "./loop-world.js";
import { Component, waitFor } from "./production-world.js";

let dir: string;
let fresh: FreshDatabase;
let koji: Simulator;
let copr: CoprWorld;
let files: { url: string; server: Server };
const components: Component[] = [];
let browser: WebClient;

function start(name: string, args: string[], env: NodeJS.ProcessEnv): Component {
  const component = new Component(
    name,
    spawn(process.execPath, [join(BIN_DIR, "koschei"), ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  components.push(component);
  return component;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "koschei-copr-e2e-"));
  koji = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: parseScenario(
      resolverScenarioJson({
        name: "copr-e2e",
        startTime: "2018-04-05T12:00:00Z",
        host: "builder",
        tag: "f29",
        binaryBuilds: BASELINE.map(binaryBuild),
        sources: SOURCES,
        repoId: REPO_ID,
      }),
      "copr-e2e",
    ),
  });
  // Copr builds end within a second; c1's fails.
  copr = await startCoprSim({ timing: { pendingMs: 200, runningMs: 500, auto: true } });
  copr.sim.setOutcomes({ failingPackages: ["c1"] });
  await writeFixtureRepo(join(dir, "served", "update"), USER_REPO);
  files = await startFileServer(join(dir, "served"));
  copr.sim.createProject({
    ownername: "packager",
    name: "update",
    chroots: [RAWHIDE],
    chrootRepos: { [RAWHIDE]: `${files.url}/update/` },
  });
  fresh = await freshDatabase();
  await seedCollection(fresh.database.db);

  writeFileSync(
    join(dir, "config.yaml"),
    [
      // The copr services and polling only read from Koji: no login.
      "koji_config:",
      `  server: ${koji.hubUrl}`,
      `  topurl: ${koji.topurl}`,
      "  login_method: logout",
      "  retry: { max_retries: 1, retry_interval: 0, timeout: 20 }",
      "plugins: [copr]",
      "copr:",
      `  config_path: ${JSON.stringify(copr.writeConfig(dir))}`,
      "directories:",
      `  cachedir: ${JSON.stringify(join(dir, "cache"))}`,
      `  statedir: ${JSON.stringify(join(dir, "state"))}`,
      "services:",
      "  polling: { interval: 1 }",
      "  copr-resolver: { interval: 1 }",
      "  copr-scheduler: { interval: 0.5 }",
      "frontend:",
      "  auth: { trusted_proxies: [127.0.0.1] }",
      "flask: { SECRET_KEY: copr-e2e-test-secret-0123456789 }",
      "",
    ].join("\n"),
  );
  const env = productEnvironment(dir, fresh.url);
  start("backend", ["backend", "copr-resolver", "copr-scheduler", "polling"], env);
  const frontend = start("frontend", ["frontend", "--listen", "127.0.0.1:0"], env);
  const line = await frontend.waitForLog(/^frontend listening$/);
  browser = webClient(String(line.address));
  const login = await browser.request("/login", { headers: { "X-Remote-User": "packager" } });
  assert.equal(login.status, 302);
});

after(async () => {
  for (const component of components) await component.kill();
  await new Promise((resolve) => files?.server.close(resolve));
  await copr?.close();
  await koji?.close();
  await fresh?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** The request's page as text, whitespace folded. */
async function requestPage(path: string): Promise<string> {
  const response = await browser.get(path);
  assert.equal(response.status, 200, path);
  return (await response.text()).replace(/\s+/g, " ");
}

test("a user rebuild request goes from the form to Copr builds and their outcome", async () => {
  const form = "/rebuild-request/user/packager";
  const created = await browser.post("/rebuild-request/new", {
    csrf_token: await csrfTokenFor(browser, form),
    collection: "f29",
    copr_name: "update",
    description: "libfoo 2.0",
    schedule_count: "8",
  });
  assert.equal(created.status, 302);
  const location = created.headers.get("location")!;
  assert.match(location, /^\/rebuild-request\/\d+$/);

  try {
    // The resolver: c2 fixed, c4 broken by the newer copr-test4; c1 and c3 queued.
    const resolved = await waitFor(
      "the request resolved",
      async () => {
        const page = await requestPage(location);
        return page.includes("Resolution changes") ? page : undefined;
      },
      60_000,
    );
    assert.ok(resolved.includes("c2") && resolved.includes("c4"), resolved);

    // The scheduler submits both, polling follows them to their end.
    const done = await waitFor(
      "the request finished",
      async () => {
        const page = await requestPage(location);
        return /State<\/span><\/dt>.*?finished/.test(page) ? page : undefined;
      },
      90_000,
    );
    assert.ok(done.includes("Executed rebuilds"), done);
    assert.match(done, /<tr class="[^"]*kk-copr-rebuild-broken[^"]*">.*?>c1</);
    assert.equal((done.match(/>copr build</g) ?? []).length, 2);
    assert.equal(copr.sim.state.projects.size, 3, "the user's project and one per rebuild");
  } catch (error) {
    for (const component of components) {
      console.error(component.name, JSON.stringify(component.errors()).slice(0, 3000));
    }
    throw error;
  }
  for (const component of components) {
    assert.deepEqual(
      component.errors().map((line) => line.msg),
      [],
      `${component.name} logged errors`,
    );
  }
});
