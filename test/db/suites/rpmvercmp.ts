// SQL rpmvercmp and rpmvercmp_evr against rpm's own answers (spec 01 §5, 06 §7).
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Database } from "../../../src/db/index.js";
import { loadRpmvercmpFixture, type VersionComparisonCase } from "../../model/rpmvercmp-fixture.js";
import { inRolledBackTransaction } from "./fixtures.js";

const fixture = loadRpmvercmpFixture();

/** The cases whose SQL answer differs from rpm's, as readable lines (empty when all agree). */
async function disagreements(
  database: Database,
  cases: readonly VersionComparisonCase[],
): Promise<string[]> {
  const rows = await database.query<{ a: string; b: string; result: number }>(
    `SELECT a, b, rpmvercmp(a, b) AS result FROM unnest($1::varchar[], $2::varchar[]) AS t(a, b)`,
    [cases.map((c) => c.a), cases.map((c) => c.b)],
  );
  assert.equal(rows.length, cases.length);
  return cases.flatMap((c, i) =>
    rows[i]!.result === c.expected
      ? []
      : [`rpmvercmp('${c.a}', '${c.b}') = ${rows[i]!.result}, rpm says ${c.expected}`],
  );
}

export function rpmvercmpTests(database: () => Database): void {
  it(`agrees with every case of rpm's rpmvercmp.at (${fixture.cases.length})`, async () => {
    assert.deepEqual(await disagreements(database(), fixture.cases), []);
  });

  it("agrees with rpm on the cases rpmvercmp.at documents as oddities (non-ASCII separators)", async () => {
    assert.deepEqual(await disagreements(database(), fixture.oddities), []);
  });

  it(`agrees with rpm 4.18 on ${fixture.generated.length} random pairs`, async () => {
    assert.deepEqual(await disagreements(database(), fixture.generated), []);
  });

  it("returns NULL for a NULL version", async () => {
    const [row] = await database().query<{ result: number | null }>(
      "SELECT rpmvercmp(NULL, '1.0') AS result",
    );
    assert.equal(row!.result, null);
  });

  it("rpmvercmp_evr compares epochs (NULL = 0), then versions, then releases", async () => {
    const cases: [string, number][] = [
      ["0, '1.1', '11.fc26', NULL, '1.1', '8.fc26'", 1],
      ["NULL, '1.1', '8.fc26', 0, '1.1', '8.fc26'", 0],
      ["1, '1.0', '1', NULL, '2.0', '1'", 1],
      ["0, '1.0', '9', 2, '1.0', '1'", -1],
      ["0, '1.0~rc1', '9', 0, '1.0', '1'", -1],
      ["0, '1.0', '1.fc29', 0, '1.0', '1.fc29'", 0],
    ];
    for (const [args, expected] of cases) {
      const [row] = await database().query<{ result: number }>(
        `SELECT rpmvercmp_evr(${args}) AS result`,
      );
      assert.equal(row!.result, expected, `rpmvercmp_evr(${args})`);
    }
  });

  it("filters dependencies by EVR in queries", () =>
    inRolledBackTransaction(database(), async (trx) => {
      await trx
        .insertInto("dependency")
        .values({ name: "foo", epoch: null, version: "1.1", release: "8.fc26", arch: "x86_64" })
        .execute();
      const newerThan = (e: number, v: string, r: string) =>
        trx
          .selectFrom("dependency")
          .select("name")
          .where((eb) =>
            eb(
              eb.fn<number>("rpmvercmp_evr", [
                "epoch",
                "version",
                "release",
                eb.val(e),
                eb.val(v),
                eb.val(r),
              ]),
              ">",
              0,
            ),
          )
          .execute();
      assert.deepEqual(await newerThan(0, "1.1", "11.fc26"), []);
      assert.deepEqual(await newerThan(0, "1.1", "7.fc26"), [{ name: "foo" }]);
    }));
}
