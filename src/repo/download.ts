// HTTP(S) downloads for repo acquisition: raw bytes (no transparent decompression, so
// checksums match what repomd.xml lists), redirects, an inactivity timeout, and bounded retries
// with exponential back-off for transient failures.

import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import http from "node:http";
import https from "node:https";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { RepoChecksumError, RepoDownloadError, RepoError, RepoNotFoundError } from "./errors.js";
import type { Checksum } from "@koschei/koji-protocol/repomd.js";

export interface DownloadOptions {
  /** Milliseconds without progress (connecting, awaiting headers, between body chunks). */
  timeoutMs: number;
  /** Extra attempts after a transient failure (HTTP 408/429/5xx, network error, timeout). */
  retries: number;
  /** Delay before the first retry; it doubles for every further retry. */
  retryDelayMs: number;
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
  if (error instanceof TransientError) return true;
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
    const response = await get(new URL(url), options.timeoutMs);
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
    const response = await get(new URL(url), options.timeoutMs);
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

async function withRetries<T>(
  url: string,
  options: DownloadOptions,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let failures = 0; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (failures >= options.retries) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new RepoDownloadError(
          `GET ${url} failed after ${failures + 1} attempts: ${reason}`,
          url,
          { cause: error },
        );
      }
      await sleep(options.retryDelayMs * 2 ** failures);
    }
  }
}

/** Issues a GET and resolves with a 200 response, following redirects. */
function get(
  url: URL,
  timeoutMs: number,
  redirectsLeft = MAX_REDIRECTS,
): Promise<http.IncomingMessage> {
  const client = url.protocol === "https:" ? https : url.protocol === "http:" ? http : undefined;
  if (!client) {
    return Promise.reject(new RepoError(`unsupported URL scheme in ${url.href}`, url.href));
  }
  return new Promise((resolve, reject) => {
    let response: http.IncomingMessage | undefined;
    const request = client.get(
      url,
      { headers: { "accept-encoding": "identity" }, timeout: timeoutMs },
      (res) => {
        response = res;
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (status >= 300 && status < 400 && location) {
          res.resume();
          if (redirectsLeft === 0) {
            reject(new RepoDownloadError(`too many redirects fetching ${url.href}`, url.href));
          } else {
            resolve(get(new URL(location, url), timeoutMs, redirectsLeft - 1));
          }
          return;
        }
        if (status === 200) {
          resolve(res);
          return;
        }
        res.resume();
        const message = `GET ${url.href}: HTTP ${status} ${res.statusMessage ?? ""}`.trimEnd();
        if (status === 404) reject(new RepoNotFoundError(message, url.href));
        else if (status === 408 || status === 429 || status >= 500) {
          reject(new TransientError(message));
        } else reject(new RepoDownloadError(message, url.href));
      },
    );
    request.on("timeout", () => {
      const error = new TransientError(`GET ${url.href}: no progress for ${timeoutMs} ms`);
      request.destroy(error);
      response?.destroy(error);
    });
    request.on("error", reject);
  });
}
