// The API's shared answers are kept while the data they were computed from has not changed
// (package_data_version and the transactions their snapshot missed): every change to packages,
// builds or collections — committed before, during or after the answer's query — must make
// unchangedSince false once it is visible.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openDatabase, type Database } from "../../src/db/index.js";
import { packageListJson, unchangedSince } from "../../src/frontend/api-query.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { addBuild, addCollection, addPackage, COMPLETE } from "../db/suites/fixtures.js";

describe("the API's data version", () => {
  let fresh: FreshDatabase;
  /** Another session, as a backend service writing meanwhile. */
  let writer: Database;
  let packageId: number;
  before(async () => {
    fresh = await freshDatabase();
    writer = await openDatabase({ kind: "postgresql", url: fresh.url });
    const collection = await addCollection(fresh.database.db, "f29");
    packageId = await addPackage(fresh.database.db, collection, "rnv");
  });
  after(async () => {
    await writer?.close();
    await fresh?.drop();
  });

  const answer = () => packageListJson(fresh.database.db, {});

  /**
   * Transaction ids are the server's: a commit in any database (another test file's, running
   * meanwhile) also counts as "maybe changed". A check that must hold is tried a few times,
   * each with its own answer; it must hold at least once.
   */
  async function holdsOnce(attempt: () => Promise<boolean>): Promise<boolean> {
    for (let tries = 0; tries < 30; tries++) if (await attempt()) return true;
    return false;
  }

  it("holds until a package, build or collection changes", async () => {
    const db = fresh.database.db;
    const readingChangesNothing = await holdsOnce(async () => {
      const { version } = await answer();
      await db.selectFrom("package").selectAll().execute();
      return unchangedSince(db, version);
    });
    assert.equal(readingChangesNothing, true, "reading changes nothing");
    let { version } = await answer();
    await db.updateTable("package").set({ tracked: false }).where("id", "=", packageId).execute();
    assert.equal(await unchangedSince(db, version), false, "package");
    ({ version } = await answer());
    await addBuild(db, packageId, COMPLETE, "2017-10-10T10:00:00Z");
    assert.equal(await unchangedSince(db, version), false, "build");
    ({ version } = await answer());
    await db.updateTable("collection").set({ display_name: "Fedora 29 (old)" }).execute();
    assert.equal(await unchangedSince(db, version), false, "collection");
  });

  it("sees a change committed after the query by a transaction begun before it", async () => {
    const db = fresh.database.db;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const hasWritten = new Promise<void>((resolve) => (written = resolve));
    const transaction = writer.db.transaction().execute(async (trx) => {
      await trx.updateTable("package").set({ tracked: true }).where("id", "=", packageId).execute();
      written();
      await released;
    });
    let version;
    try {
      await hasWritten;
      let json;
      ({ json, version } = await answer());
      assert.match(json, /"untracked"/, "the uncommitted change is not in the answer");
      const stillInProgress = await holdsOnce(async () => {
        ({ version } = await answer());
        return unchangedSince(db, version);
      });
      assert.equal(stillInProgress, true, "still in progress");
    } finally {
      release();
      await transaction;
    }
    assert.equal(await unchangedSince(db, version), false, "committed since");
  });

  it("holds when that transaction rolls back", async () => {
    const rollback = new Error("rolled back");
    const rolledBackUnseen = await holdsOnce(async () => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let written!: () => void;
      const hasWritten = new Promise<void>((resolve) => (written = resolve));
      const transaction = writer.db.transaction().execute(async (trx) => {
        await trx
          .updateTable("package")
          .set({ blocked: true })
          .where("id", "=", packageId)
          .execute();
        written();
        await released;
        throw rollback;
      });
      let version;
      try {
        await hasWritten;
        ({ version } = await answer());
      } finally {
        release();
        await assert.rejects(transaction, rollback);
      }
      return unchangedSince(fresh.database.db, version);
    });
    assert.equal(rolledBackUnseen, true);
  });
});
