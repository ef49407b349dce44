// The part of Copr's REST API v3 (frontend coprs/views/apiv3_ns) that Koschei uses, answering
// with the real routes, field names, status codes and error texts:
//
//   GET    /api_3/                                       {"version": 3}
//   GET    /api_3/project?ownername=&projectname=        project
//   POST   /api_3/project/add/<owner>                    project          (login)
//   DELETE /api_3/project/delete/<owner>/<project>       project          (login; POST too)
//   GET    /api_3/project-chroot?ownername=&projectname=&chrootname=
//   PUT    /api_3/project-chroot/edit/<owner>/<project>/<chroot>         (login; POST too)
//   POST   /api_3/build/create/url                       {"items": [build], "meta": {}} (login)
//   GET    /api_3/build/<id>                             build
//   GET    /api_3/build/list?ownername=&projectname=     {"items": [...], "meta": {...}}
//   PUT    /api_3/build/cancel/<id>                      build            (login; POST too)
//
// Errors are {"error": "..."} with Copr's status: 400 bad input, 401 bad login, 403 not
// allowed, 404 not found, 405 wrong method.
import { multipartBoundary, parseMultipart, MultipartError, type FormPart } from "./multipart.js";
import {
  CoprState,
  type BuildRecord,
  type ChrootRecord,
  type ProjectRecord,
  type SimUser,
} from "./state.js";

export interface ApiRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
  /** What the request carried, for the call log (no credentials). */
  input?: unknown;
  /** The authenticated user's name. */
  user?: string;
}

/** A refusal, answered as {"error": message}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

/** Copr's project names: NameCharactersValidator and NameNotNumberValidator. */
const PROJECT_NAME = /^[\w.-]+$/;
/** A mock chroot name: distribution-version-arch. */
const CHROOT_NAME = /^[A-Za-z0-9._+]+(-[A-Za-z0-9._+]+){2,}$/;

export function projectDict(project: ProjectRecord): Json {
  return {
    id: project.id,
    name: project.name,
    ownername: project.ownername,
    full_name: `${project.ownername}/${project.name}`,
    homepage: project.homepage,
    contact: project.contact,
    description: project.description,
    instructions: project.instructions,
    devel_mode: project.develMode,
    persistent: false,
    unlisted_on_hp: project.unlistedOnHp,
    auto_prune: true,
    chroot_repos: Object.fromEntries(project.chrootRepos),
    additional_repos: [...project.additionalRepos],
    enable_net: project.enableNet,
    bootstrap: "default",
    isolation: "default",
    module_hotfixes: false,
    appstream: false,
    packit_forge_projects_allowed: [],
    follow_fedora_branching: true,
    repo_priority: null,
    projectname: project.name,
    storage: "backend",
  };
}

export function chrootDict(project: ProjectRecord, chroot: ChrootRecord): Json {
  return {
    mock_chroot: chroot.name,
    projectname: project.name,
    ownername: project.ownername,
    comps_name: chroot.comps?.name ?? null,
    additional_repos: [...chroot.additionalRepos],
    additional_packages: [...chroot.additionalPackages],
    additional_modules: [],
    with_opts: [],
    without_opts: [],
    delete_after_days: null,
    isolation: "unchanged",
  };
}

export function buildDict(state: CoprState, build: BuildRecord): Json {
  return {
    id: build.id,
    state: build.state,
    projectname: build.projectname,
    ownername: build.ownername,
    repo_url: `${state.resultsUrl}/${build.ownername}/${build.projectname}`,
    source_package: { name: build.packageName, version: build.packageVersion, url: build.srpmUrl },
    submitted_on: build.submittedOn,
    started_on: build.startedOn,
    ended_on: build.endedOn,
    submitter: build.submitter,
    chroots: [...build.chroots],
    project_dirname: build.projectname,
    is_background: build.background,
  };
}

/** The request's input: a JSON body, or a multipart body's `json` part plus its files. */
interface Input {
  data: Json;
  files: Map<string, FormPart>;
}

