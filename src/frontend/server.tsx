// The web server (spec 08, 09, 10): Fastify with signed session cookies, form bodies, our static
// files and PatternFly's, security headers, the per-request state of request-state.ts, every
// route module, and error pages that never show a stack trace.
import { dirname } from "node:path";
import { createRequire } from "node:module";
import fastifyCookie from "@fastify/cookie";
import fastifyFormbody from "@fastify/formbody";
import fastifyStatic from "@fastify/static";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
} from "fastify";
import type { Logger } from "../log/logger.js";
import { LoginRequired, loginUrl, registerAuthRoutes } from "./auth.js";
import { HttpError } from "./errors.js";
import { ErrorPage, sendPage } from "./render.js";
import { loadRequestState, type FrontendDeps } from "./request-state.js";
import { loadPlugins } from "../plugins/registry.js";
import { routeModules } from "./routes/index.js";
import { CACHED_ROUTES, PageCache } from "./page-cache.js";
import { Session } from "./session.js";

const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
};

export interface FrontendOptions extends Omit<FrontendDeps, "extensions"> {
  logger: Logger;
}

function patternflyDirectory(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("@patternfly/patternfly/package.json"));
}

export async function createFrontend(options: FrontendOptions): Promise<FastifyInstance> {
  const { config, logger } = options;
  const plugins = await loadPlugins(config);
  const deps: FrontendDeps = {
    database: options.database,
    config,
    extensions: {
      userTabs: plugins.flatMap((plugin) => plugin.frontend?.userTabs ?? []),
      userPackageSources: plugins.flatMap((plugin) => plugin.frontend?.userPackageSources ?? []),
      documentation: plugins.flatMap((plugin) => plugin.frontend?.documentation ?? []),
    },
  };
  const staticUrl = config.directories.static_url;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    routerOptions: { maxParamLength: 500 },
    return503OnClosing: true,
  });

  await app.register(fastifyCookie, { secret: config.flask.SECRET_KEY });
  await app.register(fastifyFormbody);
  await app.register(fastifyStatic, {
    root: config.directories.static_folder,
    prefix: `${staticUrl}/`,
    index: false,
  });
  await app.register(fastifyStatic, {
    root: patternflyDirectory(),
    prefix: `${staticUrl}/patternfly/`,
    decorateReply: false,
    index: false,
    allowedPath: (path) => path === "/patternfly.min.css" || path.startsWith("/assets/"),
  });
  app.get("/robots.txt", (_request, reply) => reply.sendFile("robots.txt"));
  app.get("/favicon.ico", (_request, reply) => reply.redirect(`${staticUrl}/favicon.svg`));

  app.addHook("onRequest", async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  const isStatic = (url: string) =>
    url.startsWith(`${staticUrl}/`) || url === "/robots.txt" || url === "/favicon.ico";
  const pageCache = new PageCache(config.frontend.anonymous_page_cache * 1000);
  /** Requests whose page, once rendered, may be served to other anonymous visitors. */
  const rendersSharedPage = new WeakSet<FastifyRequest>();
  /** An anonymous GET of a cached route, without flashes of its own and not asking for a fresh page. */
  const sharesPages = (request: FastifyRequest) =>
    pageCache.enabled &&
    request.method === "GET" &&
    CACHED_ROUTES.has(request.routeOptions.url ?? "") &&
    request.koschei.user === undefined &&
    !request.koschei.session.hasFlashes &&
    !/no-cache/.test(request.headers["cache-control"] ?? "");
  app.addHook("preHandler", async (request, reply) => {
    if (isStatic(request.url)) return;
    const session = Session.read(request);
    request.koschei = await loadRequestState(request, deps, session);
    if (!sharesPages(request)) return;
    const cached = pageCache.get(request.url);
    if (cached !== undefined) return reply.type("text/html; charset=utf-8").send(cached);
    rendersSharedPage.add(request);
  });
  app.addHook("onSend", async (request, reply, payload) => {
    request.koschei?.session.save(reply, request.protocol === "https");
    if (rendersSharedPage.has(request) && reply.statusCode === 200 && typeof payload === "string") {
      pageCache.set(request.url, payload);
    }
    return payload;
  });

  registerAuthRoutes(app, deps);
  for (const register of routeModules) register(app, deps);
  for (const plugin of plugins) {
    for (const register of plugin.frontend?.routes ?? []) register(app, deps);
  }

  app.setNotFoundHandler((request, reply) =>
    sendPage(
      reply,
      <ErrorPage statusCode={404} message={`No page at ${request.url}.`} staticUrl={staticUrl} />,
      404,
    ),
  );
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let statusCode = 500;
    let message = "Koschei failed to answer this request; the error is in its log.";
    if (error instanceof LoginRequired) return reply.redirect(loginUrl(request));
    if (error instanceof HttpError) {
      statusCode = error.statusCode;
      message = error.message;
    } else if (
      error.statusCode !== undefined &&
      error.statusCode >= 400 &&
      error.statusCode < 500
    ) {
      statusCode = error.statusCode;
      message = error.message;
    } else {
      request.log.error({ err: error, url: request.url }, "request failed");
    }
    return sendPage(
      reply,
      <ErrorPage statusCode={statusCode} message={message} staticUrl={staticUrl} />,
      statusCode,
    );
  });
  return app;
}

/** `HOST:PORT`, `[v6]:PORT` or `PORT`. */
export function parseListen(text: string): { host: string; port: number } {
  const match =
    /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d{1,5})$/.exec(text) ?? /^()()(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new Error(`--listen must be HOST:PORT or PORT, not '${text}'`);
  }
  return { host: match[1] || match[2] || "127.0.0.1", port };
}
