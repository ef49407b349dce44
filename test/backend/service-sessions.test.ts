// `koschei backend`'s sessions (serviceSessions): the services share the database but each has
// a Koji session of its own. Their passes run concurrently, and a logged-in session's calls
// carry increasing call numbers: a call that reaches the hub after a later-numbered one is
// refused with SequenceError, which is no outage and would end the process.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { KojiFault } from "@koschei/koji-protocol/faults.js";
import { serviceSessions } from "../../src/backend/command.js";
import { loadConfig, type KoscheiConfig } from "../../src/config/index.js";
import type { KojiApi } from "../../src/koji/api.js";
import { silentLogger } from "../../src/log/logger.js";
import { ServiceWorld } from "./service-world.js";

let world: ServiceWorld;
let dir: string;
let config: KoscheiConfig;

before(async () => {
  world = await ServiceWorld.start();
  dir = mkdtempSync(join(tmpdir(), "koschei-service-sessions-"));
  writeFileSync(join(dir, "koschei.pem"), "not read over plain HTTP\n");
  writeFileSync(
    join(dir, "config-backend.yaml"),
    [
      "koji_config:",
      `  server: ${world.sim.hubUrl}`,
      `  topurl: ${world.sim.topurl}`,
      "  login_method: ssl_login",
      `  login_args: { cert: ${join(dir, "koschei.pem")} }`,
      "",
    ].join("\n"),
  );
  config = loadConfig("backend", {
    KOSCHEI_CONFIG_DIR: dir,
    HOME: dir,
    KOSCHEI_DATABASE_URL: world.fresh.url,
  });
});

after(async () => {
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

let overtakers = 0;

/**
 * A call held up at the hub before its session is checked (getBuildConfig, delayed 500 ms),
 * and a write made meanwhile through `other` (as the scheduler's `build` would be; the hub
 * keeps the call number of writes only): the results of both.
 */
async function overtaken(first: KojiApi, other: KojiApi) {
  await world.inject("getBuildConfig", { delayMs: 500 });
  const slow = first.getBuildConfig("f29-build").then(
    (value) => ({ ok: value.name }),
    (error: unknown) => ({
      sequenceError: error instanceof KojiFault && error.is("SequenceError"),
      message: (error as Error).message.replace(/session \d+/, "session N"),
    }),
  );
  // The slow call has reached the hub (its fault is used up) before the other one is made.
  for (let i = 0; i < 100 && (await world.pendingFaults()).length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const quick = await other.client.call("createTag", [`overtaker-${++overtakers}`]);
  return { slow: await slow, quick: typeof quick === "number" ? "created" : quick };
}

test("one database for every service, a Koji session of each service's own", async () => {
  const sessions = serviceSessions(config, silentLogger);
  try {
    const polling = await sessions.open("polling");
    const scheduler = await sessions.open("scheduler");
    assert.equal(await sessions.open("polling"), polling);
    assert.equal(scheduler.database, polling.database);
    assert.notEqual(scheduler.koji, polling.koji);
    assert.ok(polling.koji.primary.client.loggedIn && scheduler.koji.primary.client.loggedIn);

    // What sharing one session would do: the hub refuses the overtaken call.
    assert.deepEqual(await overtaken(polling.koji.primary, polling.koji.primary), {
      slow: { sequenceError: true, message: "1 > 0 (session N)" },
      quick: "created",
    });
    // Each service's calls on its own session: both answered.
    assert.deepEqual(await overtaken(polling.koji.primary, scheduler.koji.primary), {
      slow: { ok: "f29-build" },
      quick: "created",
    });
  } finally {
    await sessions.close();
  }
});
