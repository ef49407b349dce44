// Real servers on 127.0.0.1 that fail the ways networks do: one that never lets a connection
// complete, one that accepts and never answers, one that answers a byte at a time, and a
// plain-HTTP one (for clients that expect TLS). Also a logger whose lines a test can read.

import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { pino, type Logger } from "pino";

export interface TestServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  origin: string;
  close(): Promise<void>;
}

async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

/** Accepts connections and reads what is sent, but never writes a byte. */
export async function silentServer(): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.resume();
  });
  return { origin: await listen(server), close: closer(server, sockets) };
}

/**
 * Answers every request with 200 and its headers at once, then one byte of a never-ending
 * body every `intervalMs`: progress that is never silent for long, and never finishes.
 */
export async function tricklingServer(intervalMs: number): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const server = http.createServer((request, response) => {
    request.resume();
    response.writeHead(200, { "Content-Type": "text/xml", "Content-Length": 1_000_000 });
    response.write("<");
    const timer = setInterval(() => response.write(" "), intervalMs);
    response.on("close", () => clearInterval(timer));
  });
  server.on("connection", (socket) => sockets.add(socket));
  return { origin: await listen(server), close: closer(server, sockets) };
}

/** A plain-HTTP server answering every request with 200 "plain". */
export async function plainHttpServer(): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const server = http.createServer((request, response) => {
    request.resume();
    response.end("plain");
  });
  server.on("connection", (socket) => sockets.add(socket));
  return { origin: await listen(server), close: closer(server, sockets) };
}

/** The origin of a port nothing listens on: connections are refused. */
export async function closedPortOrigin(): Promise<string> {
  const server = net.createServer();
  const origin = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return origin;
}

// Listens with a backlog of 1 and then blocks its thread, so nothing is ever accepted.
const UNACCEPTING_LISTENER = `
const { parentPort, workerData } = require("node:worker_threads");
const server = require("node:net").createServer();
server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
  parentPort.postMessage(server.address().port);
  Atomics.wait(new Int32Array(workerData), 0, 0);
  server.close();
});
`;

/**
 * A port whose listener never accepts and whose queue is full, so that a new connection is
 * never established (the kernel drops its SYNs), like a server overwhelmed by connections.
 */
export async function unacceptingServer(): Promise<TestServer> {
  const release = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(UNACCEPTING_LISTENER, { eval: true, workerData: release.buffer });
  const port = await new Promise<number>((resolve) => worker.once("message", resolve));
  // Linux queues backlog + 1 connections; these two fill the queue.
  const fillers = [1, 2].map(() => net.connect(port, "127.0.0.1"));
  await Promise.all(
    fillers.map((socket) => new Promise((resolve) => socket.once("connect", resolve))),
  );
  return {
    origin: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of fillers) socket.destroy();
      Atomics.store(release, 0, 1);
      Atomics.notify(release, 0);
      await new Promise((resolve) => worker.once("exit", resolve));
    },
  };
}

/** A pino logger at debug level whose JSON lines end up, parsed, in `records`. */
export function recordingLogger(): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "debug" },
    { write: (line: string) => records.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, records };
}
