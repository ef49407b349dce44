import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { safeNext } from "../../src/frontend/auth.js";
import { insertCollection, loginAs, webWorld, type WebWorld } from "./web-world.js";

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
