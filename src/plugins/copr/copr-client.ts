// Koschei's client of Copr's REST API v3 (what python-copr's v3 Client does for the copr
// plugin): read a project's repositories, create and delete projects, set a chroot's buildroot
// packages and comps.xml, submit a build from an SRPM URL and read its state.
//
// Every failure is a CoprError saying whether trying again later may help (`transient`: no
// answer, a time limit, HTTP 5xx/408/429) or Copr refused (4xx, with Copr's own message).
// Messages name the method and URL (no credentials: the login and token travel only in the
// Authorization header) and never contain the token.
import { randomBytes } from "node:crypto";
import type { KoscheiConfig } from "../../config/index.js";
import type { HttpTimeouts } from "../../net/http-request.js";
import {
  isUnavailableStatus,
  JsonRequestError,
  maskedUrl,
  requestJson,
  ServiceUnavailableError,
} from "../../net/json-request.js";
import { readCoprConfig } from "./copr-config.js";

export interface CoprProject {
  ownername: string;
  name: string;
  /** Chroot → yum repository URL. */
  chroot_repos: Record<string, string>;
}

/** `state` as Copr says it: "pending", "running", "succeeded", "failed", "canceled", … */
export interface CoprBuild {
  id: number;
  state: string;
}

export interface CreateProjectOptions {
  chroots: string[];
  description: string;
  instructions: string;
  additionalRepos: string[];
  unlistedOnHomePage: boolean;
  develMode: boolean;
  enableNet: boolean;
}

export class CoprError extends Error {
  override name = "CoprError";
  /** True when the same call may succeed later: network, time limit, HTTP 5xx, 408, 429. */
  readonly transient: boolean;
  /** The HTTP status of Copr's answer; null when there was none. */
  readonly status: number | null;

  /** `cause`: what made it transient, which the backend recognises as an outage. */
  constructor(
    message: string,
    options: { transient: boolean; status?: number | null; cause?: Error },
  ) {
    super(message, options.cause ? { cause: options.cause } : undefined);
    this.transient = options.transient;
    this.status = options.status ?? null;
  }
}

/** Copr answered 404: the project, chroot or build does not exist. */
export class CoprNotFoundError extends CoprError {
  override name = "CoprNotFoundError";
}

/** Copr needs seconds, not minutes, for these calls; a comps upload is small. */
export const COPR_TIMEOUT_DEFAULTS: Readonly<HttpTimeouts> = {
  connectMs: 10_000,
  idleMs: 60_000,
  overallMs: 120_000,
};

/** Copr's answers here are a few kB; far more is not an answer to these calls. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
const USER_AGENT = "koschei copr-client";

type Method = "GET" | "POST" | "PUT" | "DELETE";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Copr's own words from an error answer, or the start of whatever came instead. */
function errorText(body: unknown, excerpt: string): string {
  if (isObject(body) && typeof body.error === "string") return body.error;
  const text = excerpt
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return text === "" ? "no details" : text.slice(0, 200);
}

/** One multipart/form-data part. */
interface FormPart {
  name: string;
  fileName: string;
  contentType: string;
  content: Buffer;
}

function quoted(text: string): string {
  return `"${text.replace(/[\r\n]/g, " ").replace(/(["\\])/g, "\\$1")}"`;
}

