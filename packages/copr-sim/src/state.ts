// The simulated Copr's world: API users, projects with their chroots, and builds that move from
// `pending` through `running` to a final state over (real) time. Everything is kept in Maps, so
// any owner, project or chroot name — `__proto__` included — is just a key.

/** Build states as Copr's API names them (copr_common.enums.StatusEnum). */
export const BUILD_STATUS_NUMBERS = {
  failed: 0,
  succeeded: 1,
  canceled: 2,
  running: 3,
  pending: 4,
  skipped: 5,
  starting: 6,
  importing: 7,
  forked: 8,
  waiting: 9,
} as const;

export type BuildState = keyof typeof BUILD_STATUS_NUMBERS;
/** The states a build ends in. */
export type FinalBuildState = "succeeded" | "failed" | "canceled" | "skipped";

export const FINAL_BUILD_STATES: readonly FinalBuildState[] = [
  "succeeded",
  "failed",
  "canceled",
  "skipped",
];

export function isFinalState(state: string): state is FinalBuildState {
  return (FINAL_BUILD_STATES as readonly string[]).includes(state);
}

export function isBuildState(state: string): state is BuildState {
  return Object.prototype.hasOwnProperty.call(BUILD_STATUS_NUMBERS, state);
}

/** An API user: the `login` and `token` of Basic authentication act as `username`. */
export interface SimUser {
  username: string;
  login: string;
  token: string;
}

export interface ChrootRecord {
  name: string;
  additionalPackages: string[];
  additionalRepos: string[];
  /** The uploaded comps.xml (file name and content), if any. */
  comps: { name: string; content: Buffer } | null;
}

export interface ProjectRecord {
  id: number;
  ownername: string;
  name: string;
  description: string;
  instructions: string;
  homepage: string | null;
  contact: string | null;
  additionalRepos: string[];
  unlistedOnHp: boolean;
  develMode: boolean;
  enableNet: boolean;
  chroots: Map<string, ChrootRecord>;
  /** Chroot → yum repository URL, as `chroot_repos` shows it. */
  chrootRepos: Map<string, string>;
  /** The repository base of the project's builds (`repo_url` of its builds). */
  repoUrl: string;
}

export interface BuildRecord {
  id: number;
  ownername: string;
  projectname: string;
  srpmUrl: string;
  /** Name and version-release from the SRPM file name, null when it does not look like one. */
  packageName: string | null;
  packageVersion: string | null;
  chroots: string[];
  submitter: string;
  background: boolean;
  state: BuildState;
  /** The final state chosen for this build (control), else the rules decide when it ends. */
  outcome: FinalBuildState | null;
  /** Epoch seconds, as Copr answers them. */
  submittedOn: number;
  startedOn: number | null;
  endedOn: number | null;
}

export interface Timing {
  /** How long a new build stays `pending`, in milliseconds. */
  pendingMs: number;
  /** How long it then stays `running`. */
  runningMs: number;
  /** False: builds move only when the control interface moves them. */
  auto: boolean;
}

export const DEFAULT_TIMING: Readonly<Timing> = { pendingMs: 1000, runningMs: 3000, auto: true };

/** The longest build phase the simulator accepts: a day. */
export const MAX_PHASE_MS = 24 * 3600 * 1000;

export interface NewProject {
  ownername: string;
  name: string;
  chroots: string[];
  description?: string;
  instructions?: string;
  homepage?: string | null;
  contact?: string | null;
  additionalRepos?: string[];
  unlistedOnHp?: boolean;
  develMode?: boolean;
  enableNet?: boolean;
  /** Chroot → repository URL; chroots without one get `<resultsUrl>/<owner>/<name>/<chroot>/`. */
  chrootRepos?: Record<string, string>;
}

