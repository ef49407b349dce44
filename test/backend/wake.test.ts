// Wake-ups over PostgreSQL LISTEN/NOTIFY: a notification reaches the subscribers of its
// channel only, and a lost listening connection is opened again, waking every channel once
// (notifications sent meanwhile are lost).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { notifyChannel, postgresWakeSignals } from "../../src/backend/wake.js";
import { silentLogger } from "../../src/log/logger.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { waitFor } from "../e2e/loop-world.js";

let fresh: FreshDatabase;
before(async () => {
  fresh = await freshDatabase({ migrated: false });
});
after(async () => {
  await fresh.drop();
});

// LISTEN takes effect when its statement ends: a session idle after its last LISTEN listens on
// every channel (one still running it would miss a notification sent now).
const listening = async () =>
  (
    await fresh.database.query<{ n: number }>(
      "SELECT count(*) AS n FROM pg_stat_activity " +
        "WHERE datname = current_database() AND query LIKE 'LISTEN %koschei_b%' AND state = 'idle'",
    )
  )[0]!.n;

test("a NOTIFY wakes the subscribers of its channel; a lost connection is reopened", async () => {
  const wake = postgresWakeSignals(fresh.url, silentLogger, { firstDelayMs: 50, maxDelayMs: 200 });
  const woken: string[] = [];
  try {
    wake.subscribe("koschei_a", () => woken.push("a"));
    wake.subscribe("koschei_b", () => woken.push("b"));
    await waitFor("listening", async () => (await listening()) > 0, 5000);

    await notifyChannel(fresh.database.db, "koschei_a", "f29-build");
    await waitFor("a woken", async () => woken.length === 1, 5000);
    assert.deepEqual(woken, ["a"]);

    // The server ends the listening session: both channels are woken once it is back.
    await fresh.database.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity " +
        "WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    );
    await waitFor("woken after reconnecting", async () => woken.length === 3, 5000);
    assert.deepEqual(woken.slice(1).sort(), ["a", "b"]);

    await notifyChannel(fresh.database.db, "koschei_b", "x");
    await waitFor("b woken", async () => woken.length === 4, 5000);
    assert.equal(woken[3], "b");
  } finally {
    await wake.close();
  }
});
