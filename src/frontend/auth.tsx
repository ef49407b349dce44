// Who is logged in and what they may do (spec 10 §1, spec 08 §7): guards for the routes, and
// the logins — the development bypass, the demo's password-less form, a trusted reverse
// proxy's identity header, OpenID Connect — and logout. The session cookie remembers the user
// name; the admin flag always comes from the database.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { KoscheiConfig } from "../config/index.js";
import type { Database } from "../db/index.js";
import { csrfProblem, CSRF_FIELD } from "./csrf.js";
import { HttpError, forbidden } from "./errors.js";
import { DemoLoginPage } from "./login-page.js";
import { createOidcLogin, oidcSettings, OIDC_CALLBACK_PATH } from "./oidc.js";
import { pageContext } from "./page-context.js";
import { sendPage } from "./render.js";
import { firstQueryValue, type FrontendDeps, type User } from "./request-state.js";
import { isUserName } from "./user-name.js";

/** Raised by a route that needs a login: the error handler redirects to /login?next=…. */
export class LoginRequired extends Error {
  override name = "LoginRequired";
}

export function requireUser(request: FastifyRequest): User {
  const user = request.koschei.user;
  if (user === undefined) throw new LoginRequired();
  return user;
}

export function requireAdmin(request: FastifyRequest): User {
  const user = requireUser(request);
  if (!user.admin) throw forbidden("Only administrators may do this.");
  return user;
}

/** The spec's CSRF message for a submitted form, or undefined when its token is valid. */
export function formCsrfProblem(
  request: FastifyRequest,
  config: KoscheiConfig,
  form: Record<string, unknown>,
): string | undefined {
  const token = Object.hasOwn(form, CSRF_FIELD) ? form[CSRF_FIELD] : undefined;
  return csrfProblem(request.koschei.session, config.flask.SECRET_KEY, token);
}

/** `/login?next=<this request's URL>`: where a login-required page sends anonymous users. */
export function loginUrl(request: FastifyRequest): string {
  return `/login?next=${encodeURIComponent(request.url)}`;
}

/**
 * Only a local path is a safe place to return to after login: the original's open redirect
 * (spec 10 §1.3) would let a link send users anywhere.
 */
export function safeNext(next: string | undefined): string {
  if (next === undefined || !next.startsWith("/") || next.startsWith("//") || next.includes("\\")) {
    return "/";
  }
  return next;
}

/** The user name in an identity, by `frontend.auth.user_re` anchored at both ends. */
export function userNameFromIdentity(config: KoscheiConfig, identity: string): string | undefined {
  const match = new RegExp(`^(?:${config.frontend.auth.user_re})$`).exec(identity);
  const name = match?.[1];
  return name === undefined || !isUserName(name) ? undefined : name;
}

/** The user row of that name, created on first login (an admin only when `admin` says so). */
export async function findOrCreateUser(
  database: Database,
  name: string,
  options: { admin?: boolean } = {},
): Promise<{ user: User; created: boolean }> {
  const inserted = await database.db
    .insertInto("user")
    .values({ name, admin: options.admin ?? false })
    .onConflict((conflict) => conflict.column("name").doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { user: inserted, created: true };
  const user = await database.db
    .selectFrom("user")
    .selectAll()
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
  return { user, created: false };
}

/** Logs the request's session in as `name` with the spec's flash messages. */
export async function logIn(
  request: FastifyRequest,
  deps: FrontendDeps,
  name: string,
  identity: string,
  options: { adminIfNew?: boolean } = {},
): Promise<void> {
  const session = request.koschei.session;
  const { user, created } = await findOrCreateUser(deps.database, name, {
    admin: options.adminIfNew,
  });
  if (created) session.flash("info", `New user "${name}" was registered.`);
  session.set("user", user.name);
  session.flash("success", `Logged in as user "${user.name}" with identity "${identity}".`);
  if (user.admin) session.flash("info", "You have admin privileges.");
}

/** The identity a trusted reverse proxy passed in the configured header, if any. */
function proxyIdentity(request: FastifyRequest, config: KoscheiConfig): string | undefined {
  const auth = config.frontend.auth;
  if (!auth.trusted_proxies.includes(request.socket.remoteAddress ?? "")) return undefined;
  const value = request.headers[auth.user_header.toLowerCase()];
  const identity = Array.isArray(value) ? value[0] : value;
  return identity === undefined || identity === "" ? undefined : identity;
}

/** Where to go after login: `next` from the form or the query, if it is a local path. */
function requestedNext(request: FastifyRequest): string {
  const form = (request.body ?? {}) as Record<string, unknown>;
  const formNext = Object.hasOwn(form, "next") ? form.next : undefined;
  return safeNext(typeof formNext === "string" ? formNext : firstQueryValue(request, "next"));
}

/** The demo's form: GET shows it, POST logs in the typed name (after the CSRF check). */
async function demoLogin(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: FrontendDeps,
  next: string,
): Promise<FastifyReply> {
  const showForm = async (statusCode: number, problem?: string, userName?: string) =>
    sendPage(
      reply,
      <DemoLoginPage
        ctx={await pageContext(request, deps)}
        next={next}
        problem={problem}
        userName={userName}
      />,
      statusCode,
    );
  if (request.method !== "POST") return showForm(200);
  const form = (request.body ?? {}) as Record<string, unknown>;
  const submitted = Object.hasOwn(form, "username") ? form.username : undefined;
  const name = typeof submitted === "string" ? submitted.trim() : "";
  const csrf = formCsrfProblem(request, deps.config, form);
  if (csrf !== undefined) return showForm(400, csrf, name);
  if (!isUserName(name)) {
    return showForm(400, "A user name is letters, digits and . + _ - only.", name);
  }
  await logIn(request, deps, name, name);
  return reply.redirect(next);
}

export function registerAuthRoutes(app: FastifyInstance, deps: FrontendDeps): void {
  const { config } = deps;
  const settings = oidcSettings(config);
  const oidc = settings && createOidcLogin(settings, app.log);

  // The spec's order (10 §1.3) with the newer methods after the proxy header: the bypass
  // and demo logins exist only where their configuration turns them on.
  const login = async (request: FastifyRequest, reply: FastifyReply) => {
    const next = requestedNext(request);
    if (config.bypass_login) {
      await logIn(request, deps, config.bypass_login, "none", { adminIfNew: true });
      return reply.redirect(next);
    }
    if (config.frontend.auth.demo_login) return demoLogin(request, reply, deps, next);
    const identity = proxyIdentity(request, config);
    if (identity !== undefined) {
      const name = userNameFromIdentity(config, identity);
      if (name === undefined) throw forbidden(`The identity "${identity}" names no user here.`);
      await logIn(request, deps, name, identity);
      return reply.redirect(next);
    }
    if (oidc !== undefined) return reply.redirect(await oidc.start(request, next));
    throw new HttpError(501, "No login method is configured for this request.");
  };
  app.get("/login", login);
  app.post("/login", login);
  if (oidc !== undefined) {
    app.get(OIDC_CALLBACK_PATH, async (request, reply) => {
      const { name, identity, next } = await oidc.finish(request);
      await logIn(request, deps, name, identity);
      return reply.redirect(next);
    });
  }
  app.get("/logout", async (request, reply) => {
    const session = request.koschei.session;
    if (session.get("user") !== undefined) {
      session.set("user", undefined);
      session.flash("success", "Successfully logged out.");
    } else {
      session.flash("info", "You were not logged in.");
    }
    return reply.redirect("/");
  });
}
