// The simulator's HTTP(S) server: the XML-RPC hub at /kojihub (and /kojihub/ssllogin), the
// topurl at /kojifiles and the control interface at /control.

import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { XmlRpcParseError } from "@koschei/koji-protocol/faults.js";
import { decodeCall, encodeFault, encodeResponse } from "@koschei/koji-protocol/xmlrpc-server.js";
import { kojiDoubleMember, type XmlRpcValue } from "@koschei/koji-protocol/xmlrpc.js";
import { Control, ControlError, FaultInjector } from "./control.js";
import { FileServer } from "./files.js";
import { Hub, type CallContext } from "./hub.js";
import { MessagePublisher } from "./messages.js";
import type { Scenario } from "./scenario.js";
import { SimClock, SimState } from "./state.js";

/** Members sent as doubles: Koji's usual ones and getLastEvent's `ts`. */
function hubDoubleMember(name: string): boolean {
  return kojiDoubleMember(name) || name === "ts";
}

/** Koji's MaxRequestLength default. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** In real-time mode, how often (real ms) the simulation catches up with the clock. */
const TICK_MS = 200;

export interface TlsOptions {
  /** PEM server certificate and key. */
  cert: string | Buffer;
  key: string | Buffer;
  /** PEM CA bundle that client certificates must chain to. */
  ca: string | Buffer;
}

export interface SimulatorOptions {
  /** "HOST:PORT"; port 0 picks a free one. */
  listen: string;
  scenario: Scenario;
  /** A world restored from a snapshot, used instead of the scenario's start. */
  state?: SimState;
  /** Simulated time; default: manual time starting at the scenario's start. */
  clock?: SimClock;
  /** Serve HTTPS and accept client certificates for sslLogin. */
  tls?: TlsOptions;
  /**
   * Without TLS there is no certificate to verify: sslLogin then logs in as this user, as if a
   * TLS-terminating proxy had verified it. Null refuses sslLogin over plain HTTP.
   */
  plainLoginUser?: string | null;
  amqpUrl?: string;
  /** Prepended to message topics; default "org.fedoraproject.prod". */
  topicPrefix?: string;
  onError?: (error: Error) => void;
}

export interface Simulator {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  hubUrl: string;
  topurl: string;
  state: SimState;
  clock: SimClock;
  faults: FaultInjector;
  /** Present when amqpUrl was given. */
  publisher: MessagePublisher | null;
  close(): Promise<void>;
}

function parseListen(listen: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(listen);
  if (!match || Number(match[2]) > 65535)
    throw new Error(`--listen must be HOST:PORT, not '${listen}'`);
  return { host: match[1]!.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1", port: Number(match[2]) };
}

/**
 * The request body, or "too long" as soon as it passes MAX_REQUEST_BYTES: the rest is then
 * read and dropped (destroying the request would cut the connection before the answer), and
 * the answer closes the connection (CLOSE_AFTER_TOO_LONG).
 */
function readBody(request: IncomingMessage): Promise<Buffer | "too long"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) return void chunks.push(chunk);
      request.off("data", collect);
      request.resume();
      resolve("too long");
    };
    request.on("data", collect);
    request.once("end", () => resolve(Buffer.concat(chunks)));
    request.once("error", reject);
  });
}

const CLOSE_AFTER_TOO_LONG = { Connection: "close" };

function sessionContext(
  request: IncomingMessage,
  url: URL,
  sslLoginPath: boolean,
  clientCertUser: string | null,
): CallContext {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = header("koji-session-id") ?? url.searchParams.get("session-id") ?? undefined;
  const key = header("koji-session-key") ?? url.searchParams.get("session-key") ?? undefined;
  const callnum =
    header("koji-session-callnum") ??
    header("koji-callnum") ??
    url.searchParams.get("callnum") ??
    undefined;
  return {
    sessionId: id !== undefined && /^\d+$/.test(id) ? Number(id) : id !== undefined ? -1 : null,
    sessionKey: key ?? null,
    callnum: callnum !== undefined && /^\d+$/.test(callnum) ? Number(callnum) : null,
    clientCertUser,
    sslLoginPath,
  };
}

