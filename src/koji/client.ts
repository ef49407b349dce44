// Koji hub client over HTTP(S): plain calls, chunked multicalls, retries with back-off, and
// sessions obtained by client-certificate login (koji-xmlrpc.md §1, §5–§7).

import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { KOJI_RETRY_DEFAULTS, type KojiRetryConfig } from "../config/index.js";
import { silentLogger, type Logger } from "../log/logger.js";
import { maskPasswords } from "../log/mask.js";
import { describeRequestFailure, limitRequest, type HttpTimeouts } from "../net/http-request.js";
import {
  KojiConnectionError,
  KojiFault,
  KojiProtocolError,
  XmlRpcParseError,
  kojiFaultCode,
} from "@koschei/koji-protocol/faults.js";
import { decodeResponse, encodeCall } from "@koschei/koji-protocol/xmlrpc-client.js";
import {
  isXmlRpcStruct,
  kwargs as kwargsStruct,
  type XmlRpcValue,
} from "@koschei/koji-protocol/xmlrpc.js";

/**
 * Client settings. A Koji instance's configuration section (`kojiConfig(config, "primary")`)
 * fits as is; only `server` is required.
 */
export interface KojiClientOptions {
  /** Hub XML-RPC endpoint, e.g. https://koji.fedoraproject.org/kojihub */
  server: string;
  topurl?: string;
  weburl?: string;
  multicall_chunk_size?: number;
  /** `logout` (stay anonymous, the default) or `ssl_login`. */
  login_method?: string;
  /**
   * `serverca`: CA bundle file the hub's certificate is verified with, on every request,
   * anonymous ones included (default: the system's CAs). For ssl_login also `cert`: PEM file
   * with the client certificate and its key.
   */
  login_args?: Record<string, unknown>;
  /** Back-off and time limits; unset keys take Koschei's defaults (KOJI_RETRY_DEFAULTS). */
  retry?: Partial<KojiRetryConfig>;
  /** Seconds allowed for a whole login call (Koji's auth_timeout). */
  auth_timeout?: number;
  /** Refuse login and hub-modifying calls (the secondary instance is only read). */
  readOnly?: boolean;
  /** Every retry and every wait for an offline hub is logged here. */
  logger?: Logger;
  /** Called before each retry (after it is logged). */
  onRetry?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  method: string;
  /** 1 for the first retry; 0 for a wait while the hub is offline (those are not counted). */
  attempt: number;
  delaySeconds: number;
  error: Error;
}

export interface KojiCall {
  method: string;
  args?: XmlRpcValue[];
  kwargs?: Record<string, XmlRpcValue>;
}

/** One multicall entry's outcome: the method's result, or the fault it raised. */
export type MultiCallResult = XmlRpcValue | KojiFault;

export interface SslLoginArgs {
  /** PEM file holding the client certificate and its private key. */
  cert: string;
  /** CA bundle file to verify the hub with from now on (default: the client's `serverca`). */
  serverca?: string;
  /** Koji's old client-CA option; accepted and unused, as in current Koji. */
  ca?: string;
}

interface Session {
  id: number;
  key: string;
  /** Hub ≥ 1.31 takes the credentials as headers; older hubs need the query string. */
  headerAuth: boolean;
  /** Per-request sequence number, starting at 0 after login (a multicall counts once). */
  callnum: number;
}

/** Calls that change the hub; refused by a read-only client. */
const HUB_WRITE_METHODS = new Set([
  "build",
  "cancelTask",
  "newRepo",
  "tagBuild",
  "untagBuild",
  "createTag",
  "editTag2",
  "createBuildTarget",
  "groupListAdd",
  "groupPackageListAdd",
  "removeExternalRepoFromTag",
  "createExternalRepo",
  "addExternalRepoToTag",
]);

const INITIAL_BACKOFF_SECONDS = 1;

export class KojiClient {
  readonly server: URL;
  readonly topurl: string | undefined;
  readonly weburl: string | undefined;
  readonly multicallChunkSize: number;
  readonly readOnly: boolean;
  readonly retry: Readonly<KojiRetryConfig>;
  /** The hub's `Koji-Version` header (hubs ≥ 1.35), once seen. */
  hubVersion: string | null = null;

  private agent: http.Agent;
  private readonly logger: Logger;
  /** The hub URL as messages and logs show it (password masked). */
  private readonly shownServer: string;
  private session: Session | null = null;
  private sslCredentials: SslLoginArgs | null = null;
  /** The CA bundle every HTTPS request verifies the hub with (undefined: the system's CAs). */
  private serverCa: Buffer | undefined;

