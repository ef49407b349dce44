// The SQL forms of this folder's rules must give what the TypeScript forms give: rpmvercmp
// and rpmvercmp_evr (installed by the schema) against rpmvercmp/compareEvr, and the
// priority, state and schedulability expressions against their functions.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { DatabaseConnection } from "../../src/db/index.js";
import { compareEvr, rpmvercmp, type Evr } from "@koschei/koji-protocol/evr.js";
import {
  currentPriority,
  currentPrioritySql,
  DEFAULT_PRIORITY_CONFIG,
  type PriorityCollection,
  type PriorityPackage,
} from "../../src/model/priority.js";
import { isSchedulable, unschedulableSql } from "../../src/model/schedulability.js";
import { packageState, packageStateSql } from "../../src/model/states.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { loadRpmvercmpFixture } from "./rpmvercmp-fixture.js";
import { pick, seededRandom } from "./seeded-random.js";
import { randomVersionPairs, type VersionPair } from "./version-samples.js";

const fixture = loadRpmvercmpFixture();
const versionPairs: VersionPair[] = [
  ...[...fixture.cases, ...fixture.oddities, ...fixture.generated].map((c): VersionPair => [
    c.a,
    c.b,
  ]),
  ...randomVersionPairs(7, 300),
];

/** EVR pairs built from version pairs, with epochs that are often equal (or both absent). */
function evrPairs(): [Evr, Evr][] {
  const random = seededRandom(11);
  const epochs = [null, null, 0, 0, 1, 2];
  const pairs = randomVersionPairs(13, 300);
  return versionPairs.slice(0, 300).map(([va, vb], i): [Evr, Evr] => {
    const [ra, rb] = pairs[i]!;
    const equalVersions = random() < 0.5;
    return [
      { epoch: pick(random, epochs), version: va, release: ra },
      { epoch: pick(random, epochs), version: equalVersions ? va : vb, release: rb },
    ];
  });
}

const NOW = new Date("2017-10-10T10:00:00.000Z");
const HOUR_MS = 3_600_000;

interface CollectionSpec {
  readonly coefficient: number;
  readonly resolved: boolean | null;
}

const collections: CollectionSpec[] = [
  { coefficient: 1, resolved: true },
  { coefficient: 0.5, resolved: true },
  { coefficient: 0, resolved: true },
  { coefficient: 2.75, resolved: true },
  { coefficient: 1, resolved: false },
  { coefficient: 1, resolved: null },
];

/** Inserts collections and packages with random flags, priorities and builds. */
async function insertPackages(db: DatabaseConnection, count: number): Promise<void> {
  const random = seededRandom(17);
  for (const [i, spec] of collections.entries()) {
    await db.query(
      `INSERT INTO collection (name, display_name, target, dest_tag, build_tag,
         priority_coefficient, latest_repo_id, latest_repo_resolved)
       VALUES ($1, $2, $1, $1, $1, $3, $4, $5)`,
      [
        `c${i}`,
        `Collection ${i}`,
        spec.coefficient,
        spec.resolved === null ? null : 1,
        spec.resolved,
      ],
    );
  }
  const names = Array.from({ length: count }, (_, i) => `p${i}`);
  const packages = names.map((name) => {
    const skipResolution = random() < 0.15;
    return [
      name,
      1 + Math.floor(random() * collections.length),
      random() < 0.85,
      random() < 0.1,
      skipResolution,
      skipResolution ? null : pick(random, [true, true, true, true, false, null]),
      pick(random, [0, 0, 0, 10, 3000, -1000, 2_000_000_000]),
      pick(random, [0, 0, 20, -5, 2_000_000_000]),
      pick(random, [0, 0, 20, 256, 1234]),
      pick(random, [0, 0, 200, 3000]),
      pick(random, [null, null, null, 1, 2]),
    ] as const;
  });
  const builds = names.flatMap((name, i) =>
    Array.from({ length: Math.floor(random() * 4) }, (_, j) => {
      const state = pick(random, [3, 3, 5, 2]);
      // Up to two months old, a few slightly in the future; millisecond precision.
      const ageMs = Math.floor((random() * 1500 - 2) * HOUR_MS);
      const started = new Date(NOW.getTime() - ageMs);
      return [name, state, i * 10 + j, started, state === 2 ? null : 1] as const;
    }),
  );
  const columns = <T extends readonly unknown[]>(rows: readonly T[]): unknown[][] =>
    rows[0]!.map((_, k) => rows.map((row) => row[k]));
  await db.query("INSERT INTO base_package (name) SELECT unnest($1::varchar[])", [names]);
  await db.query(
    `INSERT INTO package (base_id, name, collection_id, tracked, blocked, skip_resolution,
       resolved, manual_priority, static_priority, dependency_priority, build_priority,
       scheduler_skip_reason)
     SELECT base_package.id, t.*
     FROM unnest($1::varchar[], $2::integer[], $3::boolean[], $4::boolean[], $5::boolean[],
       $6::boolean[], $7::integer[], $8::integer[], $9::integer[], $10::integer[],
       $11::integer[]) AS t(name, collection_id, tracked, blocked, skip_resolution, resolved,
       manual_priority, static_priority, dependency_priority, build_priority,
       scheduler_skip_reason)
     JOIN base_package ON base_package.name = t.name`,
    columns(packages),
  );
  await db.query(
    `INSERT INTO build (package_id, state, task_id, started, version, release, repo_id)
     SELECT package.id, t.state, t.task_id, t.started, '1', '1.fc29', t.repo_id
     FROM unnest($1::varchar[], $2::integer[], $3::integer[], $4::timestamptz[],
       $5::integer[]) AS t(name, state, task_id, started, repo_id)
     JOIN package ON package.name = t.name`,
    columns(builds),
  );
}

