// A small scriptable XML-RPC hub on 127.0.0.1 for client tests: each request is decoded and
// recorded, and a handler decides the answer (a value, a fault, an HTTP error, a dropped
// connection or no answer at all). Also a hub replaying recorded Koji answers exactly.

import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { decodeCall, encodeFault, encodeResponse } from "@koschei/koji-protocol/xmlrpc-server.js";
import { kojiDoubleMember, splitKwargs, type XmlRpcValue } from "@koschei/koji-protocol/xmlrpc.js";
import type { RecordedCall } from "./recorded.js";

export interface HubRequest {
  method: string;
  params: XmlRpcValue[];
  args: XmlRpcValue[];
  kwargs: Record<string, XmlRpcValue>;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Subject CN of a verified TLS client certificate. */
  clientCertCn: string | null;
}

export type HubReply =
  | { value: XmlRpcValue }
  | { fault: [number, string] }
  | { status: number; body?: string }
  | { raw: string }
  /** Announces the whole answer, sends the first half, then closes the connection. */
  | { truncated: XmlRpcValue }
  | "drop"
  | "hang";

export interface TestHub {
  url: string;
  requests: HubRequest[];
  /** TCP connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

const tlsDir = new URL("../../../test/koji/fixtures/tls/", import.meta.url);
export const tlsFixture = (name: string) => new URL(name, tlsDir).pathname;

export async function startTestHub(
  handler: (request: HubRequest) => HubReply | Promise<HubReply>,
  options: { tls?: boolean; kojiVersion?: string } = {},
): Promise<TestHub> {
  const hub: TestHub = { url: "", requests: [], connections: 0, close: async () => {} };
  const hanging = new Set<http.ServerResponse>();

  const listener = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      const url = new URL(request.url ?? "/", "http://hub");
      const { method, params } = decodeCall(Buffer.concat(chunks));
      const socket = request.socket as import("node:tls").TLSSocket;
      const peer = typeof socket.getPeerCertificate === "function" && socket.authorized;
      const hubRequest: HubRequest = {
        method,
        params,
        ...splitKwargs(params),
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        clientCertCn: peer ? String(socket.getPeerCertificate().subject.CN) : null,
      };
      hub.requests.push(hubRequest);
      const reply = await handler(hubRequest);
      const headers = {
        "Content-Type": "text/xml",
        ...(options.kojiVersion ? { "Koji-Version": options.kojiVersion } : {}),
      };
      if (reply === "drop") {
        request.socket.destroy();
      } else if (reply === "hang") {
        hanging.add(response);
      } else if ("status" in reply) {
        response.writeHead(reply.status, { "Content-Type": "text/plain" });
        response.end(reply.body ?? "");
      } else if ("truncated" in reply) {
        const body = Buffer.from(encodeResponse(reply.truncated));
        response.writeHead(200, { ...headers, "Content-Length": body.length });
        response.write(body.subarray(0, body.length >> 1), () => request.socket.destroy());
      } else if ("raw" in reply) {
        response.writeHead(200, headers).end(reply.raw);
      } else if ("fault" in reply) {
        response.writeHead(200, headers).end(encodeFault(...reply.fault));
      } else {
        response
          .writeHead(200, headers)
          .end(encodeResponse(reply.value, { doubleMember: kojiDoubleMember }));
      }
    });
  };

  const server = options.tls
    ? https.createServer(
        {
          key: readFileSync(tlsFixture("server.key")),
          cert: readFileSync(tlsFixture("server.pem")),
          ca: readFileSync(tlsFixture("ca.pem")),
          requestCert: true,
          rejectUnauthorized: false,
        },
        listener,
      )
    : http.createServer(listener);
  server.on("connection", () => hub.connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  hub.url = `${options.tls ? "https" : "http"}://127.0.0.1:${port}/kojihub`;
  hub.close = () =>
    new Promise<void>((resolve) => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return hub;
}

/** A hub answering from recorded calls; `unexpected` lists the calls it had no answer for. */
export interface RecordedHub extends TestHub {
  unexpected: string[];
}

/**
 * A hub answering from recorded calls, matched by method, positional args and kwargs exactly;
 * multiCall is answered entry by entry. Any other call is answered with a fault and listed in
 * `unexpected`, for the test to fail on even where the code under test swallows faults.
 * Cassettes recorded by older clients (recorded/README.md, caveat 3) are adapted by the test
 * to what today's Koschei sends before they are replayed.
 */
/** A recorded fault as is; a missing answer as the hub's fault for an unhandled exception. */
function asFault(error: unknown): { faultCode: number; faultString: string } {
  if (error instanceof Error) {
    return { faultCode: 1, faultString: `<class 'Exception'>: ${error.message}` };
  }
  return error as { faultCode: number; faultString: string };
}

export async function startRecordedHub(calls: RecordedCall[]): Promise<RecordedHub> {
  const unexpected: string[] = [];
  const answer = (method: string, params: XmlRpcValue[]): XmlRpcValue => {
    const { args, kwargs } = splitKwargs(params);
    const call = calls.find(
      (c) =>
        c.method === method &&
        isDeepStrictEqual(c.args, args) &&
        isDeepStrictEqual(c.kwargs, kwargs),
    );
    if (!call) {
      const description = `${method}(${JSON.stringify(params)})`;
      unexpected.push(description);
      throw new Error(`no recorded answer for ${description}`);
    }
    if (call.fault) throw call.fault;
    return call.result ?? null;
  };
  const hub = await startTestHub(({ method, params }) => {
    try {
      if (method !== "multiCall") return { value: answer(method, params) };
      const entries = (params[0] as { methodName: string; params: XmlRpcValue[] }[]).map(
        (entry) => {
          try {
            return [answer(entry.methodName, entry.params)];
          } catch (error) {
            return asFault(error);
          }
        },
      );
      return { value: entries };
    } catch (error) {
      const { faultCode, faultString } = asFault(error);
      return { fault: [faultCode, faultString] };
    }
  });
  return Object.assign(hub, { unexpected });
}
