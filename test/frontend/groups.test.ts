// The group pages (spec 08 §5.8–5.11, §5.15, §6.2, §6.6; spec 12 §1 W15–W18, W24–W26,
// W28–W31): the list, a group's page, create, edit, delete, the user's packages.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { MAX_PACKAGES } from "../../src/frontend/group-forms.js";
import { GroupExists, nameGroup, webTransaction } from "../../src/frontend/group-query.js";
import {
  auditLines,
  clearGroupsAndPackages,
  csrfTokenFor,
  followRedirect,
  insertGroup,
  insertPackage,
  readGroup,
  submitForm,
} from "./group-seed.js";
import { insertCollection, loginAs, webWorld, type WebClient, type WebWorld } from "./web-world.js";

let world: WebWorld;
let f25: number;

before(async () => {
  world = await webWorld();
  f25 = await insertCollection(world.db, "f25", { display_name: "Fedora Rawhide" });
});
after(() => world.close());
beforeEach(async () => {
  await clearGroupsAndPackages(world.db);
  for (const name of ["rnv", "eclipse", "maven"]) await insertPackage(world.db, f25, name);
});

async function loggedIn(name: string, options: { admin?: boolean } = {}): Promise<WebClient> {
  const client = world.client();
  await loginAs(world, client, name, options);
  await client.get("/groups"); // takes the login flashes
  return client;
}

const fooForm = { name: "foo", packages: "rnv,eclipse", owners: "jdoe,user1" };

describe("the group list (§5.8)", () => {
  it("shows global groups with their package counts to everyone", async () => {
    await insertPackage(world.db, f25, "blocked-one", { blocked: true });
    await insertGroup(world.db, { name: "java", packages: ["rnv", "eclipse", "blocked-one"] });
    await insertGroup(world.db, { namespace: "jdoe", name: "mine", packages: ["rnv"] });
    const response = await world.client().get("/groups");
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.ok(page.includes("Global Groups"));
    assert.ok(page.includes('href="/groups/java"'));
    assert.ok(page.includes('title="2 packages in group java"'));
    assert.ok(!page.includes("My Groups"));
    assert.ok(!page.includes("/groups/jdoe/mine"));
    assert.ok(!page.includes("/edit"));
  });

  it("shows a logged-in user their groups, edit buttons where they may edit, delete buttons on namespaced groups", async () => {
    await insertGroup(world.db, { name: "java", packages: ["rnv"], owners: ["jdoe"] });
    await insertGroup(world.db, { name: "python", packages: ["rnv"], owners: ["other"] });
    await insertGroup(world.db, { namespace: "jdoe", name: "mine", owners: ["jdoe"] });
    const page = await (await (await loggedIn("jdoe")).get("/groups")).text();
    assert.ok(page.includes("My Groups"));
    assert.ok(page.includes('href="/add-group"'));
    assert.ok(page.includes('href="/groups/jdoe/mine"'));
    assert.ok(page.includes('href="/groups/java/edit"'));
    assert.ok(page.includes('href="/groups/jdoe/mine/edit"'));
    assert.ok(page.includes('href="/groups/jdoe/mine/delete"'));
    assert.ok(!page.includes('href="/groups/python/edit"'));
    assert.ok(!page.includes('href="/groups/java/delete"'));
  });

  it("tells a user without groups how to add one", async () => {
    const page = await (await (await loggedIn("nogroups")).get("/groups")).text();
    assert.ok(page.includes("You don't have any groups yet."));
  });
});

