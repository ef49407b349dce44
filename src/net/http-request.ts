// Time limits and failure descriptions shared by every outgoing HTTP(S) request (Koji calls,
// repo downloads): a server that never accepts, accepts and never answers, or answers a byte
// at a time must fail in bounded time, with a message saying which limit was reached.

import type http from "node:http";
import { TLSSocket } from "node:tls";

/** Limits of one HTTP request, in milliseconds. */
export interface HttpTimeouts {
  /** Establishing the connection: DNS, TCP and, for HTTPS, the TLS handshake. */
  connectMs: number;
  /** Silence on an established connection: no byte of the answer for this long. */
  idleMs: number;
  /** The whole request, from sending it to the last byte of the answer. */
  overallMs: number;
}

export type HttpTimeoutKind = "connect" | "idle" | "overall";

const TIMEOUT_WORDING: Record<HttpTimeoutKind, string> = {
  connect: "no connection within",
  idle: "no data for",
  overall: "not complete within",
};

/** A request ended by one of its HttpTimeouts; the message names the limit that fired. */
export class HttpTimeoutError extends Error {
  override name = "HttpTimeoutError";
  constructor(
    readonly kind: HttpTimeoutKind,
    readonly limitMs: number,
  ) {
    super(`${TIMEOUT_WORDING[kind]} ${limitMs / 1000} s (${kind} timeout)`);
  }
}

/**
 * Arms the three limits on a request just made (before its `socket` event). When one fires,
 * the request and its answer are destroyed with an HttpTimeoutError, so both the request's
 * and the answer's `error` listeners (or a pipeline reading the answer) see it.
 */
export function limitRequest(request: http.ClientRequest, timeouts: HttpTimeouts): void {
  let response: http.IncomingMessage | undefined;
  const expire = (kind: HttpTimeoutKind, limitMs: number) => {
    const error = new HttpTimeoutError(kind, limitMs);
    response?.destroy(error);
    request.destroy(error);
  };
  const overall = setTimeout(() => expire("overall", timeouts.overallMs), timeouts.overallMs);
  const connect = setTimeout(() => expire("connect", timeouts.connectMs), timeouts.connectMs);
  // Node starts the socket's inactivity timer once the socket is connected.
  request.setTimeout(timeouts.idleMs, () => expire("idle", timeouts.idleMs));
  request.once("socket", (socket) => {
    if (request.reusedSocket) clearTimeout(connect);
    else
      socket.once(socket instanceof TLSSocket ? "secureConnect" : "connect", () =>
        clearTimeout(connect),
      );
  });
  request.once("response", (answer) => (response = answer));
  request.once("close", () => {
    clearTimeout(overall);
    clearTimeout(connect);
  });
}

/** Why a request failed, in words, and whether sending it again may succeed. */
export function describeRequestFailure(error: Error): { reason: string; retryable: boolean } {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  if (isPlainServerAnsweringTls(code, error.message)) {
    return {
      reason:
        `the server does not speak TLS (is it plain HTTP? then the URL must start with http://): ` +
        error.message.trim(),
      retryable: false,
    };
  }
  // A certificate that fails verification fails again; repeating cannot help.
  const retryable = !/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code);
  return { reason: error.message, retryable };
}

/** OpenSSL's complaints when the first bytes it reads are not a TLS record (e.g. "HTTP/1.1"). */
function isPlainServerAnsweringTls(code: string, message: string): boolean {
  return (
    (code === "EPROTO" || code.startsWith("ERR_SSL_")) &&
    /wrong version number|packet length too long|unknown protocol|record layer failure/i.test(
      message,
    )
  );
}
