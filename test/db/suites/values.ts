// Both backends hand the same JavaScript values to the application.
import assert from "node:assert/strict";
import { it } from "node:test";
import { AbortedTransactionError } from "kysely";
import { rawQuery, type Database } from "../../../src/db/index.js";

export function valueTests(database: () => Database): void {
  it("bigint as number, interval as text, timestamptz as Date in UTC, bytea as bytes", async () => {
    const [row] = await database().query<Record<string, unknown>>(
      `SELECT count(*) AS count, 9007199254740991::bigint AS big,
              interval '1 hour 2 seconds' AS span,
              timestamptz '2017-10-10 12:00:00+02' AS instant,
              current_setting('TimeZone') AS zone,
              '\\x0102ff'::bytea AS bytes, 1.5::double precision AS float`,
    );
    assert.deepEqual(
      { ...row, bytes: [...(row!.bytes as Uint8Array)] },
      {
        count: 1,
        big: 9007199254740991,
        span: "01:00:02",
        instant: new Date("2017-10-10T10:00:00Z"),
        zone: "UTC",
        bytes: [1, 2, 255],
        float: 1.5,
      },
    );
  });

  it("query() binds $n parameters", async () => {
    const rows = await database().query<{ n: number; s: string }>(
      "SELECT $1::integer + 1 AS n, $2::text AS s",
      [41, "x"],
    );
    assert.deepEqual(rows, [{ n: 42, s: "x" }]);
  });

  it("a query without parameters may hold several statements, and then returns no rows", async () => {
    assert.deepEqual(await database().query("SELECT 1 AS a; SELECT 2 AS b"), []);
    assert.deepEqual(await database().query("SELECT 2 AS b"), [{ b: 2 }]);
  });
}

export function transactionTests(database: () => Database): void {
  it("committing a transaction that an error aborted rejects; nothing is committed", async () => {
    await database().query("CREATE TABLE IF NOT EXISTS transaction_test (n integer)");
    await assert.rejects(
      database()
        .db.transaction()
        .execute(async (trx) => {
          await rawQuery(trx)("INSERT INTO transaction_test VALUES (1)");
          await assert.rejects(rawQuery(trx)("SELECT 1 / 0"), /division by zero/);
        }),
      AbortedTransactionError,
    );
    assert.deepEqual(await database().query("SELECT n FROM transaction_test"), []);
  });

  it("savepoints of a controlled transaction", async () => {
    const trx = await database().db.startTransaction().execute();
    await rawQuery(trx)("INSERT INTO transaction_test VALUES (1)");
    const savepoint = await trx.savepoint("before_two").execute();
    await rawQuery(savepoint)("INSERT INTO transaction_test VALUES (2)");
    await savepoint.rollbackToSavepoint("before_two").execute();
    await rawQuery(trx)("INSERT INTO transaction_test VALUES (3)");
    await trx.commit().execute();
    assert.deepEqual(await database().query("SELECT n FROM transaction_test ORDER BY n"), [
      { n: 1 },
      { n: 3 },
    ]);
    await database().query("DROP TABLE transaction_test");
  });
}