describe("a group's page (§5.9)", () => {
  it("shows the full name, the sorted maintainers and the group's packages; global and namespaced groups by their URLs", async () => {
    await insertGroup(world.db, { name: "foo", packages: ["rnv"], owners: ["zed", "amy"] });
    await insertGroup(world.db, { namespace: "jdoe", name: "foo", packages: ["maven"] });
    const global = await world.client().get("/groups/foo");
    assert.equal(global.status, 200);
    const page = await global.text();
    assert.ok(page.includes("<title>foo group - Koschei</title>"));
    assert.ok(page.includes("Group maintainers: amy, zed"));
    assert.ok(page.includes("/package/rnv?collection=f25"));
    assert.ok(!page.includes("/package/maven"));
    assert.ok(page.includes("Tracked packages"));
    assert.ok(page.includes("Show untracked"));
    const namespaced = await (await world.client().get("/groups/jdoe/foo")).text();
    assert.ok(namespaced.includes("jdoe/foo"));
    assert.ok(namespaced.includes("/package/maven?collection=f25"));
    assert.ok(!namespaced.includes("/package/rnv"));
  });

  it("lists untracked members with untracked=1", async () => {
    await insertPackage(world.db, f25, "idle", { tracked: false });
    await insertGroup(world.db, { name: "foo", packages: ["rnv", "idle"] });
    assert.ok(!(await (await world.client().get("/groups/foo")).text()).includes("/package/idle"));
    const page = await (await world.client().get("/groups/foo?untracked=1")).text();
    assert.ok(page.includes("/package/idle?collection=f25"));
    assert.ok(page.includes("Hide untracked"));
  });

  it("answers 404 for unknown groups and pages", async () => {
    await insertGroup(world.db, { name: "foo", packages: ["rnv"] });
    assert.equal((await world.client().get("/groups/nope")).status, 404);
    assert.equal((await world.client().get("/groups/jdoe/nope")).status, 404);
    assert.equal((await world.client().get("/groups/foo?page=x")).status, 404);
    assert.equal((await world.client().get("/groups/foo?collection=nope")).status, 404);
  });

  it("offers the edit button only to those who may edit", async () => {
    await insertGroup(world.db, { namespace: "jdoe", name: "foo", owners: ["jdoe"] });
    const edit = 'href="/groups/jdoe/foo/edit"';
    assert.ok(
      (await (await (await loggedIn("jdoe")).get("/groups/jdoe/foo")).text()).includes(edit),
    );
    assert.ok(
      !(await (await (await loggedIn("other")).get("/groups/jdoe/foo")).text()).includes(edit),
    );
    const admin = await loggedIn("boss", { admin: true });
    assert.ok((await (await admin.get("/groups/jdoe/foo")).text()).includes(edit));
  });
});

