// One JSON request over HTTP(S) with the limits every outgoing call has: connection, silence
// and overall time limits, a cap on the answer's size, and errors that name the URL without
// its password. Used by the plugins that talk to web services (Pagure, Copr).
import http from "node:http";
import https from "node:https";
import { describeRequestFailure, limitRequest, type HttpTimeouts } from "./http-request.js";

export interface JsonRequest {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  /** A JSON body, or a body already encoded with its content type (multipart uploads). */
  body?: unknown | { raw: Buffer; contentType: string };
  headers?: Record<string, string>;
  timeouts: HttpTimeouts;
  /** Answers longer than this fail (default 16 MiB). */
  maxBytes?: number;
}

export interface JsonAnswer {
  status: number;
  /** The parsed body; undefined when the body is empty or not JSON. */
  body: unknown;
  /** The body as text, for error messages (at most its first 500 characters). */
  excerpt: string;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/** A request that got no complete answer (network, time limit, size). */
export class JsonRequestError extends Error {
  override name = "JsonRequestError";
  constructor(
    message: string,
    /** Whether sending it again may succeed (not for a rejected certificate, say). */
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An answer saying the service cannot serve now: its own or a proxy's failure, or overload. */
export function isUnavailableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** The service answered with an `isUnavailableStatus` status: worth asking again later. */
export class ServiceUnavailableError extends Error {
  override name = "ServiceUnavailableError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The URL with any password replaced, for messages and logs. */
export function maskedUrl(url: URL): string {
  if (!url.password) return url.href;
  const copy = new URL(url.href);
  copy.password = "***";
  return copy.href;
}

function isRawBody(body: unknown): body is { raw: Buffer; contentType: string } {
  return (
    typeof body === "object" && body !== null && Buffer.isBuffer((body as { raw?: unknown }).raw)
  );
}

/**
 * Sends the request and reads the whole answer, whatever its status (callers decide what a
 * 404 or 500 means). Redirects are not followed.
 */
export function requestJson(url: URL, options: JsonRequest): Promise<JsonAnswer> {
  const client = url.protocol === "https:" ? https : url.protocol === "http:" ? http : undefined;
  const where = maskedUrl(url);
  if (!client) {
    return Promise.reject(new JsonRequestError(`unsupported URL scheme in ${where}`, false));
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let payload: Buffer | undefined;
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  if (isRawBody(options.body)) {
    payload = options.body.raw;
    headers["content-type"] = options.body.contentType;
  } else if (options.body !== undefined) {
    payload = Buffer.from(JSON.stringify(options.body));
    headers["content-type"] = "application/json";
  }
  if (payload) headers["content-length"] = String(payload.length);
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      const { reason, retryable } = describeRequestFailure(error);
      const message = `${options.method ?? "GET"} ${where}: ${reason}`;
      reject(new JsonRequestError(message, retryable, { cause: error }));
    };
    const request = client.request(url, { method: options.method ?? "GET", headers }, (answer) => {
      const chunks: Buffer[] = [];
      let length = 0;
      answer.on("data", (chunk: Buffer) => {
        length += chunk.length;
        if (length > maxBytes) {
          answer.destroy(new Error(`answer larger than ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      answer.once("error", fail);
      answer.once("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = text.length > 0 ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: answer.statusCode ?? 0, body, excerpt: text.slice(0, 500) });
      });
    });
    limitRequest(request, options.timeouts);
    request.once("error", fail);
    request.end(payload);
  });
}
