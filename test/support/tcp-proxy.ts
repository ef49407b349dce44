// A TCP proxy in front of a test server (RabbitMQ, PostgreSQL) that a test can cut: every
// connection through it is dropped and new ones are closed at once, as if the server had gone
// away, until it is restored. The real server keeps running for the other tests.
import net from "node:net";
import type { AddressInfo } from "node:net";

export interface TcpProxy {
  port: number;
  /** Drops every connection and refuses new ones (accepted, then closed) until `restore`. */
  cut(): void;
  restore(): void;
  /** Connections made through the proxy so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** `targetHost` may be a Unix socket directory (PostgreSQL's `.s.PGSQL.<port>` in it). */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let up = true;
  let connections = 0;
  const server = net.createServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    connections++;
    // A PostgreSQL URL may name a Unix socket directory instead of a host.
    const upstream = targetHost.startsWith("/")
      ? net.connect(`${targetHost}/.s.PGSQL.${targetPort}`)
      : net.connect(targetPort, targetHost);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      up = false;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    restore() {
      up = true;
    },
    get connections() {
      return connections;
    },
    close() {
      up = false;
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
