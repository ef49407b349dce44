// What the copr-resolver decides without I/O (spec 11 §2.3): which Copr project a request
// names, which of its chroot repos is the input, what a package's resolutions with and without
// the user's repo say about it, and the order of the rebuild queue.
import type { InstalledPackage, Resolution } from "../../depsolve/pool.js";
import { nevraKey } from "../../model/dependency-changes.js";

/** The chroots whose repo may be the user's input, in order of preference. */
export const INPUT_CHROOTS: readonly string[] = ["fedora-rawhide-x86_64"];

export interface CoprProjectName {
  owner: string;
  name: string;
}

/** `copr:<owner>/<name>` → its parts; null for anything else. */
export function parseRepoSource(repoSource: string): CoprProjectName | null {
  const match = /^copr:([^/\s]+)\/([^/\s]+)$/.exec(repoSource);
  return match ? { owner: match[1]!, name: match[2]! } : null;
}

/** The repo URL of the first input chroot the project has; null when it has none. */
export function inputChrootRepo(chrootRepos: Readonly<Record<string, string>>): string | null {
  for (const chroot of INPUT_CHROOTS) {
    const url = Object.hasOwn(chrootRepos, chroot) ? chrootRepos[chroot] : undefined;
    if (url) return url;
  }
  return null;
}

/** What adding the user's repo does to one package. */
export type PackageVerdict =
  /** Its BuildRequires become resolvable or unresolvable (problems: those with the repo). */
  | { kind: "resolution-change"; prevResolved: boolean; currResolved: boolean; problems: string[] }
  /** It still resolves, with other packages installed: worth rebuilding with the repo. */
  | { kind: "rebuild"; priority: number }
  | { kind: "unaffected" };

/**
 * Compares a package's resolution against the baseline alone (`before`) with the one against
 * the baseline and the user's repo (`after`, whose distances count).
 */
export function compareResolutions(before: Resolution, after: Resolution): PackageVerdict {
  if (before.resolved !== after.resolved) {
    return {
      kind: "resolution-change",
      prevResolved: before.resolved,
      currResolved: after.resolved,
      problems: after.problems,
    };
  }
  if (!after.resolved) return { kind: "unaffected" };
  const previous = new Set((before.installs ?? []).map(nevraKey));
  const current = after.installs ?? [];
  const added = current.filter((pkg) => !previous.has(nevraKey(pkg)));
  if (added.length === 0 && current.length === previous.size) return { kind: "unaffected" };
  return { kind: "rebuild", priority: rebuildPriority(added) };
}

/**
 * Σ 100 / (2·d) over the newly installed packages with a dependency distance d: a new direct
 * BuildRequire counts 50, one a step further 25, and so on; those without distance nothing.
 */
export function rebuildPriority(added: readonly Pick<InstalledPackage, "distance">[]): number {
  return added.reduce(
    (sum, pkg) => (pkg.distance === null ? sum : sum + 100 / (2 * pkg.distance)),
    0,
  );
}

export interface RebuildCandidate {
  packageId: number;
  priority: number;
}

/**
 * The rebuild queue: by priority, highest first (equal priorities keep their input order, the
 * packages' id order), each with its position as `order`.
 */
export function rebuildQueue<C extends RebuildCandidate>(
  candidates: readonly C[],
): (C & { order: number })[] {
  return [...candidates]
    .sort((a, b) => b.priority - a.priority)
    .map((candidate, order) => ({ ...candidate, order }));
}
