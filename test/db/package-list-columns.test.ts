// The trigger-kept columns the package lists read (migration 0007): base_package.any_running,
// any_failing, any_tracked (and all_blocked, now kept by the same trigger) must always equal the
// aggregate of the base's package rows, and package.last_build_started the start of the build
// last_build_id names, whatever changes builds and packages.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import {
  addBuild,
  addCollection,
  addPackage,
  COMPLETE,
  FAILED,
  finishBuild,
  inRolledBackTransaction,
  RUNNING,
  type Db,
} from "./suites/fixtures.js";

/** Base packages whose kept flags differ from their package rows' aggregate. */
async function staleFlags(trx: Db): Promise<unknown[]> {
  const { rows } = await sql`
    SELECT b.name, b.any_running, b.any_failing, b.any_tracked
      FROM base_package b
      LEFT JOIN LATERAL (
        SELECT coalesce(bool_or(p.last_build_id IS DISTINCT FROM p.last_complete_build_id), false)
                 AS running,
               coalesce(bool_or(p.last_complete_build_state = 5 OR p.resolved IS FALSE), false)
                 AS failing,
               coalesce(bool_or(p.tracked AND NOT p.blocked), false) AS tracked,
               bool_and(p.blocked) AS blocked
          FROM package p WHERE p.base_id = b.id) agg ON TRUE
      WHERE (b.any_running, b.any_failing, b.any_tracked) IS DISTINCT FROM
            (agg.running, agg.failing, agg.tracked)
         OR b.all_blocked IS DISTINCT FROM coalesce(agg.blocked, b.all_blocked)
  `.execute(trx);
  return rows;
}

/** Packages whose last_build_started is not their last build's start. */
async function staleStarts(trx: Db): Promise<unknown[]> {
  const { rows } = await sql`
    SELECT p.name, p.last_build_started, b.started
      FROM package p LEFT JOIN build b ON b.id = p.last_build_id
      WHERE p.last_build_started IS DISTINCT FROM b.started
  `.execute(trx);
  return rows;
}

async function flags(trx: Db, name: string) {
  return trx
    .selectFrom("base_package")
    .select(["all_blocked", "any_running", "any_failing", "any_tracked"])
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
}

async function assertConsistent(trx: Db): Promise<void> {
  assert.deepEqual(await staleFlags(trx), []);
  assert.deepEqual(await staleStarts(trx), []);
}

