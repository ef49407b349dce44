import assert from "node:assert/strict";
import { createServer } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../src/config/index.js";
import { oidcSettings, userNameFromClaims } from "../../src/frontend/oidc.js";
import { testProvider, type TestProvider } from "./oidc-support.js";
import {
  insertCollection,
  webClient,
  webWorld,
  type WebClient,
  type WebWorld,
} from "./web-world.js";

/**
 * Follows the provider's redirects from the authorization URL, signing in as `account` (or
 * denying) on its sign-in page, until it sends the browser back to Koschei; returns that URL.
 */
async function throughProvider(
  provider: TestProvider,
  authorizationUrl: string,
  account: string | "deny",
): Promise<string> {
  const browser = webClient(provider.issuer);
  let url = authorizationUrl;
  for (let step = 0; step < 10; step++) {
    if (!url.startsWith(provider.issuer)) return url;
    let response = await browser.get(url);
    if (response.status === 200) {
      const form: Record<string, string> =
        account === "deny" ? { deny: "1" } : { login: account, signin: "1" };
      response = await browser.post(url, form);
    }
    const location = response.headers.get("location");
    assert.ok(location, `the provider answered ${response.status} at ${url}`);
    url = new URL(location, url).href;
  }
  throw new Error("the provider never sent the browser back");
}

async function startLogin(client: WebClient, next = "/collections"): Promise<string> {
  const response = await client.get(`/login?next=${encodeURIComponent(next)}`);
  assert.equal(response.status, 302);
  return response.headers.get("location") ?? "";
}

describe("OpenID Connect login against a local provider", () => {
  let world: WebWorld;
  let provider: TestProvider;
  before(async () => {
    provider = await testProvider();
    world = await webWorld({ configure: (config) => provider.configure(config) });
    provider.start(world.baseUrl);
    await insertCollection(world.db, "f29");
  });
  after(async () => {
    await world.close();
    await provider.close();
  });

  it("sends the browser to the provider with PKCE, state and nonce", async () => {
    const location = new URL(await startLogin(world.client()));
    assert.equal(location.origin, provider.issuer);
    const query = location.searchParams;
    assert.equal(query.get("client_id"), "koschei-test");
    assert.equal(query.get("response_type"), "code");
    assert.equal(query.get("scope"), "openid profile");
    assert.equal(query.get("code_challenge_method"), "S256");
    assert.equal(query.get("redirect_uri"), `${world.baseUrl}/login/oidc/callback`);
    for (const key of ["state", "nonce", "code_challenge"]) assert.ok(query.get(key), key);
  });

  it("leaves the login to a trusted proxy's identity header when there is one", async () => {
    const response = await world
      .client()
      .request("/login?next=%2Fcollections", { headers: { "X-Remote-User": "proxied" } });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "/collections");
  });

  it("logs in through the provider, creating the user on first login", async () => {
    const client = world.client();
    const callback = await throughProvider(provider, await startLogin(client), "alice");
    assert.ok(callback.startsWith(`${world.baseUrl}/login/oidc/callback?`), callback);
    const response = await client.get(callback);
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "/collections");
    const page = await (await client.get("/collections")).text();
    assert.ok(page.includes("New user &quot;alice&quot; was registered."));
    assert.ok(
      page.includes("Logged in as user &quot;alice&quot; with identity &quot;alice&quot;."),
    );
    assert.ok(page.includes("<summary>alice</summary>"));
    const user = await world.db
      .selectFrom("user")
      .selectAll()
      .where("name", "=", "alice")
      .executeTakeFirstOrThrow();
    assert.equal(user.admin, false);

    // The same answer a second time finds no login in progress.
    const replay = await client.get(callback);
    assert.equal(replay.status, 400);
    assert.match(await replay.text(), /No login is in progress/);
  });

  it("takes the admin flag from the database", async () => {
    await world.db.insertInto("user").values({ name: "root-user", admin: true }).execute();
    const client = world.client();
    await client.get(await throughProvider(provider, await startLogin(client), "root-user"));
    const page = await (await client.get("/collections")).text();
    assert.ok(page.includes("You have admin privileges."));
    assert.ok(!page.includes("was registered"));
  });

  it("refuses an answer whose state is not the pending login's", async () => {
    const client = world.client();
    const callback = new URL(await throughProvider(provider, await startLogin(client), "eve"));
    callback.searchParams.set("state", "forged");
    const response = await client.get(callback.href);
    assert.equal(response.status, 400);
    const html = await response.text();
    assert.match(html, /does not belong to the login started here/);
    assert.ok(!html.includes("    at "), "no stack trace");
    assert.equal(
      await world.db.selectFrom("user").select("id").where("name", "=", "eve").executeTakeFirst(),
      undefined,
    );
  });

  it("refuses an answer in a browser that started no login", async () => {
    const response = await world.client().get("/login/oidc/callback?code=abc&state=xyz");
    assert.equal(response.status, 400);
    assert.match(await response.text(), /No login is in progress/);
  });

  it("says so when the user denies the login at the provider", async () => {
    const client = world.client();
    const callback = await throughProvider(provider, await startLogin(client), "deny");
    const response = await client.get(callback);
    assert.equal(response.status, 403);
    assert.match(await response.text(), /refused the login \(access_denied/);
    assert.ok((await (await client.get("/collections")).text()).includes("Log in"));
  });

  it("refuses a forged authorization code", async () => {
    const client = world.client();
    const callback = new URL(await throughProvider(provider, await startLogin(client), "eve"));
    callback.searchParams.set("code", "forged-code");
    const response = await client.get(callback.href);
    assert.equal(response.status, 400);
    assert.match(await response.text(), /could not be accepted \(invalid_grant\)/);
  });
});

