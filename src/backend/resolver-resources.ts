// What the repo and build resolvers of one process share between passes (spec 03 §0, §4.4,
// §5.3): the repo cache, the dependency cache, and the build groups and BuildRequires already
// asked of Koji; and the steps both take to open a Koji repo for resolution.
import { REPO_STATES } from "@koschei/koji-protocol/koji-types.js";
import { repoUrl } from "@koschei/koji-protocol/paths.js";
import { openResolution, type ResolutionSession } from "../depsolve/resolution.js";
import type { KojiApi } from "../koji/api.js";
import { fetchBuildGroup } from "../koji/build-group.js";
import { fetchRpmRequires } from "../koji/requires.js";
import type { Logger } from "../log/logger.js";
import { RepoCache, repoCacheSettings } from "../repo/repo-cache.js";
import { DependencyCache } from "./dependency-cache.js";
import type { BackendSession } from "./session.js";

/** The collection columns the resolvers read. */
export interface ResolverCollection {
  id: number;
  name: string;
  build_tag: string;
  build_group: string;
  secondary_mode: boolean;
}

/** A source package to resolve: its name and the version and release of one of its SRPMs. */
export interface SrpmName {
  name: string;
  version: string;
  release: string;
}

export class ResolverResources {
  readonly repoCache: RepoCache;
  readonly dependencies: DependencyCache;
  /** Build groups by Koji instance, tag, group and repo; null (no such group) is kept too. */
  private readonly buildGroups = new Map<string, string[] | null>();
  /** BuildRequires by Koji instance and SRPM NVR: an SRPM never changes. */
  private readonly requires = new Map<string, string[]>();

  constructor(private readonly session: BackendSession) {
    const { config } = session;
    this.repoCache = new RepoCache({
      ...repoCacheSettings(config.dependency),
      cacheDir: config.directories.cachedir,
      logger: session.log,
    });
    this.dependencies = new DependencyCache(config.dependency.dependency_cache_capacity);
  }

  kojiFor(collection: ResolverCollection): KojiApi {
    return this.session.koji.forCollection(collection);
  }

  /** Whether Koji still has the repo's files: it is READY or EXPIRED (not yet deleted). */
  async repoAlive(collection: ResolverCollection, repoId: number): Promise<boolean> {
    const repo = await this.kojiFor(collection).repoInfo(repoId);
    return repo?.state === REPO_STATES.READY || repo?.state === REPO_STATES.EXPIRED;
  }

  /** The collection's build group as it was when the repo was generated; null if none. */
  async buildGroup(collection: ResolverCollection, repoId: number): Promise<string[] | null> {
    const koji = this.kojiFor(collection);
    const key = JSON.stringify([
      this.session.koji.idOf(koji),
      collection.build_tag,
      collection.build_group,
      repoId,
    ]);
    if (!this.buildGroups.has(key)) {
      const group = await fetchBuildGroup(
        koji,
        collection.build_tag,
        collection.build_group,
        repoId,
      );
      this.buildGroups.set(key, group);
    }
    return this.buildGroups.get(key)!;
  }

  /**
   * The BuildRequires of each SRPM, in input order (one multicall for those not known yet);
   * null for an SRPM Koji answered with a fault.
   */
  async buildRequires(
    collection: ResolverCollection,
    srpms: readonly SrpmName[],
  ): Promise<(string[] | null)[]> {
    const koji = this.kojiFor(collection);
    const kojiId = this.session.koji.idOf(koji);
    const keyOf = (srpm: SrpmName) =>
      JSON.stringify([kojiId, srpm.name, srpm.version, srpm.release]);
    const unknown = new Map<string, SrpmName>();
    for (const srpm of srpms) if (!this.requires.has(keyOf(srpm))) unknown.set(keyOf(srpm), srpm);
    const fetched = await fetchRpmRequires(
      koji,
      [...unknown.values()].map(({ name, version, release }) => ({
        name,
        version,
        release,
        arch: "src",
      })),
    );
    const faulted = new Set<string>();
    [...unknown.keys()].forEach((key, index) => {
      const requires = fetched[index];
      if (requires) this.requires.set(key, requires);
      else faulted.add(key);
    });
    return srpms.map((srpm) => (faulted.has(keyOf(srpm)) ? null : this.requires.get(keyOf(srpm))!));
  }

  /**
   * Downloads the repo (or finds it in the repo cache) and loads it into resolver threads.
   * Throws RepoNotFoundError when the repo's files are gone.
   */
  openRepo(
    collection: ResolverCollection,
    repoId: number,
    buildGroup: string[],
    options: {
      log: Logger;
      /** Resolver threads; default: one per core. */
      workers?: number;
    },
  ): Promise<ResolutionSession> {
    const { config } = this.session;
    const topurl = this.kojiFor(collection).client.topurl;
    if (!topurl) throw new Error(`no topurl is configured for the Koji of ${collection.name}`);
    return openResolution({
      repos: [repoUrl(topurl, collection.build_tag, repoId, config.dependency.repo_arch)],
      arch: config.dependency.resolve_for_arch,
      buildGroup: { packages: buildGroup },
      cacheDir: config.directories.cachedir,
      repoCache: this.repoCache,
      ignoreWeakDeps: config.dependency.ignore_weak_deps,
      workers: options.workers,
      logger: options.log,
    });
  }
}

const perSession = new WeakMap<BackendSession, ResolverResources>();

/** The resources of the process's session, created on first use. */
export function resolverResources(session: BackendSession): ResolverResources {
  let resources = perSession.get(session);
  if (!resources) perSession.set(session, (resources = new ResolverResources(session)));
  return resources;
}
