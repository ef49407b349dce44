// Add packages (spec 08 §5.16, §6.3; spec 12 §1 W10–W14): tracking packages of a collection,
// optionally into a group the user may edit; nothing kept when a step is refused.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { MAX_PACKAGES } from "../../src/frontend/group-forms.js";
import {
  auditLines,
  clearGroupsAndPackages,
  csrfTokenFor,
  followRedirect,
  insertGroup,
  insertPackage,
  isTracked,
  readGroup,
  submitForm,
} from "./group-seed.js";
import { insertCollection, loginAs, webWorld, type WebClient, type WebWorld } from "./web-world.js";

let world: WebWorld;
let f25: number;
let epel7: number;

before(async () => {
  world = await webWorld();
  f25 = await insertCollection(world.db, "f25", { display_name: "Fedora Rawhide", order: 2 });
  epel7 = await insertCollection(world.db, "epel7", { display_name: "EPEL 7", order: 1 });
});
after(() => world.close());
beforeEach(async () => {
  await clearGroupsAndPackages(world.db);
  await insertPackage(world.db, f25, "xpp3", { tracked: false });
  await insertPackage(world.db, f25, "rnv", { tracked: false });
  await insertPackage(world.db, f25, "bar");
  await insertPackage(world.db, epel7, "xpp3", { tracked: false });
});

async function loggedIn(name: string): Promise<WebClient> {
  const client = world.client();
  await loginAs(world, client, name);
  await client.get("/groups"); // takes the login flashes
  return client;
}

/** The add-packages form with a valid token. */
function addPackages(client: WebClient, form: Record<string, string>) {
  return submitForm(client, "/add-packages", { collection: "f25", group: "", next: "", ...form });
}

describe("the add-packages form", () => {
  it("sends anonymous visitors to log in", async () => {
    const get = await world.client().get("/add-packages");
    assert.equal(get.status, 302);
    assert.equal(get.headers.get("location"), "/login?next=%2Fadd-packages");
    const post = await world
      .client()
      .post("/add-packages", { packages: "xpp3", collection: "f25" });
    assert.equal(post.status, 302);
    assert.match(post.headers.get("location")!, /^\/login\?/);
    assert.equal(await isTracked(world.db, f25, "xpp3"), false);
  });

  it("offers every collection and the user's groups", async () => {
    await insertGroup(world.db, { name: "foo", packages: ["bar"], owners: ["jdoe"] });
    await insertGroup(world.db, { namespace: "jdoe", name: "mine", owners: ["jdoe"] });
    await insertGroup(world.db, { name: "theirs", owners: ["other"] });
    const response = await (await loggedIn("jdoe")).get("/add-packages");
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.ok(page.includes("Names of packages to be added to Koschei:"));
    assert.ok(page.includes('<option value="f25" selected>Fedora Rawhide</option>'));
    assert.ok(page.includes('<option value="epel7">EPEL 7</option>'));
    assert.ok(page.includes("<option value>(none)</option>"));
    assert.ok(page.includes('<option value="foo">foo</option>'));
    assert.ok(page.includes('<option value="jdoe/mine">jdoe/mine</option>'));
    assert.ok(!page.includes("theirs"));
    assert.ok(page.includes('name="next" value/>'));
  });
});