function send(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  const buffer = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  response.writeHead(status, {
    "Content-Type": contentType,
    "Content-Length": String(buffer.length),
    ...headers,
  });
  response.end(buffer);
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const { host, port } = parseListen(options.listen);
  const state = options.state ?? new SimState(options.scenario);
  const clock = options.clock ?? new SimClock(state.time, 0);
  const catchUp = () => state.advanceTo(clock.now());
  catchUp();
  const hub = new Hub(state);
  const files = new FileServer(state);
  const faults = new FaultInjector();
  const control = new Control(state, clock, faults);
  const plainLoginUser = options.plainLoginUser === undefined ? null : options.plainLoginUser;
  const kojiVersionHeader = { "Koji-Version": state.kojiVersion };

  async function handleHub(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    sslLoginPath: boolean,
  ): Promise<void> {
    if (request.method !== "POST") {
      send(
        response,
        405,
        "text/plain",
        "Method Not Allowed\nThis is an XML-RPC server. Only POST requests are accepted.\n",
        { Allow: "POST", ...kojiVersionHeader },
      );
      return;
    }
    const body = await readBody(request);
    const badRequest = (reason: string) =>
      send(response, 400, "text/plain", `Invalid request: ${reason}\n`, kojiVersionHeader);
    if (body === "too long") {
      send(response, 400, "text/plain", "Invalid request: Request too long\n", {
        ...kojiVersionHeader,
        ...CLOSE_AFTER_TOO_LONG,
      });
      return;
    }
    if (body.length === 0) return badRequest("Empty request");
    let call: { method: string; params: XmlRpcValue[] };
    try {
      call = decodeCall(body);
    } catch (error) {
      if (error instanceof XmlRpcParseError) return badRequest(error.message);
      throw error;
    }
    let clientCertUser: string | null = null;
    if (sslLoginPath) {
      const socket = request.socket as TLSSocket;
      if (options.tls) {
        if (socket.authorized) {
          const subject = socket.getPeerCertificate().subject;
          const cn = subject?.CN;
          clientCertUser = (Array.isArray(cn) ? cn[0] : cn) ?? null;
        }
      } else {
        clientCertUser = plainLoginUser;
      }
    }
    const injected = faults.take(call.method);
    if (injected?.kind === "slow")
      await new Promise((resolve) => setTimeout(resolve, injected.delayMs));
    if (injected?.kind === "http") {
      send(
        response,
        injected.status,
        "text/plain",
        `Simulated HTTP error ${injected.status}\n`,
        kojiVersionHeader,
      );
      return;
    }
    catchUp();
    let xml: string;
    if (injected?.kind === "fault") {
      xml = encodeFault(injected.code, injected.message);
    } else {
      const answer = hub.call(
        call.method,
        call.params,
        sessionContext(request, url, sslLoginPath, clientCertUser),
      );
      xml =
        "result" in answer
          ? encodeResponse(answer.result, { doubleMember: hubDoubleMember })
          : encodeFault(answer.fault.faultCode, answer.fault.faultString);
    }
    if (injected?.kind === "truncate") xml = xml.slice(0, Math.floor(xml.length / 2));
    send(response, 200, "text/xml", xml, kojiVersionHeader);
  }

  async function handleControl(
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
  ): Promise<void> {
    const raw = await readBody(request);
    const sendError = (status: number, message: string, headers: Record<string, string> = {}) =>
      send(
        response,
        status,
        "application/json",
        JSON.stringify({ error: message }) + "\n",
        headers,
      );
    if (raw === "too long") return sendError(413, "request too long", CLOSE_AFTER_TOO_LONG);
    try {
      let body: Record<string, unknown> = {};
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          throw new ControlError("body is not JSON");
        }
        if (typeof body !== "object" || body === null || Array.isArray(body))
          throw new ControlError("body must be a JSON object");
      }
      catchUp();
      const answer = control.handle(request.method ?? "GET", path, body);
      send(response, answer.status, "application/json", JSON.stringify(answer.body) + "\n");
    } catch (error) {
      if (!(error instanceof ControlError)) throw error;
      sendError(error.status, error.message);
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://simulator");
    const path = url.pathname;
    if (path === "/kojihub" || path === "/kojihub/")
      return handleHub(request, response, url, false);
    if (path === "/kojihub/ssllogin") return handleHub(request, response, url, true);
    if (path === "/control" || path.startsWith("/control/"))
      return handleControl(request, response, path.slice("/control".length));
    if (path.startsWith("/kojifiles/") && (request.method === "GET" || request.method === "HEAD")) {
      catchUp();
      const answer = await files.get(decodeURIComponent(path.slice("/kojifiles/".length)));
      if (request.method === "HEAD") {
        response.writeHead(answer.status, {
          "Content-Type": answer.contentType,
          "Content-Length": String(answer.body.length),
        });
        response.end();
      } else {
        send(response, answer.status, answer.contentType, answer.body);
      }
      return;
    }
    send(response, 404, "text/plain", "Not Found\n");
  }

  const listener = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: Error) => {
      options.onError?.(error);
      if (!response.headersSent)
        send(response, 500, "text/plain", `Internal Server Error: ${error.message}\n`);
      else response.destroy();
    });
  };
  const server: Server = options.tls
    ? createHttpsServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          ca: options.tls.ca,
          requestCert: true,
          rejectUnauthorized: false,
        },
        listener,
      )
    : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `${options.tls ? "https" : "http"}://${hostPart}:${address.port}`;
  const topurl = `${url}/kojifiles`;

  let publisher: MessagePublisher | null = null;
  try {
    if (options.amqpUrl) {
      publisher = await MessagePublisher.start(state, {
        amqpUrl: options.amqpUrl,
        topicPrefix: options.topicPrefix ?? "org.fedoraproject.prod",
        baseUrl: url,
        topurl,
        onError: options.onError,
      });
    }
  } catch (error) {
    server.close();
    throw error;
  }
  // Real-time clocks move on their own: keep tasks (and their messages) going between calls.
  const ticker = clock.speed > 0 ? setInterval(catchUp, TICK_MS) : null;

  return {
    url,
    hubUrl: `${url}/kojihub`,
    topurl,
    state,
    clock,
    faults,
    publisher,
    async close() {
      if (ticker) clearInterval(ticker);
      await publisher?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
