// The user's repository of a rebuild request (spec 11 §2.3 step 4): its repomd.xml, primary
// and filelists downloaded over HTTP(S) with their checksums verified into the request's cache
// directory, `<cachedir>/user_repos/copr-request-<id>/repodata/`. It is not kept in the repo
// cache: it belongs to the request (the cleanup removes the directory with it).
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, posix } from "node:path";
import { findRepomdData, parseRepomd, RepomdParseError } from "@koschei/koji-protocol/repomd.js";
import type { DependencyConfig } from "../../config/index.js";
import type { Logger } from "../../log/logger.js";
import { downloadVerified, fetchBytes, type DownloadOptions } from "../../repo/download.js";
import { RepoError, RepoUnavailableError } from "../../repo/errors.js";
import { locateRepo } from "../../repo/repo-cache.js";

/** What resolving needs of the user's repo. */
const REQUIRED_TYPES = ["primary", "filelists"];
const REPOMD_PATH = "repodata/repomd.xml";
const MAX_REPOMD_BYTES = 16 * 1024 * 1024;

/**
 * The user's repo cannot be used as it is: not found, refused, not an HTTP(S) URL, or its
 * metadata broken. Trying again will not help; the request fails with this message.
 */
export class UserRepoError extends Error {
  override name = "UserRepoError";
}

/** Download limits from the `dependency` configuration, as for Koji repos. */
export function userRepoDownloadOptions(
  dependency: Pick<
    DependencyConfig,
    "repo_connect_timeout" | "repo_idle_timeout" | "repo_download_timeout"
  >,
  logger: Logger,
): DownloadOptions {
  return {
    connectTimeoutMs: dependency.repo_connect_timeout * 1000,
    timeoutMs: dependency.repo_idle_timeout * 1000,
    overallTimeoutMs: dependency.repo_download_timeout * 1000,
    retries: 3,
    retryDelayMs: 1000,
    logger,
  };
}

/**
 * Downloads the repo at `baseUrl` into `dir` (replacing what is there) as a whole: it is
 * fetched beside `dir` and renamed into place. Throws UserRepoError for a repo that cannot be
 * used, RepoUnavailableError when its server kept failing (worth trying again later). The
 * caller is the only one working on `dir` (it holds the request's row lock).
 */
export async function downloadUserRepo(
  baseUrl: string,
  dir: string,
  options: DownloadOptions,
): Promise<void> {
  const url = httpUrl(baseUrl);
  const scratchPrefix = `${basename(dir)}.download-`;
  await removeLeftovers(dirname(dir), scratchPrefix);
  const scratch = join(dirname(dir), scratchPrefix + randomBytes(6).toString("hex"));
  try {
    await mkdir(join(scratch, "repodata"), { recursive: true });
    const repomdUrl = new URL(REPOMD_PATH, url).href;
    const raw = await fetchBytes(repomdUrl, options, MAX_REPOMD_BYTES);
    const repomd = parseRepomd(raw.toString("utf8"));
    await writeFile(join(scratch, REPOMD_PATH), raw);
    for (const type of REQUIRED_TYPES) {
      const data = findRepomdData(repomd, type);
      if (!data) throw new UserRepoError(`${repomdUrl} lists no ${type} metadata`);
      const target = join(scratch, relativeLocation(data.href, repomdUrl));
      await mkdir(dirname(target), { recursive: true });
      const source = new URL(data.href, data.base ? withTrailingSlash(data.base) : url);
      await downloadVerified(source.href, target, data, options);
    }
    await rm(dir, { recursive: true, force: true });
    await rename(scratch, dir);
  } catch (error) {
    throw asUserRepoError(error);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Downloads of `dir` a killed process left behind (no one else works on it now). */
async function removeLeftovers(parent: string, scratchPrefix: string): Promise<void> {
  await mkdir(parent, { recursive: true });
  for (const name of await readdir(parent)) {
    if (name.startsWith(scratchPrefix))
      await rm(join(parent, name), { recursive: true, force: true });
  }
}

/** A server that kept failing stays itself (transient); any other repo failure is final. */
function asUserRepoError(error: unknown): unknown {
  if (error instanceof RepoUnavailableError || error instanceof UserRepoError) return error;
  if (error instanceof RepoError || error instanceof RepomdParseError) {
    return new UserRepoError(error.message);
  }
  return error; // the local file system: not the user's repo's fault
}

/** Only HTTP(S): a Copr project must not make Koschei read its own files. */
function httpUrl(baseUrl: string): string {
  let location: ReturnType<typeof locateRepo>;
  try {
    location = locateRepo(baseUrl);
  } catch (error) {
    throw new UserRepoError((error as Error).message);
  }
  if (!("url" in location)) throw new UserRepoError(`${baseUrl} is not an http(s) URL`);
  return location.url;
}

/** A repomd location, which must stay inside the repository. */
function relativeLocation(href: string, repomdUrl: string): string {
  const normalized = posix.normalize(href);
  if (posix.isAbsolute(normalized) || normalized === ".." || normalized.startsWith("../")) {
    throw new UserRepoError(`${repomdUrl}: location "${href}" points outside the repository`);
  }
  return normalized;
}

function withTrailingSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}
