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

  it("holds until a package, build or collection changes", async () => {
    const db = fresh.database.db;
    let { version } = await answer();
    assert.equal(await unchangedSince(db, version), true);
    await db.selectFrom("package").selectAll().execute();
    assert.equal(await unchangedSince(db, version), true, "reading changes nothing");
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
    await hasWritten;
    const { json, version } = await answer();
    assert.match(json, /"untracked"/, "the uncommitted change is not in the answer");
    assert.equal(await unchangedSince(db, version), true, "still in progress");
    release();
    await transaction;
    assert.equal(await unchangedSince(db, version), false, "committed since");
  });

  it("holds when that transaction rolls back", async () => {
    const rollback = new Error("rolled back");
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const hasWritten = new Promise<void>((resolve) => (written = resolve));
    const transaction = writer.db.transaction().execute(async (trx) => {
      await trx.updateTable("package").set({ blocked: true }).where("id", "=", packageId).execute();
      written();
      await released;
      throw rollback;
    });
    await hasWritten;
    const { version } = await answer();
    release();
    await assert.rejects(transaction, rollback);
    assert.equal(await unchangedSince(fresh.database.db, version), true);
  });
});
