// Cross-process coordination of a shared repo cache directory, without OS file locks (Node has
// none): every process announces what it does with a cached repository by creating a file with
// a unique name, and reads the directory afterwards to see what the others announced.
//
// - A user creates `.lease-…-<key>`, then looks for `.evict-…-<key>` files of live processes; if
//   there is one it withdraws its lease and tries again shortly.
// - An evictor creates `.evict-…-<key>`, then looks for `.lease-…-<key>` files of live
//   processes; if there is one it withdraws and leaves the repository alone.
// Each side writes before it reads, so when a user and an evictor overlap at least one of them
// sees the other's file (a user never keeps a repository an evictor is removing). This needs a
// local file system, where creating and listing files are atomic and ordered; NFS is not.
//
// Files are never renamed or overwritten, and each names its owner (PID and start time), so the
// files of a process that died are recognised as such and deleted by name without racing anyone.

import { randomBytes } from "node:crypto";
import { readdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { currentProcessOwner, isRunning } from "../process/process-owner.js";
import { hiddenName, parseCacheFileName, type HiddenKind, type IntentKind } from "./cache-names.js";

/** The content of every file the cache creates, checked before a dead process's file is deleted. */
export const CACHE_FILE_CONTENT = "created by koschei's repo cache\n";

/** Longest pause between attempts to lease a repository that is being evicted. */
const MAX_LEASE_RETRY_MS = 100;

/** A unique part for a name (no "-", which separates the fields). */
export function nonce(): string {
  return randomBytes(8).toString("hex");
}

/**
 * Protects the repository `key` in `root` from eviction by any process until the returned
 * function is called (it is synchronous: the lease is gone when it returns).
 * The repository need not exist yet: a lease also covers downloading it. Releasing twice is
 * harmless.
 */
export async function leaseEntry(root: string, key: string): Promise<() => void> {
  for (let pauseMs = 1; ; pauseMs = Math.min(2 * pauseMs, MAX_LEASE_RETRY_MS)) {
    const lease = await announce(root, "lease", key);
    if (!(await isAnnounced(root, "evict", key))) {
      return () => rmSync(lease, { force: true });
    }
    await unlink(lease);
    await sleep(pauseMs);
  }
}

/**
 * Moves the repository directory of `key` to `trash` unless a live process holds a lease on it
 * or, if `lastUsedMs` is given, its mtime says it was used since. Returns whether the directory
 * is gone (moved here, or not there at all).
 */
export async function evictEntry(
  root: string,
  key: string,
  trash: string,
  lastUsedMs?: number,
): Promise<boolean> {
  const dir = join(root, key);
  const intent = await announce(root, "evict", key);
  try {
    if (await isAnnounced(root, "lease", key)) return false;
    // Acquisitions mark use under a lease, so while this intent stands the mtime is final.
    if (lastUsedMs !== undefined && (await stat(dir)).mtimeMs !== lastUsedMs) return false;
    await rename(dir, trash);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw error;
  } finally {
    await unlink(intent);
  }
}

/**
 * Deletes the lease or evict file at `path` of a process that has ended. Its content is checked
 * first (empty if the process died while creating it), so a file the cache did not create stays.
 */
export async function removeAbandonedIntent(path: string): Promise<void> {
  const content = await readFile(path, "utf8").catch(() => undefined);
  if (content === CACHE_FILE_CONTENT || content === "") await rm(path, { force: true });
}

async function announce(root: string, kind: IntentKind, key: string): Promise<string> {
  const path = join(root, hiddenName(kind, currentProcessOwner(), nonce(), key));
  await writeFile(path, CACHE_FILE_CONTENT, { flag: "wx" });
  return path;
}

/** Whether a live process has a `kind` file or directory for the repository `key`. */
export async function isAnnounced(root: string, kind: HiddenKind, key: string): Promise<boolean> {
  for (const name of await readdir(root)) {
    const parsed = parseCacheFileName(name);
    if (parsed?.kind === kind && parsed.key === key && isRunning(parsed.owner)) return true;
  }
  return false;
}
