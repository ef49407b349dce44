// Typed wrapper of the libsolv addon (native/, built into build/Release by node-gyp).

import { existsSync, mkdirSync, readdirSync, statSync, unlinkSync, utimesSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { asDepsolveError, DepsolveError } from "./errors.js";

/**
 * The longest string (package name, dependency, path), in UTF-8 bytes, the addon accepts
 * (kMaxStringBytes in native/addon.cc).
 */
export const MAX_STRING_BYTES = 65536;

/** The source package whose BuildRequires are resolved (it names the synthetic solvable). */
export interface SourcePackage {
  name: string;
  epoch: number;
  version: string;
  release: string;
}

/** A binary package the resolution would install. */
export interface InstalledPackage {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  /** 1 = chosen for a BuildRequire, n+1 = required by a package at distance n; null beyond 4
   * or when only the build group pulls it in. */
  distance: number | null;
}

export interface Resolution {
  readonly resolved: boolean;
  /** libsolv's problem descriptions: "Problem: <rule>" then "\n - <rule>" per further rule. */
  readonly problems: string[];
  /** Sorted by name, then arch; null when unresolved. */
  readonly installs: InstalledPackage[] | null;
}

/** A resolution as the addon returns it: the install list stays JSON text until read. */
export interface RawResolution {
  resolved: boolean;
  problems: string[];
  installsJson: string | null;
}

/**
 * A Resolution whose install list is parsed on first use, so that passing it between threads
 * or printing it as JSON (installsJson) costs little.
 */
export class ResolutionResult implements Resolution {
  readonly resolved: boolean;
  readonly problems: string[];
  readonly installsJson: string | null;
  #installs: InstalledPackage[] | null | undefined;

  constructor(raw: RawResolution) {
    this.resolved = raw.resolved;
    this.problems = raw.problems;
    this.installsJson = raw.installsJson;
  }

  get installs(): InstalledPackage[] | null {
    if (this.#installs === undefined) {
      this.#installs =
        this.installsJson === null ? null : (JSON.parse(this.installsJson) as InstalledPackage[]);
    }
    return this.#installs;
  }

  toJSON(): Resolution {
    return { resolved: this.resolved, problems: this.problems, installs: this.installs };
  }
}

export interface PoolOptions {
  /** Architecture to resolve for (`dependency.resolve_for_arch`); default x86_64. */
  arch?: string;
  /** Local directories, each containing repodata/repomd.xml. */
  repos: string[];
  /** Where libsolv .solv caches of the repos are kept (created if missing); none if absent. */
  cacheDir?: string;
  /** How many .solv files the cache directory keeps, the most recently used (default 16). */
  cacheCapacity?: number;
  /** `dependency.ignore_weak_deps`: do not install Recommends/Supplements. */
  ignoreWeakDeps?: boolean;
  /**
   * `copr.overriding_by_exclusions`: of the packages sharing a name across the repos, only
   * those with the highest EVR (RPM comparison) can be installed, so whichever repo has the
   * newer version wins, even when that version cannot be installed.
   */
  excludeOlderDuplicates?: boolean;
}

export interface LoadedRepo {
  dir: string;
  packages: number;
  /** Its packages that `excludeOlderDuplicates` left out (older than another repo's). */
  excluded: number;
  fromCache: boolean;
  /** Name of the repo's .solv file in the cache directory. */
  cacheFile: string;
}

/** Every method throws DepsolveError (POOL_CLOSED once closed, INVALID_ARGUMENT for bad input). */
export interface DepsolvePool {
  readonly repos: LoadedRepo[];
  /**
   * Resolves BuildRequires (names, `name op evr`, file paths, rich dependencies) together with
   * the build group, whose members nothing provides are skipped.
   */
  resolve(buildRequires: string[], buildGroup: string[], source?: SourcePackage): ResolutionResult;
  /** The comps groups of the repos by id: their mandatory, then default, package names. */
  readonly compsGroups: Record<string, string[]>;
  /** Frees the native pool now (otherwise the garbage collector does, eventually). */
  close(): void;
}

interface NativePool {
  readonly repos: LoadedRepo[];
  resolve(source: SourcePackage, buildRequires: string[], buildGroup: string[]): RawResolution;
  readonly compsGroups: Record<string, string[]>;
  close(): void;
}

interface NativeAddon {
  Pool: new (options: PoolOptions) => NativePool;
  libsolvVersion: string;
}

const ADDON_FILE = join("build", "Release", "koschei_solv.node");

/**
 * The addon of the package this module belongs to: the first directory above this module
 * holding package.json and the built addon, wherever the module was compiled to.
 */
function findAddon(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, ADDON_FILE))) {
      return join(dir, ADDON_FILE);
    }
    if (dirname(dir) === dir) {
      throw new DepsolveError(
        "ADDON_NOT_BUILT",
        `no ${ADDON_FILE} in the package above ${start} (build it with \`npx node-gyp rebuild\`)`,
      );
    }
  }
}

