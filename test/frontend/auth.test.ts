import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { safeNext } from "../../src/frontend/auth.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { insertCollection, loginAs, webWorld, type WebClient, type WebWorld } from "./web-world.js";

/** The CSRF token of the first form on a page. */
async function csrfTokenOf(client: WebClient, path: string): Promise<string> {
  const html = await (await client.get(path)).text();
  const token = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(token, `no CSRF token on ${path}`);
  return token;
}

describe("login through a trusted reverse proxy", () => {
  let world: WebWorld;
  before(async () => {
    world = await webWorld();
    await insertCollection(world.db, "f29");
  });
  after(() => world.close());

  it("creates the user on first login, remembers it in the session and flashes the spec's texts", async () => {
    const client = world.client();
    const response = await client.request("/login?next=%2Fcollections", {
      headers: { "X-Remote-User": "alice" },
    });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "/collections");
    const cookie = response.headers.getSetCookie()[0] ?? "";
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
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
      .executeTakeFirst();
    assert.equal(user?.admin, false);
  });

  it("tells admins they are admins, and logs out", async () => {
    const client = world.client();
    await loginAs(world, client, "root-user", { admin: true });
    assert.ok(
      (await (await client.get("/collections")).text()).includes("You have admin privileges."),
    );
    assert.equal((await client.get("/logout")).status, 302);
    const page = await (await client.get("/collections")).text();
    assert.ok(page.includes("Successfully logged out."));
    assert.ok(page.includes("Log in"));
    assert.equal((await client.get("/logout")).status, 302);
    assert.ok(
      (await (await client.get("/collections")).text()).includes("You were not logged in."),
    );
  });

  it("ignores a tampered session cookie", async () => {
    const client = world.client();
    await loginAs(world, client, "bob");
    const [name, value] = [...client.cookies][0]!;
    client.cookies.set(name, value.replace("bob", "admin"));
    const page = await (await client.get("/collections")).text();
    assert.ok(page.includes("Log in"));
    assert.ok(!page.includes("<summary>"));
  });

  it("needs the header; without it no login method answers (501)", async () => {
    const response = await world.client().get("/login");
    assert.equal(response.status, 501);
  });

  it("refuses identities that name no acceptable user (too long, odd characters)", async () => {
    for (const identity of ["u".repeat(256), "bob smith", "<script>"]) {
      const response = await world
        .client()
        .request("/login", { headers: { "X-Remote-User": identity } });
      assert.equal(response.status, 403, identity);
    }
    const names = await world.db
      .selectFrom("user")
      .select("name")
      .where("name", "like", "u%")
      .execute();
    assert.deepEqual(names, []);
  });

  it("returns only to local paths after login", () => {
    assert.equal(safeNext("/package/rnv?collection=f29"), "/package/rnv?collection=f29");
    for (const hostile of [
      "https://evil.example/",
      "//evil.example/",
      "/\\evil.example",
      undefined,
    ]) {
      assert.equal(safeNext(hostile), "/");
    }
  });
});

describe("login header from an untrusted address", () => {
  let world: WebWorld;
  before(async () => {
    world = await webWorld({ configure: (config) => (config.frontend.auth.trusted_proxies = []) });
    await insertCollection(world.db, "f29");
  });
  after(() => world.close());

  it("is ignored", async () => {
    const response = await world
      .client()
      .request("/login", { headers: { "X-Remote-User": "mallory" } });
    assert.equal(response.status, 501);
    assert.equal((await world.db.selectFrom("user").selectAll().execute()).length, 0);
  });
});