type PackageRow = PriorityPackage & {
  id: number;
  last_complete_build_state: number | null;
  last_build_started: Date | null;
  sql_priority: number | null;
  sql_state: string;
  sql_unschedulable: boolean;
};

function closeEnough(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

describe("SQL agrees with TypeScript", () => {
  let fresh: FreshDatabase;
  let db: DatabaseConnection;
  before(async () => {
    fresh = await freshDatabase();
    db = fresh.database;
  });
  after(() => fresh.drop());

  test(`rpmvercmp on ${versionPairs.length} version pairs`, async () => {
    const rows = await db.query<{ result: number }>(
      `SELECT rpmvercmp(t.a, t.b) AS result
         FROM unnest($1::varchar[], $2::varchar[]) WITH ORDINALITY AS t(a, b, n) ORDER BY t.n`,
      [versionPairs.map((p) => p[0]), versionPairs.map((p) => p[1])],
    );
    const wrong = versionPairs
      .map(([a, b], i) => ({ a, b, ts: rpmvercmp(a, b), sql: rows[i]?.result }))
      .filter((r) => r.ts !== r.sql);
    assert.equal(rows.length, versionPairs.length);
    assert.deepEqual(wrong, []);
  });

  test("rpmvercmp_evr on 300 EVR pairs", async () => {
    const pairs = evrPairs();
    const column = <T>(f: (pair: [Evr, Evr]) => T): T[] => pairs.map(f);
    const rows = await db.query<{ result: number }>(
      `SELECT rpmvercmp_evr(t.ea, t.va, t.ra, t.eb, t.vb, t.rb) AS result
         FROM unnest($1::integer[], $2::varchar[], $3::varchar[],
                     $4::integer[], $5::varchar[], $6::varchar[])
              WITH ORDINALITY AS t(ea, va, ra, eb, vb, rb, n)
         ORDER BY t.n`,
      [
        column(([a]) => a.epoch),
        column(([a]) => a.version),
        column(([a]) => a.release),
        column(([, b]) => b.epoch),
        column(([, b]) => b.version),
        column(([, b]) => b.release),
      ],
    );
    const wrong = pairs
      .map(([a, b], i) => ({ a, b, ts: compareEvr(a, b), sql: rows[i]?.result }))
      .filter((r) => r.ts !== r.sql);
    assert.equal(rows.length, pairs.length);
    assert.deepEqual(wrong, []);
  });

  test("priority, package state and schedulability on 250 random packages", async () => {
    await insertPackages(db, 250);
    const rows = await db.query<PackageRow & PriorityCollection>(
      `SELECT package.*, collection.display_name, collection.latest_repo_resolved,
                collection.priority_coefficient, last_build.started AS last_build_started,
                ${currentPrioritySql(DEFAULT_PRIORITY_CONFIG, "$1")} AS sql_priority,
                ${packageStateSql()} AS sql_state,
                ${unschedulableSql()} AS sql_unschedulable
         FROM package
         JOIN collection ON collection.id = package.collection_id
         LEFT JOIN build AS last_build ON last_build.id = package.last_build_id
         ORDER BY package.id`,
      [NOW],
    );
    assert.equal(rows.length, 250);
    const disagreements = rows.flatMap((row) => {
      const lastBuild =
        row.last_build_started === null ? null : { started: row.last_build_started };
      const ts = currentPriority(row, row, lastBuild, DEFAULT_PRIORITY_CONFIG, NOW);
      const samePriority =
        ts === null || row.sql_priority === null
          ? ts === row.sql_priority
          : closeEnough(ts, row.sql_priority);
      const ok =
        samePriority &&
        packageState(row) === row.sql_state &&
        isSchedulable(row, row) === !row.sql_unschedulable;
      return ok ? [] : [{ id: row.id, ts, sql: row.sql_priority, state: row.sql_state }];
    });
    assert.deepEqual(disagreements, []);
    // The sample must exercise both outcomes, or the comparison proves little.
    const scheduled = rows.filter((row) => row.sql_priority !== null);
    assert.ok(scheduled.length >= 20, `only ${scheduled.length} schedulable packages`);
    assert.ok(rows.length - scheduled.length >= 20);
    assert.ok(new Set(rows.map((row) => row.sql_state)).size === 6);
  });
});
