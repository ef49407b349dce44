// RPM version comparison and EVR/NEVRA strings, with the exact semantics of librpm
// (rpmvercmp, rpmverCmp, parseEVR), so that "newer" means here what it means to rpm and dnf.

export type Comparison = -1 | 0 | 1;

/** Epoch, version and release of an RPM. A null epoch means 0; a null release is absent. */
export interface Evr {
  readonly epoch: number | null;
  readonly version: string;
  readonly release: string | null;
}

export interface Nevra extends Evr {
  readonly name: string;
  readonly arch: string;
}

/** Largest epoch rpm can store (RPMTAG_EPOCH is a signed 32-bit integer). */
const MAX_EPOCH = 2 ** 31 - 1;

const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isLetter = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
/** Characters that carry meaning; every other character only separates segments. */
const isSignificant = (c: string): boolean => isDigit(c) || isLetter(c) || c === "~" || c === "^";

/**
 * Compares two version (or release) strings exactly as rpm's rpmvercmp does: segments are
 * runs of ASCII digits or ASCII letters; numeric segments compare by value (leading zeros
 * ignored) and beat alphabetic ones; letters compare bytewise; `~` sorts before anything,
 * even the end of the string; `^` sorts after the end but before any further segment.
 */
export function rpmvercmp(a: string, b: string): Comparison {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isSignificant(a[i]!)) i++;
    while (j < b.length && !isSignificant(b[j]!)) j++;
    const ca = a[i];
    const cb = b[j];

    if (ca === "~" || cb === "~") {
      if (ca !== "~") return 1;
      if (cb !== "~") return -1;
      i++;
      j++;
      continue;
    }
    if (ca === "^" || cb === "^") {
      // Unlike a tilde, a caret is newer than the end of the other string.
      if (ca === undefined) return -1;
      if (cb === undefined) return 1;
      if (ca !== "^") return 1;
      if (cb !== "^") return -1;
      i++;
      j++;
      continue;
    }
    if (ca === undefined || cb === undefined) break;

    // The segment kind is decided by the first string; the second string's segment is
    // the run of the same kind at its position, possibly empty.
    const numeric = isDigit(ca);
    const inSegment = numeric ? isDigit : isLetter;
    let endA = i;
    while (endA < a.length && inSegment(a[endA]!)) endA++;
    let endB = j;
    while (endB < b.length && inSegment(b[endB]!)) endB++;
    if (endB === j) return numeric ? 1 : -1;

    let segA = a.slice(i, endA);
    let segB = b.slice(j, endB);
    if (numeric) {
      segA = segA.replace(/^0+/, "");
      segB = segB.replace(/^0+/, "");
      if (segA.length !== segB.length) return segA.length > segB.length ? 1 : -1;
    }
    // Segments are ASCII only, so UTF-16 order is byte order (strcmp).
    if (segA !== segB) return segA < segB ? -1 : 1;
    i = endA;
    j = endB;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** rpm's compare_values: an absent part is older than any present one. */
function compareOptional(a: string | null, b: string | null): Comparison {
  if (a === null) return b === null ? 0 : -1;
  if (b === null) return 1;
  return rpmvercmp(a, b);
}

/**
 * Compares two EVRs as rpm's rpmverCmp (and Python's rpm.labelCompare) do: epochs
 * numerically with null as 0, then versions, then releases, where an absent release is
 * older than any present one (even an empty one).
 */
export function compareEvr(a: Evr, b: Evr): Comparison {
  const epochA = a.epoch ?? 0;
  const epochB = b.epoch ?? 0;
  if (epochA !== epochB) return epochA < epochB ? -1 : 1;
  return rpmvercmp(a.version, b.version) || compareOptional(a.release, b.release);
}

/**
 * Whether `candidate` is newer than `current`. Anything is newer than nothing; nothing is
 * never newer than something.
 */
export function isNewerEvr(current: Evr | null, candidate: Evr | null): boolean {
  if (current === null) return true;
  if (candidate === null) return false;
  return compareEvr(current, candidate) < 0;
}

function parseEpoch(text: string, whole: string): number {
  if (text === "") return 0; // rpm reads ":1.0" as epoch 0
  const epoch = Number(text);
  if (epoch > MAX_EPOCH) throw new Error(`epoch out of range in "${whole}"`);
  return epoch;
}

/**
 * Parses `[E:]V[-R]` as rpm's parseEVR does: an epoch is a (possibly empty) run of digits
 * followed by a colon; the release follows the last hyphen.
 */
export function parseEvr(text: string): Evr {
  const match = /^(\d*):/.exec(text);
  const epoch = match ? parseEpoch(match[1]!, text) : null;
  const rest = match ? text.slice(match[0].length) : text;
  const hyphen = rest.lastIndexOf("-");
  const version = hyphen < 0 ? rest : rest.slice(0, hyphen);
  const release = hyphen < 0 ? null : rest.slice(hyphen + 1);
  if (version === "") throw new Error(`invalid EVR "${text}": empty version`);
  return { epoch, version, release };
}

/** Formats `[E:]V[-R]`, leaving out a null or zero epoch as rpm and dnf print it. */
export function formatEvr(evr: Evr): string {
  const epoch = evr.epoch ? `${evr.epoch}:` : "";
  const release = evr.release === null ? "" : `-${evr.release}`;
  return `${epoch}${evr.version}${release}`;
}

/** Longest release shown in full on web pages; longer ones are shortened with "...". */
const DISPLAY_RELEASE_LIMIT = 16;
const DISPLAY_RELEASE_KEPT = 13;

/** Formats an EVR for web pages, shortening long releases (e.g. git snapshot releases). */
export function displayEvr(evr: Evr): string {
  const release =
    evr.release !== null && evr.release.length > DISPLAY_RELEASE_LIMIT
      ? `${evr.release.slice(0, DISPLAY_RELEASE_KEPT)}...`
      : evr.release;
  return formatEvr({ ...evr, release });
}

/**
 * Parses `name-[E:]version-release.arch` (the form dnf and Koji print). Names may contain
 * hyphens; version, release and arch may not.
 */
export function parseNevra(text: string): Nevra {
  const invalid = (why: string): Error => new Error(`invalid NEVRA "${text}": ${why}`);
  const dot = text.lastIndexOf(".");
  if (dot < 0) throw invalid("no architecture");
  const arch = text.slice(dot + 1);
  const nevr = text.slice(0, dot);
  const releaseStart = nevr.lastIndexOf("-");
  const versionStart = releaseStart < 0 ? -1 : nevr.lastIndexOf("-", releaseStart - 1);
  if (versionStart < 0) throw invalid("expected name-version-release.arch");
  const name = nevr.slice(0, versionStart);
  const evr = parseEvr(nevr.slice(versionStart + 1));
  if (name === "") throw invalid("empty name");
  if (evr.release === "") throw invalid("empty release");
  if (arch === "") throw invalid("empty architecture");
  return { name, ...evr, arch };
}

/** Formats `name-[E:]version-release.arch`, leaving out a null or zero epoch. */
export function formatNevra(nevra: Nevra): string {
  return `${nevra.name}-${formatEvr(nevra)}.${nevra.arch}`;
}
