// The one error class of dependency resolution: a stable code to act on, a message for people.
// The addon (native/depsolve_error.h) throws errors carrying the first six codes.

/** Every code a DepsolveError may carry, with what it means. */
export const DEPSOLVE_ERROR_CODES = {
  INVALID_ARGUMENT:
    "an argument or option has the wrong type or an unusable value (unknown architecture, " +
    "no repository, worker count out of range, NUL character, string too long)",
  REPO_METADATA_MISSING:
    "a repository directory, its repomd.xml or a file repomd.xml lists is missing or unreadable",
  REPO_CHECKSUM_MISMATCH: "a repodata file's checksum differs from the one repomd.xml gives",
  REPO_METADATA_CORRUPT:
    "repomd.xml, primary or filelists cannot be read completely (bad XML, damaged compression)",
  COMPS_CORRUPT: "the comps (group) file cannot be read completely",
  POOL_CLOSED: "the pool or resolver pool was used after close()",
  POOL_BUSY: "a resolver pool was asked for a second iteration while one runs",
  WORKER_FAILED: "a resolver thread failed or exited unexpectedly",
  ADDON_NOT_BUILT: "the libsolv addon (build/Release/koschei_solv.node) was not found",
  INTERNAL: "an unexpected failure inside the addon (e.g. out of memory)",
} as const;

export type DepsolveErrorCode = keyof typeof DEPSOLVE_ERROR_CODES;

export class DepsolveError extends Error {
  override name = "DepsolveError";
  constructor(
    readonly code: DepsolveErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function isDepsolveErrorCode(value: unknown): value is DepsolveErrorCode {
  return typeof value === "string" && Object.hasOwn(DEPSOLVE_ERROR_CODES, value);
}

/**
 * Any error as a DepsolveError: the addon's errors keep the code they carry, anything else is
 * INTERNAL (with the original as its cause).
 */
export function asDepsolveError(error: unknown): DepsolveError {
  if (error instanceof DepsolveError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return isDepsolveErrorCode(code)
    ? new DepsolveError(code, message)
    : new DepsolveError("INTERNAL", message, { cause: error });
}

/** A DepsolveError as it crosses a thread boundary (structured clone drops `code`). */
export interface SerializedDepsolveError {
  code: DepsolveErrorCode;
  message: string;
}

export function serializeDepsolveError(error: unknown): SerializedDepsolveError {
  const { code, message } = asDepsolveError(error);
  return { code, message };
}

export function deserializeDepsolveError(error: SerializedDepsolveError): DepsolveError {
  return new DepsolveError(error.code, error.message);
}
