// A world that keeps moving, for the demo: now and then a maintainer ships a newer version of
// a package others build-require (tagged into the destination tag, and the build tag's repo
// regenerated as kojira would), and once in a while that version is broken — it requires a
// library nothing provides, so its dependents cannot install their build dependencies until
// the next version fixes it.
import type { NewBuild, SimRpm } from "./scenario.js";
import type { BuildRecord, SimState, TagRecord } from "./state.js";

/** What a move did, for the log. */
export interface WorldMove {
  kind: "update" | "break" | "fix";
  nvr: string;
  repoId: number;
}

/** The library a broken version requires; no package provides it. */
export const MISSING_LIBRARY = "libkoschei-demo-missing.so.1()(64bit)";

export class WorldMover {
  /** The package whose latest version is broken, and the moves until its fix ships. */
  private broken: { name: string; movesLeft: number } | null = null;

  /** `random` returns a number in [0, 1), e.g. Math.random or a seeded generator. */
  constructor(
    private readonly state: SimState,
    private readonly destTag: string,
    private readonly buildTag: string,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Fixes the broken package when its time has come; else updates a dependency, or (when
   * none is broken) breaks one, which stays broken for `movesBroken` moves.
   */
  step(options: { breakChance?: number; movesBroken?: number } = {}): WorldMove {
    if (this.broken !== null && --this.broken.movesLeft <= 0) {
      const name = this.broken.name;
      this.broken = null;
      return this.ship("fix", this.latest(name));
    }
    // The broken package waits for its fix: an update would repair it early.
    const candidates = this.buildRequiredBuilds().filter((b) => b.name !== this.broken?.name);
    if (candidates.length === 0) throw new Error(`no build in ${this.destTag} is build-required`);
    const build = candidates[Math.floor(this.random() * candidates.length)]!;
    if (this.broken === null && this.random() < (options.breakChance ?? 0.25)) {
      this.broken = { name: build.name, movesLeft: options.movesBroken ?? 3 };
      return this.ship("break", build);
    }
    return this.ship("update", build);
  }

  private tag(name: string): TagRecord {
    return this.state.tagByName(name);
  }

  private latest(name: string): BuildRecord {
    const [found] = this.state.taggedBuilds(this.tag(this.destTag), {
      inherit: true,
      latest: true,
      packageName: name,
    });
    if (!found) throw new Error(`${name} is not tagged in ${this.destTag}`);
    return found.build;
  }

  /** The latest builds of the tag with a binary package some SRPM build-requires by name. */
  private buildRequiredBuilds(): BuildRecord[] {
    const latest = this.state
      .taggedBuilds(this.tag(this.destTag), { inherit: true, latest: true })
      .map(({ build }) => build);
    const required = new Set<string>();
    for (const build of latest) {
      for (const dependency of build.srpm.buildRequires) {
        required.add(dependency.replace(/^\(/, "").split(/[\s()]/)[0]!);
      }
    }
    return latest.filter((build) => build.rpms.some((rpm) => required.has(rpm.name)));
  }

  /** Tags a next release of `build` (broken for "break") and regenerates the build tag's repo. */
  private ship(kind: WorldMove["kind"], build: BuildRecord): WorldMove {
    const release = this.nextRelease(build);
    const rpms: SimRpm[] = build.rpms.map((rpm) => {
      const binary = rpm.binary!;
      return {
        ...binary,
        epoch: build.epoch,
        version: build.version,
        release,
        // The package's own "name = E:V-R" provide is added again for the new release.
        provides: binary.provides.filter((provide) => !provide.startsWith(`${binary.name} =`)),
        requires:
          kind === "break"
            ? [...binary.requires, MISSING_LIBRARY]
            : binary.requires.filter((r) => r !== MISSING_LIBRARY),
      };
    });
    const spec: NewBuild = {
      name: build.name,
      epoch: build.epoch,
      version: build.version,
      release,
      owner: this.state.users.get(build.ownerId)?.name ?? "kojiadmin",
      srpm: build.srpm,
      rpms,
      imported: false,
    };
    const shipped = this.state.addTaggedBuild(this.tag(this.destTag), spec);
    const repo = this.state.regenerateRepo(this.tag(this.buildTag));
    return { kind, nvr: `${shipped.name}-${shipped.version}-${shipped.release}`, repoId: repo.id };
  }

  /** `3.fc99` → `3.fc99.demo1` → `3.fc99.demo2`: a release that sorts after every earlier one. */
  private nextRelease(build: BuildRecord): string {
    const base = build.release.replace(/\.demo\d+$/, "");
    for (let n = 1; ; n++) {
      const release = `${base}.demo${n}`;
      if (!this.state.findBuild({ name: build.name, version: build.version, release }))
        return release;
    }
  }
}