/** `foo-bar-1.2-3.fc30.src.rpm` (any directory before it) → name foo-bar, version 1.2-3.fc30. */
export function srpmNameVersion(url: string): { name: string | null; version: string | null } {
  let file = url.slice(url.lastIndexOf("/") + 1);
  const query = file.search(/[?#]/);
  if (query >= 0) file = file.slice(0, query);
  try {
    file = decodeURIComponent(file);
  } catch {
    // keep it as it is
  }
  const match = /^(.+)-([^-]+)-([^-]+)\.src\.rpm$/.exec(file);
  if (!match) return { name: null, version: null };
  return { name: match[1]!, version: `${match[2]}-${match[3]}` };
}

export type BuildListener = (build: BuildRecord, previous: BuildState) => void;

export interface CoprStateOptions {
  users: SimUser[];
  /** Base of the repositories of projects created through the API. */
  resultsUrl: string;
  timing?: Partial<Timing>;
  firstBuildId?: number;
  now?: () => number;
}

export class CoprState {
  readonly users = new Map<string, SimUser>();
  readonly projects = new Map<string, ProjectRecord>();
  readonly builds = new Map<number, BuildRecord>();
  timing: Timing;
  /** The outcome of builds nobody chose one for. */
  defaultOutcome: FinalBuildState = "succeeded";
  /** Builds of these package names fail (unless an outcome was chosen for the build). */
  readonly failingPackages = new Set<string>();
  resultsUrl: string;

  private nextProjectId = 1;
  private nextBuildId: number;
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly listeners = new Set<BuildListener>();
  private readonly now: () => number;

  constructor(options: CoprStateOptions) {
    for (const user of options.users) this.users.set(user.login, user);
    this.resultsUrl = options.resultsUrl.replace(/\/+$/, "");
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.nextBuildId = options.firstBuildId ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** The user whose API login and token these are, if any. */
  authenticate(login: string, token: string): SimUser | undefined {
    const user = this.users.get(login);
    return user && user.token === token ? user : undefined;
  }

  static key(ownername: string, name: string): string {
    return `${ownername}/${name}`;
  }

  project(ownername: string, name: string): ProjectRecord | undefined {
    return this.projects.get(CoprState.key(ownername, name));
  }

  /** Adds a project (the caller checked that it is new and valid). */
  addProject(input: NewProject): ProjectRecord {
    const repoUrl = `${this.resultsUrl}/${input.ownername}/${input.name}`;
    const chroots = new Map<string, ChrootRecord>();
    const chrootRepos = new Map<string, string>();
    for (const chroot of input.chroots) {
      chroots.set(chroot, {
        name: chroot,
        additionalPackages: [],
        additionalRepos: [],
        comps: null,
      });
      chrootRepos.set(chroot, `${repoUrl}/${chroot}/`);
    }
    for (const [chroot, url] of Object.entries(input.chrootRepos ?? {})) {
      if (!chroots.has(chroot))
        chroots.set(chroot, {
          name: chroot,
          additionalPackages: [],
          additionalRepos: [],
          comps: null,
        });
      chrootRepos.set(chroot, url);
    }
    const project: ProjectRecord = {
      id: this.nextProjectId++,
      ownername: input.ownername,
      name: input.name,
      description: input.description ?? "",
      instructions: input.instructions ?? "",
      homepage: input.homepage ?? null,
      contact: input.contact ?? null,
      additionalRepos: input.additionalRepos ?? [],
      unlistedOnHp: input.unlistedOnHp ?? false,
      develMode: input.develMode ?? false,
      enableNet: input.enableNet ?? false,
      chroots,
      chrootRepos,
      repoUrl,
    };
    this.projects.set(CoprState.key(project.ownername, project.name), project);
    return project;
  }

  /** Removes the project and its builds (Copr deletes them with it). */
  deleteProject(project: ProjectRecord): void {
    this.projects.delete(CoprState.key(project.ownername, project.name));
    for (const build of [...this.builds.values()]) {
      if (build.ownername === project.ownername && build.projectname === project.name) {
        this.stopTimer(build.id);
        this.builds.delete(build.id);
      }
    }
  }

  addBuild(
    project: ProjectRecord,
    srpmUrl: string,
    chroots: string[],
    submitter: string,
    background: boolean,
  ): BuildRecord {
    const { name, version } = srpmNameVersion(srpmUrl);
    const build: BuildRecord = {
      id: this.nextBuildId++,
      ownername: project.ownername,
      projectname: project.name,
      srpmUrl,
      packageName: name,
      packageVersion: version,
      chroots,
      submitter,
      background,
      state: "pending",
      outcome: null,
      submittedOn: this.seconds(),
      startedOn: null,
      endedOn: null,
    };
    this.builds.set(build.id, build);
    this.schedule(build);
    return build;
  }

  /** Called with every change of a build's state (the build already changed). */
  onBuildChange(listener: BuildListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The state the build will end in. */
  outcomeOf(build: BuildRecord): FinalBuildState {
    if (build.outcome) return build.outcome;
    if (build.packageName !== null && this.failingPackages.has(build.packageName)) return "failed";
    return this.defaultOutcome;
  }

  /** Moves a build one step on: pending → running → its outcome. */
  advance(build: BuildRecord): void {
    if (build.state === "running") this.setState(build, this.outcomeOf(build));
    else if (!isFinalState(build.state)) this.setState(build, "running");
  }

  /** Ends the build now, in `state` or its outcome. */
  finish(build: BuildRecord, state?: FinalBuildState): void {
    if (state) build.outcome = state;
    if (build.state !== "running" && !isFinalState(build.state)) this.setState(build, "running");
    this.setState(build, this.outcomeOf(build));
  }

  /** Sets any state (a final one ends the build, a running one restarts its clock). */
  setState(build: BuildRecord, state: BuildState): void {
    const previous = build.state;
    if (previous === state && !isFinalState(state)) return;
    this.stopTimer(build.id);
    build.state = state;
    if (state === "running" && build.startedOn === null) build.startedOn = this.seconds();
    if (isFinalState(state)) {
      build.startedOn ??= this.seconds();
      build.endedOn = this.seconds();
    } else {
      build.endedOn = null;
    }
    if (previous !== state) for (const listener of this.listeners) listener(build, previous);
    this.schedule(build);
  }

  setTiming(timing: Partial<Timing>): void {
    this.timing = { ...this.timing, ...timing };
    // Timers already running keep their length; builds waiting for a timer get one.
    for (const build of this.builds.values()) if (!this.timers.has(build.id)) this.schedule(build);
  }

  /** Stops every timer (the simulator is closing). */
  stopAll(): void {
    for (const id of [...this.timers.keys()]) this.stopTimer(id);
  }

  private schedule(build: BuildRecord): void {
    if (!this.timing.auto || isFinalState(build.state) || this.timers.has(build.id)) return;
    const delay = build.state === "running" ? this.timing.runningMs : this.timing.pendingMs;
    const timer = setTimeout(() => {
      this.timers.delete(build.id);
      if (this.builds.get(build.id) === build) this.advance(build);
    }, delay);
    timer.unref();
    this.timers.set(build.id, timer);
  }

  private stopTimer(id: number): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }
}
