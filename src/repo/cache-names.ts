// Names of entries in the on-disk repo cache. Pure.
//
// A cached repository lives in a directory named by its key. Everything else the cache creates
// has a hidden name carrying its owner (PID and start time), so that any process sharing the
// cache directory can tell a live process's work from a dead one's leftovers:
//   .download-<owner>-<nonce>-<key> a download of <key> in progress (a directory)
//   .trash-<owner>-<nonce>           an evicted repository being deleted (a directory)
//   .lease-<owner>-<nonce>-<key>     the owner is using the repository <key> (a file)
//   .evict-<owner>-<nonce>-<key>     the owner is about to evict <key> (a file)
// where <owner> is `<pid>` or `<pid>.<start time>`.

import { createHash } from "node:crypto";
import type { ProcessOwner } from "../process/process-owner.js";

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

export function isValidCacheKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

export function assertValidCacheKey(key: string): void {
  if (!isValidCacheKey(key)) {
    throw new Error(
      `invalid repo cache key "${key}": use 1-200 letters, digits, ".", "_", "+" or "-", ` +
        "not starting with a punctuation character",
    );
  }
}

/**
 * A readable, collision-free key for a repository URL: its host and path with unsafe characters
 * replaced, plus a short hash of the exact URL (so distinct URLs never share a directory).
 */
export function cacheKeyForUrl(url: string): string {
  const parsed = new URL(url);
  const readable = `${parsed.host}${parsed.pathname}`
    .replace(/[^A-Za-z0-9._+-]+/g, "_")
    .replace(/^[._+-]+|[._+-]+$/g, "")
    .slice(0, 150);
  const hash = createHash("sha256").update(url).digest("hex").slice(0, 12);
  return readable ? `${readable}-${hash}` : hash;
}

/** Directories of work in progress: downloads, and evicted repositories being deleted. */
export type ScratchKind = "download" | "trash";
/** Files announcing what a process does with a cached repository. */
export type IntentKind = "lease" | "evict";
export type HiddenKind = ScratchKind | IntentKind;

export interface CacheFileName {
  kind: HiddenKind;
  owner: ProcessOwner;
  /** The repository concerned: always known for leases, evict intents and downloads. */
  key?: string;
}

/** `.<kind>-<owner>-<nonce>[-<key>]`; `nonce` must not contain "-". */
export function hiddenName(
  kind: HiddenKind,
  owner: ProcessOwner,
  nonce: string,
  key?: string,
): string {
  return `.${kind}-${ownerField(owner)}-${nonce}${key === undefined ? "" : `-${key}`}`;
}

const HIDDEN_NAME = /^\.(download|trash|lease|evict)-(\d+)(?:\.(\d+))?-(.+)$/;

/** What a hidden cache name stands for, or undefined for any other name. */
export function parseCacheFileName(name: string): CacheFileName | undefined {
  const [, kind, pid, startTime, rest] = HIDDEN_NAME.exec(name) ?? [];
  if (!kind || !pid || !rest) return undefined;
  const owner: ProcessOwner =
    startTime === undefined ? { pid: Number(pid) } : { pid: Number(pid), startTime };
  const keyStart = rest.indexOf("-") + 1; // after the nonce
  const key = keyStart > 0 ? rest.slice(keyStart) : "";
  if (isValidCacheKey(key)) return { kind: kind as HiddenKind, owner, key };
  return kind === "download" || kind === "trash" ? { kind, owner } : undefined;
}

function ownerField(owner: ProcessOwner): string {
  return owner.startTime === undefined ? String(owner.pid) : `${owner.pid}.${owner.startTime}`;
}
