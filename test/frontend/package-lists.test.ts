// The package lists (spec 08 §3.5–3.9, §5.1–5.4, §5.14, §5.18; spec 12 W1 and the gaps of
// §9): front page, /packages in the collection and unified views, filters, sorting,
// pagination, search, collections, collection detail, stats and badges.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { sql } from "kysely";
import { queryPackageList, type PackageFilter } from "../../src/frontend/package-query.js";
import { stateHistory } from "../../src/frontend/stats-query.js";
import { insertCollection, loginAs, webWorld, type WebWorld } from "./web-world.js";
import {
  clearPackages,
  seedBuild,
  seedGroup,
  seedPackage,
  seedResolutionChange,
} from "./package-seed.js";

/** The HTML with runs of whitespace made single spaces (spec 12: W1 normalizes). */
async function pageText(response: Response): Promise<string> {
  assert.equal(response.status, 200, `status of ${response.url}`);
  return (await response.text()).replace(/\s+/g, " ");
}

/** Package names in the order the package table lists them. */
function listedNames(html: string): string[] {
  const start = html.indexOf("kk-package-table");
  const table = html.slice(start, html.indexOf("</table>", start));
  return [...table.matchAll(/data-label="Name"><a href="[^"]*">([^<]+)<\/a>/g)].map(
    (match) => match[1]!,
  );
}

/** The href of the sortable header whose label is `label`, decoded. */
function headerLink(html: string, label: string): string {
  const match = new RegExp(`<a href="([^"]*)" title="[^"]*" class="kk-sort">${label}<`).exec(html);
  assert.ok(match, `no header ${label}`);
  return decodeURIComponent(match[1]!.replaceAll("&amp;", "&"));
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
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    const html = await pageText(response);
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.ok(html.includes("Packages from 1 to 0 from total 0"), html);
    assert.ok(html.includes("Package summary"));
    assert.ok(html.includes("<title>Koschei</title>"));
  });

  it("a page past the end, page 0 and a non-integer page are 404; page 1 is not", async () => {
    const client = world.client();
    assert.equal((await client.get("/packages?page=1")).status, 200);
    for (const page of ["2", "0", "-1", "x", "1.5", ""]) {
      const status = (await client.get(`/packages?page=${page}`)).status;
      assert.equal(status, 404, `page=${page}`);
    }
  });

  it("an unknown collection is 404; a search without a term goes to the front page", async () => {
    const client = world.client();
    assert.equal((await client.get("/packages?collection=nope")).status, 404);
    for (const path of ["/search", "/search?q="]) {
      const response = await client.get(path);
      assert.equal(response.status, 302);
      assert.equal(response.headers.get("location"), "/");
    }
  });
});

