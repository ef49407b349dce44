// The simulated topurl (/kojifiles): repos/<tag>/<repo id>/<arch>/repodata generated on first
// request (cached per repo and arch, so a repo's metadata never changes), package paths of
// builds, and the work/tasks/<id % 10000>/<id>/ directories with the logs of finished tasks.

import { Worker } from "node:worker_threads";
import { rpmPath, taskRelPath } from "@koschei/koji-protocol/paths.js";
import { REPO_STATES } from "@koschei/koji-protocol/koji-types.js";
import { KOJI_TASK_STATES, KojiTaskState } from "@koschei/koji-protocol/koji-states.js";
import type { RepodataFiles, RepodataOptions, RepoPackage } from "./rpmmd.js";
import type { SimGroup } from "./scenario.js";
import { SimState, formatKojiTime, type RepoRecord } from "./state.js";

export interface FileAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

/**
 * The packages themselves are not simulated: a package path answers this marker text so that
 * links resolve, but nothing here is an installable RPM.
 */
const PACKAGE_PLACEHOLDER = "simulated package: the Koji simulator serves no RPM payloads\n";

function text(status: number, body: string, contentType = "text/plain; charset=utf-8"): FileAnswer {
  return { status, contentType, body: Buffer.from(body, "utf8") };
}

const NOT_FOUND = (): FileAnswer => text(404, "Not Found\n");

function contentTypeOf(path: string): string {
  if (path.endsWith(".xml")) return "text/xml";
  if (path.endsWith(".gz")) return "application/x-gzip";
  if (path.endsWith(".rpm")) return "application/x-rpm";
  if (path.endsWith(".log")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

function directoryIndex(path: string, names: string[]): FileAnswer {
  const items = names.map(
    (name) => `<li><a href="${encodeURI(name)}">${escapeHtml(name)}</a></li>`,
  );
  const title = `Index of /kojifiles/${escapeHtml(path)}`;
  return text(
    200,
    `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1><ul>\n${items.join("\n")}\n</ul></body></html>\n`,
    "text/html; charset=utf-8",
  );
}

function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!,
  );
}

/**
 * generateRepodata in a worker thread: the event loop stays free for the hub meanwhile (a
 * 60,000-package repo takes seconds). The worker's Buffers arrive as plain Uint8Arrays.
 */
function generateInWorker(
  packages: RepoPackage[],
  options: RepodataOptions,
): Promise<RepodataFiles> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./repodata-worker.js", import.meta.url), {
      workerData: { packages, options },
    });
    worker.once("message", (files: Map<string, Uint8Array>) => {
      const buffers = [...files].map(
        ([path, bytes]) =>
          [path, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)] as const,
      );
      resolve(new Map(buffers));
    });
    worker.once("error", reject);
    // After the message this is a no-op; before it, the worker died without an answer.
    worker.once("exit", (code) => reject(new Error(`repodata worker exited with code ${code}`)));
  });
}

export class FileServer {
  /** Generated or being generated, per "<repo id>/<arch>": concurrent requests share one. */
  private readonly repodata = new Map<string, Promise<RepodataFiles>>();

  constructor(private readonly state: SimState) {}

  /** Answers a GET of `path` (relative to topurl, no leading slash). */
  async get(path: string): Promise<FileAnswer> {
    const parts = path.split("/").filter(Boolean);
    if (parts.some((p) => p === ".." || p === ".")) return NOT_FOUND();
    switch (parts[0]) {
      case "repos":
        return this.repoFile(parts.slice(1), path.endsWith("/"));
      case "packages":
        return this.packageFile(parts.slice(1));
      case "work":
        return this.workFile(parts.slice(1), path);
      default:
        return NOT_FOUND();
    }
  }

  private findRepo(tagName: string, repoName: string): RepoRecord | undefined {
    const tag = this.state.findTag(tagName);
    if (!tag) return undefined;
    if (repoName === "latest") return this.state.latestRepo(tag, { state: REPO_STATES.READY });
    if (!/^\d+$/.test(repoName)) return undefined;
    const repo = this.state.repos.get(Number(repoName));
    return repo && repo.tagId === tag.id ? repo : undefined;
  }

  /** repos/<tag>/<repo id|latest>/<arch>/repodata/<file>, and toplink/ package paths. */
  private async repoFile(parts: string[], isDirectory: boolean): Promise<FileAnswer> {
    const [tagName, repoName, arch, ...rest] = parts;
    if (!tagName || !repoName) return NOT_FOUND();
    const repo = this.findRepo(tagName, repoName);
    // The directory of an unfinished (INIT) or deleted repo has no usable content.
    if (!repo || (repo.state !== REPO_STATES.READY && repo.state !== REPO_STATES.EXPIRED))
      return NOT_FOUND();
    const arches = this.state.inheritedArches(this.state.tags.get(repo.tagId)!);
    if (!arch)
      return directoryIndex(
        parts.join("/") + "/",
        arches.map((a) => `${a}/`),
      );
    if (!arches.includes(arch)) return NOT_FOUND();
    if (rest[0] === "toplink") return this.packageFile(rest.slice(2));
    const files = await this.repodataFor(repo, arch);
    if (rest.length === 0 || (rest.length === 1 && rest[0] === "repodata" && isDirectory)) {
      const names =
        rest.length === 0
          ? ["repodata/"]
          : [...files.keys()].map((k) => k.slice("repodata/".length));
      return directoryIndex(parts.join("/") + "/", names);
    }
    const content = files.get(rest.join("/"));
    return content
      ? { status: 200, contentType: contentTypeOf(rest.at(-1)!), body: content }
      : NOT_FOUND();
  }