describe("creating a group (§5.10)", () => {
  it("sends anonymous visitors to the login page and creates nothing (W15)", async () => {
    const client = world.client();
    const get = await client.get("/add-group");
    assert.equal(get.status, 302);
    assert.equal(get.headers.get("location"), "/login?next=%2Fadd-group");
    const post = await client.post("/add-group", fooForm);
    assert.equal(post.status, 302);
    assert.match(post.headers.get("location")!, /^\/login\?/);
    assert.equal(await readGroup(world.db, null, "foo"), undefined);
  });

  it("offers an empty form with the user as owner", async () => {
    const page = await (await (await loggedIn("jdoe")).get("/add-group")).text();
    assert.ok(page.includes("Create new group"));
    assert.ok(page.includes('name="owners" type="text" required value="jdoe"'));
    assert.ok(page.includes('name="csrf_token"'));
  });

  it("creates the group in the user's namespace with its packages and owners, unknown owners created (W16)", async () => {
    const client = await loggedIn("jdoe");
    const response = await submitForm(client, "/add-group", fooForm);
    assert.equal(response.headers.get("location"), "/groups/jdoe/foo");
    const page = await followRedirect(client, response);
    assert.ok(page.includes("Group created"));
    assert.ok(page.includes("jdoe/foo"));
    assert.ok(page.includes("eclipse"));
    const foo = await readGroup(world.db, "jdoe", "foo");
    assert.deepEqual(
      [foo?.packages, foo?.owners],
      [
        ["eclipse", "rnv"],
        ["jdoe", "user1"],
      ],
    );
    assert.deepEqual(await auditLines(world.db), [
      "frontend jdoe: Group jdoe/foo created",
      "frontend jdoe: Group foo modified: package eclipse added",
      "frontend jdoe: Group foo modified: package rnv added",
      "frontend jdoe: Group foo modified: maintainer jdoe added",
      "frontend jdoe: Group foo modified: maintainer user1 added",
    ]);
  });

  it("refuses a name the user already has: Group already exists", async () => {
    await insertGroup(world.db, { namespace: "jdoe", name: "foo", packages: ["maven"] });
    const client = await loggedIn("jdoe");
    const response = await submitForm(client, "/add-group", fooForm);
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.ok(page.includes("Group already exists"));
    assert.ok(page.includes("Create new group"));
    assert.equal((await readGroup(world.db, "jdoe", "foo"))!.packages.join(), "maven");
    assert.deepEqual(await auditLines(world.db), []);
  });

  it("answers two simultaneous creations of one name with one group and one flash, never a 500", async () => {
    const client = await loggedIn("jdoe");
    const token = await csrfTokenFor(client);
    const responses = await Promise.all(
      [1, 2, 3].map(() => client.post("/add-group", { ...fooForm, csrf_token: token })),
    );
    const statuses = responses.map((response) => response.status).sort();
    assert.deepEqual(statuses, [200, 200, 302]);
    for (const response of responses.filter((r) => r.status === 200)) {
      assert.ok((await response.text()).includes("Group already exists"));
    }
    assert.ok(await readGroup(world.db, "jdoe", "foo"));
  });

  it("turns the unique index's refusal of a concurrent creation into GroupExists", async () => {
    await loggedIn("jdoe");
    const user = await world.db
      .selectFrom("user")
      .selectAll()
      .where("name", "=", "jdoe")
      .executeTakeFirstOrThrow();
    const target = { namespace: "jdoe", name: "raced" };
    let secondOutcome: Promise<unknown> | undefined;
    await webTransaction(world.db, user, async (tx) => {
      await nameGroup(tx, undefined, target);
      // The second transaction finds no group yet; its insert waits for this one's commit.
      // Its outcome is taken at once: it may fail before this test gets to look at it.
      secondOutcome = webTransaction(world.db, user, (other) =>
        nameGroup(other, undefined, target),
      ).then(
        () => "created",
        (error: unknown) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    assert.ok((await secondOutcome!) instanceof GroupExists);
  });

  it("allows the same name in another namespace", async () => {
    await insertGroup(world.db, { namespace: "other", name: "foo", packages: ["maven"] });
    await insertGroup(world.db, { name: "foo", packages: ["maven"] });
    const response = await submitForm(await loggedIn("jdoe"), "/add-group", fooForm);
    assert.equal(response.headers.get("location"), "/groups/jdoe/foo");
  });

  it("names unknown packages, keeps nothing and re-renders the form with what was sent (W17)", async () => {
    const client = await loggedIn("jdoe");
    const response = await submitForm(client, "/add-group", {
      ...fooForm,
      packages: "rnv eclipse xyzzy plugh",
      owners: "jdoe newcomer",
    });
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.ok(page.includes("Packages don't exist: xyzzy,plugh"));
    assert.ok(page.includes("Create new group"));
    assert.ok(page.includes("rnv\neclipse\nxyzzy\nplugh</textarea>"));
    assert.equal(await readGroup(world.db, "jdoe", "foo"), undefined);
    assert.deepEqual(await auditLines(world.db), []);
    const users = await world.db
      .selectFrom("user")
      .select("name")
      .where("name", "=", "newcomer")
      .execute();
    assert.deepEqual(users, []);
  });

  it("flashes the spec's validation messages: empty group, invalid names, owner required", async () => {
    const client = await loggedIn("jdoe");
    const cases: [Record<string, string>, string][] = [
      [{ ...fooForm, packages: " , " }, "Validation errors: Empty group not allowed"],
      [{ ...fooForm, name: "a/b" }, "Validation errors: Invalid group name"],
      [{ ...fooForm, name: "" }, "Validation errors: Invalid group name"],
      [{ ...fooForm, packages: "rnv <b>x</b>" }, "Validation errors: Invalid package list"],
      [{ ...fooForm, owners: "" }, "Validation errors: Group must have an owner"],
      [{ ...fooForm, owners: "jdoe a;b" }, "Validation errors: Invalid owner list"],
      [
        { name: "", packages: "", owners: "" },
        "Validation errors: Invalid group name, Empty group not allowed, Group must have an owner",
      ],
    ];
    for (const [form, message] of cases) {
      const response = await submitForm(client, "/add-group", form);
      assert.equal(response.status, 200, message);
      const page = await response.text();
      assert.ok(page.includes(message), message);
      assert.ok(page.includes("Create new group"));
    }
    assert.equal((await world.db.selectFrom("package_group").select("id").execute()).length, 0);
  });

  it("refuses a missing or invalid CSRF token", async () => {
    const client = await loggedIn("jdoe");
    const missing = await client.post("/add-group", fooForm);
    assert.equal(missing.status, 200);
    assert.ok((await missing.text()).includes("Validation errors: The CSRF token is missing."));
    const token = await csrfTokenFor(client);
    const invalid = await client.post("/add-group", { ...fooForm, csrf_token: `${token}x` });
    assert.ok((await invalid.text()).includes("Validation errors: The CSRF tokens do not match."));
    const foreign = await csrfTokenFor(await loggedIn("mallory"));
    const stolen = await client.post("/add-group", { ...fooForm, csrf_token: foreign });
    assert.ok((await stolen.text()).includes("Validation errors: The CSRF tokens do not match."));
    assert.equal(await readGroup(world.db, "jdoe", "foo"), undefined);
  });
});

describe("editing a group (§5.10)", () => {
  beforeEach(async () => {
    await insertGroup(world.db, {
      namespace: "jdoe",
      name: "foo",
      packages: ["rnv", "eclipse"],
      owners: ["jdoe", "user1"],
    });
  });

  it("shows the form filled with the group's name, maintainers and sorted packages", async () => {
    const response = await (await loggedIn("jdoe")).get("/groups/jdoe/foo/edit");
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.ok(page.includes("Editing group: foo"));
    assert.ok(page.includes('value="foo"'));
    assert.ok(page.includes('value="jdoe, user1"'));
    assert.ok(page.includes(">eclipse\nrnv</textarea>"));
    assert.ok(page.includes('action="/groups/jdoe/foo/edit"'));
    assert.ok(page.includes('href="/groups/jdoe/foo/delete"'));
    assert.equal((await (await loggedIn("jdoe")).get("/groups/jdoe/nope/edit")).status, 404);
    assert.equal((await world.client().get("/groups/jdoe/foo/edit")).status, 302);
  });

  it("renames the group and replaces its packages and maintainers (W18)", async () => {
    const client = await loggedIn("jdoe");
    const response = await submitForm(client, "/groups/jdoe/foo/edit", {
      name: "bar",
      packages: "eclipse,maven",
      owners: "jdoe,user2",
    });
    assert.equal(response.headers.get("location"), "/groups/jdoe/bar");
    assert.ok((await followRedirect(client, response)).includes("Group modified"));
    assert.equal(await readGroup(world.db, "jdoe", "foo"), undefined);
    const bar = await readGroup(world.db, "jdoe", "bar");
    assert.deepEqual(
      [bar?.packages, bar?.owners],
      [
        ["eclipse", "maven"],
        ["jdoe", "user2"],
      ],
    );
    assert.deepEqual(await auditLines(world.db), [
      "frontend jdoe: Group foo renamed to bar",
      "frontend jdoe: Group bar modified: package maven added",
      "frontend jdoe: Group bar modified: package rnv removed",
      "frontend jdoe: Group bar modified: maintainer user2 added",
      "frontend jdoe: Group bar modified: maintainer user1 removed",
    ]);
  });

  it("refuses a non-owner with the spec's flash and changes nothing (W24)", async () => {
    const client = await loggedIn("mallory");
    const form = await (await client.get("/groups/jdoe/foo/edit")).text();
    assert.ok(form.includes("Only the group's maintainers and admins may change this group."));
    const response = await submitForm(client, "/groups/jdoe/foo/edit", {
      name: "bar",
      packages: "maven",
      owners: "mallory",
    });
    assert.equal(response.headers.get("location"), "/groups/jdoe/foo");
    assert.ok(
      (await followRedirect(client, response)).includes(
        "You don't have permission to edit this group",
      ),
    );
    const foo = await readGroup(world.db, "jdoe", "foo");
    assert.deepEqual(
      [foo?.packages, foo?.owners],
      [
        ["eclipse", "rnv"],
        ["jdoe", "user1"],
      ],
    );
    assert.deepEqual(await auditLines(world.db), []);
  });

  it("lets an admin edit any group, global ones too", async () => {
    await insertGroup(world.db, { name: "global", packages: ["rnv"], owners: ["someone"] });
    const admin = await loggedIn("boss", { admin: true });
    const response = await submitForm(admin, "/groups/global/edit", {
      name: "global",
      packages: "maven",
      owners: "someone",
    });
    assert.equal(response.headers.get("location"), "/groups/global");
    assert.deepEqual((await readGroup(world.db, null, "global"))?.packages, ["maven"]);
  });

  it("refuses a name another group of the namespace has, and unknown packages", async () => {
    await insertGroup(world.db, { namespace: "jdoe", name: "taken", owners: ["jdoe"] });
    const client = await loggedIn("jdoe");
    const taken = await submitForm(client, "/groups/jdoe/foo/edit", { ...fooForm, name: "taken" });
    assert.equal(taken.status, 200);
    const page = await taken.text();
    assert.ok(page.includes("Group already exists"));
    assert.ok(page.includes("Editing group: foo"));
    const unknown = await submitForm(client, "/groups/jdoe/foo/edit", {
      ...fooForm,
      name: "renamed",
      packages: "maven nope",
    });
    assert.ok((await unknown.text()).includes("Packages don't exist: nope"));
    const foo = await readGroup(world.db, "jdoe", "foo");
    assert.deepEqual(foo?.packages, ["eclipse", "rnv"]);
    assert.deepEqual(await auditLines(world.db), []);
  });

  it("refuses a missing or invalid CSRF token", async () => {
    const client = await loggedIn("jdoe");
    const edit = { name: "bar", packages: "maven", owners: "jdoe" };
    const missing = await client.post("/groups/jdoe/foo/edit", edit);
    assert.equal(missing.status, 200);
    assert.ok((await missing.text()).includes("Validation errors: The CSRF token is missing."));
    const invalid = await client.post("/groups/jdoe/foo/edit", { ...edit, csrf_token: "1.abc" });
    assert.ok((await invalid.text()).includes("Validation errors: The CSRF tokens do not match."));
    assert.ok(await readGroup(world.db, "jdoe", "foo"));
  });

  it("reads /groups/<x>/edit as the global group x, never a namespaced group named edit", async () => {
    await insertGroup(world.db, { namespace: "jdoe", name: "edit" });
    const client = await loggedIn("jdoe");
    assert.equal((await client.get("/groups/jdoe/edit")).status, 404);
    await insertGroup(world.db, { name: "jdoe" });
    assert.ok(
      (await (await client.get("/groups/jdoe/edit")).text()).includes("Editing group: jdoe"),
    );
  });
});

describe("deleting a group (§5.11)", () => {
  beforeEach(async () => {
    await insertGroup(world.db, {
      namespace: "jdoe",
      name: "foo",
      packages: ["rnv"],
      owners: ["jdoe"],
    });
  });

  it("asks for confirmation, then deletes the group with an audit entry (W25)", async () => {
    const client = await loggedIn("jdoe");
    const confirm = await client.get("/groups/jdoe/foo/delete");
    assert.equal(confirm.status, 200);
    const page = await confirm.text();
    assert.ok(page.includes("Confirm group deletion"));
    assert.ok(page.includes("Group jdoe/foo will be deleted. Are you sure?"));
    assert.ok(page.includes("Yes, delete this group"));
    assert.ok(page.includes('href="/groups/jdoe/foo/edit"'));
    const response = await submitForm(client, "/groups/jdoe/foo/delete", {});
    assert.equal(response.headers.get("location"), "/groups");
    assert.ok((await followRedirect(client, response)).includes("Group was deleted"));
    assert.equal(await readGroup(world.db, "jdoe", "foo"), undefined);
    assert.deepEqual(await auditLines(world.db), ["frontend jdoe: Group foo deleted"]);
  });

  it("answers 401 to those who may not delete it, and keeps the group (W26)", async () => {
    const client = await loggedIn("user1");
    assert.equal((await client.get("/groups/jdoe/foo/delete")).status, 401);
    assert.equal((await submitForm(client, "/groups/jdoe/foo/delete", {})).status, 401);
    assert.ok(await readGroup(world.db, "jdoe", "foo"));
    assert.deepEqual(await auditLines(world.db), []);
  });

  it("answers 401 with a validation flash to a missing or invalid CSRF token", async () => {
    const client = await loggedIn("jdoe");
    assert.equal((await client.post("/groups/jdoe/foo/delete", {})).status, 401);
    const invalid = await client.post("/groups/jdoe/foo/delete", { csrf_token: "zz.zz" });
    assert.equal(invalid.status, 401);
    const page = await (await client.get("/groups")).text();
    assert.ok(page.includes("Validation errors: The CSRF token is missing."));
    assert.ok(page.includes("Validation errors: The CSRF tokens do not match."));
    assert.ok(await readGroup(world.db, "jdoe", "foo"));
  });

  it("answers 404 for unknown groups and sends anonymous visitors to log in", async () => {
    const client = await loggedIn("jdoe");
    assert.equal((await client.get("/groups/jdoe/nope/delete")).status, 404);
    assert.equal((await submitForm(client, "/groups/nope/delete", {})).status, 404);
    const anonymous = await world.client().post("/groups/jdoe/foo/delete", {});
    assert.equal(anonymous.status, 302);
    assert.match(anonymous.headers.get("location")!, /^\/login\?/);
  });
});

describe("hostile input", () => {
  it("treats __proto__ and constructor as ordinary form keys", async () => {
    const client = await loggedIn("jdoe");
    const response = await submitForm(client, "/add-group", {
      ...fooForm,
      __proto__: "polluted",
      constructor: "x",
      toString: "y",
    });
    assert.equal(response.headers.get("location"), "/groups/jdoe/foo");
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("answers a 100,000-name package list with a validation message, quickly", async () => {
    const client = await loggedIn("jdoe");
    const packages = Array.from({ length: 100_000 }, (_, i) => `python-package-${i}`).join("\n");
    const started = Date.now();
    const response = await submitForm(client, "/add-group", { ...fooForm, packages });
    assert.equal(response.status, 200);
    assert.ok(
      (await response.text()).includes(
        `Validation errors: Too many packages (at most ${MAX_PACKAGES})`,
      ),
    );
    assert.ok(Date.now() - started < 5000);
    assert.equal(await readGroup(world.db, "jdoe", "foo"), undefined);
  });

  it("escapes and encodes a namespace with markup and a slash (logins refuse such names, old rows may hold them)", async () => {
    const namespace = `<b>o'k/x</b>`;
    await insertGroup(world.db, { namespace, name: "foo", owners: ["jdoe"] });
    const client = await loggedIn("jdoe");
    const list = await (await client.get("/groups")).text();
    assert.ok(!list.includes("<b>o'k"));
    const group = await client.get(`/groups/${encodeURIComponent(namespace)}/foo`);
    assert.equal(group.status, 200);
    const page = await group.text();
    assert.ok(page.includes("&lt;b>o'k/x&lt;/b>/foo"));
    assert.ok(!page.includes("<b>o'k"));
  });

  it("takes the first of repeated fields", async () => {
    const client = await loggedIn("jdoe");
    const response = await submitForm(client, "/add-group", { ...fooForm, name: ["foo", "bar"] });
    assert.equal(response.headers.get("location"), "/groups/jdoe/foo");
  });
});

describe("a user's packages (§5.15)", () => {
  beforeEach(async () => {
    await insertPackage(world.db, f25, "avalon-framework");
    await insertPackage(world.db, f25, "fop");
    await insertPackage(world.db, f25, "xyzzy");
    await insertGroup(world.db, {
      namespace: "mizdebsk",
      name: "java",
      packages: ["avalon-framework", "fop"],
      owners: ["mizdebsk"],
    });
  });

  it("sends anonymous visitors to log in (W28)", async () => {
    const response = await world.client().get("/user/mizdebsk");
    assert.equal(response.status, 302);
    assert.match(response.headers.get("location")!, /^\/login\?/);
  });

  it("lists the packages of the groups the user maintains (W29)", async () => {
    const response = await (await loggedIn("jdoe")).get("/user/mizdebsk");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    const page = (await response.text()).replace(/\s+/g, " ");
    assert.ok(page.includes("mizdebsk's packages"));
    assert.ok(page.includes("packages from 1 to 2 from total 2"));
    assert.ok(page.includes("avalon-framework"));
    assert.ok(!page.includes("xyzzy"));
  });

  it("shows an empty list for a user without packages (W30)", async () => {
    const page = (await (await (await loggedIn("jdoe")).get("/user/jdoe")).text()).replace(
      /\s+/g,
      " ",
    );
    assert.ok(page.includes("jdoe's packages"));
    assert.ok(page.includes("packages from 1 to 0 from total 0"));
  });
});
