// Where Koji keeps things (koji.PathInfo, koji-xmlrpc.md §9): build and rpm paths under a file
// server root, task work directories, repos, and web UI links.

/** The build fields PathInfo uses. */
export interface BuildPathInfo {
  name: string;
  version: string;
  release: string;
  /** Builds on a non-default Koji volume live under `<root>/vol/<volume>`. */
  volume_name?: string | null;
}

export interface RpmPathInfo {
  name: string;
  version: string;
  release: string;
  arch: string;
}

function trimSlash(url: string): string {
  return url.endsWith("/") ? url.slice(0, -1) : url;
}

/** `<root>[/vol/<volume>]/packages/<name>/<version>/<release>` */
export function buildDir(root: string, build: BuildPathInfo): string {
  const volume = build.volume_name;
  const base =
    volume && volume !== "DEFAULT" ? `${trimSlash(root)}/vol/${volume}` : trimSlash(root);
  return `${base}/packages/${build.name}/${build.version}/${build.release}`;
}

/** `<arch>/<name>-<version>-<release>.<arch>.rpm`, relative to the build directory. */
function rpmRelPath(rpm: RpmPathInfo): string {
  return `${rpm.arch}/${rpm.name}-${rpm.version}-${rpm.release}.${rpm.arch}.rpm`;
}

/**
 * An rpm of a build: the build part from the build info, the file part from the rpm info, e.g.
 * `../packages/rnv/1.7.11/15.fc28/src/rnv-1.7.11-15.fc28.src.rpm` with root `..`.
 */
export function rpmPath(root: string, build: BuildPathInfo, rpm: RpmPathInfo): string {
  return `${buildDir(root, build)}/${rpmRelPath(rpm)}`;
}

/** `tasks/<id mod 10000>/<id>`, relative to the work directory. */
export function taskRelPath(taskId: number): string {
  return `tasks/${taskId % 10000}/${taskId}`;
}

/** A task's output directory (logs, results) on the file server. */
export function taskWorkUrl(topurl: string, taskId: number): string {
  return `${trimSlash(topurl)}/work/${taskRelPath(taskId)}`;
}

/** One log file of a task, e.g. build.log or root.log. */
export function taskLogUrl(topurl: string, taskId: number, logName: string): string {
  return `${taskWorkUrl(topurl, taskId)}/${logName}`;
}

/** The web UI page of a task. */
export function taskInfoUrl(weburl: string, taskId: number): string {
  return `${trimSlash(weburl)}/taskinfo?taskID=${taskId}`;
}

/**
 * The directory of one arch of a build repo, `<topurl>/repos/<tag>/<repo_id>/<arch>/`; the
 * trailing slash lets `repodata/repomd.xml` resolve relative to it.
 */
export function repoUrl(topurl: string, tagName: string, repoId: number, arch: string): string {
  return `${trimSlash(topurl)}/repos/${tagName}/${repoId}/${arch}/`;
}