describe("OpenID Connect login with the provider down", () => {
  let world: WebWorld;
  const silent = createServer(() => {}); // accepts connections, never answers
  let silentIssuer = "";
  before(async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const port = (probe.address() as { port: number }).port;
        probe.close(() => resolve(port));
      });
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const silentPort = (silent.address() as { port: number }).port;
    world = await webWorld({
      configure: (config) =>
        Object.assign(config.frontend.auth.oidc, {
          issuer: `http://127.0.0.1:${closedPort}`,
          client_id: "koschei-test",
          timeout: 1,
        }),
    });
    await insertCollection(world.db, "f29");
    // The second case points the same world at a provider that never answers.
    silentIssuer = `http://127.0.0.1:${silentPort}`;
  });
  after(async () => {
    await world.close();
    silent.close();
  });

  it("answers 503 with a clear message when nothing listens", async () => {
    const response = await world.client().get("/login");
    assert.equal(response.status, 503);
    const html = await response.text();
    assert.match(html, /The login provider at http:\/\/127\.0\.0\.1:\d+\/ is not answering/);
    assert.ok(!html.includes("    at "), "no stack trace");
  });

  it("gives up after the configured timeout when the provider does not answer", async () => {
    const quiet = await webWorld({
      configure: (config) =>
        Object.assign(config.frontend.auth.oidc, {
          issuer: silentIssuer,
          client_id: "koschei-test",
          timeout: 1,
        }),
    });
    try {
      await insertCollection(quiet.db, "f29");
      const started = Date.now();
      const response = await quiet.client().get("/login");
      assert.equal(response.status, 503);
      assert.ok(Date.now() - started < 5000, "the discovery timeout applies");
    } finally {
      await quiet.close();
    }
  });
});

describe("OpenID Connect login when the provider goes down mid-login", () => {
  let world: WebWorld;
  let provider: TestProvider;
  before(async () => {
    provider = await testProvider();
    world = await webWorld({ configure: (config) => provider.configure(config) });
    provider.start(world.baseUrl);
    await insertCollection(world.db, "f29");
  });
  after(() => world.close());

  it("answers 503 when the token endpoint cannot be reached", async () => {
    const client = world.client();
    const callback = await throughProvider(provider, await startLogin(client), "alice");
    await provider.close();
    const response = await client.get(callback);
    assert.equal(response.status, 503);
    assert.match(await response.text(), /is not answering; try again later/);
  });
});

describe("OpenID Connect settings", () => {
  const home = mkdtempSync(join(tmpdir(), "koschei-oidc-"));
  const config = () => loadConfig("frontend", { HOME: home, KOSCHEI_CONFIG_DIR: home });

  it("are off without an issuer", () => {
    assert.equal(oidcSettings(config()), undefined);
  });

  it("refuse a half or unsafe configuration", () => {
    const c = config();
    c.frontend.auth.oidc.issuer = "https://id.example.org/openidc/";
    assert.throws(() => oidcSettings(c), /client_id is not set/);
    c.frontend.auth.oidc.client_id = "koschei";
    c.frontend.auth.oidc.issuer = "http://id.example.org/";
    assert.throws(() => oidcSettings(c), /issuer must be an https:\/\/ URL/);
    c.frontend.auth.oidc.issuer = "https://id.example.org/";
    c.frontend.auth.oidc.scopes = ["profile"];
    assert.throws(() => oidcSettings(c), /scopes must include openid/);
  });

  it("derive the callback from the external URL unless one is given", () => {
    const c = config();
    Object.assign(c.frontend.auth.oidc, { issuer: "https://id.example.org/", client_id: "k" });
    assert.equal(oidcSettings(c)?.redirectUrl, undefined);
    c.frontend.external_url = "https://koschei.example.org/";
    assert.equal(oidcSettings(c)?.redirectUrl, "https://koschei.example.org/login/oidc/callback");
    c.frontend.auth.oidc.redirect_url = "https://other.example.org/cb";
    assert.equal(oidcSettings(c)?.redirectUrl, "https://other.example.org/cb");
    assert.equal(oidcSettings(c)?.allowHttp, false);
  });

  it("take the user name from the configured claim, if it is a valid name", () => {
    assert.equal(userNameFromClaims({ nickname: "msimacek" }, "nickname"), "msimacek");
    assert.throws(() => userNameFromClaims({ sub: "1" }, "nickname"), /no "nickname" claim/);
    assert.throws(
      () => userNameFromClaims({ nickname: "a b" }, "nickname"),
      /not a valid Koschei user name/,
    );
  });
});
