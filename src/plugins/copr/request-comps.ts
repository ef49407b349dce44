// The comps file of a rebuild request (spec 11 §2.3 step 5, §2.4 step 7): the baseline Koji
// repo's comps, kept in the request's cache directory for its Copr projects' chroot. The
// copr-resolver puts it there; when it is gone (the cache directory was lost) it is taken from
// the Koji repo again through the repo cache.
import { link, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { gunzipSync } from "node:zlib";
import type { LocalRepo, RepoCache } from "../../repo/repo-cache.js";
import { RepoNotFoundError } from "../../repo/errors.js";
import type { Logger } from "../../log/logger.js";

/**
 * The content of the request's comps file, `target`, taken from the Koji repo at `repoUrl` first
 * when it does not exist. Null, with a warning, when the repo is gone from Koji or has no
 * comps: the project then gets no comps file. Other repo errors (outages) are thrown.
 * `openRepoCache` is called only when the repo is needed; the cache's clean-up after the use
 * is awaited (`close`), which leaves a shared cache usable.
 */
export async function requestComps(
  target: string,
  repoUrl: string,
  openRepoCache: () => RepoCache,
  log: Logger,
): Promise<Buffer | null> {
  const existing = await readIfExists(target);
  if (existing) return existing;
  const repoCache = openRepoCache();
  try {
    if (!(await repoCache.use(repoUrl, (repo) => copyComps(repo, target)))) {
      log.warn(`The Koji repo ${repoUrl} has no comps; ${target} not created`);
      return null;
    }
  } catch (error) {
    if (!(error instanceof RepoNotFoundError)) throw error;
    log.warn(`The Koji repo ${repoUrl} is gone; ${target} cannot be created`);
    return null;
  } finally {
    await repoCache.close();
  }
  return readFile(target);
}

/**
 * Hard-links the repo's comps to `target` (a link outlives the repo's eviction from the cache;
 * a copy where the two are on different file systems), or writes the uncompressed
 * `group_gz`; false when the repo has neither.
 */
async function copyComps(repo: LocalRepo, target: string): Promise<boolean> {
  await mkdir(dirname(target), { recursive: true });
  const plain = repo.dataPath("group");
  if (plain) {
    const linked = await link(plain, target).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        // Another process linked it first: the same file.
        if (error.code === "EEXIST") return true;
        if (error.code === "EXDEV") return false;
        throw error;
      },
    );
    if (!linked) await writeWhole(target, await readFile(plain));
    return true;
  }
  const compressed = repo.dataPath("group_gz");
  if (!compressed) return false;
  await writeWhole(target, gunzipSync(await readFile(compressed)));
  return true;
}

/** Written aside and renamed, so that a reader never sees half a file. */
async function writeWhole(target: string, content: Buffer): Promise<void> {
  const partial = `${target}.${process.pid}.partial`;
  await writeFile(partial, content);
  await rename(partial, target);
}

async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
