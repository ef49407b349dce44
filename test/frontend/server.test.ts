import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { insertCollection, webWorld, type WebWorld } from "./web-world.js";

describe("frontend server", () => {
  let world: WebWorld;
  before(async () => {
    world = await webWorld();
    await insertCollection(world.db, "f29", { display_name: "Fedora 29", order: 1 });
    const broken = await insertCollection(world.db, "f30", {
      display_name: "Fedora <30>",
      latest_repo_resolved: false,
    });
    await world.db
      .insertInto("buildroot_problem")
      .values({ collection_id: broken, problem: "nothing provides <gcc>" })
      .execute();
    await world.db
      .insertInto("admin_notice")
      .values({
        key: "global_notice",
        content: "Outage <b>tonight</b>, see [the plan](https://example.org/plan?a=1&b=2)",
      })
      .execute();
  });
  after(() => world.close());

  it("renders a page with escaped notice, notice links and buildroot warnings", async () => {
    const response = await world.client().get("/collections");
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html; charset=utf-8/);
    const html = await response.text();
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.ok(html.includes("Outage &lt;b>tonight&lt;/b>"), "the notice is escaped");
    assert.ok(
      html.includes(
        '<a href="https://example.org/plan?a=1&amp;b=2" rel="noopener noreferrer">the plan</a>',
      ),
    );
    assert.ok(html.includes("Base buildroot for Fedora &lt;30> is not installable."));
    assert.ok(html.includes("<li>nothing provides &lt;gcc></li>"));
    const table = html.slice(html.indexOf("<table"));
    assert.ok(table.indexOf("Fedora 29") < table.indexOf("Fedora &lt;30>"), "by order descending");
  });

  it("answers security headers on every page", async () => {
    const response = await world.client().get("/collections");
    assert.match(response.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("x-frame-options"), "DENY");
  });

  it("refuses an unknown collection parameter with 404, also on pages that ignore it", async () => {
    const response = await world.client().get("/collections?collection=f29,nope");
    assert.equal(response.status, 404);
    assert.match(await response.text(), /Collection not found/);
  });

  it("answers unknown pages with a 404 page", async () => {
    const response = await world.client().get("/no/such/page");
    assert.equal(response.status, 404);
    assert.match(await response.text(), /404 Not found/);
  });

  it("serves PatternFly and its own CSS locally, but not the rest of the package", async () => {
    const client = world.client();
    const css = await client.get("/static/patternfly/patternfly.min.css");
    assert.equal(css.status, 200);
    assert.match(css.headers.get("content-type") ?? "", /text\/css/);
    assert.equal((await client.get("/static/koschei.css")).status, 200);
    assert.equal((await client.get("/static/patternfly/package.json")).status, 404);
    const robots = await client.get("/robots.txt");
    assert.match(await robots.text(), /Disallow: \/login/);
  });
});

describe("flash messages", () => {
  let world: WebWorld;
  before(async () => {
    world = await webWorld();
    await insertCollection(world.db, "f29");
  });
  after(() => world.close());

  it("stay small enough for the session cookie, so that a long one does not end the login", async () => {
    const client = world.client();
    const name = "u".repeat(255);
    const login = await client.request("/login", { headers: { "X-Remote-User": name } });
    assert.equal(login.status, 302);
    const cookie = login.headers.getSetCookie().find((line) => line.startsWith("session=")) ?? "";
    assert.ok(cookie.length < 4096, `cookie of ${cookie.length} bytes`);
    const page = await (await client.get("/collections")).text();
    assert.match(
      page,
      /Logged in as user &quot;u+&quot; with identity &quot;u+…<\/div>/,
      "the long flash is cut",
    );
    assert.ok(page.includes(`<summary>${name}</summary>`), "still logged in");
  });
});