describe("package lists: collection view", () => {
  let world: WebWorld;
  let f25: number;
  before(async () => {
    world = await webWorld({
      configure: (config) => {
        config.frontend.packages_per_page = 3;
      },
    });
    f25 = await insertCollection(world.db, "f25", {
      display_name: "Fedora Rawhide",
      latest_repo_resolved: true,
    });
  });
  after(() => world.close());
  beforeEach(() => clearPackages(world.db));

  it("lists tracked, non-blocked packages with state, running build, task, start and groups", async () => {
    const rnv = await seedPackage(world.db, "rnv", f25);
    await seedBuild(world.db, rnv, "complete", {
      taskId: 4242,
      started: new Date("2026-03-04T05:06:07Z"),
    });
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
    assert.ok(html.includes('href="https://koji.fedoraproject.org/koji/taskinfo?taskID=4242"'));
    assert.ok(html.includes("2026-03-04 05:06:07"));
    assert.ok(html.includes('href="/groups/java?collection=f25">java</a>'));
    assert.ok(html.includes('alt="running"'));
    assert.ok(html.includes('alt="failing"'));
    assert.ok(html.includes('alt="ok"'));
    assert.ok(!html.includes("Show untracked"), "the package list has no toggle");

    const all = await pageText(await world.client().get("/packages?untracked=1"));
    assert.deepEqual(listedNames(all), ["fop", "rnv", "xpp3"]);
    assert.ok(all.includes('alt="untracked"'));
  });

  it("pages through the list, 404 past the end, keeping the other parameters", async () => {
    for (const name of ["a1", "a2", "a3", "a4", "a5"]) await seedPackage(world.db, name, f25);
    const client = world.client();
    const first = await pageText(await client.get("/packages?order_by=name"));
    assert.ok(first.includes("Packages from 1 to 3 from total 5"));
    assert.deepEqual(listedNames(first), ["a1", "a2", "a3"]);
    assert.ok(first.includes('href="/packages?order_by=name&amp;page=2"'));
    const second = await pageText(await client.get("/packages?order_by=name&page=2"));
    assert.ok(second.includes("Packages from 4 to 5 from total 5"));
    assert.deepEqual(listedNames(second), ["a4", "a5"]);
    assert.equal((await client.get("/packages?order_by=name&page=3")).status, 404);
    assert.equal(
      (await client.get("/packages?per_page=50&page=3")).status,
      404,
      "per_page ignored",
    );
  });

  it("sorts by every key of §3.8 and ignores unknown keys", async () => {
    const now = Date.now();
    const hour = 3_600_000;
    // ok, old build, high manual priority
    const alpha = await seedPackage(world.db, "alpha", f25, { manual_priority: 5000 });
    await seedBuild(world.db, alpha, "complete", {
      taskId: 30,
      started: new Date(now - 50 * hour),
    });
    // failing, recent build
    const beta = await seedPackage(world.db, "beta", f25);
    await seedBuild(world.db, beta, "failed", { taskId: 10, started: new Date(now - 2 * hour) });
    // unresolved, no build: not schedulable
    await seedPackage(world.db, "gamma", f25, { resolved: false });
    // running build
    const delta = await seedPackage(world.db, "delta", f25);
    await seedBuild(world.db, delta, "complete", { taskId: 5, started: new Date(now - 90 * hour) });
    await seedBuild(world.db, delta, "running", { taskId: 40, started: new Date(now - hour) });
    const order = async (orderBy: string) => {
      const html = await pageText(
        await world.client().get(`/packages?untracked=1&order_by=${orderBy}`),
      );
      const names = listedNames(html);
      // page size 3: read the second page too
      if (html.includes("from total 4")) {
        names.push(
          ...listedNames(
            await pageText(
              await world.client().get(`/packages?untracked=1&order_by=${orderBy}&page=2`),
            ),
          ),
        );
      }
      return names;
    };
    assert.deepEqual(await order("name"), ["alpha", "beta", "delta", "gamma"]);
    assert.deepEqual(await order("-name"), ["gamma", "delta", "beta", "alpha"]);
    // resolved false first, then true ordered by last build state descending
    // (NULL first, failed, complete, running).
    assert.deepEqual(await order("state,name"), ["gamma", "beta", "alpha", "delta"]);
    assert.deepEqual(await order("-state,name"), ["delta", "alpha", "beta", "gamma"]);
    // running builds first; packages without builds (NULL comparison) last
    assert.deepEqual(await order("running,name"), ["delta", "alpha", "beta", "gamma"]);
    assert.deepEqual(await order("task_id"), ["beta", "alpha", "delta", "gamma"]);
    assert.deepEqual(await order("-task_id"), ["gamma", "delta", "alpha", "beta"]);
    assert.deepEqual(await order("started"), ["alpha", "beta", "delta", "gamma"]);
    assert.deepEqual(await order("-started"), ["gamma", "delta", "beta", "alpha"]);
    // highest priority first, unschedulable (delta running, gamma unresolved) last
    assert.deepEqual(await order("current_priority,name"), ["alpha", "beta", "delta", "gamma"]);
    assert.deepEqual(await order("-current_priority,name"), ["beta", "alpha", "delta", "gamma"]);
    assert.deepEqual(await order("bogus,-name,nonsense"), ["gamma", "delta", "beta", "alpha"]);
    assert.equal((await world.client().get("/packages?order_by=bogus")).status, 200);

    const html = await pageText(await world.client().get("/packages?untracked=1&order_by=name"));
    const priorityCell = /data-label="Priority">(\d+)</.exec(html);
    assert.ok(priorityCell, "alpha has a priority");
    assert.ok(Number(priorityCell[1]) >= 5000 && Number(priorityCell[1]) < 6000);
    assert.ok(html.includes('data-label="Priority"></td>'), "blank when unschedulable");
  });

  it("header links reverse the primary key or put their column first, keeping the rest", async () => {
    await seedPackage(world.db, "rnv", f25);
    const plain = await pageText(await world.client().get("/packages"));
    assert.equal(headerLink(plain, "Name"), "/packages?order_by=name,running,state");
    assert.equal(headerLink(plain, "Running"), "/packages?order_by=-running,state,name");
    const byName = await pageText(await world.client().get("/packages?order_by=name&page=1"));
    assert.equal(headerLink(byName, "Name"), "/packages?order_by=-name");
    assert.ok(byName.includes("currently sorted in ascending order - click to reverse the order"));
    assert.ok(byName.includes("not a primary sorting order - click to sort in ascending order"));
    const reversed = await pageText(await world.client().get("/packages?order_by=-name,state"));
    assert.equal(headerLink(reversed, "Name"), "/packages?order_by=name,state");
    assert.ok(reversed.includes("currently sorted in descending order"));
  });

  it("shows the user's own groups besides global ones, only to that user", async () => {
    await seedPackage(world.db, "rnv", f25);
    await seedGroup(world.db, "tools", ["rnv"]);
    await seedGroup(world.db, "mine", ["rnv"], { namespace: "jdoe", owners: ["jdoe"] });
    await seedGroup(world.db, "theirs", ["rnv"], { namespace: "other", owners: ["other"] });
    const anonymous = await pageText(await world.client().get("/packages"));
    assert.ok(anonymous.includes(">tools</a>"));
    assert.ok(!anonymous.includes("jdoe/mine"));
    const client = world.client();
    await loginAs(world, client, "jdoe");
    const html = await pageText(await client.get("/packages"));
    assert.ok(html.indexOf(">jdoe/mine</a>") < html.indexOf(">tools</a>"), "namespaced first");
    assert.ok(html.includes('href="/groups/jdoe/mine?collection=f25"'));
    assert.ok(!html.includes("other/theirs"));
  });
});

