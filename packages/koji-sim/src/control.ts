// The control interface (/control, JSON): move simulated time, change the world (tag a new
// build, regenerate a repo) and inject faults into the next calls of a hub method.

import { checkNewBuild, scenarioSchema, type NewBuild } from "./scenario.js";
import { validateAndFillDefaults, type JsonSchema } from "./scenario-validator.js";
import { MAX_SIM_TIME, SimClock, SimState } from "./state.js";

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

/** The longest injected delay: a client's timeout is tested in minutes, not days. */
export const MAX_FAULT_DELAY_MS = 600_000;

const XMLRPC_INT = { type: "integer", minimum: -2147483648, maximum: 2147483647 };

function requestSchema(properties: Record<string, JsonSchema>, required: string[]): JsonSchema {
  return { type: "object", required, additionalProperties: false, properties };
}

/**
 * Control request bodies, checked by the scenario validator against the scenario's own
 * definitions: a control request is refused for whatever a scenario would be refused for.
 */
const requestSchemas = {
  advance: requestSchema({ seconds: { $ref: "#/$defs/seconds" } }, ["seconds"]),
  // The build is checked by checkNewBuild, as a scenario build.
  tagBuild: requestSchema({ tag: { type: "string" }, build: { type: "object" } }, ["tag", "build"]),
  regenRepo: requestSchema({ tag: { type: "string" } }, ["tag"]),
  faults: requestSchema(
    {
      method: { type: "string", minLength: 1 },
      count: { type: "integer", minimum: 1, maximum: 2147483647, default: 1 },
      faultCode: XMLRPC_INT,
      faultString: { type: "string" },
      delayMs: { type: "integer", minimum: 1, maximum: MAX_FAULT_DELAY_MS },
      truncate: { enum: [true] },
      httpStatus: { type: "integer", minimum: 400, maximum: 599 },
    },
    ["method"],
  ),
} satisfies Record<string, JsonSchema>;

/** Checks (and fills the defaults of) a request body; ControlError lists every problem. */
function checkRequest<T>(body: Json, schema: JsonSchema): T {
  refuseProblems(validateAndFillDefaults(scenarioSchema, body, schema));
  return body as T;
}

function refuseProblems(problems: string[]): void {
  if (problems.length > 0) throw new ControlError(problems.join("; "));
}

interface FaultRequest {
  method: string;
  count: number;
  faultCode?: number;
  faultString?: string;
  delayMs?: number;
  truncate?: true;
  httpStatus?: number;
}

function parseFault(request: FaultRequest): InjectedFault {
  const { faultCode, delayMs, truncate, httpStatus } = request;
  const given = [faultCode, delayMs, truncate, httpStatus].filter((v) => v !== undefined);
  if (given.length !== 1) {
    throw new ControlError('give exactly one of "faultCode", "delayMs", "truncate", "httpStatus"');
  }
  if (faultCode !== undefined) {
    const message = request.faultString ?? `injected fault ${faultCode}`;
    return { kind: "fault", code: faultCode, message };
  }
  if (delayMs !== undefined) return { kind: "slow", delayMs };
  if (truncate) return { kind: "truncate" };
  return { kind: "http", status: httpStatus! };
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
        const { seconds } = checkRequest<{ seconds: number }>(body, requestSchemas.advance);
        if (this.clock.now() + seconds > MAX_SIM_TIME) {
          throw new ControlError(
            `seconds: ${seconds} would take the simulated clock past ${new Date(MAX_SIM_TIME * 1000).toISOString()}`,
          );
        }
        this.clock.advance(seconds);
        this.state.advanceTo(this.clock.now());
        return { status: 200, body: this.summary() };
      }
      case "POST /tag-build":
        return { status: 200, body: this.tagBuild(body) };
      case "POST /regen-repo": {
        const request = checkRequest<{ tag: string }>(body, requestSchemas.regenRepo);
        const tag = this.tag(request.tag);
        const repo = this.state.regenerateRepo(tag);
        return {
          status: 200,
          body: { repo_id: repo.id, tag: tag.name, create_event: repo.createEvent },
        };
      }
      case "GET /faults":
        return { status: 200, body: this.faults.list() };
      case "POST /faults": {
        const request = checkRequest<FaultRequest>(body, requestSchemas.faults);
        this.faults.add(request.method, request.count, parseFault(request));
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

  /** {"tag": "f42-build", "build": a scenario build without id and tags} */
  private tagBuild(body: Json): Json {
    const request = checkRequest<{ tag: string; build: Json }>(body, requestSchemas.tagBuild);
    refuseProblems(checkNewBuild(request.build, "build"));
    const tag = this.tag(request.tag);
    try {
      const build = this.state.addTaggedBuild(tag, request.build as unknown as NewBuild);
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
