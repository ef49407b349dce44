// The simulator's HTTP server: Copr's API under /api_3 (api.ts) and the control interface for
// tests under /control (JSON). `startCoprSim()` runs it in-process; bin/copr-sim runs it alone.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiError, CoprApi, buildDict, chrootDict, projectDict } from "./api.js";
import { checkFaultSettings, FaultError, Faults, type FaultSettings } from "./faults.js";
import {
  buildEndMessages,
  DEFAULT_BUILD_END_TOPIC,
  MessagePublisher,
  type CoprMessage,
} from "./messages.js";
import {
  CoprState,
  FINAL_BUILD_STATES,
  isBuildState,
  isFinalState,
  MAX_PHASE_MS,
  type BuildRecord,
  type FinalBuildState,
  type NewProject,
  type ProjectRecord,
  type SimUser,
  type Timing,
} from "./state.js";

/** The API user every simulator knows unless told otherwise. */
export const DEFAULT_USER: Readonly<SimUser> = {
  username: "koschei",
  login: "koschei-api-login",
  token: "copr-sim-token",
};

/** Request bodies larger than this are refused (413). */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** How many calls and messages are remembered. */
const HISTORY = 1000;

export interface CoprSimOptions {
  /** "HOST:PORT"; default 127.0.0.1:0 (a free port). */
  listen?: string;
  /** API users (login and token authenticate as username); default [DEFAULT_USER]. */
  users?: SimUser[];
  /** Base of the chroot repositories of projects created through the API; default <url>/results. */
  resultsUrl?: string;
  timing?: Partial<Timing>;
  firstBuildId?: number;
  /** Publish copr.build.end messages to this RabbitMQ. */
  amqpUrl?: string;
  /** Routing key of copr.build.end; default org.fedoraproject.prod.copr.build.end. */
  buildEndTopic?: string;
  /** Send copr.build.end when a build ends (default true); else only when asked. */
  publishBuildEnd?: boolean;
  maxBodyBytes?: number;
  /** Errors the simulator survives (publishing, a handler bug). */
  onError?: (error: Error) => void;
}

/** One API call as received. */
export interface ApiCall {
  at: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** The authenticated user, if the call needed a login and had a valid one. */
  user: string | null;
  /** The answer's status; 0 when the connection was dropped or never answered. */
  status: number;
  /** The request's JSON (for uploads: the JSON part and the files' names and sizes). */
  input?: unknown;
}

/** A refused control request: {"error": message} with `status`. */
export class ControlError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function parseListen(listen: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(listen);
  if (!match || Number(match[2]) > 65535)
    throw new Error(`--listen must be HOST:PORT, not '${listen}'`);
  return { host: match[1]!.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1", port: Number(match[2]) };
}

/** The body, or "too long" once it passes `max` (the rest is read and dropped). */
function readBody(request: IncomingMessage, max: number): Promise<Buffer | "too long"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) return void chunks.push(chunk);
      request.off("data", collect);
      request.resume();
      resolve("too long");
    };
    request.on("data", collect);
    request.once("end", () => resolve(Buffer.concat(chunks)));
    request.once("error", reject);
  });
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const buffer = Buffer.from(JSON.stringify(body) + "\n", "utf8");
  response.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": String(buffer.length),
    ...headers,
  });
  response.end(buffer);
}

