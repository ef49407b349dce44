// Koji sessions against the hub simulator: the primary logs in over real TLS with a client
// certificate (the fixture PKI of fixtures/tls), the secondary stays anonymous and read-only.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadConfig } from "../../src/config/index.js";
import { KojiSessions } from "../../src/koji/sessions.js";
import { parseScenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { closedPortOrigin, recordingLogger } from "../net/misbehaving-servers.js";
import { tlsFixture } from "./test-hub.js";

const scenario = () =>
  parseScenario(
    {
      name: "sessions",
      startTime: "2025-01-01T00:00:00Z",
      hosts: [{ name: "builder", arches: ["x86_64"], capacity: 2 }],
      builds: [],
      tags: [{ name: "f29" }, { name: "f29-build", parents: ["f29"] }],
      targets: [{ name: "f29", buildTag: "f29-build", destTag: "f29" }],
    },
    "sessions",
  );

/** Serves HTTPS and logs in whoever presents a certificate of the fixture CA. */
let tlsHub: Simulator;
let plainHub: Simulator;
const dirs: string[] = [];

before(async () => {
  tlsHub = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: scenario(),
    tls: {
      cert: readFileSync(tlsFixture("server.pem")),
      key: readFileSync(tlsFixture("server.key")),
      ca: readFileSync(tlsFixture("ca.pem")),
    },
  });
  plainHub = await startSimulator({ listen: "127.0.0.1:0", scenario: scenario() });
});

after(async () => {
  await Promise.all([tlsHub.close(), plainHub.close()]);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function config(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), "koschei-koji-"));
  dirs.push(dir);
  writeFileSync(join(dir, "config.yaml"), yaml);
  return loadConfig("backend", { KOSCHEI_CONFIG: join(dir, "config.yaml"), HOME: dir });
}

/** A primary section logging in with the fixture client certificate (CN koschei). */
const loggedInPrimary = (server: string) =>
  `koji_config:\n  server: ${server}\n  login_method: ssl_login\n` +
  `  login_args: {cert: ${tlsFixture("client.pem")}, serverca: ${tlsFixture("ca.pem")}}\n`;

test("secondary mode: a primary logged in by certificate, an anonymous read-only secondary", async () => {
  const sessions = await KojiSessions.fromConfig(
    config(
      loggedInPrimary(tlsHub.hubUrl) + `secondary_koji_config:\n  server: ${plainHub.hubUrl}\n`,
    ),
  );
  assert.ok(sessions.secondaryMode);
  assert.equal(sessions.forCollection({ secondary_mode: true }), sessions.secondary);
  assert.equal(sessions.forCollection({ secondary_mode: false }), sessions.primary);
  assert.equal(sessions.idOf(sessions.secondary), "secondary");

  // The hub took the user from the certificate's CN; authtype 2 is Koji's SSL.
  const me = (await sessions.primary.client.call("getLoggedInUser")) as Record<string, unknown>;
  assert.deepEqual([me.name, me.authtype], ["koschei", 2]);
  const [session] = [...tlsHub.state.sessions.values()];
  assert.equal(tlsHub.state.sessions.size, 1);
  assert.equal(session!.closed, false);

  assert.equal(await sessions.secondary.client.call("getLoggedInUser"), null);
  assert.equal((await sessions.secondary.getBuildTarget("f29"))?.build_tag_name, "f29-build");
  assert.equal(plainHub.state.sessions.size, 0);
  await assert.rejects(sessions.secondary.build("src", "f29", {}), /read-only/);

  await sessions.close();
  assert.equal(session!.closed, true);
  assert.ok(!sessions.primary.client.loggedIn);
});

test("without a secondary section both sessions are the primary one", async () => {
  const sessions = await KojiSessions.fromConfig(config(loggedInPrimary(tlsHub.hubUrl)));
  assert.ok(!sessions.secondaryMode);
  assert.equal(sessions.secondary, sessions.primary);
  assert.equal(sessions.forCollection({ secondary_mode: true }), sessions.primary);
  assert.equal(sessions.idOf(sessions.secondary), "primary");
  assert.ok(sessions.primary.client.loggedIn);
  await sessions.close();
});

test("the sessions' retries are logged, tagged with the session", async () => {
  const { logger, records } = recordingLogger();
  const unreachable = `${await closedPortOrigin()}/kojihub`;
  const sessions = await KojiSessions.fromConfig(
    config(
      `koji_config:\n  server: ${plainHub.hubUrl}\n` +
        `secondary_koji_config:\n  server: ${unreachable}\n` +
        `  session_opts: {max_retries: 1, retry_interval: 0}\n`,
    ),
    logger,
  );
  await assert.rejects(sessions.secondary.getBuildTarget("f29"), /ECONNREFUSED/);
  assert.deepEqual(
    records.map((record) => [record.koji, record.url, record.method, record.attempt]),
    [["secondary", unreachable, "getBuildTarget", 1]],
  );
  await sessions.close();
});
