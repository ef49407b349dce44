// The database of `npm run bench:web`: two collections sharing 30,000 base packages, about
// 200,000 builds with their Koji tasks and 1,000,000 dependency changes, with the skew of a
// real distribution — a few packages build often, most rarely; a tenth tend to fail; branches
// mostly agree. Every table is filled by a handful of set-based statements (generate_series,
// unnest) with bound parameters, in one transaction so that setseed() makes it repeatable.
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Schema } from "../src/db/index.js";

export interface WebSeedSize {
  basePackages: number;
  builds: number;
  dependencyChanges: number;
}

export const WEB_SEED_SIZE: WebSeedSize = {
  basePackages: 30_000,
  builds: 200_000,
  dependencyChanges: 1_000_000,
};

/** The two collections: rawhide first in the site's order. */
export const BENCH_COLLECTIONS = ["f99", "f98"] as const;

const APPLIED_SHARE = 0.8;
const RUNNING_BUILDS = 300;
const DEPENDENCY_NAMES = 10_000;
const PREFIXES = [
  ["python-", 20],
  ["perl-", 12],
  ["golang-github-", 8],
  ["rust-", 6],
  ["rubygem-", 5],
  ["texlive-", 5],
  ["ghc-", 4],
  ["nodejs-", 3],
  ["R-", 3],
  ["php-", 2],
  ["", 32],
] as const;
const SYLLABLES = "ka to mi re so lu na pe di fo gra ben cli dex jam mon qui zor vel tux".split(
  " ",
);

