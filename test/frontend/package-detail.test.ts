// The package page, its edit form and group checkboxes, build details and cancelation, the
// bug-report redirect and the affected-by report (spec 12 §1 W2, W6–W9, W19–W23, W27, W32,
// spec 08 §5.5–5.7, §5.12, §5.13, §6.4, §6.5), with CSRF failures and hostile input.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { HtmlValidate } from "html-validate";
import { sql } from "kysely";
import {
  auditMessages,
  csrfToken,
  followRedirect,
  groupMembers,
  insertAppliedChange,
  insertBuild,
  insertGroup,
  insertKojiTask,
  insertPackage,
  insertResolutionChange,
  insertUnappliedChange,
} from "./detail-seed.js";
import { insertCollection, loginAs, webWorld, type WebClient, type WebWorld } from "./web-world.js";

const BUGREPORT_COMMENT = `Description of problem:
Package {name} fails to build from source in {collection}.

Version-Release number of selected component (if applicable):
{version}-{release}

Steps to Reproduce:
koji build --scratch {collection.target} {name}-{version}-{release}.{arch}.rpm

Additional info:
This package is tracked by Koschei. See:
{url}`;

describe("package detail pages", () => {
  let world: WebWorld;
  let f25: number;

  before(async () => {
    world = await webWorld({
      configure(config) {
        config.frontend.external_url = "http://example.com/";
        config.koji_config.weburl = "https://primary-koji.test/koji";
        config.koji_config.topurl = "https://primary-koji.test";
        config.bugreport.template = {
          product: "{collection.bugzilla_product}",
          component: "{name}",
          version: "{collection.bugzilla_version}",
          short_desc: "{name}: FTBFS in {collection}",
          bug_file_loc: "{url}",
          comment: BUGREPORT_COMMENT,
        };
      },
    });
  });
  after(() => world.close());

  beforeEach(async () => {
    await sql`TRUNCATE collection, base_package, package, build, dependency, package_group,
      "user", log_entry, resolution_change RESTART IDENTITY CASCADE`.execute(world.db);
    f25 = await insertCollection(world.db, "f25", {
      display_name: "Fedora Rawhide",
      latest_repo_resolved: true,
    });
    await world.db
      .updateTable("collection")
      .set({ bugzilla_product: "Fedora", bugzilla_version: "25" })
      .execute();
  });

  async function loggedIn(name = "jdoe", admin = false): Promise<WebClient> {
    const client = world.client();
    await loginAs(world, client, name, { admin });
    return client;
  }

  describe("GET /package/<name>", () => {
    it("shows a build's applied dependency change with its EVRs (W2)", async () => {
      const rnv = await insertPackage(world.db, "rnv", f25);
      const build = await insertBuild(world.db, rnv.id, "complete");
      await insertAppliedChange(
        world.db,
        build.id,
        "foobar",
        { version: "1.2", release: "3" },
        { version: "4.5", release: "6" },
        3,
      );
      await insertKojiTask(world.db, build.id, { task_id: 456789, arch: "x86_64", state: 2 });
      const response = await world.client().get("/package/rnv");
      assert.equal(response.status, 200);
      const html = await response.text();
      assert.ok(html.includes("foobar"));
      assert.ok(html.includes('<span class="kk-evr-diff">1</span>.2-3'));
      assert.ok(html.includes('<span class="kk-evr-diff">4</span>.5-6'));
      assert.ok(html.includes("https://primary-koji.test/work/tasks/6789/456789/build.log"));
      assert.ok(html.includes(`https://primary-koji.test/koji/taskinfo?taskID=${build.taskId}`));
      assert.ok(html.includes("/affected-by/foobar?epoch1=0&amp;version1=1.2&amp;release1=3"));
      assert.ok(html.includes(`href="/build/${build.id}"`));
      assert.ok(html.includes("<svg"), "the build chart");
      assert.ok(html.includes("Most recent builds"));
      assert.ok(html.includes("/bugreport/rnv?collection=f25"));
    });

    it("says why a package is not scheduled and lists unapplied changes", async () => {
      const pkg = await insertPackage(world.db, "xpp3", f25, { tracked: false, resolved: false });
      await insertResolutionChange(world.db, pkg.id, ["nothing provides <libfoo>"]);
      await insertUnappliedChange(
        world.db,
        pkg.id,
        "libfoo",
        null,
        { version: "2", release: "1" },
        1,
      );
      const html = await (await world.client().get("/package/xpp3?collection=f25")).text();
      assert.ok(
        html.includes("Package is currently ineligible for scheduling due to following reasons:"),
      );
      for (const reason of [
        "Package is not tracked",
        "Package dependencies are not resolvable",
        "Package has no known build",
      ]) {
        assert.ok(html.includes(`<li>${reason}</li>`), reason);
      }
      assert.ok(html.includes("nothing provides &lt;libfoo>"), "problems escaped");
      assert.ok(html.includes("Package resolution failed"));
      assert.ok(html.includes("libfoo"));
      assert.ok(html.includes("was added to dependency set"));
    });

    it("shows the priority's parts of a schedulable package, real and untagged builds", async () => {
      const rnv = await insertPackage(world.db, "rnv", f25, { manual_priority: 300 });
      const real = await insertBuild(world.db, rnv.id, "complete", {
        real: true,
        started: new Date(Date.now() - 2 * 86_400_000),
      });
      const old = await insertBuild(world.db, rnv.id, "failed", { started: new Date(1000) });
      await world.db
        .updateTable("build")
        .set({ untagged: true })
        .where("id", "=", old.id)
        .execute();
      const html = await (await world.client().get("/package/rnv")).text();
      assert.ok(html.includes("Its priority reaches the build threshold (256)"));
      assert.ok(!html.includes("ineligible for scheduling"));
      assert.match(html, /Manual priority<\/span><\/dt><dd[^>]*><div[^>]*>300</);
      assert.match(html, /Time priority<\/span><\/dt><dd[^>]*><div[^>]*>\d+</);
      assert.ok(
        html.includes(
          "https://primary-koji.test/koji/search?match=exact&amp;type=build&amp;terms=rnv-1-1.fc25",
        ),
      );
      assert.ok(html.includes("Real build:"));
      assert.ok(html.includes("This build is no longer tagged in koji."));
      assert.ok(html.includes(`/build/${real.id}`));
    });

    it("answers 404 for an unknown package and a note for a package of another collection", async () => {
      assert.equal((await world.client().get("/package/nope")).status, 404);
      await insertCollection(world.db, "f26", { order: 1 });
      await insertPackage(world.db, "rnv", f25);
      const response = await world.client().get("/package/rnv?collection=f26");
      assert.equal(response.status, 200);
      assert.match(
        await response.text(),
        /Package doesn(&#39;|')t exist in selected collection Fedora f26\. Please select a different one\./,
      );
    });

    it("pages the history by last_seen_ts and refuses a non-integer one", async () => {
      const rnv = await insertPackage(world.db, "rnv", f25);
      for (let second = 1; second <= 16; second++) {
        await insertBuild(world.db, rnv.id, "complete", {
          started: new Date(second * 1000),
          task_id: 5000 + second,
        });
      }
      const client = world.client();
      const first = await (await client.get("/package/rnv")).text();
      assert.ok(first.includes("?last_seen_ts=2&amp;collection=f25"), "oldest shown is second 2");
      assert.ok(!first.includes(">5001<"));
      const older = await (await client.get("/package/rnv?last_seen_ts=2&collection=f25")).text();
      assert.ok(older.includes("Historical builds"));
      assert.ok(older.includes(">5001<"));
      assert.ok(!older.includes(">5002<"));
      assert.equal((await client.get("/package/rnv?last_seen_ts=abc")).status, 400);
      assert.equal(
        (await client.get("/package/rnv?last_seen_ts=99999999999999999999")).status,
        400,
      );
    });

    it("shows the edit and group forms only to logged-in users", async () => {
      await insertPackage(world.db, "rnv", f25);
      const anonymous = await (await world.client().get("/package/rnv")).text();
      assert.ok(!anonymous.includes("Configure scheduling"));
      const client = await loggedIn();
      await insertGroup(world.db, "mine", { namespace: "jdoe", owners: ["jdoe"] });
      const html = await (await client.get("/package/rnv")).text();
      assert.ok(html.includes("Configure scheduling"));
      assert.ok(html.includes('name="group-prev-1" value="false"'));
      assert.ok(html.includes('name="tracked__present" value="1"'));
    });
  });

  describe("POST /package/<name>/edit", () => {
    async function editForm(client: WebClient, fields: Record<string, string>) {
      const token = await csrfToken(client, "/package/rnv");
      return client.post("/package/rnv/edit", {
        csrf_token: token,
        collection_id: String(f25),
        ...fields,
      });
    }

    it("sets priority and arch override and clears tracked, with exactly three audit lines (W19)", async () => {
      await insertPackage(world.db, "rnv", f25);
      const client = await loggedIn();
      const response = await editForm(client, {
        manual_priority: "123",
        arch_override: "x86_64, i386",
        tracked__present: "1",
      });
      assert.equal(response.status, 302);
      assert.equal(response.headers.get("location"), "/package/rnv?collection=f25");
      const page = await (await followRedirect(client, response)).text();
      assert.ok(page.includes("Package modified"));
      assert.ok(!page.includes("Validation errors"));
      const pkg = await world.db.selectFrom("package").selectAll().executeTakeFirstOrThrow();
      assert.equal(pkg.manual_priority, 123);
      assert.equal(pkg.arch_override, "x86_64 i386");
      assert.equal(pkg.skip_resolution, false);
      assert.equal(pkg.tracked, false);
      assert.deepEqual(await auditMessages(world.db), [
        "Package rnv (collection f25): arch_override set from None to x86_64 i386",
        "Package rnv (collection f25): manual_priority set from 0 to 123",
        "Package rnv (collection f25): tracked set from True to False",
      ]);
      const entry = await world.db.selectFrom("log_entry").selectAll().executeTakeFirstOrThrow();
      assert.equal(entry.environment, "frontend");
    });

    it("accepts an excluded arch (W20)", async () => {
      await insertPackage(world.db, "rnv", f25);
      const client = await loggedIn();
      const response = await editForm(client, { manual_priority: "0", arch_override: "^x86_64" });
      assert.equal(response.status, 302);
      const pkg = await world.db.selectFrom("package").selectAll().executeTakeFirstOrThrow();
      assert.equal(pkg.arch_override, "^x86_64");
    });

    it("refuses an unknown arch with a validation flash, changing nothing (W21)", async () => {
      await insertPackage(world.db, "rnv", f25);
      const client = await loggedIn();
      const response = await editForm(client, { manual_priority: "5", arch_override: "asdf" });
      assert.equal(response.status, 200);
      const html = await response.text();
      assert.ok(html.includes("Validation errors: Unrecognized arch in arch_override"));
      assert.ok(html.includes('value="asdf"'), "the form shows what was sent");
      const pkg = await world.db.selectFrom("package").selectAll().executeTakeFirstOrThrow();
      assert.equal(pkg.arch_override, null);
      assert.equal(pkg.manual_priority, 0);
      assert.deepEqual(await auditMessages(world.db), []);
    });

    it("sets skip_resolution with its marker, clearing resolution and unapplied changes (W22)", async () => {
      const rnv = await insertPackage(world.db, "rnv", f25, { resolved: false });
      await insertUnappliedChange(world.db, rnv.id, "foo", null, { version: "1", release: "1" }, 1);
      const client = await loggedIn();
      const response = await editForm(client, {
        skip_resolution: "on",
        skip_resolution__present: "1",
        arch_override: "",
      });
      assert.equal(response.status, 302);
      const pkg = await world.db.selectFrom("package").selectAll().executeTakeFirstOrThrow();
      assert.equal(pkg.skip_resolution, true);
      assert.equal(pkg.resolved, null);
      assert.equal((await world.db.selectFrom("unapplied_change").selectAll().execute()).length, 0);
      assert.deepEqual(await auditMessages(world.db), [
        "Package rnv (collection f25): skip_resolution set from False to True",
      ]);
    });

    it("keeps skip_resolution and the arch override when their fields are absent (W23, quirk 7 fixed)", async () => {
      await insertPackage(world.db, "rnv", f25, {
        resolved: null,
        skip_resolution: true,
        arch_override: "x86_64",
      });
      const client = await loggedIn();
      const response = await editForm(client, { manual_priority: "7" });
      assert.equal(response.status, 302);
      const pkg = await world.db.selectFrom("package").selectAll().executeTakeFirstOrThrow();
      assert.equal(pkg.skip_resolution, true);
      assert.equal(pkg.arch_override, "x86_64");
      assert.equal(pkg.manual_priority, 7);
    });

    it("answers huge and non-integer priorities with a validation flash, not a 500", async () => {
      await insertPackage(world.db, "rnv", f25);
      const client = await loggedIn();
      for (const [value, message] of [
        ["99999999999999999999", "Manual priority must be between -2147483648 and 2147483647."],
        ["2147483648", "Manual priority must be between"],
        ["1e3", "Not a valid integer value."],
        ["12; DROP TABLE package", "Not a valid integer value."],
      ] as const) {
        const response = await editForm(client, { manual_priority: value });
        assert.equal(response.status, 200, value);
        assert.ok((await response.text()).includes(`Validation errors: ${message}`), value);
      }
      const pkg = await world.db.selectFrom("package").selectAll().executeTakeFirstOrThrow();
      assert.equal(pkg.manual_priority, 0);
    });

    it("refuses a missing or invalid CSRF token with a validation flash", async () => {
      await insertPackage(world.db, "rnv", f25);
      const client = await loggedIn();
      await client.get("/package/rnv");
      for (const token of [undefined, "garbage", "abc.def"]) {
        const form: Record<string, string> = { collection_id: String(f25), manual_priority: "9" };
        if (token !== undefined) form.csrf_token = token;
        const response = await client.post("/package/rnv/edit", form);
        assert.equal(response.status, 200);
        assert.match(
          await response.text(),
          /Validation errors: The CSRF (token is missing|tokens do not match|token is invalid)/,
        );
      }
      const pkg = await world.db.selectFrom("package").selectAll().executeTakeFirstOrThrow();
      assert.equal(pkg.manual_priority, 0);
    });

    it("sends anonymous users to the login page", async () => {
      await insertPackage(world.db, "rnv", f25);
      const response = await world
        .client()
        .post("/package/rnv/edit", { collection_id: String(f25) });
      assert.equal(response.status, 302);
      assert.match(response.headers.get("location") ?? "", /^\/login\?next=/);
    });

    it("answers 400 for an unknown or missing collection_id and 404 for an unknown package", async () => {
      await insertPackage(world.db, "rnv", f25);
      const client = await loggedIn();
      const token = await csrfToken(client, "/package/rnv");
      for (const collection_id of ["999", "f25", ""]) {
        const response = await client.post("/package/rnv/edit", {
          csrf_token: token,
          collection_id,
        });
        assert.equal(response.status, 400, collection_id);
      }
      assert.equal((await client.post("/package/rnv/edit", { csrf_token: token })).status, 400);
      const unknown = await client.post("/package/nope/edit", {
        csrf_token: token,
        collection_id: String(f25),
      });
      assert.equal(unknown.status, 404);
    });
  });

  describe("group membership checkboxes (spec 08 §6.5)", () => {
    it("adds the package to a maintained group and removes it from another, audited", async () => {
      await insertPackage(world.db, "rnv", f25);
      await insertPackage(world.db, "eclipse", f25);
      const client = await loggedIn();
      const mine = await insertGroup(world.db, "mine", { namespace: "jdoe", owners: ["jdoe"] });
      const shared = await insertGroup(world.db, "shared", {
        packages: ["rnv", "eclipse"],
        owners: ["jdoe"],
      });
      const html = await (await client.get("/package/rnv")).text();
      assert.ok(html.includes(`name="group-prev-${shared}" value="true"`));
      assert.ok(html.includes(`name="group-prev-${mine}" value="false"`));
      const response = await client.post("/package/rnv/edit", {
        csrf_token: await csrfToken(client, "/package/rnv"),
        collection_id: String(f25),
        [`group-prev-${mine}`]: "false",
        [`group-${mine}`]: "on",
        [`group-prev-${shared}`]: "true",
      });
      assert.equal(response.status, 302);
      assert.deepEqual(await groupMembers(world.db, mine), ["rnv"]);
      assert.deepEqual(await groupMembers(world.db, shared), ["eclipse"]);
      assert.deepEqual(await auditMessages(world.db), [
        "Group mine modified: package rnv added",
        "Group shared modified: package rnv removed",
      ]);
      const page = await (await followRedirect(client, response)).text();
      assert.ok(page.includes('href="/groups/jdoe/mine"'));
    });

    it("leaves unchanged boxes alone, refuses others' groups with 403 and unknown ids with 404", async () => {
      await insertPackage(world.db, "rnv", f25);
      const client = await loggedIn();
      const foreign = await insertGroup(world.db, "theirs", {
        packages: ["rnv"],
        owners: ["user1"],
      });
      const token = await csrfToken(client, "/package/rnv");
      const post = (fields: Record<string, string>) =>
        client.post("/package/rnv/edit", {
          csrf_token: token,
          collection_id: String(f25),
          ...fields,
        });
      // Unchanged (still checked): no permission needed, nothing happens.
      assert.equal(
        (await post({ [`group-prev-${foreign}`]: "true", [`group-${foreign}`]: "on" })).status,
        302,
      );
      assert.equal((await post({ [`group-prev-${foreign}`]: "true" })).status, 403);
      assert.deepEqual(await groupMembers(world.db, foreign), ["rnv"]);
      assert.equal((await post({ "group-prev-4242": "false", "group-4242": "on" })).status, 404);
      assert.equal((await post({ "group-prev-abc": "false", "group-abc": "on" })).status, 404);
      assert.equal((await post({ "group-prev-99999999999999": "true" })).status, 404);
      assert.deepEqual(await auditMessages(world.db), []);
    });

    it("lets an admin change any group", async () => {
      await insertPackage(world.db, "rnv", f25);
      const client = await loggedIn("admin", true);
      const foreign = await insertGroup(world.db, "theirs", {
        packages: ["rnv"],
        owners: ["user1"],
      });
      const response = await client.post("/package/rnv/edit", {
        csrf_token: await csrfToken(client, "/package/rnv"),
        collection_id: String(f25),
        [`group-prev-${foreign}`]: "true",
      });
      assert.equal(response.status, 302);
      assert.deepEqual(await groupMembers(world.db, foreign), []);
    });
  });

  describe("builds", () => {
    async function groovyBuild(state: "running" | "complete", cancel_requested = false) {
      const groovy = await insertPackage(world.db, "groovy", f25);
      return insertBuild(world.db, groovy.id, state, { cancel_requested });
    }

    async function cancelFlag(id: number): Promise<boolean> {
      const build = await world.db
        .selectFrom("build")
        .select("cancel_requested")
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      return build.cancel_requested;
    }

    it("lets an admin request cancelation of a running build, audited (W6)", async () => {
      const build = await groovyBuild("running");
      const client = await loggedIn("admin", true);
      const page = await (await client.get(`/build/${build.id}`)).text();
      assert.ok(page.includes(">Cancel</button>"));
      const response = await client.post(`/build/${build.id}/cancel`, {
        csrf_token: await csrfToken(client, "/package/groovy"),
      });
      assert.equal(response.status, 302);
      assert.equal(response.headers.get("location"), "/package/groovy?collection=f25");
      const followed = await followRedirect(client, response);
      assert.equal(followed.status, 200);
      assert.ok((await followed.text()).includes("Cancelation request sent."));
      assert.equal(await cancelFlag(build.id), true);
      assert.deepEqual(await auditMessages(world.db), [
        `Build (id=${build.id}, task_id=${build.taskId}) cancelation requested`,
      ]);
    });

    it("forbids non-admins (W7), also for unknown builds, and sends anonymous users to log in", async () => {
      const build = await groovyBuild("running");
      const client = await loggedIn();
      const page = await (await client.get(`/build/${build.id}`)).text();
      assert.ok(!page.includes(">Cancel</button>"));
      const token = await csrfToken(client, "/package/groovy");
      assert.equal(
        (await client.post(`/build/${build.id}/cancel`, { csrf_token: token })).status,
        403,
      );
      assert.equal((await client.post("/build/9999/cancel", { csrf_token: token })).status, 403);
      assert.equal(await cancelFlag(build.id), false);
      const anonymous = await world.client().post(`/build/${build.id}/cancel`, {});
      assert.equal(anonymous.status, 302);
      assert.match(anonymous.headers.get("location") ?? "", /^\/login\?next=/);
    });

    it("refuses builds that are not running (W8) or already flagged (W9)", async () => {
      const complete = await groovyBuild("complete");
      const client = await loggedIn("admin", true);
      const token = await csrfToken(client, "/package/groovy");
      const first = await client.post(`/build/${complete.id}/cancel`, { csrf_token: token });
      assert.ok(
        (await (await followRedirect(client, first)).text()).includes(
          "Only running builds can be canceled.",
        ),
      );
      assert.equal(await cancelFlag(complete.id), false);
      const groovy = await world.db.selectFrom("package").select("id").executeTakeFirstOrThrow();
      const flagged = await insertBuild(world.db, groovy.id, "running", { cancel_requested: true });
      const second = await client.post(`/build/${flagged.id}/cancel`, { csrf_token: token });
      assert.ok(
        (await (await followRedirect(client, second)).text()).includes(
          "Build already has pending cancelation request.",
        ),
      );
      assert.equal(await cancelFlag(flagged.id), true);
      assert.deepEqual(await auditMessages(world.db), []);
    });

    it("refuses a missing or invalid CSRF token, and answers 404 for unknown or non-integer ids", async () => {
      const build = await groovyBuild("running");
      const client = await loggedIn("admin", true);
      await client.get(`/build/${build.id}`);
      for (const form of [{}, { csrf_token: "forged.token" }] as Record<string, string>[]) {
        const response = await client.post(`/build/${build.id}/cancel`, form);
        assert.equal(response.status, 302);
        assert.ok(
          (await (await followRedirect(client, response)).text()).includes(
            "Validation errors: The CSRF",
          ),
        );
      }
      assert.equal(await cancelFlag(build.id), false);
      const token = await csrfToken(client, "/package/groovy");
      assert.equal((await client.post("/build/9999/cancel", { csrf_token: token })).status, 404);
      assert.equal((await client.post("/build/abc/cancel", { csrf_token: token })).status, 404);
      assert.equal(
        (await client.post("/build/99999999999/cancel", { csrf_token: token })).status,
        404,
      );
    });

    it("shows build details: information, tasks, logs and dependency changes", async () => {
      const rnv = await insertPackage(world.db, "rnv", f25);
      const build = await insertBuild(world.db, rnv.id, "failed", {
        version: "2.0",
        release: "3.fc25",
      });
      await insertKojiTask(world.db, build.id, { task_id: 456789, arch: "x86_64", state: 5 });
      await insertKojiTask(world.db, build.id, { task_id: 456790, arch: "aarch64", state: 2 });
      await insertAppliedChange(
        world.db,
        build.id,
        "libxml2",
        { version: "2.9", release: "1" },
        null,
        null,
      );
      const response = await world.client().get(`/build/${build.id}`);
      assert.equal(response.status, 200);
      const html = await response.text();
      assert.ok(html.includes(`<title>rnv - build ${build.taskId} - Koschei</title>`));
      assert.ok(html.includes("Build details"));
      assert.ok(html.includes("3.fc25"));
      assert.ok(html.includes("kk-koji-task-failed"));
      assert.ok(html.indexOf(">aarch64<") < html.indexOf(">x86_64<"), "sub-tasks by arch");
      assert.ok(html.includes("https://primary-koji.test/work/tasks/6790/456790/root.log"));
      assert.ok(html.includes("was removed from dependency set"));
      assert.ok(!html.includes(">Cancel</button>"));
      assert.equal((await world.client().get("/build/abc")).status, 404);
      assert.equal((await world.client().get("/build/1.5")).status, 404);
      assert.equal((await world.client().get("/build/-1")).status, 404);
      assert.equal((await world.client().get("/build/424242")).status, 404);
      assert.equal((await world.client().get("/build/99999999999999999999")).status, 404);
    });

    it("says when a build's dependencies were not processed", async () => {
      const rnv = await insertPackage(world.db, "rnv", f25);
      const pending = await insertBuild(world.db, rnv.id, "complete", { deps_resolved: null });
      const broken = await insertBuild(world.db, rnv.id, "complete", { deps_resolved: false });
      const client = world.client();
      assert.ok(
        (await (await client.get(`/build/${pending.id}`)).text()).includes(
          "Dependencies for this build were not processed yet.",
        ),
      );
      assert.ok(
        (await (await client.get(`/build/${broken.id}`)).text()).includes(
          "Dependencies for this build could not be processed.",
        ),
      );
    });
  });

  it("renders pages that pass html-validate, with every form shown", async () => {
    const rnv = await insertPackage(world.db, "rnv", f25, { resolved: false });
    await insertResolutionChange(world.db, rnv.id, ["a", "b", "c", "d", "e", "f"]);
    const build = await insertBuild(world.db, rnv.id, "running", { real: false });
    await insertKojiTask(world.db, build.id, { task_id: 77, arch: "x86_64", state: 1 });
    const done = await insertBuild(world.db, rnv.id, "failed", {
      real: true,
      started: new Date(5000),
    });
    for (let index = 0; index < 12; index++) {
      await insertAppliedChange(
        world.db,
        done.id,
        `dep${index}`,
        { version: "1", release: "1" },
        { version: "1", release: String(index + 2) },
        index % 3 === 0 ? null : index,
      );
    }
    await insertGroup(world.db, "g", { packages: ["rnv"], owners: ["admin"] });
    const client = await loggedIn("admin", true);
    const validator = new HtmlValidate({
      extends: ["html-validate:recommended"],
      // preact writes void elements self-closed.
      rules: { "void-style": ["error", { style: "selfclosing" }] },
    });
    for (const path of [
      "/package/rnv",
      `/build/${build.id}`,
      `/build/${done.id}`,
      "/affected-by/dep1?collection=f25&epoch1=0&version1=1&release1=1&epoch2=0&version2=1&release2=9",
    ]) {
      const response = await client.get(path);
      assert.equal(response.status, 200, path);
      const report = await validator.validateString(await response.text(), path);
      const messages = report.results.flatMap((result) =>
        result.messages.map((message) => `${message.ruleId}: ${message.message}`),
      );
      assert.deepEqual(messages, [], path);
    }
  });

  describe("GET /bugreport/<name>", () => {
    it("redirects to a pre-filled Bugzilla form (W32)", async () => {
      const groovy = await insertPackage(world.db, "groovy", f25);
      await insertBuild(world.db, groovy.id, "complete");
      const response = await world.client().get("/bugreport/groovy?collection=f25");
      assert.equal(response.status, 302);
      const url = new URL(response.headers.get("location")!);
      assert.equal(url.origin + url.pathname, "https://bugzilla.redhat.com/enter_bug.cgi");
      const query = url.searchParams;
      assert.equal(query.get("product"), "Fedora");
      assert.equal(query.get("version"), "25");
      assert.equal(query.get("component"), "groovy");
      assert.equal(query.get("short_desc"), "groovy: FTBFS in Fedora Rawhide");
      assert.equal(query.get("bug_file_loc"), "http://example.com/package/groovy");
      assert.deepEqual(query.get("comment")!.trim().split("\n"), [
        "Description of problem:",
        "Package groovy fails to build from source in Fedora Rawhide.",
        "",
        "Version-Release number of selected component (if applicable):",
        "1-1.fc25",
        "",
        "Steps to Reproduce:",
        "koji build --scratch f25 groovy-1-1.fc25.src.rpm",
        "",
        "Additional info:",
        "This package is tracked by Koschei. See:",
        "http://example.com/package/groovy",
      ]);
    });

    it("answers 404 for unknown packages, packages without a finished build and blocked ones", async () => {
      await insertPackage(world.db, "nobuild", f25);
      const page = await (await world.client().get("/package/nobuild")).text();
      assert.ok(!page.includes("/bugreport/"), "no link to a report without a build");
      const blocked = await insertPackage(world.db, "blocked", f25, { blocked: true });
      await insertBuild(world.db, blocked.id, "complete");
      for (const name of ["nope", "nobuild", "blocked"]) {
        assert.equal((await world.client().get(`/bugreport/${name}`)).status, 404, name);
      }
    });
  });

  describe("GET /affected-by/<dep>", () => {
    const RANGE = "epoch1=0&version1=1.2&release1=3&epoch2=0&version2=4.5&release2=6";

    async function scenario(
      name: string,
      previousState: "complete" | "failed",
      changedState: "complete" | "failed",
      prev: { epoch?: number; version: string; release: string },
      curr: { epoch?: number; version: string; release: string },
    ) {
      const pkg = await insertPackage(world.db, name, f25);
      await insertBuild(world.db, pkg.id, previousState);
      const build = await insertBuild(world.db, pkg.id, changedState);
      await insertAppliedChange(world.db, build.id, "foo", prev, curr, 3);
    }

    it("lists failures after the dependency crossed the range (W27)", async () => {
      const v = (version: string, release: string, epoch = 0) => ({ epoch, version, release });
      await scenario("bar", "complete", "failed", v("1.2", "3"), v("4.5", "6"));
      await scenario("baz", "failed", "complete", v("1.2", "3"), v("4.5", "6"));
      await scenario("abc", "complete", "failed", v("0.5", "1"), v("4.5", "6"));
      await scenario("klm", "complete", "failed", v("1.2", "3"), v("0.7", "2", 666));
      await scenario("ijk", "complete", "failed", v("0.5", "1"), v("0.7", "2", 666));
      await scenario("pqr", "complete", "failed", v("3", "4"), v("4", "5"));
      await scenario("xyzzy", "complete", "failed", v("0.5", "1"), v("0.7", "2"));
      const response = await world.client().get(`/affected-by/foo?collection=f25&${RANGE}`);
      assert.equal(response.status, 200);
      const html = await response.text();
      for (const name of ["bar", "abc", "klm", "ijk", "pqr"]) {
        assert.ok(html.includes(`href="/package/${name}?collection=f25"`), name);
      }
      for (const name of ["baz", "xyzzy"]) {
        assert.ok(!html.includes(`href="/package/${name}?collection=f25"`), name);
      }
      assert.ok(
        html.includes("Packages affected by <strong>foo</strong> upgrade from 1.2-3 to 4.5-6"),
      );
      const empty = await (
        await world.client().get(`/affected-by/bar?collection=f25&${RANGE}`)
      ).text();
      assert.ok(empty.includes("No packages are known to be affected by this upgrade."));
    });

    it("answers 400 for missing or invalid parameters and for several collections", async () => {
      const client = world.client();
      assert.equal((await client.get("/affected-by/foo?collection=f25")).status, 400);
      assert.equal(
        (
          await client.get(
            `/affected-by/foo?collection=f25&${RANGE.replace("epoch1=0", "epoch1=x")}`,
          )
        ).status,
        400,
      );
      assert.equal(
        (
          await client.get(
            `/affected-by/foo?collection=f25&${RANGE.replace("epoch2=0", "epoch2=99999999999")}`,
          )
        ).status,
        400,
      );
      assert.equal(
        (await client.get(`/affected-by/foo?${RANGE}`)).status,
        200,
        "one collection in all",
      );
      await insertCollection(world.db, "f26");
      assert.equal((await client.get(`/affected-by/foo?${RANGE}`)).status, 400);
      assert.equal((await client.get(`/affected-by/foo?collection=f25,f26&${RANGE}`)).status, 400);
      assert.equal((await client.get(`/affected-by/foo?collection=nope&${RANGE}`)).status, 404);
    });
  });
});