  constructor(private readonly options: KojiClientOptions) {
    this.server = new URL(options.server);
    if (this.server.protocol !== "http:" && this.server.protocol !== "https:") {
      throw new Error(`Koji server must be an http(s) URL, got ${options.server}`);
    }
    this.topurl = options.topurl;
    this.weburl = options.weburl;
    this.multicallChunkSize = options.multicall_chunk_size ?? 100;
    if (!Number.isInteger(this.multicallChunkSize) || this.multicallChunkSize < 1) {
      throw new Error(`multicall_chunk_size must be a positive integer`);
    }
    this.readOnly = options.readOnly ?? false;
    this.retry = { ...KOJI_RETRY_DEFAULTS, ...options.retry };
    this.logger = options.logger ?? silentLogger;
    this.shownServer = shownUrl(this.server);
    const serverca = fileOption(options.login_args ?? {}, "serverca");
    this.serverCa = serverca === undefined ? undefined : readFileSync(serverca);
    this.agent = this.newAgent(null);
  }

  get loggedIn(): boolean {
    return this.session !== null;
  }

  /** Calls a hub method; faults are thrown as KojiFault. */
  async call(
    method: string,
    args: XmlRpcValue[] = [],
    kwargs?: Record<string, XmlRpcValue>,
  ): Promise<XmlRpcValue> {
    this.refuseHubWrite(method);
    const params = withKwargs(args, kwargs);
    try {
      return await this.callWithRetries(method, params, this.retry.timeout);
    } catch (error) {
      // Long-running services outlive a session: log in again and repeat the call once.
      if (error instanceof KojiFault && error.is("AuthExpired") && this.sslCredentials) {
        await this.sslLogin(this.sslCredentials, true);
        return await this.callWithRetries(method, params, this.retry.timeout);
      }
      throw error;
    }
  }

  /**
   * Runs calls through `multiCall`, `multicall_chunk_size` calls per request, and returns one
   * outcome per call in order: its result, or the KojiFault it raised.
   */
  async multiCall(calls: KojiCall[]): Promise<MultiCallResult[]> {
    const outcomes: MultiCallResult[] = [];
    for (let start = 0; start < calls.length; start += this.multicallChunkSize) {
      const chunk = calls.slice(start, start + this.multicallChunkSize);
      const requests = chunk.map((call) => {
        this.refuseHubWrite(call.method);
        return { methodName: call.method, params: withKwargs(call.args ?? [], call.kwargs) };
      });
      const answer = await this.call("multiCall", [requests]);
      if (!Array.isArray(answer) || answer.length !== chunk.length) {
        throw new KojiProtocolError(
          `multiCall of ${chunk.length} calls answered ${describe(answer)}, not one entry per call`,
        );
      }
      for (const entry of answer) outcomes.push(multiCallOutcome(entry));
    }
    return outcomes;
  }

  /** Logs in with the configured login_method; `logout` (the default) stays anonymous. */
  async login(): Promise<void> {
    const method = this.options.login_method ?? "logout";
    if (method === "logout") return;
    if (method === "ssl_login" || method === "sslLogin") {
      await this.sslLogin(sslLoginArgs(this.options.login_args ?? {}));
      return;
    }
    throw new Error(
      `Koji login_method '${method}' is not supported (use ssl_login with a client certificate, or logout)`,
    );
  }

  /**
   * Logs in with a TLS client certificate at `<hub>/ssllogin`; later requests carry the session.
   * With `renew` the hub keeps the session id and issues a new key.
   */
  async sslLogin(credentials: SslLoginArgs, renew = false): Promise<void> {
    if (this.readOnly) throw new Error(`this Koji session (${this.server.host}) is read-only`);
    const cert = readFileSync(credentials.cert);
    if (credentials.serverca) this.serverCa = readFileSync(credentials.serverca);
    this.agent.destroy();
    this.agent = this.newAgent(cert);
    if (!renew) this.session = null;
    const options: Record<string, XmlRpcValue> = { proxyuser: null };
    if (renew) Object.assign(options, { renew: true, exclusive: false });
    const answer = await this.callWithRetries(
      "sslLogin",
      [kwargsStruct(options)],
      this.options.auth_timeout ?? 60,
      "/ssllogin",
    );
    const id = isXmlRpcStruct(answer) ? answer["session-id"] : undefined;
    const key = isXmlRpcStruct(answer) ? answer["session-key"] : undefined;
    if (typeof id !== "number" || typeof key !== "string") {
      throw new KojiFault(kojiFaultCode("AuthError"), "unable to obtain a session");
    }
    this.session = {
      id,
      key,
      headerAuth: isXmlRpcStruct(answer) && answer["header-auth"] === true,
      callnum: 0,
    };
    this.sslCredentials = credentials;
  }

