// The last-build pointers and all_blocked, maintained by triggers (spec 01 §4, 06 §5).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sql } from "kysely";
import type { Database } from "../../../src/db/index.js";
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
} from "./fixtures.js";

interface Pointers {
  last_build_id: number | null;
  last_complete_build_id: number | null;
  last_complete_build_state: number | null;
  /** Builds of the package flagged last_complete. */
  flagged: number[];
}

async function pointers(trx: Db, packageId: number): Promise<Pointers> {
  const row = await trx
    .selectFrom("package")
    .select(["last_build_id", "last_complete_build_id", "last_complete_build_state"])
    .where("id", "=", packageId)
    .executeTakeFirstOrThrow();
  const flagged = await trx
    .selectFrom("build")
    .select("id")
    .where("package_id", "=", packageId)
    .where("last_complete", "=", true)
    .orderBy("id")
    .execute();
  return { ...row, flagged: flagged.map((b) => b.id) };
}

const none: Pointers = {
  last_build_id: null,
  last_complete_build_id: null,
  last_complete_build_state: null,
  flagged: [],
};

function completeIs(build: number, state: number, last = build): Pointers {
  return {
    last_build_id: last,
    last_complete_build_id: build,
    last_complete_build_state: state,
    flagged: [build],
  };
}

export function buildTriggerTests(database: () => Database): void {
  const test = (name: string, body: (trx: Db, rnv: number, eclipse: number) => Promise<void>) =>
    it(name, () =>
      inRolledBackTransaction(database(), async (trx) => {
        const collection = await addCollection(trx);
        await body(
          trx,
          await addPackage(trx, collection, "rnv"),
          await addPackage(trx, collection, "eclipse"),
        );
      }),
    );

  describe("update_last_build", () => {
    test("a running build is the last build but not the last complete one", async (trx, rnv, eclipse) => {
      const build = await addBuild(trx, rnv, RUNNING, "2017-10-10T10:00:00Z");
      assert.deepEqual(await pointers(trx, rnv), { ...none, last_build_id: build });
      assert.deepEqual(await pointers(trx, eclipse), none);
    });

    test("a running build that fails becomes the last complete build", async (trx, rnv) => {
      const build = await addBuild(trx, rnv, RUNNING, "2017-10-10T10:00:00Z");
      await finishBuild(trx, build, FAILED);
      assert.deepEqual(await pointers(trx, rnv), completeIs(build, FAILED));
    });

    test("a complete build is both pointers", async (trx, rnv, eclipse) => {
      const build = await addBuild(trx, rnv, COMPLETE, "2017-10-10T10:00:00Z");
      assert.deepEqual(await pointers(trx, rnv), completeIs(build, COMPLETE));
      assert.deepEqual(await pointers(trx, eclipse), none);
    });

    test("a failed build is both pointers", async (trx, rnv, eclipse) => {
      const build = await addBuild(trx, eclipse, FAILED, "2017-10-10T10:00:00Z");
      assert.deepEqual(await pointers(trx, eclipse), completeIs(build, FAILED));
      assert.deepEqual(await pointers(trx, rnv), none);
    });

    test("a new running build keeps the previous finished one as last complete", async (trx, rnv, eclipse) => {
      const failed = await addBuild(trx, eclipse, FAILED, "2017-10-10T10:00:00Z");
      const complete = await addBuild(trx, rnv, COMPLETE, "2017-10-10T10:00:00Z");
      const running = await addBuild(trx, eclipse, RUNNING, "2017-10-11T10:00:00Z");
      assert.deepEqual(await pointers(trx, rnv), completeIs(complete, COMPLETE));
      assert.deepEqual(await pointers(trx, eclipse), completeIs(failed, FAILED, running));
    });

    test("when the running build completes, the last_complete flag moves to it", async (trx, rnv) => {
      const failed = await addBuild(trx, rnv, FAILED, "2017-10-10T10:00:00Z");
      const running = await addBuild(trx, rnv, RUNNING, "2017-10-11T10:00:00Z");
      assert.deepEqual(await pointers(trx, rnv), completeIs(failed, FAILED, running));
      await finishBuild(trx, running, COMPLETE);
      assert.deepEqual(await pointers(trx, rnv), completeIs(running, COMPLETE));
    });

    test("the newest build by start time wins, whatever the insertion order", async (trx, rnv) => {
      const newer = await addBuild(trx, rnv, COMPLETE, "2017-10-11T10:00:00Z");
      await addBuild(trx, rnv, FAILED, "2017-10-01T10:00:00Z");
      assert.deepEqual(await pointers(trx, rnv), completeIs(newer, COMPLETE));
    });

    test("updates of other columns leave the pointers alone", async (trx, rnv) => {
      const build = await addBuild(trx, rnv, COMPLETE, "2017-10-10T10:00:00Z");
      await trx
        .updateTable("build")
        .set({ repo_id: 456, deps_resolved: true })
        .where("id", "=", build)
        .execute();
      assert.deepEqual(await pointers(trx, rnv), completeIs(build, COMPLETE));
    });

    test("deleting builds: an old one changes nothing, the running last one falls back", async (trx, _rnv, eclipse) => {
      const b1 = await addBuild(trx, eclipse, FAILED, "2017-10-01T10:00:00Z");
      const b2 = await addBuild(trx, eclipse, COMPLETE, "2017-10-02T10:00:00Z");
      const b3 = await addBuild(trx, eclipse, RUNNING, "2017-10-03T10:00:00Z");
      await trx.deleteFrom("build").where("id", "=", b1).execute();
      assert.deepEqual(await pointers(trx, eclipse), completeIs(b2, COMPLETE, b3));
      await trx.deleteFrom("build").where("id", "=", b3).execute();
      assert.deepEqual(await pointers(trx, eclipse), completeIs(b2, COMPLETE));
    });

    test("the last complete build cannot be deleted", async (trx, rnv) => {
      const build = await addBuild(trx, rnv, COMPLETE, "2017-10-10T10:00:00Z");
      // A savepoint keeps the test's transaction usable after the expected error.
      await sql`SAVEPOINT before_delete`.execute(trx);
      await assert.rejects(
        trx.deleteFrom("build").where("id", "=", build).execute(),
        /fkey_package_last_complete_build_id/,
      );
      await sql`ROLLBACK TO SAVEPOINT before_delete`.execute(trx);
      assert.deepEqual(await pointers(trx, rnv), completeIs(build, COMPLETE));
    });

    test("untagged builds are invisible", async (trx, rnv) => {
      const older = await addBuild(trx, rnv, FAILED, "2017-10-01T10:00:00Z");
      const newer = await addBuild(trx, rnv, COMPLETE, "2017-10-02T10:00:00Z");
      await trx.updateTable("build").set({ untagged: true }).where("id", "=", newer).execute();
      assert.deepEqual(await pointers(trx, rnv), completeIs(older, FAILED));
      await trx.updateTable("build").set({ untagged: true }).where("id", "=", older).execute();
      assert.deepEqual(await pointers(trx, rnv), none);
      await trx.updateTable("build").set({ untagged: false }).where("id", "=", newer).execute();
      assert.deepEqual(await pointers(trx, rnv), completeIs(newer, COMPLETE));
    });

    test("a build inserted untagged does not become the last build", async (trx, rnv) => {
      const tagged = await addBuild(trx, rnv, COMPLETE, "2017-10-01T10:00:00Z");
      await addBuild(trx, rnv, FAILED, "2017-10-02T10:00:00Z", { real: true, untagged: true });
      assert.deepEqual(await pointers(trx, rnv), completeIs(tagged, COMPLETE));
    });

    test("the same package in two collections keeps separate pointers", async (trx, rnv) => {
      const rawhide = await addCollection(trx, "rawhide");
      const rnvRawhide = await addPackage(trx, rawhide, "rnv");
      const f29Build = await addBuild(trx, rnv, COMPLETE, "2017-10-01T10:00:00Z");
      const rawhideBuild = await addBuild(trx, rnvRawhide, RUNNING, "2017-10-02T10:00:00Z");
      assert.deepEqual(await pointers(trx, rnv), completeIs(f29Build, COMPLETE));
      assert.deepEqual(await pointers(trx, rnvRawhide), { ...none, last_build_id: rawhideBuild });
    });

    test("deleting a package deletes its builds", async (trx, rnv) => {
      await addBuild(trx, rnv, COMPLETE, "2017-10-01T10:00:00Z");
      await addBuild(trx, rnv, RUNNING, "2017-10-02T10:00:00Z");
      await trx.deleteFrom("package").where("id", "=", rnv).execute();
      const left = await trx
        .selectFrom("build")
        .select("id")
        .where("package_id", "=", rnv)
        .execute();
      assert.deepEqual(left, []);
    });
  });

  describe("update_all_blocked", () => {
    const allBlocked = async (trx: Db, name: string) =>
      (
        await trx
          .selectFrom("base_package")
          .select("all_blocked")
          .where("name", "=", name)
          .executeTakeFirstOrThrow()
      ).all_blocked;

    test("unblocked packages make their bases not all-blocked", async (trx) => {
      assert.equal(await allBlocked(trx, "rnv"), false);
      assert.equal(await allBlocked(trx, "eclipse"), false);
    });

    test("blocking the only package blocks the base", async (trx, _rnv, eclipse) => {
      await trx.updateTable("package").set({ blocked: true }).where("id", "=", eclipse).execute();
      assert.equal(await allBlocked(trx, "eclipse"), true);
      assert.equal(await allBlocked(trx, "rnv"), false);
    });

    test("a base is all-blocked only when blocked in every collection", async (trx, rnv) => {
      const rawhide = await addCollection(trx, "rawhide");
      const rnvRawhide = await addPackage(trx, rawhide, "rnv", { blocked: true });
      assert.equal(await allBlocked(trx, "rnv"), false);
      await trx.updateTable("package").set({ blocked: true }).where("id", "=", rnv).execute();
      assert.equal(await allBlocked(trx, "rnv"), true);
      await trx
        .updateTable("package")
        .set({ blocked: false })
        .where("id", "=", rnvRawhide)
        .execute();
      assert.equal(await allBlocked(trx, "rnv"), false);
    });

    test("deleting the unblocked package leaves the base all-blocked", async (trx, rnv) => {
      const rawhide = await addCollection(trx, "rawhide");
      await addPackage(trx, rawhide, "rnv", { blocked: true });
      await trx.deleteFrom("package").where("id", "=", rnv).execute();
      assert.equal(await allBlocked(trx, "rnv"), true);
    });

    test("a base package without packages keeps its value", async (trx) => {
      await trx.insertInto("base_package").values({ name: "orphan" }).execute();
      assert.equal(await allBlocked(trx, "orphan"), true);
    });
  });
}
