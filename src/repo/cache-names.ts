// Names of entries in the on-disk repo cache. Pure.
//
// A cached repository lives in a directory named by its key. Work in progress (downloads) and
// directories being deleted use hidden "scratch" names carrying the owner's pid, so a restarted
// process can tell leftovers of a dead process from another live process's work.

import { createHash } from "node:crypto";

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

export type ScratchKind = "download" | "trash";

export function scratchName(kind: ScratchKind, pid: number, unique: string): string {
  return `.${kind}-${pid}-${unique}`;
}

/** The owner pid of a scratch entry name, or undefined if the name is not a scratch name. */
export function scratchOwnerPid(name: string): number | undefined {
  const match = name.match(/^\.(?:download|trash)-(\d+)-/);
  return match ? Number(match[1]) : undefined;
}