  /** Ends the session on the hub (no retries); a no-op when anonymous. */
  async logout(): Promise<void> {
    if (!this.session) return;
    const noRetry = { ...this.retry, max_retries: 0, offline_retry: false };
    try {
      try {
        await this.callWithRetries(
          "logout",
          [kwargsStruct({ session_id: null })],
          noRetry.timeout,
          "",
          noRetry,
        );
      } catch (error) {
        // Hubs before 1.31 take no arguments.
        if (!(error instanceof KojiFault && error.is("ParameterError"))) throw error;
        await this.callWithRetries("logout", [], noRetry.timeout, "", noRetry);
      }
    } catch (error) {
      if (!(error instanceof KojiFault && error.is("AuthExpired"))) throw error;
    } finally {
      this.session = null;
      this.sslCredentials = null;
    }
  }

  /** Closes idle keep-alive connections. The client stays usable. */
  close(): void {
    this.agent.destroy();
    this.agent = this.newAgent(null);
  }

  /** Throws, before anything is sent, when a read-only client is asked to change the hub. */
  private refuseHubWrite(method: string): void {
    if (this.readOnly && HUB_WRITE_METHODS.has(method)) {
      throw new Error(`${method} refused: this Koji session (${this.server.host}) is read-only`);
    }
  }

  /**
   * One logical call: the same request (same callnum, so the hub can refuse to run a retried
   * call twice) is re-sent after connection failures, HTTP 5xx and undecodable answers, with
   * back-off; and while the hub is offline. Other faults are final.
   */
  private async callWithRetries(
    method: string,
    params: XmlRpcValue[],
    timeoutSeconds: number,
    pathSuffix = "",
    retry: KojiRetryConfig = this.retry,
  ): Promise<XmlRpcValue> {
    const body = encodeCall(method, params);
    const { url, headers } = this.prepareRequest(pathSuffix);
    const timeouts: HttpTimeouts = {
      connectMs: retry.connect_timeout * 1000,
      idleMs: retry.idle_timeout * 1000,
      overallMs: timeoutSeconds * 1000,
    };
    for (let attempt = 1; ;) {
      try {
        return await this.post(url, body, headers, timeouts);
      } catch (caught) {
        const error = caught instanceof Error ? caught : new Error(String(caught));
        if (error instanceof KojiFault) {
          if (!(error.is("ServerOffline") && retry.offline_retry)) throw error;
          this.announceRetry(
            { method, attempt: 0, delaySeconds: retry.offline_retry_interval, error },
            retry,
          );
          await sleep(retry.offline_retry_interval * 1000);
          continue;
        }
        const mayRetry = this.session !== null || retry.anon_retry;
        if (!mayRetry || !isTransient(error) || attempt > retry.max_retries) throw error;
        const delaySeconds = backoffSeconds(attempt, retry.retry_interval);
        this.announceRetry({ method, attempt, delaySeconds, error }, retry);
        if (delaySeconds > 0) await sleep(delaySeconds * 1000);
        attempt++;
      }
    }
  }

  /** Logs a coming retry (or offline wait) with when it comes, then tells onRetry. */
  private announceRetry(event: RetryEvent, retry: KojiRetryConfig): void {
    const retryAt = new Date(Date.now() + event.delaySeconds * 1000).toISOString();
    const fields = {
      url: this.shownServer,
      method: event.method,
      retryInSeconds: event.delaySeconds,
      retryAt,
      error: event.error.message,
    };
    const maxAttempts = retry.max_retries + 1;
    if (event.attempt === 0) {
      this.logger.warn(
        fields,
        `Koji hub ${this.shownServer} is offline (${event.method}); next try in ${event.delaySeconds} s, at ${retryAt}`,
      );
    } else {
      this.logger.warn(
        { ...fields, attempt: event.attempt, maxAttempts },
        `Koji call ${event.method} to ${this.shownServer} failed (attempt ${event.attempt} of ` +
          `${maxAttempts}): ${event.error.message}; next attempt in ${event.delaySeconds} s, at ${retryAt}`,
      );
    }
    this.options.onRetry?.(event);
  }

  /** Session credentials as headers (hub ≥ 1.31) or, for older hubs, in the query string. */
  private prepareRequest(pathSuffix: string): { url: URL; headers: Record<string, string> } {
    const url = new URL(this.server);
    url.pathname = url.pathname.replace(/\/$/, "") + pathSuffix;
    const headers: Record<string, string> = {};
    const session = this.session;
    if (session) {
      const callnum = String(session.callnum++);
      if (session.headerAuth) {
        headers["Koji-Session-Id"] = String(session.id);
        headers["Koji-Session-Key"] = session.key;
        headers["Koji-Session-Callnum"] = callnum;
      } else {
        url.searchParams.set("session-id", String(session.id));
        url.searchParams.set("session-key", session.key);
        url.searchParams.set("callnum", callnum);
      }
    }
    return { url, headers };
  }