describe("demo login (frontend.auth.demo_login)", () => {
  let world: WebWorld;
  before(async () => {
    world = await webWorld({ configure: (config) => (config.frontend.auth.demo_login = true) });
    await insertCollection(world.db, "f29");
  });
  after(() => world.close());

  it("shows a user name form and logs in whoever is typed, not as an admin", async () => {
    const client = world.client();
    const form = await client.get("/login?next=%2Fcollections");
    assert.equal(form.status, 200);
    const html = await form.text();
    assert.ok(html.includes('name="username"'));
    assert.ok(html.includes('<input type="hidden" name="next" value="/collections"/>'));
    const csrf_token = await csrfTokenOf(client, "/login");
    const response = await client.post("/login", {
      csrf_token,
      username: "dana",
      next: "/collections",
    });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "/collections");
    const page = await (await client.get("/collections")).text();
    assert.ok(page.includes("Logged in as user &quot;dana&quot; with identity &quot;dana&quot;."));
    const user = await world.db
      .selectFrom("user")
      .selectAll()
      .where("name", "=", "dana")
      .executeTakeFirstOrThrow();
    assert.equal(user.admin, false);
  });

  it("needs the CSRF token and a valid user name", async () => {
    const client = world.client();
    const missing = await client.post("/login", { username: "mallory" });
    assert.equal(missing.status, 400);
    assert.match(await missing.text(), /The CSRF token is missing\./);
    const csrf_token = await csrfTokenOf(client, "/login");
    const invalid = await client.post("/login", { csrf_token, username: "<script>" });
    assert.equal(invalid.status, 400);
    assert.match(await invalid.text(), /A user name is letters, digits/);
    assert.equal((await world.db.selectFrom("user").selectAll().execute()).length, 1);
  });
});

describe("bypass_login (development only)", () => {
  let world: WebWorld;
  before(async () => {
    world = await webWorld({ configure: (config) => (config.bypass_login = "developer") });
    await insertCollection(world.db, "f29");
  });
  after(() => world.close());

  it("logs everybody in as that user, created as an admin, with identity none", async () => {
    const client = world.client();
    const response = await client.get("/login?next=%2Fcollections");
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "/collections");
    const page = await (await client.get("/collections")).text();
    assert.ok(page.includes("New user &quot;developer&quot; was registered."));
    assert.ok(
      page.includes("Logged in as user &quot;developer&quot; with identity &quot;none&quot;."),
    );
    assert.ok(page.includes("You have admin privileges."));
  });
});

/** A TCP port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const port = (probe.address() as { port: number }).port;
      probe.close(() => resolve(port));
    });
  });
}

/** `./bin/koschei frontend` with a config directory holding `config-frontend.yaml`. */
function runFrontend(configYaml: string, listen: string) {
  const dir = mkdtempSync(join(tmpdir(), "koschei-frontend-cmd-"));
  writeFileSync(join(dir, "config-frontend.yaml"), configYaml);
  const child = spawn("./bin/koschei", ["frontend", "--listen", listen], {
    env: { PATH: process.env.PATH, HOME: dir, KOSCHEI_CONFIG_DIR: dir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return {
    child,
    exited,
    output: () => output,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

describe("koschei frontend and its secret", () => {
  let fresh: FreshDatabase;
  before(async () => {
    fresh = await freshDatabase();
    await insertCollection(fresh.database.db, "f29");
  });
  after(() => fresh.drop());

  it("refuses to start with the built-in placeholder secret", async () => {
    const run = runFrontend(`db_url: "${fresh.url}"\n`, `127.0.0.1:${await freePort()}`);
    try {
      assert.notEqual(await run.exited, 0);
      assert.match(run.output(), /flask\.SECRET_KEY is the built-in placeholder/);
    } finally {
      run.cleanup();
    }
  });

  it("starts with a secret of its own, serves /collections and stops on SIGTERM", async () => {
    const port = await freePort();
    const run = runFrontend(
      `db_url: "${fresh.url}"\nflask:\n  SECRET_KEY: "a-long-random-secret-for-this-test-only"\n`,
      `127.0.0.1:${port}`,
    );
    try {
      let response: Response | undefined;
      for (let attempt = 0; attempt < 100 && response === undefined; attempt++) {
        response = await fetch(`http://127.0.0.1:${port}/collections`).catch(async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return undefined;
        });
      }
      assert.equal(response?.status, 200, run.output());
      assert.match(await response.text(), /Fedora f29/);
      run.child.kill("SIGTERM");
      assert.equal(await run.exited, 0);
    } finally {
      run.child.kill("SIGKILL");
      run.cleanup();
    }
  });
});
