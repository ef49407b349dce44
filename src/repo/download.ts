// HTTP(S) downloads for repo acquisition: raw bytes (no transparent decompression, so
// checksums match what repomd.xml lists), redirects, connect/idle/overall time limits, and
// bounded retries with exponential back-off for transient failures, each one logged.

import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import http from "node:http";
import https from "node:https";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_DOWNLOAD_TIMEOUT_DEFAULTS } from "../config/index.js";
import { silentLogger, type Logger } from "../log/logger.js";
import { maskPasswords } from "../log/mask.js";
import {
  HttpTimeoutError,
  describeRequestFailure,
  limitRequest,
  type HttpTimeouts,
} from "../net/http-request.js";
import {
  RepoChecksumError,
  RepoDownloadError,
  RepoError,
  RepoNotFoundError,
  RepoUnavailableError,
} from "./errors.js";
import type { Checksum } from "@koschei/koji-protocol/repomd.js";

export interface DownloadOptions {
  /** Milliseconds without a byte from the server, awaiting the answer or within it. */
  timeoutMs: number;
  /** Milliseconds to establish a connection (default `dependency.repo_connect_timeout`). */
  connectTimeoutMs?: number;
  /** Milliseconds one request may take in all (default `dependency.repo_download_timeout`). */
  overallTimeoutMs?: number;
  /** Extra attempts after a transient failure (HTTP 408/429/5xx, network error, timeout). */
  retries: number;
  /** Delay before the first retry; it doubles for every further retry. */
  retryDelayMs: number;
  /** Every retry is logged here. */
  logger?: Logger;
}

const MAX_REDIRECTS = 5;

/** A failure worth retrying. */
class TransientError extends Error {}

const TRANSIENT_ERROR_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

function isTransient(error: unknown): boolean {
  if (error instanceof TransientError || error instanceof HttpTimeoutError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && TRANSIENT_ERROR_CODES.has(code);
}

/** Fetches a small document (such as repomd.xml) into memory. */
export async function fetchBytes(
  url: string,
  options: DownloadOptions,
  maxBytes: number,
): Promise<Buffer> {
  return withRetries(url, options, async () => {
    const response = await get(new URL(url), httpTimeouts(options));
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > maxBytes) {
        response.destroy();
        throw new RepoDownloadError(`${url} is larger than ${maxBytes} bytes`, url);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  });
}

/**
 * Streams `url` into `destination`, hashing on the way; a size or digest different from
 * `expected` is a RepoChecksumError (the partial file is left for the caller to discard).
 */
export async function downloadVerified(
  url: string,
  destination: string,
  expected: { checksum: Checksum; size?: number },
  options: DownloadOptions,
): Promise<void> {
  await withRetries(url, options, async () => {
    const response = await get(new URL(url), httpTimeouts(options));
    const hash = createHash(expected.checksum.type);
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (expected.size !== undefined && size > expected.size) {
          done(sizeMismatch(url, expected.size, `more than ${expected.size}`));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(response, meter, createWriteStream(destination));
    if (expected.size !== undefined && size !== expected.size) {
      throw sizeMismatch(url, expected.size, String(size));
    }
    const digest = hash.digest("hex");
    if (digest !== expected.checksum.value) {
      throw new RepoChecksumError(
        `${url}: ${expected.checksum.type} checksum ${digest} does not match ` +
          `${expected.checksum.value} listed in repomd.xml`,
        url,
      );
    }
  });
}

function sizeMismatch(url: string, expected: number, actual: string): RepoChecksumError {
  return new RepoChecksumError(
    `${url}: received ${actual} bytes, repomd.xml lists ${expected}`,
    url,
  );
}

function httpTimeouts(options: DownloadOptions): HttpTimeouts {
  return {
    connectMs:
      options.connectTimeoutMs ?? REPO_DOWNLOAD_TIMEOUT_DEFAULTS.repo_connect_timeout * 1000,
    idleMs: options.timeoutMs,
    overallMs:
      options.overallTimeoutMs ?? REPO_DOWNLOAD_TIMEOUT_DEFAULTS.repo_download_timeout * 1000,
  };
}

async function withRetries<T>(
  url: string,
  options: DownloadOptions,
  attempt: () => Promise<T>,
): Promise<T> {
  const shownUrl = maskPasswords(url);
  const attempts = options.retries + 1;
  for (let failures = 0; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransient(error)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      if (failures + 1 >= attempts) {
        throw new RepoUnavailableError(
          `GET ${shownUrl} failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${reason}`,
          shownUrl,
          { cause: error },
        );
      }
      const delayMs = options.retryDelayMs * 2 ** failures;
      const retryAt = new Date(Date.now() + delayMs).toISOString();
      (options.logger ?? silentLogger).warn(
        {
          url: shownUrl,
          attempt: failures + 1,
          maxAttempts: attempts,
          retryInMs: delayMs,
          retryAt,
          error: reason,
        },
        `GET ${shownUrl} failed (attempt ${failures + 1} of ${attempts}): ${reason}; ` +
          `next attempt in ${delayMs / 1000} s, at ${retryAt}`,
      );
      await sleep(delayMs);
    }
  }
}

/** Issues a GET and resolves with a 200 response, following redirects. */
function get(
  url: URL,
  timeouts: HttpTimeouts,
  redirectsLeft = MAX_REDIRECTS,
): Promise<http.IncomingMessage> {
  const client = url.protocol === "https:" ? https : url.protocol === "http:" ? http : undefined;
  if (!client) {
    return Promise.reject(new RepoError(`unsupported URL scheme in ${url.href}`, url.href));
  }
  return new Promise((resolve, reject) => {
    const request = client.get(url, { headers: { "accept-encoding": "identity" } }, (res) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location) {
        res.resume();
        if (redirectsLeft === 0) {
          reject(new RepoDownloadError(`too many redirects fetching ${url.href}`, url.href));
        } else {
          resolve(get(new URL(location, url), timeouts, redirectsLeft - 1));
        }
        return;
      }
      if (status === 200) {
        resolve(res);
        return;
      }
      res.resume();
      const statusText = `HTTP ${status} ${res.statusMessage ?? ""}`.trimEnd();
      const message = `GET ${url.href}: ${statusText}`;
      if (status === 404) reject(new RepoNotFoundError(message, url.href));
      // withRetries names the URL of a transient failure.
      else if (status === 408 || status === 429 || status >= 500) {
        reject(new TransientError(statusText));
      } else reject(new RepoDownloadError(message, url.href));
    });
    limitRequest(request, timeouts);
    request.on("error", (error) => reject(requestFailure(url, error)));
  });
}

/** A failed request as a retryable error, or as a final one naming the URL (e.g. TLS). */
function requestFailure(url: URL, error: Error): Error {
  if (isTransient(error)) return error;
  const { reason } = describeRequestFailure(error);
  const shownUrl = maskPasswords(url.href);
  return new RepoDownloadError(`GET ${shownUrl}: ${reason}`, shownUrl, { cause: error });
}
