// A real OpenID Connect provider (oidc-provider) for the login tests, on 127.0.0.1: one test
// client, any account name, and a minimal sign-in page of its own — a user name field with
// `Sign in` and `Deny` buttons — instead of the library's development pages. Consent is given
// without asking. Its port is taken before Koschei's world starts (which must know the issuer),
// the client after (it must know Koschei's callback URL).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";
import type { KoscheiConfig } from "../../src/config/index.js";

export const TEST_CLIENT_ID = "koschei-test";
export const TEST_CLIENT_SECRET = "koschei-test-client-secret-0123456789";

export interface TestProvider {
  issuer: string;
  /** Sets Koschei's `frontend.auth.oidc` to use this provider. */
  configure(config: KoscheiConfig): void;
  /** Registers the test client for a Koschei at `koscheiUrl` and starts answering. */
  start(koscheiUrl: string): void;
  close(): Promise<void>;
}

export async function testProvider(): Promise<TestProvider> {
  let handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  const server = createServer((request, response) => {
    if (handler) handler(request, response);
    else response.writeHead(503).end();
  });
  const issuer = `http://127.0.0.1:${await listen(server)}`;
  return {
    issuer,
    configure(config) {
      Object.assign(config.frontend.auth.oidc, {
        issuer,
        client_id: TEST_CLIENT_ID,
        client_secret: TEST_CLIENT_SECRET,
        scopes: ["openid", "profile"],
        username_claim: "nickname",
        timeout: 5,
      });
    },
    start(koscheiUrl) {
      handler = providerHandler(issuer, koscheiUrl);
    },
    close: () => closeServer(server),
  };
}

function providerHandler(
  issuer: string,
  koscheiUrl: string,
): (request: IncomingMessage, response: ServerResponse) => void {
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TEST_CLIENT_ID,
        client_secret: TEST_CLIENT_SECRET,
        redirect_uris: [new URL("/login/oidc/callback", koscheiUrl).href],
        token_endpoint_auth_method: "client_secret_post",
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    // Fedora Accounts gives the user name as `nickname`; by default it travels in userinfo,
    // not in the ID token, which exercises Koschei's userinfo fallback.
    claims: { openid: ["sub"], profile: ["nickname", "preferred_username", "name"] },
    findAccount: (_context: unknown, accountId: string) => ({
      accountId,
      claims: () => ({ sub: accountId, nickname: accountId, preferred_username: accountId }),
    }),
    interactions: {
      url: (_context: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ["test-provider-cookie-key"] },
    pkce: { required: () => true },
  });
  const providerCallback = provider.callback();
  return (request, response) => {
    if (!request.url?.startsWith("/interaction/")) return providerCallback(request, response);
    interaction(provider, request, response).catch((error: unknown) => {
      response.writeHead(500, { "content-type": "text/plain" }).end(String(error));
    });
  };
}

/** The sign-in page: GET shows it (or gives consent), POST signs in or denies. */
async function interaction(
  provider: Provider,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const details = await provider.interactionDetails(request, response);
  if (details.prompt.name === "consent") {
    const accountId = details.session?.accountId ?? "";
    const grant = new provider.Grant({ accountId, clientId: TEST_CLIENT_ID });
    grant.addOIDCScope(String(details.params.scope ?? "openid"));
    const grantId = await grant.save();
    return provider.interactionFinished(request, response, { consent: { grantId } });
  }
  if (request.method === "POST") {
    const form = new URLSearchParams(await readBody(request));
    if (form.has("deny")) {
      return provider.interactionFinished(
        request,
        response,
        { error: "access_denied", error_description: "The user denied the login." },
        { mergeWithLastSubmission: false },
      );
    }
    const accountId = form.get("login") ?? "";
    return provider.interactionFinished(request, response, { login: { accountId } });
  }
  response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test provider sign-in</title></head>
<body><h1>Test provider sign-in</h1>
<form method="post" action="/interaction/${details.uid}">
<label for="login">User name</label> <input id="login" name="login" required>
<button type="submit" name="signin" value="1">Sign in</button>
<button type="submit" name="deny" value="1" formnovalidate>Deny</button>
</form></body></html>`,
  );
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => resolve(body));
    request.on("error", reject);
  });
}

/** Listens on a free port of 127.0.0.1; returns the port. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