let addon: NativeAddon | undefined;

function loadAddon(): NativeAddon {
  addon ??= createRequire(import.meta.url)(findAddon()) as NativeAddon;
  return addon;
}

/** Calls into the addon, its errors becoming DepsolveErrors. */
function native<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw asDepsolveError(error);
  }
}

const DEFAULT_CACHE_CAPACITY = 16;
/**
 * A writer killed mid-write leaves its temporary file (NAME.solv.PID-RANDOM.tmp); one older than
 * this is no longer being written and is removed.
 */
const ABANDONED_TEMPORARY_MS = 3_600_000;

/**
 * Marks the cache files just used as recent and deletes the least recently used ones beyond
 * the capacity (every new repo of a collection brings a new file). A file another process
 * still reads stays readable; one it needs later is simply rebuilt.
 */
function pruneSolvCache(cacheDir: string, used: string[], capacity: number): void {
  const now = new Date();
  for (const name of used) {
    try {
      utimesSync(join(cacheDir, name), now, now);
    } catch {
      // not written (unwritable directory): nothing to mark
    }
  }
  const names = readdirSync(cacheDir);
  removeAbandonedTemporaries(cacheDir, names, now.getTime() - ABANDONED_TEMPORARY_MS);
  const files = names
    .filter((name) => name.endsWith(".solv"))
    .map((name) => {
      try {
        return { name, used: statSync(join(cacheDir, name)).mtimeMs };
      } catch {
        return { name, used: 0 }; // removed meanwhile by another process
      }
    })
    .sort((a, b) => b.used - a.used);
  for (const file of files.slice(Math.max(capacity, used.length))) {
    try {
      unlinkSync(join(cacheDir, file.name));
    } catch {
      // already gone
    }
  }
}

function removeAbandonedTemporaries(cacheDir: string, names: string[], olderThan: number): void {
  for (const name of names.filter((candidate) => /\.solv\.[^.]+\.tmp$/.test(candidate))) {
    try {
      if (statSync(join(cacheDir, name)).mtimeMs < olderThan) unlinkSync(join(cacheDir, name));
    } catch {
      // renamed or removed meanwhile by its writer or another process
    }
  }
}

/** The source package assumed when the caller names none. */
const ANONYMOUS_SOURCE: SourcePackage = { name: "source", epoch: 0, version: "0", release: "0" };

/**
 * Loads the repos into a new libsolv pool. Throws DepsolveError: bad options, and any repodata
 * file that is missing, differs from its checksum in repomd.xml or cannot be parsed completely.
 */
export function openPool(options: PoolOptions): DepsolvePool {
  // The addon checks the options it reads; these two are used here first.
  if (typeof options !== "object" || options === null) {
    throw new DepsolveError("INVALID_ARGUMENT", "Pool options must be an object");
  }
  const { cacheDir, cacheCapacity = DEFAULT_CACHE_CAPACITY } = options;
  if (cacheDir !== undefined && typeof cacheDir !== "string") {
    throw new DepsolveError("INVALID_ARGUMENT", "cacheDir must be a string");
  }
  if (!Number.isSafeInteger(cacheCapacity) || cacheCapacity < 1) {
    throw new DepsolveError("INVALID_ARGUMENT", "cacheCapacity must be a positive integer");
  }
  if (cacheDir) mkdirSync(cacheDir, { recursive: true });
  const Pool = loadAddon().Pool;
  const pool = native(() => new Pool(options));
  if (cacheDir) {
    const used = pool.repos.map((repo) => repo.cacheFile);
    pruneSolvCache(cacheDir, used, cacheCapacity);
  }
  return {
    get repos() {
      return native(() => pool.repos);
    },
    resolve: (buildRequires, buildGroup, source = ANONYMOUS_SOURCE) =>
      new ResolutionResult(native(() => pool.resolve(source, buildRequires, buildGroup))),
    get compsGroups() {
      return native(() => pool.compsGroups);
    },
    close: () => pool.close(),
  };
}

export function libsolvVersion(): string {
  return loadAddon().libsolvVersion;
}
