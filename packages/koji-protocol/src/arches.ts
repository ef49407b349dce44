// Architectures: Koji's canonical arch names, and the arches a package is built for
// (02-scheduling.md §4, mirroring Koji's own getArchList).

import type { XmlRpcValue } from "./xmlrpc.js";

/** Koji's canonArch: the arch family a builder advertises, e.g. i686 → i386, armv7hl → armhfp. */
export function canonArch(arch: string): string {
  if (/^i.86$/.test(arch) || arch === "athlon") return "i386";
  if (arch === "ia32e") return "x86_64";
  if (arch === "ppc64le") return "ppc64le";
  if (arch.startsWith("ppc64")) return "ppc64";
  if (arch.startsWith("sparc64")) return "sparc64";
  if (arch.startsWith("sparc")) return "sparc";
  if (arch.startsWith("alpha")) return "alpha";
  if (/^arm.*h/.test(arch)) return "armhfp";
  if (arch.startsWith("arm")) return "arm";
  return arch;
}

/** The SRPM headers that restrict arches, as requested from getRPMHeaders. */
export const ARCH_HEADERS = ["BUILDARCHS", "EXCLUDEARCH", "EXCLUSIVEARCH"];

export interface SrpmArchesInput {
  /** The build tag's arches (getBuildConfig). */
  tagArches: string[];
  /** getRPMHeaders(rpmID=<srpm>, headers=ARCH_HEADERS); empty or null means no SRPM. */
  headers: Record<string, XmlRpcValue> | null;
  /** The package's arch override: arches to build, or `^arches` to leave out. */
  archOverride?: string | null;
  /** Arches Koschei may build on (config build_arches). */
  buildArches: string[];
}

/**
 * The arches to build a package for, in their original spelling (`i686`, `armv7hl`); null when
 * the SRPM is unknown. `noarch` in the result means "let Koji decide"; an empty set means no
 * allowed arch remains.
 */
export function srpmArches(input: SrpmArchesInput): Set<string> | null {
  const { headers, tagArches, buildArches } = input;
  if (!headers || Object.keys(headers).length === 0) return null;
  const buildarchs = headerList(headers, "BUILDARCHS");
  const excludearch = headerList(headers, "EXCLUDEARCH");
  const exclusivearch = headerList(headers, "EXCLUSIVEARCH");

  let archlist = buildarchs.length > 0 ? buildarchs : tagArches;
  if (exclusivearch.length > 0) archlist = archlist.filter((a) => exclusivearch.includes(a));
  if (excludearch.length > 0) archlist = archlist.filter((a) => !excludearch.includes(a));
  if (
    !excludearch.includes("noarch") &&
    (buildarchs.includes("noarch") || exclusivearch.includes("noarch"))
  ) {
    archlist = [...archlist, "noarch"];
  }

  const override = input.archOverride ?? "";
  if (override.startsWith("^")) {
    const excluded = new Set(splitWords(override.slice(1)).map(canonArch));
    archlist = archlist.filter((a) => !excluded.has(canonArch(a)));
  } else if (override) {
    archlist = splitWords(override);
  }

  const tagCanon = new Set(tagArches.map(canonArch));
  const allowed = new Set(buildArches.map(canonArch).filter((a) => tagCanon.has(a)));
  return new Set(archlist.filter((a) => a === "noarch" || allowed.has(canonArch(a))));
}

function headerList(headers: Record<string, XmlRpcValue>, name: string): string[] {
  const value = headers[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return [String(value)];
  return value.map(String);
}

/** Python's str.split(): words separated by any whitespace. */
export function splitWords(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== "");
}
