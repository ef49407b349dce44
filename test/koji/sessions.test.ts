import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadConfig } from "../../src/config/index.js";
import { KojiSessions } from "../../src/koji/sessions.js";
import {
  startTestHub,
  tlsFixture,
  type HubReply,
  type HubRequest,
  type TestHub,
} from "./test-hub.js";

const hubs: TestHub[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(hubs.map((hub) => hub.close()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function hub(): Promise<TestHub> {
  const started = await startTestHub((request: HubRequest): HubReply => {
    if (request.method === "sslLogin") {
      return { value: { "session-id": 7, "session-key": "1-key", "header-auth": true } };
    }
    return { value: request.method === "getBuildTarget" ? { name: "f29" } : null };
  });
  hubs.push(started);
  return started;
}

function config(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), "koschei-koji-"));
  dirs.push(dir);
  writeFileSync(join(dir, "config.yaml"), yaml);
  return loadConfig("backend", { KOSCHEI_CONFIG: join(dir, "config.yaml"), HOME: dir });
}

test("secondary mode: a logged-in primary and an anonymous read-only secondary", async () => {
  const [primaryHub, secondaryHub] = [await hub(), await hub()];
  const sessions = await KojiSessions.fromConfig(
    config(
      `koji_config:\n  server: ${primaryHub.url}\n  login_method: ssl_login\n` +
        `  login_args: {cert: ${tlsFixture("client.pem")}}\n` +
        `secondary_koji_config:\n  server: ${secondaryHub.url}\n`,
    ),
  );
  assert.ok(sessions.secondaryMode);
  assert.ok(sessions.primary.client.loggedIn && !sessions.secondary.client.loggedIn);
  assert.equal(sessions.forCollection({ secondary_mode: true }), sessions.secondary);
  assert.equal(sessions.forCollection({ secondary_mode: false }), sessions.primary);
  assert.equal(sessions.idOf(sessions.secondary), "secondary");

  await sessions.forCollection({ secondary_mode: true }).getBuildTarget("f29");
  assert.deepEqual(
    secondaryHub.requests.map((r) => r.method),
    ["getBuildTarget"],
  );
  assert.equal(secondaryHub.requests[0]!.headers["koji-session-id"], undefined);
  await assert.rejects(sessions.secondary.build("src", "f29", {}), /read-only/);

  await sessions.primary.getBuildTarget("f29");
  assert.equal(primaryHub.requests.at(-1)!.headers["koji-session-id"], "7");
  await sessions.close();
  assert.deepEqual(
    primaryHub.requests.map((r) => r.method),
    ["sslLogin", "getBuildTarget", "logout"],
  );
});

test("without a secondary section both sessions are the primary one", async () => {
  const primaryHub = await hub();
  const sessions = await KojiSessions.fromConfig(
    config(`koji_config:\n  server: ${primaryHub.url}\n`),
  );
  assert.ok(!sessions.secondaryMode);
  assert.equal(sessions.secondary, sessions.primary);
  assert.equal(sessions.forCollection({ secondary_mode: true }), sessions.primary);
  assert.equal(sessions.idOf(sessions.secondary), "primary");
  assert.ok(!sessions.primary.client.loggedIn);
  await sessions.close();
  assert.equal(primaryHub.requests.length, 0);
});