describe("package lists: unified view and search", () => {
  let world: WebWorld;
  let f25: number;
  let f26: number;
  before(async () => {
    world = await webWorld();
    f26 = await insertCollection(world.db, "f26", {
      display_name: "Fedora 26",
      order: 2,
      latest_repo_resolved: true,
    });
    f25 = await insertCollection(world.db, "f25", {
      display_name: "Fedora 25",
      order: 1,
      latest_repo_resolved: true,
    });
    await insertCollection(world.db, "epel7", { display_name: "EPEL 7", order: 0 });
    const rnv25 = await seedPackage(world.db, "rnv", f25);
    await seedBuild(world.db, rnv25, "complete");
    const rnv26 = await seedPackage(world.db, "rnv", f26);
    await seedBuild(world.db, rnv26, "failed");
    await seedPackage(world.db, "fop", f25, { tracked: false });
    const fop26 = await seedPackage(world.db, "fop", f26);
    await seedBuild(world.db, fop26, "running");
    await seedPackage(world.db, "xpp3", f25, { tracked: false });
    await seedPackage(world.db, "blocked-everywhere", f25, { blocked: true });
    await seedPackage(world.db, "ant", f25, { resolved: false });
    await seedGroup(world.db, "java", ["rnv"]);
  });
  after(() => world.close());

  it("lists base packages tracked in any current collection with a state column each", async () => {
    const html = await pageText(await world.client().get("/packages?collection=f26,f25"));
    assert.ok(html.includes("Packages from 1 to 3 from total 3"));
    // running, failing, name: fop runs in f26; rnv fails in f26; ant is unresolved in f25
    assert.deepEqual(listedNames(html), ["fop", "ant", "rnv"]);
    assert.ok(html.includes('href="/package/rnv">rnv</a>'), "no collection in the name link");
    assert.ok(html.includes('class="pf-v6-c-table__th kk-collection-column"'));
    const head = html.slice(html.indexOf("<thead"), html.indexOf("</thead>"));
    assert.ok(head.indexOf("Fedora 26") < head.indexOf("Fedora 25"), "in the given order");
    assert.ok(html.includes('href="/package/rnv?collection=f25"'));
    assert.ok(html.includes('href="/package/rnv?collection=f26"'));
    // fop is untracked in f25: no icon there
    assert.ok(!html.includes('href="/package/fop?collection=f25"'));
    assert.ok(html.includes('href="/groups/java">java</a>'), "groups without collection");
    assert.ok(html.includes("Fedora 26 + Fedora 25"), "the chooser names the selection");
    assert.ok(!html.includes("Task ID"), "no task column");
  });

  it("with untracked=1 lists every base package not blocked everywhere, even absent ones", async () => {
    const html = await pageText(await world.client().get("/packages?untracked=1"));
    assert.deepEqual(listedNames(html), ["fop", "ant", "rnv", "xpp3"]);
    const epel = await pageText(
      await world.client().get("/packages?collection=epel7,f26&untracked=1&order_by=name"),
    );
    assert.deepEqual(listedNames(epel), ["ant", "fop", "rnv", "xpp3"]);
  });

  it("sorts by a collection's state, by failing and by running", async () => {
    const names = async (orderBy: string) =>
      listedNames(
        await pageText(
          await world.client().get(`/packages?collection=f25,f26&order_by=${orderBy}`),
        ),
      );
    // f25: ant unresolved (resolved false first), rnv ok, fop untracked (not joined: resolved true, no build)
    assert.deepEqual(await names("state-f25,name"), ["ant", "fop", "rnv"]);
    // f26: both resolved; no last complete build (NULL) sorts before failed; ant absent last
    assert.deepEqual(await names("state-f26,name"), ["fop", "rnv", "ant"]);
    assert.deepEqual(await names("-failing,name"), ["fop", "ant", "rnv"]);
    assert.deepEqual(await names("failing,name"), ["ant", "rnv", "fop"]);
    assert.deepEqual(await names("-running,name"), ["ant", "rnv", "fop"]);
    assert.deepEqual(await names("state-nope,-name"), ["rnv", "fop", "ant"]);
  });

  it("the chooser offers all collections and each one, dropping page", async () => {
    const html = await pageText(await world.client().get("/packages?order_by=name"));
    assert.ok(html.includes('href="/packages?order_by=name&amp;collection=f25"'));
    assert.ok(html.includes('href="/packages?order_by=name"'), "All collections");
    assert.ok(html.includes("All collections"));
  });

  it("search matches names case-insensitively with * wildcards and has the untracked toggle", async () => {
    const html = await pageText(await world.client().get("/search?q=P"));
    assert.ok(html.includes("Search results"));
    assert.ok(html.includes("Tracked packages from 1 to 1 from total 1"));
    assert.deepEqual(listedNames(html), ["fop"]);
    assert.ok(html.includes('href="/search?q=P&amp;untracked=1">Show untracked</a>'));
    const all = await pageText(await world.client().get("/search?q=P&untracked=1"));
    assert.ok(all.includes("Tracked and untracked packages from 1 to 2 from total 2"));
    assert.deepEqual(listedNames(all), ["fop", "xpp3"]);
    assert.ok(all.includes('href="/search?q=P">Hide untracked</a>'));
    const star = await pageText(await world.client().get("/search?q=r*v&untracked=1"));
    assert.deepEqual(listedNames(star), ["rnv"]);
    const none = await pageText(await world.client().get("/search?q=nothing-like-it"));
    assert.ok(none.includes("Tracked packages from 1 to 0 from total 0"));
  });

  it("search for exactly one package's whole name goes to its page", async () => {
    const response = await world.client().get("/search?q=rnv");
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "/package/rnv");
    const inCollection = await world.client().get("/search?q=%20rnv%20&collection=f25");
    assert.equal(inCollection.headers.get("location"), "/package/rnv?collection=f25");
    assert.equal((await world.client().get("/search?q=rn")).status, 200, "a part stays a list");
  });
});

