// The anonymous page cache (frontend.anonymous_page_cache): package lists and package pages
// rendered for visitors who are not logged in are served again for that many seconds; logged-in
// users, visitors with flashes, `Cache-Control: no-cache` and other pages always get a fresh one.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PageCache } from "../../src/frontend/page-cache.js";
import { insertPackage } from "./group-seed.js";
import { insertCollection, loginAs, webWorld, type WebWorld } from "./web-world.js";

describe("PageCache", () => {
  it("serves a page until it is older than the maximum age", () => {
    let now = 0;
    const cache = new PageCache(2000, () => now);
    cache.set("/packages", "<p>one</p>");
    now = 1999;
    assert.equal(cache.get("/packages"), "<p>one</p>");
    now = 2000;
    assert.equal(cache.get("/packages"), undefined);
    assert.equal(cache.get("/other"), undefined);
  });

  it("keeps nothing when disabled, and at most 500 pages", () => {
    const disabled = new PageCache(0);
    disabled.set("/", "x");
    assert.equal(disabled.enabled, false);
    assert.equal(disabled.get("/"), undefined);
    const cache = new PageCache(60_000);
    for (let i = 0; i < 501; i++) cache.set(`/package/p${i}`, String(i));
    assert.equal(cache.get("/package/p0"), undefined, "the oldest went first");
    assert.equal(cache.get("/package/p500"), "500");
  });
});

describe("anonymous pages over HTTP", () => {
  let world: WebWorld;
  let f29: number;
  before(async () => {
    world = await webWorld({
      configure: (config) => {
        config.frontend.anonymous_page_cache = 3600;
      },
    });
    f29 = await insertCollection(world.db, "f29");
    await insertPackage(world.db, f29, "rnv");
  });
  after(() => world.close());

  const page = async (path: string, headers: Record<string, string> = {}) => {
    const response = await world.client().request(path, { headers });
    assert.equal(response.status, 200, path);
    return response.text();
  };

  it("serves a list rendered for an anonymous visitor to the next one; logged-in users see changes", async () => {
    assert.ok((await page("/packages")).includes(">rnv<"));
    await insertPackage(world.db, f29, "eclipse");
    const anonymous = await page("/packages");
    assert.ok(!anonymous.includes("eclipse"), "the cached rendering");
    assert.ok(!anonymous.includes('name="csrf_token"'), "no visitor's token is shared");
    assert.ok((await page("/packages", { "cache-control": "no-cache" })).includes("eclipse"));
    const user = world.client();
    await loginAs(world, user, "jdoe");
    assert.ok((await (await user.get("/packages")).text()).includes("eclipse"));
  });

  it("caches a package's page per URL, and not the other pages", async () => {
    const before = await page("/package/rnv");
    await world.db.updateTable("package").set({ manual_priority: 4321 }).execute();
    assert.equal(await page("/package/rnv"), before);
    assert.notEqual(await page("/package/rnv?collection=f29"), before);
    await world.db
      .insertInto("admin_notice")
      .values({ key: "global_notice", content: "maintenance tonight" })
      .execute();
    assert.ok((await page("/collections")).includes("maintenance tonight"));
  });
});