function readInput(request: ApiRequest): Input {
  const files = new Map<string, FormPart>();
  if (request.body.length === 0) return { data: {}, files };
  const contentType = String(request.headers["content-type"] ?? "");
  let text: string;
  let boundary: string | null;
  try {
    boundary = multipartBoundary(contentType);
  } catch (error) {
    throw new ApiError(400, (error as Error).message);
  }
  if (boundary !== null) {
    let parts: FormPart[];
    try {
      parts = parseMultipart(request.body, boundary);
    } catch (error) {
      if (error instanceof MultipartError) throw new ApiError(400, error.message);
      throw error;
    }
    for (const part of parts) if (part.name !== "json") files.set(part.name, part);
    const json = parts.find((part) => part.name === "json");
    if (!json) return { data: {}, files };
    text = json.data.toString("utf8");
  } else {
    text = request.body.toString("utf8");
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, `The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (data === null) data = {};
  if (typeof data !== "object" || Array.isArray(data))
    throw new ApiError(400, "The request body must be a JSON object");
  return { data: data as Json, files };
}

/** Form problems, reported together as InvalidForm does ("field: message" lines). */
class FormErrors {
  private readonly problems: string[] = [];

  add(field: string, message: string): void {
    this.problems.push(`${field}: ${message}`);
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new ApiError(400, this.problems.join("\n"));
  }

  string(data: Json, field: string): string | null {
    const value = data[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== "string") {
      this.add(field, "Not a valid string value.");
      return null;
    }
    return value;
  }

  boolean(data: Json, field: string): boolean | null {
    const value = data[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== "boolean") {
      this.add(field, "Not a valid boolean value.");
      return null;
    }
    return value;
  }

  /** A list of strings; a string is split at whitespace, as the form fields do. */
  list(data: Json, field: string): string[] | null {
    const value = data[field];
    if (value === undefined || value === null) return null;
    if (typeof value === "string") return value.split(/\s+/).filter((item) => item !== "");
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
      this.add(field, "Not a valid list of strings.");
      return null;
    }
    return (value as string[]).map((item) => item.trim()).filter((item) => item !== "");
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

export interface ApiOptions {
  /** The simulated frontend's public URL, for the 401 text. */
  publicUrl: () => string;
}

export class CoprApi {
  constructor(
    private readonly state: CoprState,
    private readonly options: ApiOptions,
  ) {}

  /** Handles a request under /api_3; throws ApiError for refusals. */
  handle(request: ApiRequest): ApiAnswer {
    const rest = request.url.pathname.slice("/api_3".length);
    let segments: string[];
    try {
      segments = rest
        .split("/")
        .filter((s) => s !== "")
        .map((s) => decodeURIComponent(s));
    } catch {
      throw new ApiError(400, "Malformed percent-encoding in the URL path");
    }
    const method = request.method;
    const query = request.url.searchParams;
    const route = (methods: string[], handler: () => ApiAnswer): ApiAnswer => {
      if (!methods.includes(method))
        throw new ApiError(405, "The method is not allowed for the requested URL.", {
          allow: methods.join(", "),
        });
      return handler();
    };
    const [first, second, ...others] = segments;
    if (first === undefined) return route(["GET"], () => ({ status: 200, body: { version: 3 } }));
    if (first === "project") {
      if (second === undefined) return route(["GET"], () => this.getProject(query));
      if (second === "add" && others.length === 1)
        return route(["POST"], () => this.addProject(request, others[0]!));
      if (second === "delete" && others.length === 2)
        return route(["DELETE", "POST"], () => this.deleteProject(request, others[0]!, others[1]!));
    }
    if (first === "project-chroot") {
      if (second === undefined) return route(["GET"], () => this.getChroot(query));
      if (second === "edit" && others.length === 3)
        return route(["PUT", "POST"], () =>
          this.editChroot(request, others[0]!, others[1]!, others[2]!),
        );
    }
    if (first === "build") {
      if (second === "create" && others.length === 1 && others[0] === "url")
        return route(["POST"], () => this.createFromUrl(request));
      if (second === "list" && others.length === 0)
        return route(["GET"], () => this.listBuilds(query));
      if (second !== undefined && /^\d+$/.test(second) && others.length === 0)
        return route(["GET"], () => this.getBuild(Number(second)));
      if (second === "cancel" && others.length === 1 && /^\d+$/.test(others[0]!))
        return route(["PUT", "POST"], () => this.cancelBuild(request, Number(others[0])));
    }
    throw new ApiError(404, "Such API endpoint doesn't exist");
  }

  /** The user of the request's Basic credentials (API login and token), else 401. */
  private login(request: ApiRequest): SimUser {
    const header = request.headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value ?? "");
    if (match) {
      const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) {
        const user = this.state.authenticate(decoded.slice(0, colon), decoded.slice(colon + 1));
        if (user) return user;
      }
    }
    throw new ApiError(
      401,
      `Login invalid/expired. Please visit ${this.options.publicUrl()}/api to get or renew ` +
        "your API token.",
      { output: "notok" },
    );
  }

  private requiredQuery(query: URLSearchParams, name: string): string {
    const value = query.get(name);
    if (value === null) throw new ApiError(400, `Missing argument ${name}`);
    return value;
  }

  private findProject(ownername: string, name: string): ProjectRecord {
    const project = this.state.project(ownername, name);
    if (!project) throw new ApiError(404, `Project ${ownername}/${name} does not exist.`);
    return project;
  }

  private findChroot(project: ProjectRecord, chroot: string): ChrootRecord {
    const record = project.chroots.get(chroot);
    if (!record)
      throw new ApiError(
        404,
        `Chroot name ${chroot} does not exist in Copr ${project.ownername}/${project.name}.`,
      );
    return record;
  }

  private findBuild(id: number): BuildRecord {
    const build = this.state.builds.get(id);
    if (!build) throw new ApiError(404, `Build ${id} does not exist.`);
    return build;
  }

  private mayEdit(user: SimUser, project: ProjectRecord): boolean {
    return user.username === project.ownername;
  }

  private getProject(query: URLSearchParams): ApiAnswer {
    const ownername = this.requiredQuery(query, "ownername");
    const projectname = this.requiredQuery(query, "projectname");
    return { status: 200, body: projectDict(this.findProject(ownername, projectname)) };
  }

  private addProject(request: ApiRequest, ownername: string): ApiAnswer {
    const user = this.login(request);
    const { data } = readInput(request);
    if (ownername !== user.username)
      throw new ApiError(
        403,
        `User '${user.username}' can not create projects owned by '${ownername}'`,
      );
    const errors = new FormErrors();
    const name = errors.string(data, "name")?.trim() ?? null;
    if (!name) errors.add("name", "This field is required.");
    else if (!PROJECT_NAME.test(name))
      errors.add("name", "Name must contain only letters, digits, underscores, dashes and dots.");
    else if (/^\d+$/.test(name)) errors.add("name", "Project's name can not be just number.");
    else if (this.state.project(ownername, name))
      errors.add("name", `You already have a project named '${name}'.`);
    const chroots = errors.list(data, "chroots") ?? [];
    if (chroots.length === 0) errors.add("chroots", "At least one chroot must be selected");
    const badChroots = chroots.filter((chroot) => !CHROOT_NAME.test(chroot));
    const description = errors.string(data, "description");
    const instructions = errors.string(data, "instructions");
    const homepage = errors.string(data, "homepage");
    const contact = errors.string(data, "contact");
    const additionalRepos = errors.list(data, "additional_repos") ?? [];
    const unlistedOnHp = errors.boolean(data, "unlisted_on_hp");
    const develMode = errors.boolean(data, "devel_mode");
    const enableNet = errors.boolean(data, "enable_net");
    errors.throwIfAny();
    if (badChroots.length > 0)
      throw new ApiError(400, `Unexpected chroot: ${badChroots.join(", ")}`);
    const project = this.state.addProject({
      ownername,
      name: name!,
      chroots: [...new Set(chroots)],
      description: description ?? "",
      instructions: instructions ?? "",
      homepage,
      contact,
      additionalRepos,
      unlistedOnHp: unlistedOnHp ?? false,
      develMode: develMode ?? false,
      enableNet: enableNet ?? false,
    });
    return { status: 200, body: projectDict(project), input: data, user: user.username };
  }

  private deleteProject(request: ApiRequest, ownername: string, name: string): ApiAnswer {
    const user = this.login(request);
    const { data } = readInput(request);
    const project = this.findProject(ownername, name);
    if (!this.mayEdit(user, project))
      throw new ApiError(403, `Only owners may delete their projects.`);
    const answer = projectDict(project);
    this.state.deleteProject(project);
    return { status: 200, body: answer, input: data, user: user.username };
  }

  private getChroot(query: URLSearchParams): ApiAnswer {
    const project = this.findProject(
      this.requiredQuery(query, "ownername"),
      this.requiredQuery(query, "projectname"),
    );
    const chroot = this.findChroot(project, this.requiredQuery(query, "chrootname"));
    return { status: 200, body: chrootDict(project, chroot) };
  }

  private editChroot(
    request: ApiRequest,
    ownername: string,
    name: string,
    chrootName: string,
  ): ApiAnswer {
    const user = this.login(request);
    const { data, files } = readInput(request);
    const project = this.findProject(ownername, name);
    const chroot = this.findChroot(project, chrootName);
    if (!this.mayEdit(user, project))
      throw new ApiError(
        403,
        `User '${user.username}' is not allowed to modify chroots of ${ownername}/${name}.`,
      );
    const errors = new FormErrors();
    const packages = errors.list(data, "additional_packages");
    const repos = errors.list(data, "additional_repos");
    const deleteComps = errors.boolean(data, "delete_comps");
    errors.throwIfAny();
    if (packages !== null) chroot.additionalPackages = packages;
    if (repos !== null) chroot.additionalRepos = repos;
    if (deleteComps) chroot.comps = null;
    const comps = files.get("upload_comps");
    if (comps && comps.data.length > 0)
      chroot.comps = { name: comps.filename ?? "comps.xml", content: Buffer.from(comps.data) };
    const input = {
      ...data,
      ...(comps ? { upload_comps: { filename: comps.filename, size: comps.data.length } } : {}),
    };
    return { status: 200, body: chrootDict(project, chroot), input, user: user.username };
  }

  private createFromUrl(request: ApiRequest): ApiAnswer {
    const user = this.login(request);
    const { data } = readInput(request);
    const errors = new FormErrors();
    const ownername = errors.string(data, "ownername");
    const projectname = errors.string(data, "projectname");
    errors.throwIfAny();
    if (ownername === null) throw new ApiError(400, "Missing argument ownername");
    if (projectname === null) throw new ApiError(400, "Missing argument projectname");
    const project = this.findProject(ownername, projectname);
    const pkgs = errors.list(data, "pkgs") ?? [];
    if (pkgs.length === 0) errors.add("pkgs", "This field is required.");
    for (const url of pkgs) {
      if (!isHttpUrl(url))
        errors.add(
          "pkgs",
          "A list of http[s] URLs separated by whitespace characters is needed " +
            `('${url}' doesn't seem to be a valid URL).`,
        );
    }
    const chroots = errors.list(data, "chroots") ?? [...project.chroots.keys()];
    for (const chroot of chroots)
      if (!project.chroots.has(chroot)) errors.add("chroots", `'${chroot}': Not a valid choice`);
    const background = errors.boolean(data, "background") ?? false;
    errors.throwIfAny();
    if (!this.mayEdit(user, project))
      throw new ApiError(
        403,
        `User ${user.username} is not allowed to build in the copr: ${ownername}/${projectname}`,
      );
    const builds = pkgs.map((url) =>
      this.state.addBuild(project, url, [...new Set(chroots)], user.username, background),
    );
    return {
      status: 200,
      body: { items: builds.map((build) => buildDict(this.state, build)), meta: {} },
      input: data,
      user: user.username,
    };
  }

  private getBuild(id: number): ApiAnswer {
    return { status: 200, body: buildDict(this.state, this.findBuild(id)) };
  }

  private listBuilds(query: URLSearchParams): ApiAnswer {
    const project = this.findProject(
      this.requiredQuery(query, "ownername"),
      this.requiredQuery(query, "projectname"),
    );
    const items = [...this.state.builds.values()]
      .filter((b) => b.ownername === project.ownername && b.projectname === project.name)
      .sort((a, b) => b.id - a.id)
      .map((build) => buildDict(this.state, build));
    return {
      status: 200,
      body: { items, meta: { limit: null, offset: 0, order: "id", order_type: "DESC" } },
    };
  }

  private cancelBuild(request: ApiRequest, id: number): ApiAnswer {
    const user = this.login(request);
    const build = this.findBuild(id);
    const project = this.findProject(build.ownername, build.projectname);
    if (!this.mayEdit(user, project))
      throw new ApiError(403, "You are not allowed to cancel this build.");
    if (build.state === "succeeded" || build.state === "failed" || build.state === "skipped")
      throw new ApiError(400, "Cannot cancel build " + id + " in state " + build.state);
    if (build.state !== "canceled") this.state.setState(build, "canceled");
    return { status: 200, body: buildDict(this.state, build), user: user.username };
  }
}