describe("collections, collection detail, badges and stats", () => {
  let world: WebWorld;
  before(async () => {
    world = await webWorld();
    const f25 = await insertCollection(world.db, "f25", {
      display_name: "Fedora 25",
      order: 3,
      latest_repo_resolved: true,
    });
    const f26 = await insertCollection(world.db, "f26", { display_name: "Fedora 26", order: 4 });
    await insertCollection(world.db, "epel7", { display_name: "EPEL 7", order: 1 });
    const { id: group } = await world.db
      .insertInto("collection_group")
      .values({ name: "fedora", display_name: "Fedora" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await world.db
      .insertInto("collection_group_relation")
      .values([
        { group_id: group, collection_id: f25 },
        { group_id: group, collection_id: f26 },
      ])
      .execute();
    const rnv = await seedPackage(world.db, "rnv", f25);
    await seedBuild(world.db, rnv, "complete");
    const fop = await seedPackage(world.db, "fop", f25);
    await seedBuild(world.db, fop, "failed");
    await seedPackage(world.db, "ant", f25, { resolved: false });
    await seedPackage(world.db, "xpp3", f25, { tracked: false });
    await seedPackage(world.db, "gone", f25, { blocked: true });
    await seedPackage(world.db, "new", f25, { resolved: null });
  });
  after(() => world.close());

  it("collections: a card per collection group, then the uncategorized ones", async () => {
    const html = await pageText(await world.client().get("/collections"));
    assert.ok(html.includes('href="/packages?collection=f26%2Cf25">Fedora</a>'));
    assert.ok(html.indexOf("Fedora 26") < html.indexOf("Fedora 25"));
    assert.ok(html.includes("Uncategorized"));
    assert.ok(html.indexOf("Uncategorized") < html.indexOf("EPEL 7"));
    assert.ok(html.includes('href="/packages?collection=epel7">EPEL 7</a>'));
    assert.ok(html.includes('href="/collection/epel7"'));
  });

  it("collection detail lists the collection's settings; unknown is 404", async () => {
    const html = await pageText(await world.client().get("/collection/f25"));
    assert.ok(html.includes("<title>Fedora 25 - Koschei</title>"));
    for (const text of ["Internal name", "Koji build tag", "f25-build", "Poll untracked", "True"]) {
      assert.ok(html.includes(text), text);
    }
    assert.match(html, /Bugzilla product<\/th>\s*<td class="pf-v6-c-table__td">None</);
    assert.equal((await world.client().get("/collection/nope")).status, 404);
  });

  it("editing a collection: login first, 403 for users, 501 for admins", async () => {
    const anonymous = await world.client().post("/collection/f25/edit", {});
    assert.equal(anonymous.status, 302);
    assert.match(anonymous.headers.get("location") ?? "", /^\/login\?/);
    const user = world.client();
    await loginAs(world, user, "jdoe");
    assert.equal((await user.post("/collection/f25/edit", {})).status, 403);
    const admin = world.client();
    await loginAs(world, admin, "admin", { admin: true });
    assert.equal((await admin.post("/collection/f25/edit", {})).status, 501);
  });

  it("badges redirect to the state's image, which is served", async () => {
    const client = world.client();
    const cases: [string, string][] = [
      ["rnv", "ok"],
      ["fop", "failing"],
      ["ant", "unresolved"],
      ["xpp3", "untracked"],
      ["gone", "blocked"],
      ["new", "unknown"],
    ];
    for (const [name, state] of cases) {
      for (const extension of ["svg", "png"]) {
        const response = await client.get(`/badge/f25/${name}.${extension}`);
        assert.equal(response.status, 302, `${name}.${extension}`);
        const location = response.headers.get("location")!;
        assert.equal(location, `/static/images/badges/${state}.${extension}`);
        const image = await client.get(location);
        assert.equal(image.status, 200, location);
        const body = Buffer.from(await image.arrayBuffer());
        if (extension === "png") {
          assert.equal(image.headers.get("content-type"), "image/png");
          assert.deepEqual([...body.subarray(1, 4)], [0x50, 0x4e, 0x47]);
        } else {
          assert.match(image.headers.get("content-type") ?? "", /^image\/svg\+xml/);
          assert.ok(body.toString().includes(`>${state}</text>`));
        }
      }
    }
    assert.equal((await client.get("/badge/nope/rnv.svg")).status, 404);
    assert.equal((await client.get("/badge/f25/nothing.svg")).status, 404);
    assert.equal((await client.get("/badge/f26/rnv.svg")).status, 404, "not in that collection");
    assert.equal((await client.get("/badge/f25/rnv.gif")).status, 404);
  });

  it("stats: numbers, resource usage and the state chart", async () => {
    await world.db.deleteFrom("scalar_stats").execute();
    const before = await pageText(await world.client().get("/stats"));
    assert.ok(before.includes("No statistics yet"), "no 500 before the first refresh");
    const [rnv] = await world.db.selectFrom("build").select("id").orderBy("id").limit(1).execute();
    await world.db
      .insertInto("koji_task")
      .values([
        {
          build_id: rnv!.id,
          task_id: 7541,
          arch: "x86_64",
          state: 2,
          started: new Date("2026-01-01T00:00:00Z"),
          finished: new Date("2026-01-01T00:15:33Z"),
        },
        {
          build_id: rnv!.id,
          task_id: 7542,
          arch: "aarch64",
          state: 2,
          started: new Date("2026-01-01T00:00:00Z"),
          finished: new Date("2026-01-01T00:09:01Z"),
        },
      ])
      .execute();
    await sql`SELECT refresh_stats()`.execute(world.db);
    const html = await pageText(await world.client().get("/stats?collection=f25"));
    assert.ok(html.includes("Last update: "));
    assert.match(html, /Packages<\/th>\s*<td class="pf-v6-c-table__td kk-number">6</);
    assert.match(html, /Tracked packages<\/th>\s*<td class="pf-v6-c-table__td kk-number">5</);
    assert.match(html, /Untracked packages<\/th>\s*<td class="pf-v6-c-table__td kk-number">1</);
    assert.match(html, /Active packages<\/th>\s*<td class="pf-v6-c-table__td kk-number">5</);
    assert.ok(html.indexOf("x86_64") < html.indexOf("aarch64"), "most time first");
    assert.ok(html.includes("15 minutes"));
    assert.match(html, /6329\.7151(\s|&nbsp;)‱/);
    assert.ok(html.includes("<svg"));
    assert.ok(html.includes("<polygon"));
    assert.ok(html.includes("Package states in Fedora 25"));
    // Tracked and not blocked in f25: rnv ok, fop failing, ant and new unknown (no history).
    assert.ok(html.includes("ok: 1</li>") && html.includes("failing: 1</li>"));
    assert.ok(html.includes("unknown: 2</li>"));
    assert.equal((await world.client().get("/stats?page=2")).status, 404);
    assert.equal((await world.client().get("/stats?collection=nope")).status, 404);
  });

  it("the state history replays resolution changes and builds per day", async () => {
    const now = new Date("2026-05-10T12:00:00Z");
    const day = 86_400_000;
    const hist25 = await insertCollection(world.db, "hist", { latest_repo_resolved: true });
    const rnv = await seedPackage(world.db, "rnv", hist25);
    const fop = await seedPackage(world.db, "fop", hist25);
    await seedPackage(world.db, "ant", hist25, { resolved: false });
    await seedPackage(world.db, "new", hist25, { resolved: null });
    await seedPackage(world.db, "xpp3", hist25, { tracked: false });
    // rnv: ok since 5 days ago, failing since 2 days ago
    await seedBuild(world.db, rnv, "complete", {
      started: new Date(now.getTime() - 5 * day - 3_600_000),
    });
    await seedBuild(world.db, rnv, "failed", {
      started: new Date(now.getTime() - 2 * day - 3_600_000),
    });
    // fop: ok long ago, unresolvable since yesterday
    await seedBuild(world.db, fop, "complete", { started: new Date(now.getTime() - 100 * day) });
    await seedResolutionChange(world.db, fop, false, new Date(now.getTime() - day));
    const hist = await stateHistory(world.db, hist25, 7, now);
    // Tracked, non-blocked packages: rnv, fop, ant, new.
    assert.equal(hist.packages, 4);
    assert.equal(hist.days.length, 7);
    assert.equal(hist.days[6]!.toISOString(), "2026-05-10T00:00:00.000Z");
    // day i ends at 2026-05-(05+i)+1 00:00; rnv's builds finish 10 min after they start.
    assert.deepEqual(hist.counts.ok, [1, 2, 2, 2, 1, 0, 0]);
    assert.deepEqual(hist.counts.failing, [0, 0, 0, 0, 1, 1, 1]);
    assert.deepEqual(hist.counts.unresolved, [0, 0, 0, 0, 0, 1, 1]);
    assert.deepEqual(hist.counts.unknown, [3, 2, 2, 2, 2, 2, 2]);
  });
});

describe("package lists: front page setting and query filters", () => {
  let world: WebWorld;
  let f25: number;
  before(async () => {
    world = await webWorld({
      configure: (config) => {
        config.frontend.frontpage = "collection_list";
      },
    });
    f25 = await insertCollection(world.db, "f25", {
      display_name: "Fedora 25",
      latest_repo_resolved: true,
    });
    const rnv = await seedPackage(world.db, "rnv", f25);
    await seedBuild(world.db, rnv, "complete");
    const fop = await seedPackage(world.db, "fop", f25);
    await seedBuild(world.db, fop, "failed");
    await seedPackage(world.db, "ant", f25, { resolved: false });
    await seedPackage(world.db, "xpp3", f25, { tracked: false });
    await seedGroup(world.db, "java", ["rnv", "ant", "xpp3"]);
  });
  after(() => world.close());

  it("frontend.frontpage: collection_list shows the collections at /", async () => {
    const html = await pageText(await world.client().get("/"));
    assert.ok(html.includes("Uncategorized"));
    assert.ok(!html.includes("Package summary"));
  });

  it("narrows by names, group, name pattern and states, in both views", async () => {
    const collections = await world.db.selectFrom("collection").selectAll().execute();
    const query = (filter: PackageFilter, untracked = false) =>
      queryPackageList(world.db, {
        collections,
        untracked,
        orderBy: "name",
        page: 1,
        perPage: 10,
        filter,
        priorities: world.config.priorities,
      }).then((list) => list.rows.map((row) => row.name));
    assert.deepEqual(await query({ names: ["rnv", "xpp3", "nope"] }), ["rnv"]);
    assert.deepEqual(await query({ names: ["rnv", "xpp3"] }, true), ["rnv", "xpp3"]);
    assert.deepEqual(await query({ names: [] }), []);
    assert.deepEqual(await query({ groupId: await groupId(world, "java") }, true), [
      "ant",
      "rnv",
      "xpp3",
    ]);
    assert.deepEqual(await query({ nameLike: "%N%" }), ["ant", "rnv"]);
    assert.deepEqual(await query({ states: ["failing", "unresolved"] }), ["ant", "fop"]);
    assert.deepEqual(await query({ states: ["untracked"] }, true), ["xpp3"]);
    assert.deepEqual(await query({ states: [] }), []);
    // A second collection makes it the unified view: states match in any shown collection.
    const f26 = await insertCollection(world.db, "f26", { display_name: "Fedora 26" });
    const both = await world.db.selectFrom("collection").selectAll().execute();
    const unified = await queryPackageList(world.db, {
      collections: both,
      untracked: false,
      orderBy: "name",
      page: 1,
      perPage: 10,
      filter: { states: ["ok", "unresolved"], groupId: await groupId(world, "java") },
      priorities: world.config.priorities,
    });
    assert.equal(unified.view, "unified");
    assert.deepEqual(
      unified.rows.map((row) => row.name),
      ["ant", "rnv"],
    );
    assert.equal(unified.rows[0]!.cells.length, 2);
    assert.equal(
      unified.rows[0]!.cells.find((cell) => cell?.collection.id === f26),
      undefined,
    );
  });
});

async function groupId(world: WebWorld, name: string): Promise<number> {
  const group = await world.db
    .selectFrom("package_group")
    .select("id")
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
  return group.id;
}