/** A deterministic pseudo-random source (mulberry32), so that every run seeds the same names. */
function randomSource(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Distinct package names that look like Fedora's: language prefixes, made-up words. */
export function packageNames(count: number, seed = 12): string[] {
  const random = randomSource(seed);
  const total = PREFIXES.reduce((sum, [, weight]) => sum + weight, 0);
  const names = new Set<string>();
  while (names.size < count) {
    let pick = random() * total;
    const [prefix] = PREFIXES.find(([, weight]) => (pick -= weight) < 0) ?? PREFIXES[0];
    const length = 2 + Math.floor(random() * 3);
    const word = Array.from(
      { length },
      () => SYLLABLES[Math.floor(random() * SYLLABLES.length)],
    ).join("");
    const name = prefix + word;
    names.add(names.has(name) ? `${name}${names.size % 97}` : name);
  }
  return [...names];
}

export interface SeedCounts {
  packages: number;
  builds: number;
  appliedChanges: number;
  unappliedChanges: number;
}

export async function seedWebBench(
  db: Kysely<Schema>,
  size: WebSeedSize = WEB_SEED_SIZE,
): Promise<SeedCounts> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT setseed(0.42)`.execute(trx);
    await trx
      .insertInto("collection")
      .values(
        BENCH_COLLECTIONS.map((name, index) => ({
          name,
          display_name: name === "f99" ? "Fedora Rawhide" : `Fedora ${name.slice(1)}`,
          order: BENCH_COLLECTIONS.length - index,
          target: name,
          dest_tag: name,
          build_tag: `${name}-build`,
          bugzilla_product: "Fedora",
          bugzilla_version: name === "f99" ? "rawhide" : name.slice(1),
          latest_repo_id: 1_000_000,
          latest_repo_resolved: true,
        })),
      )
      .execute();
    await sql`INSERT INTO base_package (name)
              SELECT unnest(${packageNames(size.basePackages)}::text[])`.execute(trx);
    await seedPackages(trx);
    await seedBuilds(trx, size.builds);
    await seedDependencyChanges(trx, size.dependencyChanges);
  });
  await sql`VACUUM ANALYZE`.execute(db);
  const count = async (table: keyof Schema) =>
    Number(
      (
        await db
          .selectFrom(table)
          .select(sql<number>`count(*)`.as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    packages: await count("package"),
    builds: await count("build"),
    appliedChanges: await count("applied_change"),
    unappliedChanges: await count("unapplied_change"),
  };
}

/**
 * Most base packages are in both collections; tracking and blocking are mostly decided per
 * base package (branches agree), resolution per collection. Unresolved packages get a
 * resolution change with problems, as the resolver would write.
 */
async function seedPackages(trx: Kysely<Schema>): Promise<void> {
  await sql`
    INSERT INTO package (base_id, name, collection_id, tracked, blocked, resolved,
                         static_priority, manual_priority, dependency_priority)
    SELECT id, name, collection_id,
           tracking + 0.05 * random() < 0.9, blocking < 0.02,
           CASE WHEN resolution < 0.04 THEN false WHEN resolution < 0.07 THEN NULL ELSE true END,
           CASE WHEN random() < 0.05 THEN 100 ELSE 0 END,
           CASE WHEN random() < 0.01 THEN 1000 ELSE 0 END,
           floor(random() * 300)::int
    FROM (SELECT b.id, b.name, c.id AS collection_id, t.tracking, t.blocking,
                 random() AS resolution, random() AS presence, c."order" AS collection_order
            FROM (SELECT id, random() AS tracking, random() AS blocking FROM base_package) t
            JOIN base_package b ON b.id = t.id
            CROSS JOIN collection c) candidates
    WHERE presence > CASE WHEN collection_order = 2 THEN 0.02 ELSE 0.05 END
  `.execute(trx);
  const { rows } = await sql<{ id: number }>`
    INSERT INTO resolution_change (package_id, resolved, "timestamp")
    SELECT id, false, now() - random() * interval '30 days' FROM package WHERE resolved IS FALSE
    RETURNING id`.execute(trx);
  await sql`
    INSERT INTO resolution_problem (resolution_id, problem)
    SELECT resolution_id, 'nothing provides lib' || (resolution_id * 7 + k) % 500 || '.so.1 needed by ' || k
    FROM unnest(${rows.map((row) => row.id)}::int[]) AS resolution_id, generate_series(1, 2) AS k
  `.execute(trx);
}

/**
 * Every tracked package gets one old build; the rest go to packages picked with a skew (a few
 * build often), spread over a year in the order of their start; the newest few are running.
 * A tenth of the base packages (by hash) fail most of their builds. Each build has two tasks.
 */
async function seedBuilds(trx: Kysely<Schema>, builds: number): Promise<void> {
  // The last-build trigger, run per inserted build, would rewrite a busy package's row
  // thousands of times in this one transaction (which nothing can prune): quadratic, and past
  // the statement timeout. The pointers are set once per package below instead, by the same
  // SQL function, so they are what the trigger keeps.
  await sql`ALTER TABLE build DISABLE TRIGGER update_last_build_trigger`.execute(trx);
  await sql`
    WITH candidates AS (
      SELECT array_agg(id ORDER BY random()) AS ids FROM package WHERE tracked AND NOT blocked),
    picks AS (
      SELECT n, CASE WHEN n <= cardinality(ids) THEN ids[n]
                     ELSE ids[1 + floor(power(random(), 2.5) * cardinality(ids))::int] END AS package_id,
             now() - interval '365 days' * (1 - n::float8 / ${builds}::int) AS started
      FROM candidates, generate_series(1, ${builds}::int) AS n),
    shaped AS (
      SELECT picks.*, p.base_id,
             CASE WHEN n > ${builds}::int - ${RUNNING_BUILDS}::int THEN 2
                  WHEN random() < CASE WHEN abs(hashint4(p.base_id)) % 10 = 0 THEN 0.8 ELSE 0.05 END
                    THEN 5
                  ELSE 3 END AS state
      FROM picks JOIN package p ON p.id = picks.package_id)
    INSERT INTO build (package_id, state, task_id, started, finished, epoch, version, release,
                       repo_id, deps_resolved, "real")
    SELECT package_id, state, 40000000 + n * 10, started,
           CASE WHEN state <> 2 THEN started + interval '10 minutes' + random() * interval '2 hours' END,
           CASE WHEN base_id % 10 = 0 THEN 1 END,
           CASE WHEN state <> 2 THEN (1 + base_id % 7) || '.' || (n % 13) END,
           CASE WHEN state <> 2 THEN (1 + n % 5) || '.fc99' END,
           CASE WHEN state <> 2 THEN 1000000 - (${builds}::int - n) / 100 END,
           CASE WHEN state <> 2 THEN true END,
           state <> 2 AND random() < 0.1
    FROM shaped ORDER BY n
  `.execute(trx);
  await sql`ALTER TABLE build ENABLE TRIGGER update_last_build_trigger`.execute(trx);
  // Without statistics of the rows just inserted, the function's cached plan scans every build.
  await sql`ANALYZE package, build`.execute(trx);
  await sql`SELECT update_last_build(id) FROM package WHERE id IN (SELECT package_id FROM build)`.execute(
    trx,
  );
  await sql`
    INSERT INTO koji_task (build_id, task_id, arch, state, started, finished)
    SELECT b.id, b.task_id + k, arch, CASE b.state WHEN 2 THEN 1 WHEN 3 THEN 2 ELSE 5 END,
           b.started + interval '1 minute', b.finished
    FROM build b, unnest(${["x86_64", "aarch64"]}::text[]) WITH ORDINALITY AS a(arch, k)
  `.execute(trx);
}

/**
 * Dependencies in two versions each; applied changes on finished builds, unapplied ones on
 * tracked packages (skewed: some packages collect many). Most changes are upgrades; some add
 * or remove a dependency; distances 1–4 or none.
 */
async function seedDependencyChanges(trx: Kysely<Schema>, changes: number): Promise<void> {
  await sql`
    INSERT INTO dependency (name, epoch, version, release, arch)
    SELECT 'lib' || b.name || CASE WHEN b.id % 3 = 0 THEN '-devel' ELSE '' END, NULL,
           (1 + b.id % 9) || '.' || v, '1.fc99', CASE WHEN b.id % 4 = 0 THEN 'noarch' ELSE 'x86_64' END
    FROM (SELECT id, name FROM base_package ORDER BY id LIMIT ${DEPENDENCY_NAMES}) b,
         generate_series(0, 1) AS v
  `.execute(trx);
  const applied = Math.round(changes * APPLIED_SHARE);
  await insertChanges(trx, {
    table: "applied_change",
    ownerColumn: "build_id",
    owners: sql`SELECT array_agg(id) AS ids FROM build WHERE state <> 2`,
    skew: 1,
    count: applied,
  });
  await insertChanges(trx, {
    table: "unapplied_change",
    ownerColumn: "package_id",
    owners: sql`SELECT array_agg(id ORDER BY random()) AS ids FROM package
                WHERE tracked AND NOT blocked AND resolved`,
    skew: 2,
    count: changes - applied,
  });
}

/** `count` changes, each on an owner picked from `owners` (an `ids` array) with a power skew. */
async function insertChanges(
  trx: Kysely<Schema>,
  changes: {
    table: "applied_change" | "unapplied_change";
    ownerColumn: "build_id" | "package_id";
    owners: RawBuilder<unknown>;
    skew: number;
    count: number;
  },
): Promise<void> {
  await sql`
    WITH owners AS (${changes.owners}),
    deps AS (SELECT array_agg(id ORDER BY name, version) AS ids FROM dependency),
    picks AS (
      SELECT owners.ids[1 + floor(power(random(), ${changes.skew}::float8) * cardinality(owners.ids))::int] AS owner,
             floor(random() * cardinality(deps.ids) / 2)::int AS k, random() AS kind, random() AS far
      FROM owners, deps, generate_series(1, ${changes.count}::int))
    INSERT INTO ${sql.table(changes.table)} (${sql.ref(changes.ownerColumn)}, prev_dep_id, curr_dep_id, distance)
    SELECT owner,
           CASE WHEN kind < 0.1 THEN NULL ELSE deps.ids[2 * k + 1] END,
           CASE WHEN kind > 0.95 THEN NULL ELSE deps.ids[2 * k + 2] END,
           CASE WHEN far < 0.4 THEN 1 WHEN far < 0.65 THEN 2 WHEN far < 0.8 THEN 3
                WHEN far < 0.9 THEN 4 END
    FROM picks, deps
  `.execute(trx);
}
