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

/** A text key identifying a NEVRA exactly (a NULL epoch differs from epoch 0). */
export function nevraKey(dep: Nevra): string {
  return JSON.stringify([dep.name, dep.epoch, dep.version, dep.release, dep.arch]);
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
  const previousKeys = new Set(previous.map(nevraKey));
  const currentKeys = new Set(current.map(nevraKey));
  const byName = new Map<string, DependencyChange<P, C>>();
  for (const dep of previous) {
    if (currentKeys.has(nevraKey(dep))) continue;
    byName.set(dep.name, { name: dep.name, prev: dep, curr: null, distance: null });
  }
  for (const dep of current) {
    if (previousKeys.has(nevraKey(dep))) continue;
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
