// OpenID Connect login (spec 10 §1 delegates logins; issue #12 asks for OIDC itself): the
// authorization code flow with PKCE, state and nonce, for Fedora Accounts or any provider.
// The provider's metadata is discovered on the first login (with a timeout) and kept; the
// login in progress waits in the signed session until the provider sends the browser back.
// Whatever goes wrong at the provider becomes a page that says so (400/403/503), never a 500.
import type { FastifyBaseLogger, FastifyRequest } from "fastify";
import * as client from "openid-client";
import type { KoscheiConfig, OidcConfig } from "../config/index.js";
import { HttpError, badRequest, forbidden } from "./errors.js";
import type { PendingLogin } from "./session.js";
import { isUserName } from "./user-name.js";

export const OIDC_CALLBACK_PATH = "/login/oidc/callback";

/** The checked OIDC settings, or undefined when no issuer is configured. */
export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string | undefined;
  /** Fixed callback URL, or undefined to derive it from each request's host. */
  redirectUrl: string | undefined;
  scopes: string[];
  usernameClaim: string;
  timeoutSeconds: number;
  /** Plain HTTP is allowed only for a provider on this machine (tests, development). */
  allowHttp: boolean;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** Reads `frontend.auth.oidc`; a half-configured provider stops the frontend at start-up. */
export function oidcSettings(config: KoscheiConfig): OidcSettings | undefined {
  const oidc: OidcConfig = config.frontend.auth.oidc;
  if (oidc.issuer == null || oidc.issuer === "") return undefined;
  const problem = (text: string) => new Error(`frontend.auth.oidc: ${text}`);
  let issuer: URL;
  try {
    issuer = new URL(oidc.issuer);
  } catch {
    throw problem(`issuer '${oidc.issuer}' is not a URL`);
  }
  const allowHttp = issuer.protocol === "http:" && LOOPBACK_HOSTS.has(issuer.hostname);
  if (issuer.protocol !== "https:" && !allowHttp) {
    throw problem("issuer must be an https:// URL (http:// only for a provider on this machine)");
  }
  if (oidc.client_id == null || oidc.client_id === "") throw problem("client_id is not set");
  if (!oidc.scopes.includes("openid")) throw problem("scopes must include openid");
  const external = config.frontend.external_url;
  const redirectUrl =
    oidc.redirect_url ||
    (external ? `${external.replace(/\/+$/, "")}${OIDC_CALLBACK_PATH}` : undefined);
  return {
    issuer,
    clientId: oidc.client_id,
    clientSecret: oidc.client_secret || undefined,
    redirectUrl,
    scopes: oidc.scopes,
    usernameClaim: oidc.username_claim,
    timeoutSeconds: oidc.timeout,
    allowHttp,
  };
}

/** The user name in the provider's claims, or a 403 saying why there is none. */
export function userNameFromClaims(claims: Record<string, unknown>, claim: string): string {
  const value = claims[claim];
  if (typeof value !== "string" || value === "") {
    throw forbidden(`The login provider did not tell this user's name (no "${claim}" claim).`);
  }
  if (!isUserName(value)) {
    throw forbidden(`The login provider's user name "${value}" is not a valid Koschei user name.`);
  }
  return value;
}

/** A failure that is the network's or the provider's, not the user's. */
function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "TimeoutError" || error.name === "AbortError") return true;
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isUnavailable(cause);
}

export interface OidcLogin {
  /** Records a pending login in the session; returns the provider's authorization URL. */
  start(request: FastifyRequest, next: string): Promise<string>;
  /** Checks the provider's answer at the callback; returns who logged in and where to go. */
  finish(request: FastifyRequest): Promise<{ name: string; identity: string; next: string }>;
}

export function createOidcLogin(settings: OidcSettings, log: FastifyBaseLogger): OidcLogin {
  let discovered: Promise<client.Configuration> | undefined;
  const providerDown = (error: unknown): HttpError => {
    log.warn({ err: error, issuer: settings.issuer.href }, "OpenID Connect provider unavailable");
    return new HttpError(
      503,
      `The login provider at ${settings.issuer.href} is not answering; try again later.`,
    );
  };

  /** The provider's metadata, discovered once; a failed discovery is retried next time. */
  const configuration = async (): Promise<client.Configuration> => {
    discovered ??= client.discovery(
      settings.issuer,
      settings.clientId,
      undefined,
      settings.clientSecret === undefined
        ? client.None()
        : client.ClientSecretPost(settings.clientSecret),
      {
        timeout: settings.timeoutSeconds,
        execute: settings.allowHttp ? [client.allowInsecureRequests] : [],
      },
    );
    try {
      return await discovered;
    } catch (error) {
      discovered = undefined;
      throw providerDown(error);
    }
  };

  const redirectUrl = (request: FastifyRequest): string =>
    settings.redirectUrl ?? `${request.protocol}://${request.host}${OIDC_CALLBACK_PATH}`;

  return {
    async start(request, next) {
      const config = await configuration();
      const pending: PendingLogin = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
        next,
      };
      request.koschei.session.set("login", pending);
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUrl(request),
        scope: settings.scopes.join(" "),
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: "S256",
      });
      return url.href;
    },

    async finish(request) {
      const session = request.koschei.session;
      const pending = session.get("login");
      // One answer per login: a replayed or late callback finds nothing to finish.
      session.set("login", undefined);
      const query = new URL(request.url, "http://callback.invalid").searchParams;
      if (pending === undefined) {
        throw badRequest("No login is in progress in this browser; log in again.");
      }
      if (query.get("state") !== pending.state) {
        throw badRequest(
          "This login answer does not belong to the login started here; log in again.",
        );
      }
      const error = query.get("error");
      if (error !== null) {
        const description = query.get("error_description");
        const text = `The login provider refused the login (${error}${description ? `: ${description}` : ""}).`;
        throw error === "access_denied" ? forbidden(text) : badRequest(text);
      }
      const config = await configuration();
      const callbackUrl = new URL(redirectUrl(request));
      callbackUrl.search = query.toString();
      let claims: Record<string, unknown>;
      try {
        const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        const idToken = tokens.claims();
        if (idToken === undefined) throw new Error("the token answer has no ID token");
        claims = idToken;
        // Providers may keep profile claims out of the ID token; userinfo has them.
        if (!(settings.usernameClaim in idToken) && config.serverMetadata().userinfo_endpoint) {
          const userInfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
          claims = { ...idToken, ...userInfo };
        }
      } catch (error) {
        if (isUnavailable(error)) throw providerDown(error);
        log.warn({ err: error }, "OpenID Connect login answer refused");
        const reason = error instanceof client.ResponseBodyError ? ` (${error.error})` : "";
        throw badRequest(
          `The login provider's answer could not be accepted${reason}; log in again.`,
        );
      }
      const name = userNameFromClaims(claims, settings.usernameClaim);
      return { name, identity: name, next: pending.next };
    },
  };
}
