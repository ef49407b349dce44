// Which binary dependencies changed between two resolutions of a package's BuildRequires
// (spec 03 §6.1): the previous set (the last resolved build's) against the current one (the
// new repo's or a newer build's). One change per dependency name.

/** A binary package by name, epoch, version, release and arch (a `dependency` row). */
export interface Nevra {
  readonly name: string;
  readonly epoch: number | null;
  readonly version: string;
  readonly release: string;
  readonly arch: string;
}

/** A dependency of the current resolution, with its distance from the BuildRequires. */
export interface DistancedNevra extends Nevra {
  /** 1 = satisfies a BuildRequire directly, n+1 = required at distance n; null if unknown. */
  readonly distance: number | null;
}

/**
 * A dependency that appeared, disappeared or changed its EVR or arch; `prev` and `curr` are
 * the entries of the given sets themselves (rows with ids stay rows with ids).
 */
export interface DependencyChange<
  P extends Nevra = Nevra,
  C extends DistancedNevra = DistancedNevra,
> {
  readonly name: string;
  /** What the previous set had under this name; null for a new dependency. */
  readonly prev: P | null;
  /** What the current set has under this name; null for a removed dependency. */
  readonly curr: C | null;
  /** The current dependency's distance; null for a removed one. */
  readonly distance: number | null;
}

/**
 * A text key identifying a NEVRA exactly: the fields joined by NUL, which no field can contain
 * (PostgreSQL text cannot hold it); a NULL epoch is an empty field, so it differs from epoch 0.
 * Plain concatenation: the resolvers and the dependency cache key every dependency by it.
 */
export function nevraKey(dep: Nevra): string {
  const epoch = dep.epoch === null ? "" : String(dep.epoch);
  return dep.name + "\0" + epoch + "\0" + dep.version + "\0" + dep.release + "\0" + dep.arch;
}

/**
 * The changes from `previous` to `current`: removed dependencies first, in the previous set's
 * order, then new ones (a new NEVRA of a removed name completes that name's change). When
 * either set is empty there is nothing to compare with, and no change. Of several entries of
 * one name on a side (multilib), the later one wins.
 */
export function dependencyChanges<P extends Nevra, C extends DistancedNevra>(
  previous: readonly P[],
  current: readonly C[],
): DependencyChange<P, C>[] {
  if (previous.length === 0 || current.length === 0) return [];
  if (sameSequence(previous, current)) return [];
  // Field comparison among the entries of the same name: no key strings to build and hash.
  const previousByName = byNameIndex(previous);
  const currentByName = byNameIndex(current);
  const byName = new Map<string, DependencyChange<P, C>>();
  for (const dep of previous) {
    if (contains(currentByName, dep)) continue;
    byName.set(dep.name, { name: dep.name, prev: dep, curr: null, distance: null });
  }
  for (const dep of current) {
    if (contains(previousByName, dep)) continue;
    const removed = byName.get(dep.name);
    byName.set(dep.name, {
      name: dep.name,
      prev: removed?.prev ?? null,
      curr: dep,
      distance: dep.distance,
    });
  }
  return [...byName.values()];
}

/** Whether two NEVRAs are the same (a NULL epoch differs from epoch 0). */
export function sameNevra(a: Nevra, b: Nevra): boolean {
  return (
    a.name === b.name &&
    a.epoch === b.epoch &&
    a.version === b.version &&
    a.release === b.release &&
    a.arch === b.arch
  );
}

/** Whether two lists hold the same NEVRAs in the same order (the quick unchanged case). */
function sameSequence(a: readonly Nevra[], b: readonly Nevra[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (!sameNevra(a[index]!, b[index]!)) return false;
  return true;
}

function byNameIndex(deps: readonly Nevra[]): Map<string, Nevra[]> {
  const index = new Map<string, Nevra[]>();
  for (const dep of deps) {
    const entries = index.get(dep.name);
    if (entries) entries.push(dep);
    else index.set(dep.name, [dep]);
  }
  return index;
}

function contains(index: ReadonlyMap<string, readonly Nevra[]>, dep: Nevra): boolean {
  const entries = index.get(dep.name);
  return entries !== undefined && entries.some((entry) => sameNevra(entry, dep));
}