  private post(
    url: URL,
    body: string,
    sessionHeaders: Record<string, string>,
    timeouts: HttpTimeouts,
  ): Promise<XmlRpcValue> {
    const payload = Buffer.from(body, "utf8");
    const transport = url.protocol === "https:" ? https : http;
    return new Promise<XmlRpcValue>((resolve, reject) => {
      const request = transport.request(url, {
        method: "POST",
        agent: this.agent,
        headers: {
          "User-Agent": "koschei (koji/1)",
          "Content-Type": "text/xml",
          "Content-Length": payload.length,
          ...sessionHeaders,
        },
      });
      limitRequest(request, timeouts);
      const shown = shownUrl(url);
      const fail = (error: Error) => {
        const { reason, retryable } = describeRequestFailure(error);
        reject(new KojiConnectionError(`${shown}: ${reason}`, { cause: error, retryable }));
      };
      request.on("error", fail);
      request.on("response", (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", fail);
        response.on("close", () => {
          if (!response.complete) fail(new Error("connection closed mid-answer"));
        });
        response.on("end", () => {
          const version = response.headers["koji-version"];
          if (typeof version === "string") this.hubVersion = version;
          const status = response.statusCode ?? 0;
          if (status < 200 || status > 299) {
            const text = Buffer.concat(chunks).toString("utf8").trim().split("\n")[0] ?? "";
            reject(
              new KojiConnectionError(`${shown}: HTTP ${status} ${text}`.trim(), {
                httpStatus: status,
              }),
            );
            return;
          }
          try {
            resolve(decodeResponse(Buffer.concat(chunks)));
          } catch (error) {
            reject(error);
          }
        });
      });
      request.end(payload);
    });
  }

  /** An agent verifying the hub with `serverCa`; `clientCert` is the PEM for sslLogin. */
  private newAgent(clientCert: Buffer | null): http.Agent {
    if (this.server.protocol === "http:") return new http.Agent({ keepAlive: true });
    return new https.Agent({
      keepAlive: true,
      ca: this.serverCa,
      ...(clientCert ? { cert: clientCert, key: clientCert } : {}),
    });
  }
}

function withKwargs(args: XmlRpcValue[], kwargs?: Record<string, XmlRpcValue>): XmlRpcValue[] {
  return kwargs && Object.keys(kwargs).length > 0 ? [...args, kwargsStruct(kwargs)] : args;
}

/** A multicall entry: `[result]` on success, a fault struct otherwise (§5). */
function multiCallOutcome(entry: XmlRpcValue): MultiCallResult {
  if (Array.isArray(entry) && entry.length === 1) return entry[0]!;
  if (
    isXmlRpcStruct(entry) &&
    typeof entry.faultCode === "number" &&
    typeof entry.faultString === "string"
  ) {
    return new KojiFault(entry.faultCode, entry.faultString);
  }
  throw new KojiProtocolError(`unexpected multiCall entry ${describe(entry)}`);
}

function sslLoginArgs(loginArgs: Record<string, unknown>): SslLoginArgs {
  const cert = fileOption(loginArgs, "cert");
  if (cert === undefined) throw new Error("ssl_login needs login_args.cert (a PEM file)");
  return {
    cert,
    serverca: fileOption(loginArgs, "serverca"),
    ca: fileOption(loginArgs, "ca"),
  };
}

/** A file name of login_args; unset (or null) is undefined. */
function fileOption(loginArgs: Record<string, unknown>, name: string): string | undefined {
  const value = loginArgs[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new Error(`login_args.${name} must be a file name`);
  return value;
}

/** Failures worth repeating: the network, the hub's HTTP layer, a garbled answer. */
function isTransient(error: Error): boolean {
  if (error instanceof XmlRpcParseError) return true;
  if (!(error instanceof KojiConnectionError)) return false;
  const status = error.httpStatus;
  if (status !== undefined) return status >= 500;
  return error.retryable;
}

/** The first retry is immediate (keep-alive races); then 1, 2, 4 … s up to retry_interval. */
export function backoffSeconds(attempt: number, retryInterval: number): number {
  if (attempt <= 1) return 0;
  return Math.min(retryInterval, INITIAL_BACKOFF_SECONDS * 2 ** (attempt - 2));
}

/** A URL as messages show it: password masked, no query (an old hub's session key is there). */
function shownUrl(url: URL): string {
  const shown = new URL(url);
  shown.search = "";
  return maskPasswords(shown.href);
}

function describe(value: XmlRpcValue): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return "nil";
  return `a ${isXmlRpcStruct(value) ? "struct" : typeof value}`;
}
