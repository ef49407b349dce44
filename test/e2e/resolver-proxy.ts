// An HTTP proxy in front of the simulated hub's file server (Koji's topurl) that answers chosen
// downloads with a fault instead of the file: tests of the resolvers make a repo download fail
// in the middle of a pass through it.
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * What a faulted request gets: an HTTP status (e.g. 503) with a short body, or the file with
 * its bytes inverted (the right size, the wrong checksum).
 */
export type DownloadFault = { httpStatus: number } | { corrupt: true };

export interface FaultingProxy {
  /** The proxy's base URL: the target's paths are served under it. */
  url: string;
  /** The next `count` requests whose path matches `path` get the fault. */
  fail(path: RegExp, fault: DownloadFault, count: number): void;
  /** How many faults are still pending. */
  pending(): number;
  /** How many requests for paths matching `path` arrived (faulted or not). */
  requests(path: RegExp): number;
  close(): Promise<void>;
}

export async function startFaultingProxy(target: string): Promise<FaultingProxy> {
  const faults: { path: RegExp; fault: DownloadFault; left: number }[] = [];
  const seen: string[] = [];
  const server = http.createServer((request, response) => {
    const path = request.url ?? "/";
    seen.push(path);
    const injected = faults.find((entry) => entry.left > 0 && entry.path.test(path));
    if (injected) injected.left--;
    if (injected && "httpStatus" in injected.fault) {
      response.writeHead(injected.fault.httpStatus, { "content-type": "text/plain" });
      response.end("injected fault\n");
      return;
    }
    void (async () => {
      const answer = await fetch(new URL(path, target));
      const body = Buffer.from(await answer.arrayBuffer());
      if (injected) body.forEach((byte, index) => (body[index] = ~byte & 0xff));
      response.writeHead(answer.status, { "content-length": body.length }).end(body);
    })().catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fail(path, fault, count) {
      faults.push({ path, fault, left: count });
    },
    pending: () => faults.reduce((sum, entry) => sum + entry.left, 0),
    requests: (pattern) => seen.filter((path) => pattern.test(path)).length,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
