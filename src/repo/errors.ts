// Failures of repo acquisition, each naming the URL involved so a log line is self-explanatory.

export class RepoError extends Error {
  override name = "RepoError";
  constructor(
    message: string,
    /** The URL (or local path) that failed. */
    readonly url: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The repository does not exist (HTTP 404 / missing repomd.xml), e.g. Koji deleted it. */
export class RepoNotFoundError extends RepoError {
  override name = "RepoNotFoundError";
}

/** A downloaded file's size or checksum differs from what repomd.xml promises. */
export class RepoChecksumError extends RepoError {
  override name = "RepoChecksumError";
}

/** The download kept failing (HTTP errors, network errors, timeouts) after all retries. */
export class RepoDownloadError extends RepoError {
  override name = "RepoDownloadError";
}

/**
 * The server kept failing in ways that pass (HTTP 5xx, network errors, timeouts) through every
 * retry: it is down for now, and a later attempt may well succeed.
 */
export class RepoUnavailableError extends RepoDownloadError {
  override name = "RepoUnavailableError";
}

/**
 * A downloaded file does not match the repomd.xml fetched just before (a RepoChecksumError
 * within an acquisition): Koji is most likely regenerating the repository, or a proxy serves a
 * copy mixing two generations. Like an unavailable server, a later attempt may succeed.
 */
export class RepoInconsistentError extends RepoUnavailableError {
  override name = "RepoInconsistentError";
}
