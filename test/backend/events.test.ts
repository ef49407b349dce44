// The backend's event bus: listeners in registration order, events of a transaction only
// after it commits, none after a rollback, and a failing listener kept away from the others.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { pino } from "pino";
import {
  EventBus,
  type BackendEvents,
  type TransactionListener,
} from "../../src/backend/events.js";
import type { Database } from "../../src/db/index.js";
import { freshPglite } from "../support/database.js";

const change: BackendEvents["package_state_change"] = {
  package: { id: 7, name: "rnv", collection_id: 1 },
  prevState: "failing",
  newState: "ok",
};

/** A logger whose records land in `records`. */
function capturingLogger(records: Record<string, unknown>[]) {
  return pino({ level: "debug" }, { write: (line: string) => records.push(JSON.parse(line)) });
}

let database: Database;
let drop: () => Promise<void>;
let logged: Record<string, unknown>[];
let bus: EventBus;

before(async () => {
  ({ database, drop } = await freshPglite());
});
after(() => drop());
beforeEach(() => {
  logged = [];
  bus = new EventBus(capturingLogger(logged));
});

const collectionCount = async () =>
  Number((await database.query<{ n: number }>("SELECT count(*) AS n FROM collection"))[0]!.n);

let collectionsMade = 0;

async function insertCollection(trx: Parameters<Parameters<EventBus["transaction"]>[1]>[0]) {
  const name = `f${++collectionsMade}`;
  await trx
    .insertInto("collection")
    .values({ name, display_name: name, target: name, dest_tag: name, build_tag: name })
    .execute();
}

describe("dispatch", () => {
  test("calls the listeners of the event in registration order, each function once", async () => {
    const calls: string[] = [];
    const first = () => void calls.push("first");
    bus.on("package_state_change", first);
    bus.on("package_state_change", async (payload) => {
      calls.push(`second ${payload.package.name} ${payload.prevState}→${payload.newState}`);
    });
    bus.on("package_state_change", first);
    bus.on("polling_event", () => void calls.push("polling"));

    await bus.dispatch("package_state_change", change);

    assert.deepEqual(calls, ["first", "second rnv failing→ok"]);
  });

  test("a failing listener is logged and the next listeners still run", async () => {
    const calls: string[] = [];
    bus.on("polling_event", () => {
      throw new Error("plugin broke");
    });
    bus.on("polling_event", async () => Promise.reject(new Error("async plugin broke")));
    bus.on("polling_event", () => void calls.push("third"));

    await bus.dispatch("polling_event", {});

    assert.deepEqual(calls, ["third"]);
    assert.deepEqual(
      logged.map((record) => [
        record.level,
        record.event,
        record.msg,
        (record.err as Error).message,
      ]),
      [
        [50, "polling_event", "listener of polling_event failed", "plugin broke"],
        [50, "polling_event", "listener of polling_event failed", "async plugin broke"],
      ],
    );
  });

  test("a removed listener is not called", async () => {
    const calls: string[] = [];
    const remove = bus.on(
      "cleanup",
      ({ olderThanMonths }) => void calls.push(`${olderThanMonths}`),
    );
    await bus.dispatch("cleanup", { olderThanMonths: 6, userName: "admin" });
    remove();
    await bus.dispatch("cleanup", { olderThanMonths: 7, userName: "admin" });
    assert.deepEqual(calls, ["6"]);
  });
});

describe("transactions", () => {
  test("collected events are dispatched after the commit, in order, seeing the committed data", async () => {
    const seen: [string, number][] = [];
    bus.on(
      "package_state_change",
      async () => void seen.push(["package", await collectionCount()]),
    );
    bus.on("polling_event", async () => void seen.push(["polling", await collectionCount()]));

    const result = await bus.transaction(database.db, async (trx, events) => {
      events.add("package_state_change", change);
      events.add("polling_event", {});
      await insertCollection(trx);
      assert.deepEqual(seen, []);
      return "done";
    });

    assert.equal(result, "done");
    assert.deepEqual(seen, [
      ["package", 1],
      ["polling", 1],
    ]);
  });

  test("a rollback drops the collected events and rethrows", async () => {
    const seen: string[] = [];
    bus.on("package_state_change", () => void seen.push("package"));
    const before = await collectionCount();

    await assert.rejects(
      bus.transaction(database.db, async (trx, events) => {
        events.add("package_state_change", change);
        await insertCollection(trx);
        throw new Error("conflict");
      }),
      /conflict/,
    );

    assert.deepEqual(seen, []);
    assert.equal(await collectionCount(), before);
  });

  test("a failing listener does not undo or fail the committed transaction", async () => {
    bus.on("package_state_change", () => {
      throw new Error("publisher down");
    });
    const before = await collectionCount();

    await bus.transaction(database.db, async (trx, events) => {
      events.add("package_state_change", change);
      await insertCollection(trx);
    });

    assert.equal(await collectionCount(), before + 1);
    assert.deepEqual(
      logged.map((record) => record.msg),
      ["listener of package_state_change failed"],
    );
  });
});

describe("transaction listeners", () => {
  const noticeCount = async () =>
    Number((await database.query<{ n: number }>("SELECT count(*) AS n FROM admin_notice"))[0]!.n);

  let noticesWritten = 0;
  const writeNotice: TransactionListener<"package_state_change"> = (trx, payload) =>
    trx
      .insertInto("admin_notice")
      .values({ key: `state-${++noticesWritten}`, content: payload.newState })
      .execute();

  test("write inside the transaction, once per collected event, before the commit", async () => {
    const before = await noticeCount();
    const seenAfterCommit: number[] = [];
    bus.inTransaction("package_state_change", writeNotice);
    bus.inTransaction("package_state_change", writeNotice);
    bus.on("package_state_change", async () => void seenAfterCommit.push(await noticeCount()));

    await bus.transaction(database.db, async (trx, events) => {
      events.add("package_state_change", change);
      events.add("polling_event", {});
      events.add("package_state_change", { ...change, package: { ...change.package, name: "b" } });
      await insertCollection(trx);
    });

    assert.equal(await noticeCount(), before + 2);
    assert.deepEqual(seenAfterCommit, [before + 2, before + 2]);
  });

  test("their writes roll back with the body's", async () => {
    bus.inTransaction("package_state_change", writeNotice);
    const [notices, collections] = [await noticeCount(), await collectionCount()];

    await assert.rejects(
      bus.transaction(database.db, async (trx, events) => {
        events.add("package_state_change", change);
        await insertCollection(trx);
        throw new Error("conflict");
      }),
      /conflict/,
    );

    assert.deepEqual([await noticeCount(), await collectionCount()], [notices, collections]);
  });

  test("one that throws rolls the transaction back, and no event is dispatched", async () => {
    const dispatched: string[] = [];
    bus.inTransaction("package_state_change", async () => {
      throw new Error("outbox full");
    });
    bus.on("package_state_change", () => void dispatched.push("package"));
    const before = await collectionCount();

    await assert.rejects(
      bus.transaction(database.db, async (trx, events) => {
        events.add("package_state_change", change);
        await insertCollection(trx);
      }),
      /outbox full/,
    );

    assert.equal(await collectionCount(), before);
    assert.deepEqual(dispatched, []);
  });
});
