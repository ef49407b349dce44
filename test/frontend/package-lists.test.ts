// The package lists (spec 08 §3.5–3.9, §5.1–5.4, §5.14, §5.18; spec 12 W1 and the gaps of
// §9): front page, /packages in the collection and unified views, filters, sorting,
// pagination, search, collections, collection detail, stats and badges.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { insertCollection, webWorld, type WebWorld } from "./web-world.js";
import { clearPackages, seedBuild, seedGroup, seedPackage } from "./package-seed.js";

/** The HTML with runs of whitespace made single spaces (spec 12: W1 normalizes). */
async function pageText(response: Response): Promise<string> {
  return (await response.text()).replace(/\s+/g, " ");
}

/** Package names in the order the first package table lists them. */
function listedNames(html: string): string[] {
  const table = html.slice(html.indexOf("kk-package-table"), html.indexOf("</table>"));
  return [
    ...table.matchAll(
      /<td class="pf-v6-c-table__td" data-label="Name"><a href="[^"]*">([^<]+)<\/a>/g,
    ),
  ].map((match) => match[1]!);
}

describe("package lists: one empty collection", () => {
  let world: WebWorld;
  before(async () => {
    world = await webWorld();
    await insertCollection(world.db, "f25", {
      display_name: "Fedora Rawhide",
      latest_repo_resolved: true,
    });
  });
  after(() => world.close());

  it("W1: the front page of an empty collection", async () => {
    const response = await world.client().get("/");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    const html = await pageText(response);
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.ok(html.includes("Packages from 1 to 0 from total 0"), html);
    assert.ok(html.includes("Package summary"));
  });

  it("a page past the end, page 0 and a non-integer page are 404; page 1 is not", async () => {
    const client = world.client();
    assert.equal((await client.get("/packages?page=1")).status, 200);
    for (const page of ["2", "0", "-1", "x", "1.5"]) {
      assert.equal((await client.get(`/packages?page=${page}`)).status, 404, page);
    }
  });
});

describe("package lists: collection view", () => {
  let world: WebWorld;
  let f25: number;
  before(async () => {
    world = await webWorld();
    f25 = await insertCollection(world.db, "f25", {
      display_name: "Fedora Rawhide",
      latest_repo_resolved: true,
    });
  });
  after(() => world.close());
  beforeEach(() => clearPackages(world.db));

  it("lists tracked, non-blocked packages with state, running build, task, start and groups", async () => {
    const rnv = await seedPackage(world.db, "rnv", f25);
    await seedBuild(world.db, rnv, "complete", { taskId: 4242 });
    const fop = await seedPackage(world.db, "fop", f25);
    await seedBuild(world.db, fop, "failed");
    await seedBuild(world.db, fop, "running");
    await seedPackage(world.db, "xpp3", f25, { tracked: false });
    await seedPackage(world.db, "gone", f25, { blocked: true });
    await seedGroup(world.db, "java", ["rnv", "fop"]);
    const html = await pageText(await world.client().get("/packages"));
    assert.ok(html.includes("Packages from 1 to 2 from total 2"));
    // Default order running,state,name: fop has a running build.
    assert.deepEqual(listedNames(html), ["fop", "rnv"]);
    assert.ok(html.includes('href="/package/rnv?collection=f25"'));
    assert.ok(html.includes("taskinfo?taskID=4242"));
    assert.ok(html.includes('href="/groups/java?collection=f25"'));
    assert.ok(html.includes('alt="running"'));
    assert.ok(html.includes('alt="failing"'));
    assert.ok(html.includes('alt="ok"'));

    const all = await pageText(await world.client().get("/packages?untracked=1"));
    assert.deepEqual(
      listedNames(all),
      ["fop", "rnv", "xpp3"].sort((a, b) =>
        a === "fop" ? -1 : b === "fop" ? 1 : a.localeCompare(b),
      ),
    );
  });
});