  private repodataFor(repo: RepoRecord, arch: string): Promise<RepodataFiles> {
    const key = `${repo.id}/${arch}`;
    let files = this.repodata.get(key);
    if (!files) {
      const tag = this.state.tags.get(repo.tagId)!;
      const packages: RepoPackage[] = this.state
        .repoRpms(repo)
        .filter((rpm) => rpm.binary !== null && (rpm.arch === arch || rpm.arch === "noarch"))
        .map((rpm) => {
          const build = this.state.builds.get(rpm.buildId)!;
          return {
            rpm: rpm.binary!,
            sourceRpm: `${build.name}-${build.version}-${build.release}.src.rpm`,
            location: rpmPath("toplink", build, rpm),
            buildTime: rpm.buildtime,
          };
        });
      const groups: SimGroup[] = this.state.tagGroups(tag, true).map((g) => ({
        name: g.name,
        description: g.description,
        packages: g.packages.map((p) => ({ package: p.name, type: p.type, blocked: p.blocked })),
      }));
      files = generateInWorker(packages, { groups, timestamp: Math.floor(repo.createTs) });
      // A failed generation is not kept: the next request tries again.
      files.catch(() => this.repodata.delete(key));
      this.repodata.set(key, files);
    }
    return files;
  }

  /** packages/<name>/<version>/<release>/<arch>/<file>.rpm of an existing build. */
  private packageFile(parts: string[]): FileAnswer {
    const [name, version, release, arch, file] = parts;
    if (parts.length !== 5) return NOT_FOUND();
    const build = this.state.findBuild({ name: name!, version: version!, release: release! });
    if (!build) return NOT_FOUND();
    const rpms = arch === "src" ? [build.srpmRpm] : build.rpms.filter((r) => r.arch === arch);
    const exists = rpms.some((r) => `${r.name}-${r.version}-${r.release}.${r.arch}.rpm` === file);
    return exists ? text(200, PACKAGE_PLACEHOLDER, "application/x-rpm") : NOT_FOUND();
  }

  /** work/tasks/<id % 10000>/<id>/[file]: the outputs of a finished task. */
  private workFile(parts: string[], path: string): FileAnswer {
    const [tasks, bucket, idText, file, ...extra] = parts;
    if (tasks !== "tasks" || !idText || !/^\d+$/.test(idText) || extra.length > 0)
      return NOT_FOUND();
    const task = this.state.tasks.get(Number(idText));
    if (!task || `${task.id % 10000}` !== bucket || task.startTs === null) return NOT_FOUND();
    const outputs = this.taskOutputs(task.id);
    if (file === undefined)
      return directoryIndex(path.endsWith("/") ? path : `${path}/`, [...outputs.keys()]);
    const content = outputs.get(file);
    if (content === undefined) return NOT_FOUND();
    return file.endsWith(".rpm") ? text(200, content, "application/x-rpm") : text(200, content);
  }

  /** File name → content of a task's work directory (logs appear once the task started). */
  private taskOutputs(taskId: number): Map<string, string> {
    const task = this.state.tasks.get(taskId)!;
    const outputs = new Map<string, string>();
    const stamp = (ts: number | null) => (ts === null ? "" : formatKojiTime(ts));
    const stateLines = [
      `task ${task.id} (${task.method}, ${task.label ?? task.arch})`,
      `created ${stamp(task.createTs)}`,
      `started ${stamp(task.startTs)}`,
      ...(task.completionTs === null
        ? []
        : [`finished ${stamp(task.completionTs)}: ${KOJI_TASK_STATES[task.state]}`]),
    ];
    outputs.set("state.log", stateLines.join("\n") + "\n");
    // Parents and tagging run no buildroot, so they leave no build logs.
    if (["build", "newRepo", "tagBuild"].includes(task.method)) return outputs;
    const failure =
      task.state === KojiTaskState.FAILED && task.fault ? `${task.fault.message}\n` : "";
    outputs.set("root.log", `DEBUG util.py: simulated buildroot for task ${task.id}\n${failure}`);
    outputs.set(
      "build.log",
      `Simulated build of ${String(task.request[0])} on ${task.label ?? task.arch}\n${failure}`,
    );
    outputs.set("mock_output.log", failure ? "ERROR: Command failed\n" : "Finish: run\n");
    if (
      task.state === KojiTaskState.CLOSED &&
      task.result &&
      typeof task.result === "object" &&
      !Array.isArray(task.result)
    ) {
      const result = task.result as Record<string, unknown>;
      const produced = [
        ...(typeof result.srpm === "string" ? [result.srpm] : []),
        ...(Array.isArray(result.rpms) ? result.rpms : []),
      ];
      const prefix = `${taskRelPath(task.id)}/`;
      for (const path of produced) {
        if (typeof path === "string" && path.startsWith(prefix))
          outputs.set(path.slice(prefix.length), PACKAGE_PLACEHOLDER);
      }
    }
    return outputs;
  }
}
