// The control interface (/control, JSON): move simulated time, change the world (tag a new
// build, regenerate a repo) and inject faults into the next calls of a hub method.

import { parseDependency } from "./rpmmd.js";
import { dependencyKinds } from "./scenario.js";
import { SimClock, SimState, type NewBuildSpec } from "./state.js";

/** What to do to one upcoming call of a method (see FaultInjector). */
export type InjectedFault =
  | { kind: "fault"; code: number; message: string }
  | { kind: "slow"; delayMs: number }
  | { kind: "truncate" }
  | { kind: "http"; status: number };

interface PendingFault {
  method: string;
  remaining: number;
  fault: InjectedFault;
}

/** Faults queued per method ("*" = any method), consumed one call at a time in order. */
export class FaultInjector {
  private pending: PendingFault[] = [];

  add(method: string, count: number, fault: InjectedFault): void {
    this.pending.push({ method, remaining: count, fault });
  }

  /** The fault for this call of `method`, if one is pending (and counts it as used). */
  take(method: string): InjectedFault | undefined {
    const entry = this.pending.find((p) => p.method === method || p.method === "*");
    if (!entry) return undefined;
    if (--entry.remaining <= 0) this.pending.splice(this.pending.indexOf(entry), 1);
    return entry.fault;
  }

  list(): { method: string; remaining: number; fault: InjectedFault }[] {
    return this.pending.map((p) => ({ ...p }));
  }

  clear(): void {
    this.pending = [];
  }
}

/** A bad control request: answered 400 (or `status`) with {"error": message}. */
export class ControlError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface ControlAnswer {
  status: number;
  body: unknown;
}

type Json = Record<string, unknown>;

function field<T>(
  body: Json,
  name: string,
  type: "string" | "number" | "object",
  optional = false,
): T {
  const value = body[name];
  if (value === undefined && optional) return undefined as T;
  if (typeof value !== type || value === null) {
    throw new ControlError(`"${name}" must be a ${type === "object" ? "JSON object" : type}`);
  }
  return value as T;
}

function positiveInt(body: Json, name: string, fallback?: number): number {
  const value = body[name] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new ControlError(`"${name}" must be a positive integer`);
  }
  return value;
}

function parseFault(body: Json): InjectedFault {
  const kinds = ["faultCode", "delayMs", "truncate", "httpStatus"].filter(
    (k) => body[k] !== undefined,
  );
  if (kinds.length !== 1) {
    throw new ControlError('give exactly one of "faultCode", "delayMs", "truncate", "httpStatus"');
  }
  switch (kinds[0]) {
    case "faultCode": {
      const code = body.faultCode;
      if (typeof code !== "number" || !Number.isInteger(code))
        throw new ControlError('"faultCode" must be an integer');
      const message = field<string | undefined>(body, "faultString", "string", true);
      return { kind: "fault", code, message: message ?? `injected fault ${code}` };
    }
    case "delayMs":
      return { kind: "slow", delayMs: positiveInt(body, "delayMs") };
    case "truncate":
      if (body.truncate !== true) throw new ControlError('"truncate" must be true');
      return { kind: "truncate" };
    default: {
      const status = body.httpStatus;
      if (typeof status !== "number" || !Number.isInteger(status) || status < 400 || status > 599) {
        throw new ControlError('"httpStatus" must be an HTTP error status (400-599)');
      }
      return { kind: "http", status };
    }
  }
}

/** A dependency list must be strings in the scenario's dependency syntax. */
function checkDependencies(value: unknown, where: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((d) => typeof d !== "string")) {
    throw new ControlError(`"${where}" must be an array of dependency strings`);
  }
  for (const dependency of value as string[]) {
    try {
      parseDependency(dependency);
    } catch (error) {
      throw new ControlError(`${where}: ${(error as Error).message}`);
    }
  }
}

export class Control {
  constructor(
    private readonly state: SimState,
    private readonly clock: SimClock,
    readonly faults: FaultInjector,
  ) {}

  /** Handles `<METHOD> /control/<path>` with a parsed JSON body ({} when empty). */
  handle(method: string, path: string, body: Json): ControlAnswer {
    const route = `${method} ${path.replace(/\/+$/, "")}`;
    switch (route) {
      case "GET ":
      case "GET /state":
        return { status: 200, body: this.summary() };
      case "POST /advance": {
        const seconds = body.seconds;
        if (typeof seconds !== "number" || !(seconds >= 0))
          throw new ControlError('"seconds" must be a number >= 0');
        this.clock.advance(seconds);
        this.state.advanceTo(this.clock.now());
        return { status: 200, body: this.summary() };
      }
      case "POST /tag-build":
        return { status: 200, body: this.tagBuild(body) };
      case "POST /regen-repo": {
        const tag = this.tag(field<string>(body, "tag", "string"));
        const repo = this.state.regenerateRepo(tag);
        return {
          status: 200,
          body: { repo_id: repo.id, tag: tag.name, create_event: repo.createEvent },
        };
      }
      case "GET /faults":
        return { status: 200, body: this.faults.list() };
      case "POST /faults": {
        const target = field<string>(body, "method", "string");
        const count = positiveInt(body, "count", 1);
        this.faults.add(target, count, parseFault(body));
        return { status: 200, body: this.faults.list() };
      }
      case "DELETE /faults":
        this.faults.clear();
        return { status: 200, body: [] };
      default:
        throw new ControlError(`no control endpoint ${method} /control${path}`, 404);
    }
  }

  private summary(): Json {
    const event = this.state.lastEvent();
    return { time: this.state.time, last_event: event.id };
  }

  private tag(name: string) {
    const tag = this.state.findTag(name);
    if (!tag) throw new ControlError(`no such tag: ${name}`);
    return tag;
  }

  /** {"tag": "f42-build", "build": {name, version, release, epoch?, owner?, srpm?, rpms?}} */
  private tagBuild(body: Json): Json {
    const tag = this.tag(field<string>(body, "tag", "string"));
    const spec = field<Json>(body, "build", "object");
    for (const name of ["name", "version", "release"]) field<string>(spec, name, "string");
    if (spec.rpms !== undefined) {
      if (!Array.isArray(spec.rpms)) throw new ControlError('"build.rpms" must be an array');
      for (const rpm of spec.rpms as Json[]) {
        if (
          typeof rpm !== "object" ||
          rpm === null ||
          typeof rpm.name !== "string" ||
          typeof rpm.arch !== "string"
        ) {
          throw new ControlError('every "build.rpms" entry needs a "name" and an "arch"');
        }
        for (const kind of dependencyKinds) checkDependencies(rpm[kind], `build.rpms[].${kind}`);
      }
    }
    const srpm = spec.srpm as Json | undefined;
    if (srpm !== undefined) {
      if (typeof srpm !== "object" || srpm === null)
        throw new ControlError('"build.srpm" must be an object');
      checkDependencies(srpm.buildRequires, "build.srpm.buildRequires");
    }
    try {
      const build = this.state.addTaggedBuild(tag, spec as unknown as NewBuildSpec);
      return {
        build_id: build.id,
        nvr: `${build.name}-${build.version}-${build.release}`,
        tag: tag.name,
        event: this.state.lastEvent().id,
      };
    } catch (error) {
      throw new ControlError((error as Error).message);
    }
  }
}