describe("adding packages (§5.16)", () => {
  it("tracks the packages, audit-logged as the user, and redirects to the front page (W11)", async () => {
    const client = await loggedIn("jdoe");
    const response = await addPackages(client, { packages: "xpp3" });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "/");
    assert.ok((await (await client.get("/groups")).text()).includes("Packages added: xpp3"));
    assert.equal(await isTracked(world.db, f25, "xpp3"), true);
    assert.equal(await isTracked(world.db, epel7, "xpp3"), false);
    assert.deepEqual(await auditLines(world.db), [
      "frontend jdoe: Package xpp3 (collection f25): tracked set from False to True",
    ]);
  });

  it("names only the newly tracked packages, in the chosen collection", async () => {
    const client = await loggedIn("jdoe");
    const response = await addPackages(client, { packages: "rnv, bar\nxpp3" });
    const page = await followRedirect(client, response);
    assert.ok(page.includes("Packages added: rnv,xpp3"));
    const again = await addPackages(client, { packages: "bar", collection: "f25" });
    assert.ok((await followRedirect(client, again)).includes("Packages added: </div>"));
    const epel = await addPackages(client, { packages: "xpp3", collection: "epel7" });
    assert.ok((await followRedirect(client, epel)).includes("Packages added: xpp3"));
    assert.equal(await isTracked(world.db, epel7, "xpp3"), true);
  });

  it("names unknown packages with the explanation, and tracks none of the list (W10)", async () => {
    await insertGroup(world.db, { name: "foo", packages: ["bar"], owners: ["jdoe"] });
    const client = await loggedIn("jdoe");
    const response = await addPackages(client, { packages: "xpp3 SimplyHTML", group: "foo" });
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.ok(page.includes("Packages don't exist: SimplyHTML"));
    assert.ok(page.includes("may not have reached Koschei's database yet"));
    assert.ok(page.includes("Add packages"));
    assert.equal(await isTracked(world.db, f25, "xpp3"), false);
    assert.deepEqual((await readGroup(world.db, null, "foo"))?.packages, ["bar"]);
    assert.deepEqual(await auditLines(world.db), []);
  });

  it("adds the packages to a global group the user maintains (W12)", async () => {
    await insertGroup(world.db, { name: "foo", packages: ["bar"], owners: ["jdoe"] });
    const client = await loggedIn("jdoe");
    const response = await addPackages(client, { packages: "xpp3", group: "foo" });
    assert.ok((await followRedirect(client, response)).includes("Packages added: xpp3"));
    assert.equal(await isTracked(world.db, f25, "xpp3"), true);
    assert.deepEqual((await readGroup(world.db, null, "foo"))?.packages, ["bar", "xpp3"]);
    assert.deepEqual(await auditLines(world.db), [
      "frontend jdoe: Package xpp3 (collection f25): tracked set from False to True",
      "frontend jdoe: Group foo modified: package xpp3 added",
    ]);
  });

  it("adds the packages to a namespaced group the user maintains (W13)", async () => {
    await insertGroup(world.db, { namespace: "user", name: "foo", owners: ["jdoe"] });
    const client = await loggedIn("jdoe");
    const response = await addPackages(client, { packages: "xpp3", group: "user/foo" });
    assert.equal(response.status, 302);
    assert.equal(await isTracked(world.db, f25, "xpp3"), true);
    assert.deepEqual((await readGroup(world.db, "user", "foo"))?.packages, ["xpp3"]);
  });

  it("answers 400 for a group the user may not edit, keeping nothing (W14)", async () => {
    await insertGroup(world.db, { name: "foo", owners: ["someone_else"] });
    const client = await loggedIn("jdoe");
    const response = await addPackages(client, { packages: "xpp3", group: "foo" });
    assert.equal(response.status, 400);
    assert.equal(await isTracked(world.db, f25, "xpp3"), false);
    assert.deepEqual((await readGroup(world.db, null, "foo"))?.packages, []);
    assert.deepEqual(await auditLines(world.db), []);
  });

  it("answers 404 for an unknown group or collection, keeping nothing", async () => {
    const client = await loggedIn("jdoe");
    assert.equal((await addPackages(client, { packages: "xpp3", group: "nope" })).status, 404);
    assert.equal((await addPackages(client, { packages: "xpp3", group: "jdoe/nope" })).status, 404);
    assert.equal((await addPackages(client, { packages: "xpp3", collection: "f99" })).status, 404);
    assert.equal(await isTracked(world.db, f25, "xpp3"), false);
  });

  it("goes to a local `next` afterwards, never to another site", async () => {
    const client = await loggedIn("jdoe");
    const local = await addPackages(client, { packages: "xpp3", next: "/groups" });
    assert.equal(local.headers.get("location"), "/groups");
    const away = await addPackages(client, { packages: "rnv", next: "https://evil.example/" });
    assert.equal(away.headers.get("location"), "/");
  });

  it("flashes the spec's validation messages and re-renders the form", async () => {
    const client = await loggedIn("jdoe");
    const cases: [Record<string, string>, string][] = [
      [{ packages: "" }, "Validation errors: No packages given"],
      [{ packages: "xpp3 a/b" }, "Validation errors: Invalid package list"],
      [{ packages: "xpp3", group: "a/b/c" }, "Validation errors: Invalid group"],
      [{ packages: " ", group: "<x>" }, "Validation errors: No packages given, Invalid group"],
    ];
    for (const [form, message] of cases) {
      const response = await addPackages(client, form);
      assert.equal(response.status, 200, message);
      const page = await response.text();
      assert.ok(page.includes(message), message);
      assert.ok(page.includes("Names of packages to be added to Koschei:"));
    }
    assert.equal(await isTracked(world.db, f25, "xpp3"), false);
  });

  it("refuses a missing or invalid CSRF token", async () => {
    const client = await loggedIn("jdoe");
    const form = { packages: "xpp3", collection: "f25" };
    const missing = await client.post("/add-packages", form);
    assert.equal(missing.status, 200);
    assert.ok((await missing.text()).includes("Validation errors: The CSRF token is missing."));
    const token = await csrfTokenFor(client, "/add-packages");
    const invalid = await client.post("/add-packages", { ...form, csrf_token: token.slice(1) });
    assert.ok((await invalid.text()).includes("Validation errors: The CSRF tokens do not match."));
    assert.equal(await isTracked(world.db, f25, "xpp3"), false);
  });
});