function multipart(parts: FormPart[]): { raw: Buffer; contentType: string } {
  const boundary = `koschei-${randomBytes(16).toString("hex")}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(part.name)}; ` +
          `filename=${quoted(part.fileName)}\r\nContent-Type: ${part.contentType}\r\n\r\n`,
        "utf8",
      ),
      part.content,
      Buffer.from("\r\n"),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { raw: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface CoprClientOptions {
  /** copr_url: the Copr frontend; the API is <url>/api_3/. */
  url: string;
  /** The API login, used with the token for Basic authentication. */
  login: string;
  username: string;
  token: string;
  timeouts?: HttpTimeouts;
}

export class CoprClient {
  readonly username: string;
  private readonly apiBase: URL;
  private readonly authorization: string;
  private readonly timeouts: HttpTimeouts;

  constructor(options: CoprClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new CoprError("the Copr URL is not a URL", { transient: false });
    }
    if (base.protocol !== "https:" && base.protocol !== "http:")
      throw new CoprError("the Copr URL must be http(s)", { transient: false });
    // os.path.join(copr_url, "api_3", ""), as python-copr builds it.
    base.pathname = `${base.pathname.replace(/\/+$/, "")}/api_3/`;
    base.search = "";
    base.hash = "";
    this.apiBase = base;
    this.username = options.username;
    this.authorization =
      "Basic " + Buffer.from(`${options.login}:${options.token}`, "utf8").toString("base64");
    this.timeouts = options.timeouts ?? COPR_TIMEOUT_DEFAULTS;
  }

  /** A client for the copr client INI file named by `copr.config_path`. */
  static fromConfig(config: KoscheiConfig): CoprClient {
    const settings = readCoprConfig(config.copr.config_path);
    return new CoprClient({
      url: settings.coprUrl,
      login: settings.login,
      username: settings.username,
      token: settings.token,
    });
  }

  async getProject(owner: string, project: string): Promise<CoprProject> {
    const { url, body } = await this.call("GET", "project", {
      query: { ownername: owner, projectname: project },
    });
    return this.project(url, body);
  }

  async createProject(
    owner: string,
    project: string,
    options: CreateProjectOptions,
  ): Promise<void> {
    const { url, body } = await this.call("POST", `project/add/${encodeURIComponent(owner)}`, {
      auth: true,
      body: {
        name: project,
        chroots: options.chroots,
        description: options.description,
        instructions: options.instructions,
        additional_repos: options.additionalRepos,
        unlisted_on_hp: options.unlistedOnHomePage,
        devel_mode: options.develMode,
        enable_net: options.enableNet,
      },
    });
    this.project(url, body);
  }

  /** Deletes the project; CoprNotFoundError when it does not exist. */
  async deleteProject(owner: string, project: string): Promise<void> {
    await this.call("DELETE", `project/delete/${this.path(owner, project)}`, {
      auth: true,
      body: { verify: true },
    });
  }

  /** Sets the chroot's buildroot packages and, if given, uploads its comps.xml. */
  async editChroot(
    owner: string,
    project: string,
    chroot: string,
    options: { additionalPackages: string[]; comps?: { fileName: string; content: Buffer } },
  ): Promise<void> {
    // As python-copr's FileRequest: the JSON travels as a part named "json", files beside it.
    const parts: FormPart[] = [
      {
        name: "json",
        fileName: "json",
        contentType: "application/json",
        content: Buffer.from(JSON.stringify({ additional_packages: options.additionalPackages })),
      },
    ];
    if (options.comps)
      parts.push({
        name: "upload_comps",
        fileName: options.comps.fileName,
        contentType: "application/text",
        content: options.comps.content,
      });
    const { url, body } = await this.call(
      "PUT",
      `project-chroot/edit/${this.path(owner, project, chroot)}`,
      { auth: true, body: multipart(parts) },
    );
    if (!isObject(body)) throw this.unexpected("PUT", url, "not a project chroot");
  }

  /** Submits a build of the SRPM at `srpmUrl` (in the background queue unless told). */
  async createBuildFromUrl(
    owner: string,
    project: string,
    srpmUrl: string,
    options: { chroots: string[]; background?: boolean },
  ): Promise<CoprBuild> {
    const { url, body } = await this.call("POST", "build/create/url", {
      auth: true,
      body: {
        ownername: owner,
        projectname: project,
        pkgs: [srpmUrl],
        chroots: options.chroots,
        background: options.background ?? true,
      },
    });
    // Copr answers {"items": [build, …], "meta": {}}: one build per URL.
    const build = isObject(body) && Array.isArray(body.items) ? body.items[0] : body;
    return this.build("POST", url, build);
  }

  async getBuild(buildId: number): Promise<CoprBuild> {
    if (!Number.isSafeInteger(buildId) || buildId <= 0)
      throw new CoprError(`${buildId} is not a Copr build id`, { transient: false });
    const { url, body } = await this.call("GET", `build/${buildId}`, {});
    return this.build("GET", url, body);
  }

  private path(...segments: string[]): string {
    return segments.map((segment) => encodeURIComponent(segment)).join("/");
  }

  private async call(
    method: Method,
    path: string,
    options: {
      query?: Record<string, string>;
      auth?: boolean;
      body?: unknown;
    },
  ): Promise<{ url: URL; body: unknown }> {
    const url = new URL(path, this.apiBase);
    for (const [name, value] of Object.entries(options.query ?? {}))
      url.searchParams.set(name, value);
    const headers: Record<string, string> = { "user-agent": USER_AGENT };
    if (options.auth) headers.authorization = this.authorization;
    let answer;
    try {
      answer = await requestJson(url, {
        method,
        body: options.body,
        headers,
        timeouts: this.timeouts,
        maxBytes: MAX_ANSWER_BYTES,
      });
    } catch (error) {
      if (!(error instanceof JsonRequestError)) throw error;
      // requestJson's message names the method and the URL already.
      throw new CoprError(`Copr did not answer: ${error.message}`, {
        transient: error.retryable,
        cause: error,
      });
    }
    const where = `Copr ${method} ${maskedUrl(url)}`;
    const { status, body } = answer;
    if (status < 200 || status >= 300) {
      const text = errorText(body, answer.excerpt);
      const message = `${where}: HTTP ${status}: ${text}`;
      if (status === 404) throw new CoprNotFoundError(message, { transient: false, status });
      if (!isUnavailableStatus(status)) throw new CoprError(message, { transient: false, status });
      const cause = new ServiceUnavailableError(message, status);
      throw new CoprError(message, { transient: true, status, cause });
    }
    if (body === undefined) throw this.unexpected(method, url, "not JSON", status);
    // python-copr treats any answer with "error" as a failure, whatever its status.
    if (isObject(body) && body.error !== undefined)
      throw new CoprError(`${where}: ${errorText(body, answer.excerpt)}`, {
        transient: false,
        status,
      });
    return { url, body };
  }

  private unexpected(method: Method, url: URL, what: string, status: number | null = null) {
    return new CoprError(`Copr ${method} ${maskedUrl(url)}: unexpected answer (${what})`, {
      transient: false,
      status,
    });
  }

  private project(url: URL, body: unknown): CoprProject {
    const method: Method = url.pathname.endsWith("/project") ? "GET" : "POST";
    if (!isObject(body)) throw this.unexpected(method, url, "not a project");
    const { ownername, name, chroot_repos: repos } = body;
    if (typeof ownername !== "string" || typeof name !== "string")
      throw this.unexpected(method, url, "a project without ownername and name");
    if (!isObject(repos))
      throw this.unexpected(method, url, "a project without a chroot_repos object");
    const entries = Object.entries(repos);
    if (!entries.every(([, repo]) => typeof repo === "string"))
      throw this.unexpected(method, url, "chroot_repos with a repository that is not a URL");
    return { ownername, name, chroot_repos: Object.fromEntries(entries) as Record<string, string> };
  }

  private build(method: Method, url: URL, body: unknown): CoprBuild {
    if (!isObject(body)) throw this.unexpected(method, url, "not a build");
    const { id, state } = body;
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0)
      throw this.unexpected(method, url, "a build without a numeric id");
    if (typeof state !== "string" || state === "")
      throw this.unexpected(method, url, "a build without a state");
    return { id, state };
  }
}
