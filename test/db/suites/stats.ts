// The statistics tables and refresh_stats() (spec 01 §6, 06 §6.5).
import assert from "node:assert/strict";
import { it } from "node:test";
import { sql } from "kysely";
import type { Database } from "../../../src/db/index.js";
import {
  addBuild,
  addCollection,
  addPackage,
  COMPLETE,
  FAILED,
  inRolledBackTransaction,
  RUNNING,
  type Db,
} from "./fixtures.js";

const refresh = (trx: Db) => sql`SELECT refresh_stats()`.execute(trx);

async function addTask(trx: Db, buildId: number, arch: string, seconds: number | null) {
  const started = new Date("2017-10-10T10:00:00Z");
  await trx
    .insertInto("koji_task")
    .values({
      build_id: buildId,
      task_id: 1,
      arch,
      state: seconds === null ? 1 : 2,
      started,
      finished: seconds === null ? null : new Date(started.getTime() + seconds * 1000),
    })
    .execute();
}

async function resourceStats(trx: Db) {
  const rows = await trx
    .selectFrom("resource_consumption_stats")
    .select(["name", "arch", "time", "time_percentage"])
    .orderBy("time")
    .execute();
  return rows.map((r) => ({
    ...r,
    time_percentage: r.time_percentage === null ? null : Number(r.time_percentage.toFixed(4)),
  }));
}

async function scalarStats(trx: Db) {
  const rows = await trx.selectFrom("scalar_stats").selectAll().execute();
  assert.equal(rows.length, 1);
  const { refresh_time, ...counts } = rows[0]!;
  assert.ok(refresh_time instanceof Date);
  return counts;
}

export function statsTests(database: () => Database): void {
  it("resource consumption per package name and arch, refreshed on demand", () =>
    inRolledBackTransaction(database(), async (trx) => {
      const collection = await addCollection(trx);
      const rnv = await addPackage(trx, collection, "rnv");
      const xpp3 = await addPackage(trx, collection, "xpp3");
      const junit = await addPackage(trx, collection, "junit");
      const rnvBuild = await addBuild(trx, rnv, COMPLETE, "2017-10-10T10:00:00Z");
      await addTask(trx, rnvBuild, "x86_64", 333);
      await addTask(
        trx,
        await addBuild(trx, xpp3, COMPLETE, "2017-10-10T10:00:00Z"),
        "x86_64",
        333,
      );
      await refresh(trx);
      assert.equal((await resourceStats(trx)).length, 2);

      const rnvBuild2 = await addBuild(trx, rnv, FAILED, "2017-10-11T10:00:00Z");
      await addTask(trx, rnvBuild2, "x86_64", 100);
      await addTask(trx, rnvBuild2, "aarch64", 541);
      await addTask(trx, await addBuild(trx, rnv, RUNNING, "2017-10-12T10:00:00Z"), "x86_64", null);
      await addTask(trx, rnvBuild, "x86_64", 500);
      await addTask(
        trx,
        await addBuild(trx, junit, COMPLETE, "2017-10-10T10:00:00Z"),
        "noarch",
        18,
      );
      assert.equal((await resourceStats(trx)).length, 2, "unchanged until the next refresh");

      await refresh(trx);
      assert.deepEqual(await resourceStats(trx), [
        { name: "junit", arch: "noarch", time: "00:00:18", time_percentage: 0.0099 },
        { name: "xpp3", arch: "x86_64", time: "00:05:33", time_percentage: 0.1825 },
        { name: "rnv", arch: "aarch64", time: "00:09:01", time_percentage: 0.2964 },
        { name: "rnv", arch: "x86_64", time: "00:15:33", time_percentage: 0.5112 },
      ]);
    }));

  it("only unfinished tasks give no time", () =>
    inRolledBackTransaction(database(), async (trx) => {
      const rnv = await addPackage(trx, await addCollection(trx), "rnv");
      await addTask(trx, await addBuild(trx, rnv, RUNNING, "2017-10-10T10:00:00Z"), "x86_64", null);
      await refresh(trx);
      assert.deepEqual(await resourceStats(trx), [
        { name: "rnv", arch: "x86_64", time: null, time_percentage: null },
      ]);
    }));

  it("package counts", () =>
    inRolledBackTransaction(database(), async (trx) => {
      await refresh(trx);
      assert.equal((await scalarStats(trx)).packages, 0);
      const collection = await addCollection(trx);
      await addPackage(trx, collection, "rnv", { tracked: false });
      await addPackage(trx, collection, "junit", { blocked: true });
      await addPackage(trx, collection, "xpp3");
      await refresh(trx);
      assert.deepEqual(await scalarStats(trx), {
        packages: 3,
        tracked_packages: 2,
        blocked_packages: 1,
        builds: 0,
        real_builds: 0,
        scratch_builds: 0,
      });
    }));

  it("build counts: running builds count as scratch builds", () =>
    inRolledBackTransaction(database(), async (trx) => {
      const rnv = await addPackage(trx, await addCollection(trx), "rnv");
      const started = (i: number) => new Date(Date.UTC(2017, 9, 1, i)).toISOString();
      for (let i = 0; i < 7; i++) await addBuild(trx, rnv, COMPLETE, started(i), { real: true });
      for (let i = 7; i < 12; i++) await addBuild(trx, rnv, FAILED, started(i));
      for (let i = 12; i < 16; i++) await addBuild(trx, rnv, RUNNING, started(i));
      await refresh(trx);
      const { builds, real_builds, scratch_builds } = await scalarStats(trx);
      assert.deepEqual(
        { builds, real_builds, scratch_builds },
        {
          builds: 16,
          real_builds: 7,
          scratch_builds: 9,
        },
      );
    }));
}
