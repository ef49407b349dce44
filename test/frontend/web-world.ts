// A web world for the frontend tests: a fresh PostgreSQL database, the configuration the
// frontend gets in production (with a test secret), the server listening on a real port, and
// an HTTP client that keeps its cookies like a browser.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { loadConfig, type KoscheiConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/logger.js";
import { createFrontend } from "../../src/frontend/server.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";

export const TEST_SECRET = "web-world-test-secret-0123456789";

export interface WebWorld {
  fresh: FreshDatabase;
  db: FreshDatabase["database"]["db"];
  config: KoscheiConfig;
  app: FastifyInstance;
  baseUrl: string;
  /** A new browser-like client with its own cookies. */
  client(): WebClient;
  close(): Promise<void>;
}

export interface WebClient {
  /** Requests a path (or absolute URL) without following redirects; cookies are kept. */
  request(path: string, init?: RequestInit): Promise<Response>;
  get(path: string): Promise<Response>;
  /** Posts a form (application/x-www-form-urlencoded). */
  post(path: string, form: Record<string, string | string[]>): Promise<Response>;
  cookies: Map<string, string>;
}

export async function webWorld(
  options: { configure?: (config: KoscheiConfig) => void } = {},
): Promise<WebWorld> {
  const home = mkdtempSync(join(tmpdir(), "koschei-web-"));
  const config = loadConfig("frontend", { HOME: home, KOSCHEI_CONFIG_DIR: home });
  config.flask.SECRET_KEY = TEST_SECRET;
  // The tests play the reverse proxy that authenticated the user (loginAs).
  config.frontend.auth.trusted_proxies = ["127.0.0.1"];
  // Tests change the database between requests and look at the result at once; the page
  // cache's own tests turn it on.
  config.frontend.anonymous_page_cache = 0;
  options.configure?.(config);
  const fresh = await freshDatabase();
  const app = await createFrontend({ database: fresh.database, config, logger: silentLogger });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    fresh,
    db: fresh.database.db,
    config,
    app,
    baseUrl: address,
    client: () => webClient(address),
    async close() {
      await app.close();
      await fresh.drop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export function webClient(baseUrl: string): WebClient {
  const cookies = new Map<string, string>();
  const request = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (cookies.size > 0) {
      headers.set("cookie", [...cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    }
    const response = await fetch(new URL(path, baseUrl), {
      ...init,
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
    return response;
  };
  return {
    cookies,
    request,
    get: (path) => request(path),
    post: (path, form) => {
      const body = new URLSearchParams();
      for (const [key, value] of Object.entries(form)) {
        for (const item of Array.isArray(value) ? value : [value]) body.append(key, item);
      }
      return request(path, {
        method: "POST",
        body,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
    },
  };
}

/** Inserts a collection with sensible defaults; returns its id. */
export async function insertCollection(
  db: WebWorld["db"],
  name: string,
  values: { display_name?: string; order?: number; latest_repo_resolved?: boolean | null } = {},
): Promise<number> {
  const { id } = await db
    .insertInto("collection")
    .values({
      name,
      display_name: values.display_name ?? `Fedora ${name}`,
      target: name,
      dest_tag: name,
      build_tag: `${name}-build`,
      order: values.order ?? 0,
      latest_repo_resolved: values.latest_repo_resolved ?? null,
      latest_repo_id: values.latest_repo_resolved == null ? null : 1,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * Logs the client in as `name` the way a production reverse proxy does (the identity header on
 * /login); `admin` sets the user's admin flag in the database first.
 */
export async function loginAs(
  world: WebWorld,
  client: WebClient,
  name: string,
  options: { admin?: boolean } = {},
): Promise<void> {
  await world.db
    .insertInto("user")
    .values({ name, admin: options.admin ?? false })
    .onConflict((conflict) =>
      conflict.column("name").doUpdateSet({ admin: options.admin ?? false }),
    )
    .execute();
  const response = await client.request("/login", {
    headers: { [world.config.frontend.auth.user_header]: name },
  });
  if (response.status !== 302) throw new Error(`login as ${name} answered ${response.status}`);
}