describe("columns kept for the package lists", () => {
  let fresh: FreshDatabase;
  before(async () => (fresh = await freshDatabase()));
  after(() => fresh?.drop());

  const test = (name: string, body: (trx: Db, f29: number, f30: number) => Promise<void>) =>
    it(name, () =>
      inRolledBackTransaction(fresh.database, async (trx) => {
        await body(trx, await addCollection(trx, "f29"), await addCollection(trx, "f30"));
        await assertConsistent(trx);
      }),
    );

  test("a new package sets its base's flags", async (trx, f29, f30) => {
    await addPackage(trx, f29, "rnv");
    assert.deepEqual(await flags(trx, "rnv"), {
      all_blocked: false,
      any_running: false,
      any_failing: false,
      any_tracked: true,
    });
    await addPackage(trx, f29, "eclipse", { tracked: false });
    await addPackage(trx, f30, "eclipse", { tracked: true, blocked: true });
    assert.equal((await flags(trx, "eclipse")).any_tracked, false);
  });

  test("builds that start, fail, succeed and vanish", async (trx, f29, f30) => {
    const rnv29 = await addPackage(trx, f29, "rnv");
    const rnv30 = await addPackage(trx, f30, "rnv");
    const first = await addBuild(trx, rnv29, RUNNING, "2017-10-10T10:00:00Z");
    assert.equal((await flags(trx, "rnv")).any_running, true);
    await assertConsistent(trx);
    await finishBuild(trx, first, FAILED);
    assert.deepEqual(await flags(trx, "rnv"), {
      all_blocked: false,
      any_running: false,
      any_failing: true,
      any_tracked: true,
    });
    const second = await addBuild(trx, rnv29, COMPLETE, "2017-10-11T10:00:00Z");
    assert.equal((await flags(trx, "rnv")).any_failing, false);
    await addBuild(trx, rnv30, FAILED, "2017-10-11T11:00:00Z");
    assert.equal((await flags(trx, "rnv")).any_failing, true);
    await assertConsistent(trx);
    const running = await addBuild(trx, rnv29, RUNNING, "2017-10-12T10:00:00Z");
    await assertConsistent(trx);
    // Deleting the running last build (a canceled task) falls back to the complete one.
    await trx.deleteFrom("build").where("id", "=", running).execute();
    assert.equal((await flags(trx, "rnv")).any_running, false);
    await assertConsistent(trx);
    await trx.updateTable("build").set({ untagged: true }).where("id", "=", second).execute();
    await assertConsistent(trx);
  });

  test("a build's start synced from Koji moves with it", async (trx, f29) => {
    const rnv = await addPackage(trx, f29, "rnv");
    const older = await addBuild(trx, rnv, COMPLETE, "2017-10-10T10:00:00Z");
    const last = await addBuild(trx, rnv, RUNNING, "2017-10-11T10:00:00Z");
    await trx
      .updateTable("build")
      .set({ started: new Date("2017-10-11T09:00:00Z") })
      .where("id", "in", [older, last])
      .execute();
    const row = await trx
      .selectFrom("package")
      .select("last_build_started")
      .where("id", "=", rnv)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row.last_build_started, new Date("2017-10-11T09:00:00Z"));
  });

  test("a start written by hand is overwritten by the last build's", async (trx, f29) => {
    const rnv = await addPackage(trx, f29, "rnv");
    await addBuild(trx, rnv, COMPLETE, "2017-10-10T10:00:00Z");
    await trx
      .updateTable("package")
      .set({ last_build_started: new Date("2000-01-01T00:00:00Z") })
      .where("id", "=", rnv)
      .execute();
  });

  test("resolution, tracking and blocking, one package and many at once", async (trx, f29, f30) => {
    const rnv = await addPackage(trx, f29, "rnv");
    await addPackage(trx, f30, "rnv");
    await addPackage(trx, f29, "eclipse");
    await trx.updateTable("package").set({ resolved: false }).where("id", "=", rnv).execute();
    assert.equal((await flags(trx, "rnv")).any_failing, true);
    await trx.updateTable("package").set({ resolved: true }).execute();
    assert.equal((await flags(trx, "rnv")).any_failing, false);
    await trx.updateTable("package").set({ tracked: false }).where("name", "=", "rnv").execute();
    assert.equal((await flags(trx, "rnv")).any_tracked, false);
    assert.equal((await flags(trx, "eclipse")).any_tracked, true);
    await trx.updateTable("package").set({ tracked: true, blocked: true }).execute();
    assert.deepEqual(await flags(trx, "eclipse"), {
      all_blocked: true,
      any_running: false,
      any_failing: false,
      any_tracked: false,
    });
  });

  test("a package moved to another base updates both", async (trx, f29) => {
    const rnv = await addPackage(trx, f29, "rnv");
    await addPackage(trx, f29, "eclipse", { tracked: false });
    await addBuild(trx, rnv, RUNNING, "2017-10-10T10:00:00Z");
    const eclipse = await trx
      .selectFrom("base_package")
      .select("id")
      .where("name", "=", "eclipse")
      .executeTakeFirstOrThrow();
    await trx.deleteFrom("package").where("name", "=", "eclipse").execute();
    await trx.updateTable("package").set({ base_id: eclipse.id }).where("id", "=", rnv).execute();
    assert.equal((await flags(trx, "eclipse")).any_running, true);
    assert.equal((await flags(trx, "rnv")).any_running, false);
  });

  test("deleting packages and collections clears the flags", async (trx, f29, f30) => {
    const rnv29 = await addPackage(trx, f29, "rnv");
    const rnv30 = await addPackage(trx, f30, "rnv", { blocked: true });
    await addBuild(trx, rnv29, RUNNING, "2017-10-10T10:00:00Z");
    await addBuild(trx, rnv30, FAILED, "2017-10-10T10:00:00Z");
    await trx.deleteFrom("collection").where("id", "=", f30).execute();
    assert.deepEqual(await flags(trx, "rnv"), {
      all_blocked: false,
      any_running: true,
      any_failing: false,
      any_tracked: true,
    });
    await trx.deleteFrom("package").execute();
    // Without package rows all_blocked keeps its value, and no flag is set.
    assert.deepEqual(await flags(trx, "rnv"), {
      all_blocked: false,
      any_running: false,
      any_failing: false,
      any_tracked: false,
    });
  });
});