/** What a proxy in front of Copr answers when the frontend is away (Apache's page). */
function sendProxyError(response: ServerResponse, status: number): void {
  const title =
    { 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout" }[status] ?? "Error";
  const html =
    `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>${status} ${title}` +
    `</title>\n</head><body>\n<h1>${title}</h1>\n<p>The server is temporarily unable to service ` +
    `your request.</p>\n</body></html>\n`;
  response.writeHead(status, { "Content-Type": "text/html; charset=iso-8859-1" });
  response.end(html);
}

type Json = Record<string, unknown>;

function field<T>(body: Json, name: string, check: (v: unknown) => boolean, what: string): T {
  const value = body[name];
  if (!check(value)) throw new ControlError(`${name} must be ${what}`);
  return value as T;
}

const isString = (v: unknown) => typeof v === "string" && v.length > 0;
const isStringList = (v: unknown) =>
  Array.isArray(v) && v.every((item) => typeof item === "string");
const isFinal = (v: unknown) => typeof v === "string" && isFinalState(v);
const finalStates = FINAL_BUILD_STATES.map((s) => `"${s}"`).join(", ");

export class CoprSimulator {
  readonly state: CoprState;
  readonly faults = new Faults();
  /** API calls received, oldest first (the last 1000). */
  readonly calls: ApiCall[] = [];
  /** copr.build.end messages sent (or, without AMQP, that would have been), oldest first. */
  readonly messages: CoprMessage[] = [];
  buildEndTopic: string;
  publishBuildEnd: boolean;
  url = "";

  private server: Server | null = null;
  private publisher: MessagePublisher | null = null;
  private readonly api: CoprApi;
  private readonly messageListeners = new Set<(message: CoprMessage) => void>();
  private readonly pendingDelays = new Set<() => void>();
  private readonly endless = new Set<ServerResponse>();
  private readonly onError: (error: Error) => void;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: CoprSimOptions = {}) {
    this.state = new CoprState({
      users: options.users ?? [{ ...DEFAULT_USER }],
      resultsUrl: options.resultsUrl ?? "http://127.0.0.1/results",
      timing: options.timing,
      firstBuildId: options.firstBuildId,
    });
    this.buildEndTopic = options.buildEndTopic ?? DEFAULT_BUILD_END_TOPIC;
    this.publishBuildEnd = options.publishBuildEnd ?? true;
    this.onError = options.onError ?? (() => undefined);
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.api = new CoprApi(this.state, { publicUrl: () => this.url });
    this.state.onBuildChange((build) => {
      if (this.publishBuildEnd && isFinalState(build.state)) this.publishBuildEndOf(build);
    });
  }

  /** The API base, as copr_url + "/api_3". */
  get apiUrl(): string {
    return `${this.url}/api_3`;
  }

  /** The first configured API user. */
  get user(): SimUser {
    return this.state.users.values().next().value!;
  }

  async start(): Promise<void> {
    const { host, port } = parseListen(this.options.listen ?? "127.0.0.1:0");
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: Error) => {
        this.onError(error);
        if (!response.headersSent)
          sendJson(response, 500, { error: `simulator: ${error.message}` });
        else response.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    const hostPart = address.family === "IPv6" ? `[${address.address}]` : address.address;
    this.url = `http://${hostPart}:${address.port}`;
    if (this.options.resultsUrl === undefined) this.state.resultsUrl = `${this.url}/results`;
    if (this.options.amqpUrl) {
      try {
        this.publisher = await MessagePublisher.start(this.options.amqpUrl, this.onError);
      } catch (error) {
        await this.close();
        throw error;
      }
    }
  }

  // ---- what the control interface offers, in-process ----

  /** A project of any owner (e.g. the user's input project) with the given chroot repos. */
  createProject(input: NewProject): ProjectRecord {
    if (this.state.project(input.ownername, input.name))
      throw new ControlError(`project ${input.ownername}/${input.name} exists already`, 409);
    return this.state.addProject(input);
  }

  build(id: number): BuildRecord {
    const build = this.state.builds.get(id);
    if (!build) throw new ControlError(`no build ${id}`, 404);
    return build;
  }

  /** Ends the build now, in `state` or the outcome the rules give it. */
  finishBuild(id: number, state?: FinalBuildState): BuildRecord {
    const build = this.build(id);
    this.state.finish(build, state);
    return build;
  }

  /** The final state the build will end in when its time comes. */
  setOutcome(id: number, state: FinalBuildState): BuildRecord {
    const build = this.build(id);
    build.outcome = state;
    return build;
  }

  /** Builds of these package names fail; every other build ends in `defaultOutcome`. */
  setOutcomes(rules: { defaultOutcome?: FinalBuildState; failingPackages?: string[] }): void {
    if (rules.defaultOutcome) this.state.defaultOutcome = rules.defaultOutcome;
    if (rules.failingPackages) {
      this.state.failingPackages.clear();
      for (const name of rules.failingPackages) this.state.failingPackages.add(name);
    }
  }

  setTiming(timing: Partial<Timing>): void {
    this.state.setTiming(timing);
  }

  setFaults(settings: FaultSettings | null): void {
    this.faults.set(settings);
  }

  /** Sends (again) the copr.build.end messages of a build, one per chroot, in its current state. */
  publishBuildEndOf(build: BuildRecord, topic = this.buildEndTopic): CoprMessage[] {
    const messages = buildEndMessages(build, topic, new Date());
    for (const message of messages) {
      this.messages.push(message);
      if (this.messages.length > HISTORY) this.messages.shift();
      this.publisher?.publish(message);
      for (const listener of this.messageListeners) listener(message);
    }
    return messages;
  }

  /** Calls `listener` with every message sent (with or without AMQP). */
  onMessage(listener: (message: CoprMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  /** Resolves once the broker confirmed every message sent so far. */
  async flush(): Promise<void> {
    await this.publisher?.flush();
  }

  get amqpConnected(): boolean {
    return this.publisher !== null;
  }

  async close(): Promise<void> {
    this.state.stopAll();
    for (const release of this.pendingDelays) release();
    for (const response of this.endless) response.destroy();
    await this.publisher?.close();
    this.publisher = null;
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  // ---- HTTP ----

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://copr-sim");
    const path = url.pathname;
    if (path === "/control" || path.startsWith("/control/"))
      return this.handleControl(request, response, url);
    if (path === "/api_3" || path.startsWith("/api_3/"))
      return this.handleApi(request, response, url);
    await readBody(request, this.maxBodyBytes);
    sendJson(response, 404, { error: "Not found" });
  }

  private record(call: Omit<ApiCall, "at">): void {
    this.calls.push({ at: new Date().toISOString(), ...call });
    if (this.calls.length > HISTORY) this.calls.shift();
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.pendingDelays.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.pendingDelays.add(release);
    });
  }

  private async handleApi(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<void> {
    const method = request.method ?? "GET";
    const call = { method, path: url.pathname, query: Object.fromEntries(url.searchParams) };
    const fault = this.faults.take(url.pathname);
    if (fault?.delayMs) await this.delay(fault.delayMs);
    if (!this.server) return void response.destroy();
    if (fault?.mode === "down") {
      this.record({ ...call, user: null, status: 0 });
      request.socket.destroy();
      return;
    }
    const body = await readBody(request, this.maxBodyBytes);
    if (fault?.mode === "hang") {
      this.record({ ...call, user: null, status: 0 });
      return;
    }
    if (fault?.mode === "endless") {
      this.record({ ...call, user: null, status: 200 });
      this.sendEndless(response);
      return;
    }
    if (fault?.status !== undefined || fault?.answer !== undefined) {
      const status = fault.status ?? 200;
      this.record({ ...call, user: null, status });
      if (fault.answer !== undefined) sendJson(response, status, fault.answer);
      else if (status >= 502 && status <= 504) sendProxyError(response, status);
      else if (status >= 500)
        sendJson(response, status, {
          error: "Request wasn't successful, there is probably a bug in the Copr code.",
        });
      else sendJson(response, status, { error: `Simulated HTTP error ${status}` });
      return;
    }
    if (body === "too long") {
      this.record({ ...call, user: null, status: 413 });
      sendJson(
        response,
        413,
        { error: `The request body is larger than ${this.maxBodyBytes} bytes` },
        { Connection: "close" },
      );
      return;
    }
    try {
      const answer = this.api.handle({ method, url, headers: request.headers, body });
      this.record({
        ...call,
        user: answer.user ?? null,
        status: answer.status,
        input: answer.input,
      });
      sendJson(response, answer.status, answer.body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.record({ ...call, user: null, status: error.status });
      const { allow, ...extra } = error.extra;
      sendJson(
        response,
        error.status,
        { ...extra, error: error.message },
        allow ? { Allow: String(allow) } : {},
      );
    }
  }

  /** 200 and a JSON-looking body that goes on until the client or the simulator gives up. */
  private sendEndless(response: ServerResponse): void {
    this.endless.add(response);
    response.once("close", () => this.endless.delete(response));
    response.writeHead(200, { "Content-Type": "application/json" });
    const chunk = Buffer.from('{"id": 1, "state": "running", "padding": "' + "x".repeat(65536));
    const write = () => {
      while (!response.destroyed && this.server) {
        if (!response.write(chunk)) return void response.once("drain", write);
      }
    };
    write();
  }

  private async handleControl(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<void> {
    const raw = await readBody(request, this.maxBodyBytes);
    if (raw === "too long")
      return sendJson(response, 413, { error: "request too long" }, { Connection: "close" });
    try {
      let body: Json = {};
      if (raw.length > 0) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString("utf8"));
        } catch {
          throw new ControlError("body is not JSON");
        }
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
          throw new ControlError("body must be a JSON object");
        body = parsed as Json;
      }
      const path = url.pathname.slice("/control".length).replace(/\/+$/, "");
      const answer = this.control(request.method ?? "GET", path, body);
      sendJson(response, answer.status, answer.body);
    } catch (error) {
      if (error instanceof ControlError)
        return sendJson(response, error.status, { error: error.message });
      if (error instanceof FaultError) return sendJson(response, 400, { error: error.message });
      throw error;
    }
  }

  private summary(): Json {
    return {
      url: this.url,
      apiUrl: this.apiUrl,
      timing: this.state.timing,
      defaultOutcome: this.state.defaultOutcome,
      failingPackages: [...this.state.failingPackages],
      faults: this.faults.get(),
      buildEndTopic: this.buildEndTopic,
      publishBuildEnd: this.publishBuildEnd,
      amqp: this.amqpConnected,
      projects: [...this.state.projects.values()].map((p) => `${p.ownername}/${p.name}`),
      builds: [...this.state.builds.values()].map((b) => ({ id: b.id, state: b.state })),
    };
  }

  private projectDetail(project: ProjectRecord): Json {
    return {
      ...projectDict(project),
      chroots: [...project.chroots.values()].map((chroot) => ({
        ...chrootDict(project, chroot),
        comps: chroot.comps?.content.toString("utf8") ?? null,
      })),
    };
  }

  private buildDetail(build: BuildRecord): Json {
    return { ...buildDict(this.state, build), outcome: this.state.outcomeOf(build) };
  }

  private control(method: string, path: string, body: Json): { status: number; body: unknown } {
    const ok = (answer: unknown, status = 200) => ({ status, body: answer });
    const segments = path
      .split("/")
      .filter((s) => s !== "")
      .map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          throw new ControlError("malformed percent-encoding in the path");
        }
      });
    const [first, ...rest] = segments;
    const route = `${method} ${first ?? ""}`;
    if (rest.length === 0) {
      switch (route) {
        case "GET ":
        case "GET state":
          return ok(this.summary());
        case "GET calls":
          return ok(this.calls);
        case "DELETE calls":
          this.calls.length = 0;
          return ok({});
        case "GET messages":
          return ok(this.messages);
        case "DELETE messages":
          this.messages.length = 0;
          return ok({});
        case "POST messages": {
          if (body.topic !== undefined)
            this.buildEndTopic = field<string>(body, "topic", isString, "a topic");
          if (body.publishBuildEnd !== undefined)
            this.publishBuildEnd = field<boolean>(
              body,
              "publishBuildEnd",
              (v) => typeof v === "boolean",
              "true or false",
            );
          return ok(this.summary());
        }
        case "GET faults":
          return ok(this.faults.get());
        case "POST faults":
          this.setFaults(checkFaultSettings(body));
          return ok(this.faults.get());
        case "DELETE faults":
          this.setFaults(null);
          return ok(null);
        case "POST timing": {
          const timing: Partial<Timing> = {};
          const phase = (v: unknown) =>
            Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_PHASE_MS;
          for (const name of ["pendingMs", "runningMs"] as const)
            if (body[name] !== undefined)
              timing[name] = field<number>(
                body,
                name,
                phase,
                `a whole number of ms up to ${MAX_PHASE_MS}`,
              );
          if (body.auto !== undefined)
            timing.auto = field<boolean>(
              body,
              "auto",
              (v) => typeof v === "boolean",
              "true or false",
            );
          this.setTiming(timing);
          return ok(this.state.timing);
        }
        case "POST outcomes": {
          const rules: { defaultOutcome?: FinalBuildState; failingPackages?: string[] } = {};
          if (body.defaultOutcome !== undefined)
            rules.defaultOutcome = field(body, "defaultOutcome", isFinal, `one of ${finalStates}`);
          if (body.failingPackages !== undefined)
            rules.failingPackages = field(
              body,
              "failingPackages",
              isStringList,
              "a list of package names",
            );
          this.setOutcomes(rules);
          return ok({
            defaultOutcome: this.state.defaultOutcome,
            failingPackages: [...this.state.failingPackages],
          });
        }
        case "POST users": {
          const user: SimUser = {
            username: field(body, "username", isString, "a user name"),
            login: field(body, "login", isString, "an API login"),
            token: field(body, "token", isString, "an API token"),
          };
          this.state.users.set(user.login, user);
          return ok({ username: user.username, login: user.login });
        }
        case "GET projects":
          return ok([...this.state.projects.values()].map((p) => this.projectDetail(p)));
        case "POST projects": {
          const chrootRepos = body.chroot_repos ?? {};
          if (
            typeof chrootRepos !== "object" ||
            chrootRepos === null ||
            Array.isArray(chrootRepos) ||
            !Object.values(chrootRepos).every((v) => typeof v === "string")
          )
            throw new ControlError("chroot_repos must be an object of chroot → repository URL");
          const chroots =
            body.chroots === undefined
              ? []
              : field<string[]>(body, "chroots", isStringList, "a list of chroot names");
          const project = this.createProject({
            ownername: field(body, "ownername", isString, "an owner name"),
            name: field(body, "projectname", isString, "a project name"),
            chroots,
            chrootRepos: chrootRepos as Record<string, string>,
            description: typeof body.description === "string" ? body.description : undefined,
            instructions: typeof body.instructions === "string" ? body.instructions : undefined,
          });
          return ok(this.projectDetail(project), 201);
        }
        case "GET builds":
          return ok([...this.state.builds.values()].map((b) => this.buildDetail(b)));
      }
    }
    if (first === "projects" && rest.length === 2) {
      const project = this.state.project(rest[0]!, rest[1]!);
      if (!project) throw new ControlError(`no project ${rest[0]}/${rest[1]}`, 404);
      if (method === "GET") return ok(this.projectDetail(project));
      if (method === "DELETE") {
        this.state.deleteProject(project);
        return ok({});
      }
      throw new ControlError(`${method} is not allowed here`, 405);
    }
    if (first === "builds" && rest.length >= 1 && rest.length <= 2 && /^\d+$/.test(rest[0]!)) {
      const build = this.build(Number(rest[0]));
      const action = `${method} ${rest[1] ?? ""}`;
      const optionalFinal = (): FinalBuildState | undefined =>
        body.state === undefined
          ? undefined
          : field(body, "state", isFinal, `one of ${finalStates}`);
      switch (action) {
        case "GET ":
          return ok(this.buildDetail(build));
        case "POST finish":
          this.finishBuild(build.id, optionalFinal());
          return ok(this.buildDetail(build));
        case "POST outcome":
          this.setOutcome(build.id, field(body, "state", isFinal, `one of ${finalStates}`));
          return ok(this.buildDetail(build));
        case "POST advance":
          this.state.advance(build);
          return ok(this.buildDetail(build));
        case "POST state": {
          const state = field<string>(
            body,
            "state",
            (v) => typeof v === "string" && isBuildState(v),
            "a Copr build state",
          );
          this.state.setState(build, state as never);
          return ok(this.buildDetail(build));
        }
        case "POST publish": {
          const topic =
            body.topic === undefined
              ? undefined
              : field<string>(body, "topic", isString, "a topic");
          return ok(this.publishBuildEndOf(build, topic));
        }
      }
    }
    throw new ControlError(`no control route ${method} /control${path}`, 404);
  }
}

/** Starts a simulator (listening on `options.listen`, default a free port of 127.0.0.1). */
export async function startCoprSim(options: CoprSimOptions = {}): Promise<CoprSimulator> {
  const sim = new CoprSimulator(options);
  await sim.start();
  return sim;
}
