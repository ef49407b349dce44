// A real HTTP server on 127.0.0.1 serving repository directories for repo-cache tests, with
// request counting and injectable faults (error statuses, altered bodies, no answer at all).

import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";

export interface RepoServer {
  /** "http://127.0.0.1:<port>/"; a repository mounted as "name" is at `${url}name/`. */
  url: string;
  /** Number of requests received for a URL path such as "/a/repodata/repomd.xml". */
  requestCount(path: string): number;
  /** Answer the next `times` requests for `path` with this HTTP status. */
  failWith(path: string, status: number, times?: number): void;
  /** Serve `body` instead of the file at `path`. */
  replaceBody(path: string, body: Buffer): void;
  /** Accept requests for `path` but never answer them. */
  hang(path: string): void;
  close(): Promise<void>;
}

/** Serves each directory of `mounts` under `/<name>/`. */
export async function startRepoServer(mounts: Record<string, string>): Promise<RepoServer> {
  const counts = new Map<string, number>();
  const failures = new Map<string, { status: number; times: number }>();
  const replacements = new Map<string, Buffer>();
  const hanging = new Set<string>();

  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    if (hanging.has(path)) return;
    const failure = failures.get(path);
    if (failure && failure.times > 0) {
      failure.times--;
      response.writeHead(failure.status).end();
      return;
    }
    void body(path).then(
      (content) => response.writeHead(200).end(content),
      () => response.writeHead(404).end(),
    );
  });

  async function body(path: string): Promise<Buffer> {
    const replacement = replacements.get(path);
    if (replacement) return replacement;
    const [, mount, ...rest] = path.split("/");
    const root = mounts[mount ?? ""];
    const relative = normalize(rest.join("/"));
    if (!root || relative.startsWith("..")) throw new Error("not served");
    return readFile(join(root, relative));
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requestCount: (path) => counts.get(path) ?? 0,
    failWith: (path, status, times = Infinity) => failures.set(path, { status, times }),
    replaceBody: (path, content) => replacements.set(path, content),
    hang: (path) => hanging.add(path),
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