describe("hostile input", () => {
  it("treats __proto__ and constructor as ordinary form keys", async () => {
    const client = await loggedIn("jdoe");
    const response = await addPackages(client, {
      packages: "xpp3",
      __proto__: "x",
      constructor: "y",
      hasOwnProperty: "z",
    });
    assert.equal(response.status, 302);
    assert.equal(await isTracked(world.db, f25, "xpp3"), true);
  });

  it("answers a 100,000-name package list with a validation message, quickly", async () => {
    const client = await loggedIn("jdoe");
    const packages = Array.from({ length: 100_000 }, (_, i) => `python-package-${i}`).join("\n");
    const started = Date.now();
    const response = await addPackages(client, { packages });
    assert.equal(response.status, 200);
    assert.ok(
      (await response.text()).includes(
        `Validation errors: Too many packages (at most ${MAX_PACKAGES})`,
      ),
    );
    assert.ok(Date.now() - started < 5000);
  });

  it("tracks a list at the limit, its flash listing the first names (the cookie stays small)", async () => {
    const names = Array.from({ length: MAX_PACKAGES }, (_, i) => `many-${i}`);
    const base = await world.db
      .insertInto("base_package")
      .values(names.map((name) => ({ name })))
      .returning(["id", "name"])
      .execute();
    await world.db
      .insertInto("package")
      .values(base.map((row) => ({ name: row.name, base_id: row.id, collection_id: f25 })))
      .execute();
    const client = await loggedIn("jdoe");
    const response = await addPackages(client, {
      packages: `${names.slice(2).join(" ")} nope1 nope2`,
    });
    assert.equal(response.status, 200);
    assert.ok((await response.text()).includes("Packages don't exist: nope1,nope2"));
    const tracked = await addPackages(client, { packages: names.join(" ") });
    assert.equal(tracked.status, 302);
    const page = await followRedirect(client, tracked);
    assert.ok(
      page.includes(
        `Packages added: ${names.slice(0, 20).join(",")} and ${MAX_PACKAGES - 20} more`,
      ),
    );
    assert.equal(await isTracked(world.db, f25, `many-${MAX_PACKAGES - 1}`), true);
  });
});
