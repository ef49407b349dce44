// An HTTP proxy in front of a test server that holds requests for chosen paths until the test
// lets them go, and tells when requests have arrived: tests synchronise with downloads in
// progress through it instead of sleeping.
import http from "node:http";
import type { AddressInfo } from "node:net";

/** Forwards requests to a server; requests for a held path wait until it is let go. */
export interface GatedProxy {
  url: string;
  hold(path: string): void;
  /** Resolves once `count` requests for `path` have arrived. */
  arrived(path: string, count: number): Promise<void>;
  letGo(path: string): void;
  close(): Promise<void>;
}

export async function startGatedProxy(target: string): Promise<GatedProxy> {
  const held = new Map<string, { open: Promise<void>; letGo: () => void }>();
  const arrivals = new Map<string, number>();
  const watchers: { path: string; count: number; notify: () => void }[] = [];
  const server = http.createServer((request, response) => {
    const path = request.url ?? "/";
    arrivals.set(path, (arrivals.get(path) ?? 0) + 1);
    for (const watcher of watchers.filter((w) => w.path === path)) {
      if (arrivals.get(path)! >= watcher.count) watcher.notify();
    }
    void (async () => {
      await held.get(path)?.open;
      const answer = await fetch(new URL(path.slice(1), target));
      response.writeHead(answer.status).end(Buffer.from(await answer.arrayBuffer()));
    })().catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const letGo = (path: string) => held.get(path)?.letGo();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    hold(path) {
      let open!: () => void;
      held.set(path, { open: new Promise((resolve) => (open = resolve)), letGo: () => open() });
    },
    arrived: (path, count) =>
      (arrivals.get(path) ?? 0) >= count
        ? Promise.resolve()
        : new Promise((notify) => watchers.push({ path, count, notify })),
    letGo,
    close() {
      for (const path of held.keys()) letGo(path);
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
