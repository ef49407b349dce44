// The `dependency` rows (a flyweight table of binary NEVRAs) a resolver process has seen most
// recently, by id and by NEVRA (spec 03 §6.3), so that most lookups of a pass need no query.
// Entries are never invalidated: rows are never changed by Koschei once written.
import { formatNevra } from "@koschei/koji-protocol/evr.js";
import { sql, type Kysely } from "kysely";
import type { Schema } from "../db/index.js";
import { nevraKey, type Nevra } from "../model/dependency-changes.js";

/** A `dependency` row. */
export interface DependencyRow extends Nevra {
  readonly id: number;
}

export interface DependencyCacheStats {
  hits: number;
  misses: number;
  inserts: number;
}

const DEPENDENCY_COLUMNS = ["id", "name", "epoch", "version", "release", "arch"] as const;

export class DependencyCache {
  /** Least recently used first (a Map keeps insertion order; a hit re-inserts). */
  private readonly byId = new Map<number, DependencyRow>();
  private readonly byNevra = new Map<string, DependencyRow>();
  stats: DependencyCacheStats = { hits: 0, misses: 0, inserts: 0 };

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.byId.size;
  }

  clearStats(): void {
    this.stats = { hits: 0, misses: 0, inserts: 0 };
  }

  /**
   * The row of each NEVRA, in input order, inserting the missing ones. Rows another process
   * inserts at the same moment are found again after the conflict. Run it outside the
   * transactions that use the ids: a rollback must not leave the cache naming rows that do not
   * exist.
   */
  async rowsOf(db: Kysely<Schema>, nevras: readonly Nevra[]): Promise<DependencyRow[]> {
    const found = new Map<string, DependencyRow>();
    const missing = new Map<string, Nevra>();
    for (const nevra of nevras) {
      const key = nevraKey(nevra);
      const cached = this.byNevra.get(key);
      if (cached) {
        this.stats.hits++;
        this.touch(cached);
        found.set(key, cached);
      } else {
        missing.set(key, nevra);
      }
    }
    if (missing.size > 0) {
      const existing = await selectNevras(db, [...missing.values()]);
      this.stats.misses += existing.length;
      const absent = withoutRows([...missing.values()], existing);
      const inserted = absent.length > 0 ? await insertNevras(db, absent) : [];
      this.stats.inserts += inserted.length;
      const raced = withoutRows(absent, inserted);
      const concurrent = raced.length > 0 ? await selectNevras(db, raced) : [];
      for (const row of [...existing, ...inserted, ...concurrent]) {
        this.add(row);
        found.set(nevraKey(row), row);
      }
    }
    return nevras.map((nevra) => {
      const row = found.get(nevraKey(nevra));
      if (!row) throw new Error(`dependency ${formatNevra(nevra)} could not be stored`);
      return row;
    });
  }

  /** The rows of these ids, in input order; an id without a row is an error. */
  async rowsByIds(db: Kysely<Schema>, ids: readonly number[]): Promise<DependencyRow[]> {
    const missing = [...new Set(ids.filter((id) => !this.byId.has(id)))];
    const fetched =
      missing.length === 0
        ? []
        : await db
            .selectFrom("dependency")
            .select(DEPENDENCY_COLUMNS)
            .where("id", "=", sql<number>`ANY(${missing}::int[])`)
            .execute();
    const fetchedById = new Map(fetched.map((row) => [row.id, row]));
    // Looked up before anything is added: adding may evict rows this call returns.
    const rows = ids.map((id) => {
      const row = this.byId.get(id) ?? fetchedById.get(id);
      if (!row) throw new Error(`no dependency row ${id}`);
      return row;
    });
    this.stats.hits += ids.length - missing.length;
    this.stats.misses += fetched.length;
    for (const row of rows) if (!fetchedById.has(row.id)) this.touch(row);
    for (const row of fetched) this.add(row);
    return rows;
  }

  private touch(row: DependencyRow): void {
    if (this.byId.delete(row.id)) this.byId.set(row.id, row);
  }

  private add(row: DependencyRow): void {
    this.byId.delete(row.id);
    this.byId.set(row.id, row);
    this.byNevra.set(nevraKey(row), row);
    while (this.byId.size > this.capacity) {
      const [oldestId, oldest] = this.byId.entries().next().value as [number, DependencyRow];
      this.byId.delete(oldestId);
      this.byNevra.delete(nevraKey(oldest));
    }
  }
}

function withoutRows(nevras: readonly Nevra[], rows: readonly DependencyRow[]): Nevra[] {
  const present = new Set(rows.map(nevraKey));
  return nevras.filter((nevra) => !present.has(nevraKey(nevra)));
}

/** The NEVRAs as five parallel arrays, for unnest(). */
function columns(nevras: readonly Nevra[]) {
  return {
    names: nevras.map((n) => n.name),
    epochs: nevras.map((n) => n.epoch),
    versions: nevras.map((n) => n.version),
    releases: nevras.map((n) => n.release),
    arches: nevras.map((n) => n.arch),
  };
}

async function selectNevras(
  db: Kysely<Schema>,
  nevras: readonly Nevra[],
): Promise<DependencyRow[]> {
  const { names, epochs, versions, releases, arches } = columns(nevras);
  const { rows } = await sql<DependencyRow>`
    SELECT d.id, d.name, d.epoch, d.version, d.release, d.arch
    FROM dependency AS d
    JOIN unnest(${names}::text[], ${epochs}::int[], ${versions}::text[], ${releases}::text[],
                ${arches}::text[]) AS n(name, epoch, version, release, arch)
      ON d.name = n.name AND d.epoch IS NOT DISTINCT FROM n.epoch AND d.version = n.version
         AND d.release = n.release AND d.arch = n.arch`.execute(db);
  return rows;
}

/** Inserts the NEVRAs, skipping those another process inserted first. */
async function insertNevras(
  db: Kysely<Schema>,
  nevras: readonly Nevra[],
): Promise<DependencyRow[]> {
  const { names, epochs, versions, releases, arches } = columns(nevras);
  return db
    .insertInto("dependency")
    .columns(["name", "epoch", "version", "release", "arch"])
    .expression(
      sql`SELECT * FROM unnest(${names}::text[], ${epochs}::int[], ${versions}::text[],
                               ${releases}::text[], ${arches}::text[])`,
    )
    .onConflict((conflict) => conflict.doNothing())
    .returning(DEPENDENCY_COLUMNS)
    .execute();
}
