// The copr plugin's pages and forms (spec 11 §2.2, §2.6): the pure rules of rebuild-logic.ts,
// then a user's requests, creating one, a request's page, editing its queue, cancelling and
// rescheduling it — with permissions, CSRF, validation and 404s — against PostgreSQL, the
// pages checked by the crawl test's validator, and nothing of it without the plugin.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { htmlValidator } from "../frontend/html-validator.js";
import { renderToString } from "preact-render-to-string";
import type { RebuildRequestState } from "../../src/db/index.js";
import { userRebuildsSection } from "../../src/plugins/copr/frontend/documentation.js";
import {
  buildLogUrl,
  coprBuildUrl,
  editQueue,
  mayCreateRequest,
  mayEditRequest,
  parseEditRebuildForm,
  parseNewRequestForm,
  raisedScheduleCount,
  rebuildRowClass,
  repoSource,
  rescheduledState,
  type QueuedOrder,
} from "../../src/plugins/copr/frontend/rebuild-logic.js";
import { auditLines, csrfTokenFor, followRedirect, insertPackage } from "../frontend/group-seed.js";
import {
  insertCollection,
  loginAs,
  webWorld,
  type WebClient,
  type WebWorld,
} from "../frontend/web-world.js";

// ---- Pure rules ----

describe("who may create and edit requests", () => {
  it("lets logged-in users create unless copr.require_admin, then admins only", () => {
    const user = { id: 1, admin: false };
    const admin = { id: 2, admin: true };
    assert.equal(mayCreateRequest(undefined, { require_admin: false }), false);
    assert.equal(mayCreateRequest(user, { require_admin: false }), true);
    assert.equal(mayCreateRequest(user, { require_admin: true }), false);
    assert.equal(mayCreateRequest(admin, { require_admin: true }), true);
  });

  it("lets the requester and admins edit a request", () => {
    assert.equal(mayEditRequest(undefined, { user_id: 1 }), false);
    assert.equal(mayEditRequest({ id: 1, admin: false }, { user_id: 1 }), true);
    assert.equal(mayEditRequest({ id: 3, admin: false }, { user_id: 1 }), false);
    assert.equal(mayEditRequest({ id: 3, admin: true }, { user_id: 1 }), true);
  });
});

describe("repoSource", () => {
  it("names the user's own project or owner/name, groups with @", () => {
    assert.equal(repoSource("isync-gmail", "jdoe"), "copr:jdoe/isync-gmail");
    assert.equal(repoSource("mizdebsk/isync-gmail", "jdoe"), "copr:mizdebsk/isync-gmail");
    assert.equal(repoSource("@python/python3.13", "jdoe"), "copr:@python/python3.13");
    assert.equal(repoSource("a_b/c.d-e", "jdoe"), "copr:a_b/c.d-e");
  });

  it("refuses anything that is no Copr name", () => {
    for (const name of [
      "a/b/c",
      "/proj",
      "owner/",
      "../etc",
      "owner/..",
      "x y",
      "<script>",
      "owner/proj?x=1",
      "owner/12345",
      "own@er/proj",
      "@/proj",
      "ówner/proj",
    ]) {
      assert.equal(repoSource(name, "jdoe"), undefined, name);
    }
  });
});

describe("parseNewRequestForm", () => {
  it("trims the fields, names the user's own project and makes an empty description null", () => {
    const parsed = parseNewRequestForm(
      { collection: " f29 ", copr_name: " proj ", description: "  ", schedule_count: " 3 " },
      "jdoe",
    );
    assert.deepEqual(parsed, {
      values: {
        collection: "f29",
        repoSource: "copr:jdoe/proj",
        description: null,
        scheduleCount: 3,
      },
      errors: [],
    });
  });

  it("requires a Copr name and a whole count from 0 within the database's integers", () => {
    const countError = "Max scheduled builds must be a whole number from 0 to 2147483647";
    const errors = (form: Record<string, string>) => parseNewRequestForm(form, "jdoe").errors;
    assert.deepEqual(errors({ copr_name: "", schedule_count: "0" }), [
      "Copr repo name is required",
    ]);
    assert.match(errors({ copr_name: "a/b/c", schedule_count: "0" })[0]!, /^Invalid copr repo/);
    for (const count of ["", "-1", "1.5", "1e30", "2147483648", "x"]) {
      assert.deepEqual(errors({ copr_name: "p", schedule_count: count }), [countError]);
    }
    assert.deepEqual(errors({ copr_name: "p", schedule_count: "2147483647" }), []);
  });

  it("keeps tabs and newlines of a description", () => {
    const parsed = parseNewRequestForm(
      { copr_name: "p", description: "line 1\r\n\tline 2", schedule_count: "1" },
      "jdoe",
    );
    assert.deepEqual(parsed.errors, []);
    assert.equal(parsed.values.description, "line 1\r\n\tline 2");
  });

  it("refuses overlong names and descriptions", () => {
    const parsed = parseNewRequestForm(
      { copr_name: "p".repeat(201), description: "d".repeat(5001), schedule_count: "1" },
      "jdoe",
    );
    assert.deepEqual(parsed.errors, [
      "Copr repo name too long (at most 200 characters)",
      "Description too long (at most 5000 characters)",
    ]);
  });
});

describe("parseEditRebuildForm", () => {
  it("reads the ids and the action", () => {
    assert.deepEqual(
      parseEditRebuildForm({ request_id: "4", package_id: "7", action: "move-top" }),
      { requestId: 4, packageId: 7, action: "move-top" },
    );
  });

  it("refuses other actions, missing or non-integer ids and ids beyond the integers", () => {
    for (const form of [
      { request_id: "4", package_id: "7", action: "delete" },
      { request_id: "4", action: "remove" },
      { request_id: "x", package_id: "7", action: "remove" },
      { request_id: "-4", package_id: "7", action: "remove" },
      { request_id: "1e30", package_id: "7", action: "remove" },
      { request_id: "4", package_id: "2147483648", action: "remove" },
    ]) {
      assert.equal(parseEditRebuildForm(form), undefined, JSON.stringify(form));
    }
  });
});

describe("Copr links", () => {
  it("fills the build log template, the build id zero-padded to 8 digits", () => {
    const fields = {
      copr_owner: "koschei",
      copr_name: "k-12-345",
      copr_chroot: "custom-1-x86_64",
      build_id: 4567,
      package_name: "rnv",
    };
    assert.equal(
      buildLogUrl(
        "https://copr-be.cloud.fedoraproject.org/results/" +
          "{copr_owner}/{copr_name}/{copr_chroot}/{build_id:08d}-{package_name}/build.log.gz",
        fields,
      ),
      "https://copr-be.cloud.fedoraproject.org/results/koschei/k-12-345/custom-1-x86_64/" +
        "00004567-rnv/build.log.gz",
    );
    assert.equal(buildLogUrl("{{x}}/{build_id:3d}/{nope}", fields), "{x}/4567/{nope}");
    assert.equal(buildLogUrl("{build_id:6d}", { ...fields, build_id: 12 }), "    12");
  });

  it("links the Copr build without doubling the frontend URL's slash", () => {
    const url = "https://copr.fedorainfracloud.org/coprs/koschei/k-1-2/build/99";
    for (const frontend_url of [
      "https://copr.fedorainfracloud.org/",
      "https://copr.fedorainfracloud.org",
    ]) {
      assert.equal(coprBuildUrl({ frontend_url, copr_owner: "koschei" }, "k-1-2", 99), url);
    }
  });
});

describe("rebuildRowClass", () => {
  it("colours a rebuild by its state against the package's previous one", () => {
    assert.equal(rebuildRowClass(3, 3), "kk-copr-rebuild-ok");
    assert.equal(rebuildRowClass(5, 3), "kk-copr-rebuild-fixed");
    assert.equal(rebuildRowClass(3, 5), "kk-copr-rebuild-broken");
    assert.equal(rebuildRowClass(5, 5), "kk-copr-rebuild-failing");
    assert.equal(rebuildRowClass(3, 2), undefined);
  });
});

describe("editQueue", () => {
  // a, b submitted; c, d, e queued.
  const queue: QueuedOrder[] = [
    { packageId: 1, order: 0, queued: false },
    { packageId: 2, order: 1, queued: false },
    { packageId: 3, order: 2, queued: true },
    { packageId: 4, order: 3, queued: true },
    { packageId: 5, order: 4, queued: true },
  ];

  it("moves a rebuild before the first queued one, the queued ones ahead of it down one", () => {
    assert.deepEqual(editQueue("move-top", 5, queue), {
      orders: [
        { packageId: 3, order: 3 },
        { packageId: 4, order: 4 },
        { packageId: 5, order: 2 },
      ],
    });
    assert.deepEqual(editQueue("move-top", 4, queue), {
      orders: [
        { packageId: 3, order: 3 },
        { packageId: 4, order: 2 },
      ],
    });
  });

  it("puts the first queued rebuild one before itself, as the original does", () => {
    assert.deepEqual(editQueue("move-top", 3, queue), { orders: [{ packageId: 3, order: 1 }] });
  });

  it("removes a rebuild, every one after it up one place whatever its state", () => {
    assert.deepEqual(editQueue("remove", 3, queue), {
      orders: [
        { packageId: 4, order: 2 },
        { packageId: 5, order: 3 },
      ],
      removed: 3,
    });
    const submittedLater = [
      { packageId: 1, order: 0, queued: true },
      { packageId: 2, order: 1, queued: false },
    ];
    assert.deepEqual(editQueue("remove", 1, submittedLater), {
      orders: [{ packageId: 2, order: 0 }],
      removed: 1,
    });
  });
});

describe("raisedScheduleCount", () => {
  it("adds one build, none beyond the database's integers", () => {
    assert.equal(raisedScheduleCount(null), 1);
    assert.equal(raisedScheduleCount(8), 9);
    assert.equal(raisedScheduleCount(2147483647), 2147483647);
  });
});

describe("rescheduledState", () => {
  it("sends resolved requests to the scheduler, others to the resolver", () => {
    assert.equal(rescheduledState(true), "in progress");
    assert.equal(rescheduledState(false), "new");
  });
});

// ---- The pages ----

async function assertValidHtml(html: string, path: string): Promise<void> {
  const report = await htmlValidator.validateString(html, path);
  const messages = report.results.flatMap((result) => result.messages);
  assert.deepEqual(
    messages.map((m) => `${path} ${m.selector ?? ""} ${m.ruleId}: ${m.message}`),
    [],
  );
}

let world: WebWorld;
let f29: number;
let f30: number;
let packages: Record<string, number>;

before(async () => {
  world = await webWorld({ configure: (config) => (config.plugins = ["copr"]) });
  f29 = await insertCollection(world.db, "f29", { display_name: "Fedora 29", order: 1 });
  f30 = await insertCollection(world.db, "f30", { display_name: "Fedora 30" });
  packages = {};
  for (const name of ["rnv", "eclipse", "maven", "fop", "xyzzy"]) {
    packages[name] = await insertPackage(world.db, f29, name);
  }
  for (const name of ["jdoe", "other", "root"]) {
    await world.db
      .insertInto("user")
      .values({ name, admin: name === "root" })
      .execute();
  }
});
after(() => world.close());
beforeEach(async () => {
  world.config.copr.require_admin = false;
  await world.db.deleteFrom("copr_rebuild_request").execute();
  await world.db.deleteFrom("log_entry").execute();
});

async function userId(name: string): Promise<number> {
  const user = await world.db
    .selectFrom("user")
    .select("id")
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
  return user.id;
}

async function insertRequest(
  values: {
    user?: string;
    state?: RebuildRequestState;
    error?: string;
    scheduleCount?: number;
    repoSource?: string;
    description?: string;
  } = {},
): Promise<number> {
  const { id } = await world.db
    .insertInto("copr_rebuild_request")
    .values({
      user_id: await userId(values.user ?? "jdoe"),
      collection_id: f29,
      repo_source: values.repoSource ?? "copr:jdoe/proj",
      state: values.state ?? "in progress",
      error: values.error ?? null,
      schedule_count: values.scheduleCount ?? 2,
      description: values.description ?? null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

/** Rebuilds in queue order: [package, prev_state, state or null (queued), copr build id]. */
async function insertRebuilds(
  requestId: number,
  rows: [name: string, prevState: number, state: number | null][],
): Promise<void> {
  await world.db
    .insertInto("copr_rebuild")
    .values(
      rows.map(([name, prev_state, state], order) => ({
        request_id: requestId,
        package_id: packages[name]!,
        prev_state,
        state,
        copr_build_id: state === null ? null : 1000 + order,
        order,
      })),
    )
    .execute();
}

async function queueOf(requestId: number): Promise<[string, number][]> {
  const rows = await world.db
    .selectFrom("copr_rebuild as b")
    .innerJoin("package as p", "p.id", "b.package_id")
    .select(["p.name", "b.order"])
    .where("b.request_id", "=", requestId)
    .orderBy("b.order")
    .execute();
  return rows.map((row) => [row.name, row.order]);
}

async function requestRow(id: number) {
  return world.db
    .selectFrom("copr_rebuild_request")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

async function loggedIn(name: string): Promise<WebClient> {
  const client = world.client();
  await loginAs(world, client, name, { admin: name === "root" });
  await client.get("/collections"); // takes the login flashes
  return client;
}

/** The CSRF token of a request's page, which has forms for those who may edit the request. */
function tokenOf(client: WebClient, requestId: number): Promise<string> {
  return csrfTokenFor(client, `/rebuild-request/${requestId}`);
}

describe("a user's requests (GET /rebuild-request/user/<name>)", () => {
  it("lists the user's requests newest first to anyone, without the form", async () => {
    const first = await insertRequest({ repoSource: "copr:jdoe/first" });
    const second = await insertRequest({ repoSource: "copr:jdoe/second", state: "finished" });
    await insertRequest({ user: "other", repoSource: "copr:other/theirs" });
    const response = await world.client().get("/rebuild-request/user/jdoe");
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.ok(
      page.includes('<h1 class="pf-v6-c-title pf-m-2xl kk-title">jdoe\'s rebuild requests</h1>'),
    );
    assert.ok(page.includes("User rebuilds test a package update"));
    assert.ok(page.indexOf(`#${second}`) < page.indexOf(`#${first}`));
    assert.ok(page.includes(`href="/rebuild-request/${first}"`));
    assert.ok(page.includes("copr:jdoe/second"));
    assert.ok(page.includes(">finished<"));
    assert.match(page, /<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d">now<\/time>/);
    assert.ok(!page.includes("copr:other/theirs"));
    assert.ok(!page.includes("New request"));
    await assertValidHtml(page, "/rebuild-request/user/jdoe");
  });

  it("answers 404 for an unknown user and for names no user has", async () => {
    for (const name of ["nobody", "%00", "a%20b", "x".repeat(300)]) {
      const response = await world.client().get(`/rebuild-request/user/${name}`);
      assert.equal(response.status, 404, name);
      assert.ok((await response.text()).includes("User not found"));
    }
  });

  it("shows the new-request form on the viewer's own page only", async () => {
    const jdoe = await loggedIn("jdoe");
    const own = await (await jdoe.get("/rebuild-request/user/jdoe")).text();
    assert.ok(own.includes("New request"));
    assert.ok(own.includes('action="/rebuild-request/new"'));
    assert.ok(own.includes('name="csrf_token"'));
    assert.ok(own.includes('<option value="f29">Fedora 29</option>'));
    assert.ok(own.indexOf('value="f29"') < own.indexOf('value="f30"'));
    assert.match(own, /name="schedule_count"[^>]*value="8"/);
    assert.ok(own.includes("aria-current"), "the user-menu link is the current page");
    await assertValidHtml(own, "/rebuild-request/user/jdoe (own)");
    const others = await (await jdoe.get("/rebuild-request/user/other")).text();
    assert.ok(!others.includes("New request"));
  });

  it("shows the form only to admins when copr.require_admin is set", async () => {
    world.config.copr.require_admin = true;
    const jdoe = await (await (await loggedIn("jdoe")).get("/rebuild-request/user/jdoe")).text();
    assert.ok(!jdoe.includes("New request"));
    const root = await (await (await loggedIn("root")).get("/rebuild-request/user/root")).text();
    assert.ok(root.includes("New request"));
  });
});

describe("creating a request (POST /rebuild-request/new)", () => {
  const form = {
    collection: "f30",
    copr_name: "isync-gmail",
    description: "",
    schedule_count: "3",
  };

  async function post(client: WebClient, fields: Record<string, string>, withToken = true) {
    const token = await csrfTokenFor(client, "/rebuild-request/user/jdoe");
    return client.post(
      "/rebuild-request/new",
      withToken ? { csrf_token: token, ...fields } : fields,
    );
  }

  it("creates the request, flashes and goes to its page; audit-logged", async () => {
    const client = await loggedIn("jdoe");
    const response = await post(client, form);
    assert.equal(response.status, 302);
    const location = response.headers.get("location")!;
    const id = Number(/^\/rebuild-request\/(\d+)$/.exec(location)![1]);
    const row = await requestRow(id);
    assert.equal(row.repo_source, "copr:jdoe/isync-gmail");
    assert.equal(row.collection_id, f30);
    assert.equal(row.description, null);
    assert.equal(row.schedule_count, 3);
    assert.equal(row.state, "new");
    assert.equal(row.user_id, await userId("jdoe"));
    const page = await followRedirect(client, response);
    assert.ok(page.includes("Rebuild request created"));
    assert.deepEqual(await auditLines(world.db), [
      `frontend jdoe: Rebuild request copr-request-${id} created: copr:jdoe/isync-gmail ` +
        "against f30, at most 3 builds",
    ]);
  });

  it("takes owner/name and a description as given", async () => {
    const client = await loggedIn("jdoe");
    const response = await post(client, {
      ...form,
      copr_name: "@python/py3.13",
      description: "New Python",
    });
    const id = Number(response.headers.get("location")!.split("/").pop());
    const row = await requestRow(id);
    assert.equal(row.repo_source, "copr:@python/py3.13");
    assert.equal(row.description, "New Python");
  });

  for (const [what, fields, message] of [
    ["an empty name", { copr_name: "  " }, "Validation errors: Copr repo name is required"],
    [
      "a hostile name",
      { copr_name: "../../etc/passwd" },
      "Validation errors: Invalid copr repo name",
    ],
    [
      "a NUL in the description",
      { description: "new\u0000maven" },
      "Validation errors: Description may not contain control characters",
    ],
    [
      "a huge count",
      { schedule_count: "1e30" },
      "Validation errors: Max scheduled builds must be a whole number",
    ],
    [
      "a negative count",
      { schedule_count: "-1" },
      "Validation errors: Max scheduled builds must be a whole number",
    ],
  ] as const) {
    it(`flashes the validation errors of ${what} and goes back to the list`, async () => {
      const client = await loggedIn("jdoe");
      const response = await post(client, { ...form, ...fields });
      assert.equal(response.status, 302);
      assert.equal(response.headers.get("location"), "/rebuild-request/user/jdoe");
      assert.ok((await followRedirect(client, response)).includes(message));
      assert.equal(
        (await world.db.selectFrom("copr_rebuild_request").selectAll().execute()).length,
        0,
      );
    });
  }

  it("refuses a form without its CSRF token with the validation flash", async () => {
    const client = await loggedIn("jdoe");
    const response = await post(client, form, false);
    assert.equal(response.status, 302);
    const page = await followRedirect(client, response);
    assert.ok(page.includes("Validation errors: The CSRF token is missing."));
    assert.equal(
      (await world.db.selectFrom("copr_rebuild_request").selectAll().execute()).length,
      0,
    );
  });

  it("answers 404 for an unknown collection", async () => {
    const response = await post(await loggedIn("jdoe"), { ...form, collection: "f99" });
    assert.equal(response.status, 404);
    assert.ok((await response.text()).includes("Collection not found"));
  });

  it("sends anonymous users to the login", async () => {
    const response = await world.client().post("/rebuild-request/new", form);
    assert.equal(response.status, 302);
    assert.match(response.headers.get("location")!, /^\/login\?next=/);
  });

  it("answers 403 to non-admins when copr.require_admin is set, and lets admins create", async () => {
    const jdoe = await loggedIn("jdoe");
    const token = await csrfTokenFor(jdoe, "/rebuild-request/user/jdoe");
    world.config.copr.require_admin = true;
    const refused = await jdoe.post("/rebuild-request/new", { csrf_token: token, ...form });
    assert.equal(refused.status, 403);
    const root = await loggedIn("root");
    const created = await root.post("/rebuild-request/new", {
      csrf_token: await csrfTokenFor(root, "/rebuild-request/user/root"),
      ...form,
    });
    assert.equal(created.status, 302);
    const id = Number(created.headers.get("location")!.split("/").pop());
    assert.equal((await requestRow(id)).repo_source, "copr:root/isync-gmail");
  });
});

describe("a request's page (GET /rebuild-request/<id>)", () => {
  async function seeded(): Promise<number> {
    const id = await insertRequest({
      scheduleCount: 4,
      description: "Testing <b>new</b> maven",
    });
    await insertRebuilds(id, [
      ["rnv", 3, 3],
      ["eclipse", 5, 3],
      ["maven", 3, 5],
      ["fop", 5, 5],
      ["xyzzy", 3, 2],
    ]);
    return id;
  }

  it("shows the details, resolution changes and executed rebuilds with their links and colours", async () => {
    const id = await seeded();
    await world.db
      .insertInto("copr_resolution_change")
      .values({
        request_id: id,
        package_id: packages.rnv!,
        prev_resolved: false,
        curr_resolved: true,
        problems: [],
      })
      .execute();
    const response = await world.client().get(`/rebuild-request/${id}`);
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.ok(page.includes(`<title>Rebuild request ${id} - Koschei</title>`));
    assert.ok(page.includes(`Rebuild request #${id}`));
    for (const text of ["Request details", "Submitted by", "copr:jdoe/proj", "Fedora 29"]) {
      assert.ok(page.includes(text), text);
    }
    assert.ok(page.includes("Testing &lt;b>new&lt;/b> maven"));
    assert.ok(page.includes('href="/rebuild-request/user/jdoe"'));
    assert.ok(!page.includes(">Error<"));
    assert.ok(page.includes("These packages change their resolution state."));
    assert.match(page, /alt="unresolved"[^>]*\/> → <img[^>]*alt="resolved"/);
    assert.ok(page.includes('href="/package/rnv?collection=f29"'));
    assert.ok(page.includes("Executed rebuilds"));
    const rnvProject = `k-${id}-${packages.rnv}`;
    assert.ok(
      page.includes(
        `href="https://copr.fedorainfracloud.org/coprs/koschei/${rnvProject}/build/1000"`,
      ),
    );
    assert.ok(
      page.includes(
        `href="https://copr-be.cloud.fedoraproject.org/results/koschei/${rnvProject}/custom-1-x86_64/00001000-rnv/build.log.gz"`,
      ),
    );
    for (const [name, rowClass] of [
      ["rnv", "kk-copr-rebuild-ok"],
      ["eclipse", "kk-copr-rebuild-fixed"],
      ["maven", "kk-copr-rebuild-broken"],
      ["fop", "kk-copr-rebuild-failing"],
    ]) {
      assert.match(
        page,
        new RegExp(`class="pf-v6-c-table__tr ${rowClass}"><td[^>]*><a href="/package/${name}\\?`),
      );
    }
    assert.match(page, /class="pf-v6-c-table__tr"><td[^>]*><a href="\/package\/xyzzy\?/);
    assert.ok(!page.includes("Rebuild queue"));
    await assertValidHtml(page, `/rebuild-request/${id}`);
  });

  it("shows a failed request's error", async () => {
    const id = await insertRequest({ state: "failed", error: "Cannot download user repo" });
    const page = await (await world.client().get(`/rebuild-request/${id}`)).text();
    assert.ok(page.includes(">failed<"));
    assert.ok(page.includes("Cannot download user repo"));
    assert.ok(!page.includes("No package of the collection"));
  });

  it("says when nothing is resolved yet, or nothing is affected", async () => {
    const fresh = await insertRequest({ state: "new" });
    const waiting = await (await world.client().get(`/rebuild-request/${fresh}`)).text();
    assert.ok(waiting.includes("Koschei has not resolved the collection"));
    const finished = await insertRequest({ state: "finished" });
    const done = await (await world.client().get(`/rebuild-request/${finished}`)).text();
    assert.ok(done.includes("No package of the collection changes its dependencies"));
    assert.ok(!done.includes("Executed rebuilds"));
    assert.ok(!done.includes("Rebuild queue"));
  });

  it("shows the queue, grey beyond the count, with forms for the requester and admins only", async () => {
    const id = await insertRequest({ scheduleCount: 2 });
    await insertRebuilds(id, [
      ["rnv", 3, 3],
      ["eclipse", 3, null],
      ["maven", 5, null],
    ]);
    const anonymous = await (await world.client().get(`/rebuild-request/${id}`)).text();
    assert.ok(anonymous.includes("Rebuild queue"));
    assert.ok(anonymous.includes("Koschei starts at most 2 builds for this request"));
    assert.match(anonymous, /class="pf-v6-c-table__tr"><td[^>]*><a href="\/package\/eclipse\?/);
    assert.match(
      anonymous,
      /class="pf-v6-c-table__tr kk-copr-rebuild-unschedulable"><td[^>]*><a href="\/package\/maven\?/,
    );
    assert.ok(!anonymous.includes("edit-rebuild"));
    assert.ok(!anonymous.includes("/cancel"));
    const other = await (await (await loggedIn("other")).get(`/rebuild-request/${id}`)).text();
    assert.ok(!other.includes("edit-rebuild"));
    for (const who of ["jdoe", "root"]) {
      const page = await (await (await loggedIn(who)).get(`/rebuild-request/${id}`)).text();
      assert.equal(page.match(/action="\/rebuild-request\/edit-rebuild"/g)?.length, 2, who);
      assert.ok(page.includes(`name="package_id" value="${packages.maven}"`));
      assert.ok(page.includes('name="action" value="move-top"'));
      assert.ok(page.includes('name="action" value="remove"'));
      assert.ok(page.includes(`action="/rebuild-request/${id}/cancel"`));
      assert.ok(!page.includes(`action="/rebuild-request/${id}/reschedule"`));
      await assertValidHtml(page, `/rebuild-request/${id} (${who})`);
    }
  });

  it("answers 404 for unknown ids, non-integers and ids beyond the integers", async () => {
    for (const path of ["999999", "abc", "99999999999", "1e3", "-1"]) {
      const response = await world.client().get(`/rebuild-request/${path}`);
      assert.equal(response.status, 404, path);
    }
    assert.equal((await world.client().get("/rebuild-request/new")).status, 404);
  });
});

describe("editing the queue (POST /rebuild-request/edit-rebuild)", () => {
  async function queued(): Promise<number> {
    const id = await insertRequest({ state: "scheduled", scheduleCount: 2 });
    await insertRebuilds(id, [
      ["rnv", 3, 3],
      ["eclipse", 3, null],
      ["maven", 5, null],
      ["fop", 3, null],
    ]);
    return id;
  }

  async function edit(client: WebClient, id: number, name: string, action: string) {
    return client.post("/rebuild-request/edit-rebuild", {
      csrf_token: await tokenOf(client, id),
      request_id: String(id),
      package_id: String(packages[name]),
      action,
    });
  }

  it("moves a rebuild to the top, raises the count and puts the request back in progress", async () => {
    const id = await queued();
    const response = await edit(await loggedIn("jdoe"), id, "fop", "move-top");
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), `/rebuild-request/${id}`);
    assert.deepEqual(await queueOf(id), [
      ["rnv", 0],
      ["fop", 1],
      ["eclipse", 2],
      ["maven", 3],
    ]);
    const row = await requestRow(id);
    assert.equal(row.schedule_count, 3);
    assert.equal(row.state, "in progress");
    assert.deepEqual(await auditLines(world.db), [
      `frontend jdoe: copr-request-${id}: rebuild of fop moved to the top of the queue`,
    ]);
  });

  it("keeps the largest count when moving to the top", async () => {
    const id = await insertRequest({ scheduleCount: 2147483647 });
    await insertRebuilds(id, [
      ["rnv", 3, null],
      ["fop", 3, null],
    ]);
    const response = await edit(await loggedIn("jdoe"), id, "fop", "move-top");
    assert.equal(response.status, 302);
    assert.equal((await requestRow(id)).schedule_count, 2147483647);
    assert.deepEqual(await queueOf(id), [
      ["fop", 0],
      ["rnv", 1],
    ]);
  });

  it("removes a rebuild and closes the gap", async () => {
    const id = await queued();
    const response = await edit(await loggedIn("root"), id, "eclipse", "remove");
    assert.equal(response.status, 302);
    assert.deepEqual(await queueOf(id), [
      ["rnv", 0],
      ["maven", 1],
      ["fop", 2],
    ]);
    const row = await requestRow(id);
    assert.equal(row.schedule_count, 2);
    assert.equal(row.state, "scheduled");
    assert.deepEqual(await auditLines(world.db), [
      `frontend root: copr-request-${id}: rebuild of eclipse removed`,
    ]);
  });

  it("leaves a rebuild already submitted to Copr alone, with a flash", async () => {
    const id = await queued();
    const client = await loggedIn("jdoe");
    const response = await edit(client, id, "rnv", "remove");
    assert.equal(response.status, 302);
    assert.ok((await followRedirect(client, response)).includes("already been submitted to Copr"));
    assert.equal((await queueOf(id)).length, 4);
  });

  it("answers 403 to other users and 404 for an unknown rebuild", async () => {
    const id = await queued();
    const other = await loggedIn("other");
    const token = await csrfTokenFor(other, "/rebuild-request/user/other");
    const form = { csrf_token: token, request_id: String(id), action: "remove" };
    const forbidden = await other.post("/rebuild-request/edit-rebuild", {
      ...form,
      package_id: String(packages.fop),
    });
    assert.equal(forbidden.status, 403);
    const unknown = await other.post("/rebuild-request/edit-rebuild", {
      ...form,
      package_id: "999999",
    });
    assert.equal(unknown.status, 404);
    const unknownRequest = await other.post("/rebuild-request/edit-rebuild", {
      ...form,
      request_id: "999999",
      package_id: String(packages.fop),
    });
    assert.equal(unknownRequest.status, 404);
    assert.equal((await queueOf(id)).length, 4);
  });

  it("answers 400 to a form without CSRF token, with another action or with bad ids", async () => {
    const id = await queued();
    const client = await loggedIn("jdoe");
    const token = await tokenOf(client, id);
    const good = { request_id: String(id), package_id: String(packages.fop), action: "remove" };
    for (const form of [
      good,
      { ...good, csrf_token: "1.forged" },
      { ...good, csrf_token: token, action: "delete" },
      { ...good, csrf_token: token, request_id: "x" },
      { ...good, csrf_token: token, package_id: "1e30" },
      { ...good, csrf_token: token, request_id: "99999999999" },
    ]) {
      const response = await client.post("/rebuild-request/edit-rebuild", form);
      assert.equal(response.status, 400, JSON.stringify(form));
    }
    assert.equal((await queueOf(id)).length, 4);
    assert.deepEqual(await auditLines(world.db), []);
  });

  it("sends anonymous users to the login", async () => {
    const response = await world.client().post("/rebuild-request/edit-rebuild", {});
    assert.equal(response.status, 302);
    assert.match(response.headers.get("location")!, /^\/login/);
  });
});

describe("cancelling and rescheduling a request", () => {
  async function post(
    client: WebClient,
    id: number,
    what: "cancel" | "reschedule",
    token?: string,
  ) {
    const fields: Record<string, string> = token === undefined ? {} : { csrf_token: token };
    return client.post(`/rebuild-request/${id}/${what}`, fields);
  }

  it("cancels a request of the requester's: failed, with who cancelled it", async () => {
    const id = await insertRequest({ state: "in progress" });
    const client = await loggedIn("jdoe");
    const response = await post(client, id, "cancel", await tokenOf(client, id));
    assert.equal(response.status, 302);
    const page = await followRedirect(client, response);
    assert.ok(page.includes("Rebuild request cancelled (now failed)"));
    assert.ok(page.includes("Cancelled by jdoe"));
    assert.ok(page.includes(`action="/rebuild-request/${id}/reschedule"`));
    const row = await requestRow(id);
    assert.equal(row.state, "failed");
    assert.equal(row.error, "Cancelled by jdoe");
    assert.deepEqual(await auditLines(world.db), [
      `frontend jdoe: copr-request-${id} cancelled (was in progress)`,
    ]);
  });

  it("lets admins cancel, refuses finished requests with a flash", async () => {
    const id = await insertRequest({ state: "scheduled" });
    const root = await loggedIn("root");
    await post(root, id, "cancel", await tokenOf(root, id));
    assert.equal((await requestRow(id)).error, "Cancelled by root");
    const finished = await insertRequest({ state: "finished" });
    const response = await post(root, finished, "cancel", await tokenOf(root, finished));
    assert.ok(
      (await followRedirect(root, response)).includes(
        "A request in state finished cannot be cancelled.",
      ),
    );
    assert.equal((await requestRow(finished)).state, "finished");
  });

  it("reschedules a resolved request to in progress and an unresolved one to new", async () => {
    const resolved = await insertRequest({ state: "failed", error: "Cancelled by jdoe" });
    await insertRebuilds(resolved, [["rnv", 3, null]]);
    const unresolved = await insertRequest({ state: "failed", error: "Cannot download user repo" });
    const nothingFound = await insertRequest({ state: "finished" });
    const client = await loggedIn("jdoe");
    for (const [id, state] of [
      [resolved, "in progress"],
      [unresolved, "new"],
      [nothingFound, "new"],
    ] as const) {
      const response = await post(client, id, "reschedule", await tokenOf(client, id));
      assert.equal(response.status, 302);
      assert.ok(
        (await followRedirect(client, response)).includes(
          `Rebuild request rescheduled (now ${state})`,
        ),
      );
      const row = await requestRow(id);
      assert.equal(row.state, state);
      assert.equal(row.error, null);
    }
    assert.ok(
      (await auditLines(world.db)).includes(
        `frontend jdoe: copr-request-${unresolved} rescheduled (failed → new)`,
      ),
    );
  });

  it("refuses to reschedule a request still being worked on", async () => {
    const id = await insertRequest({ state: "new" });
    const client = await loggedIn("jdoe");
    const response = await post(client, id, "reschedule", await tokenOf(client, id));
    assert.ok(
      (await followRedirect(client, response)).includes(
        "A request in state new cannot be rescheduled.",
      ),
    );
  });

  it("answers 403 to other users, 400 without CSRF token, 404 for unknown requests", async () => {
    const id = await insertRequest({ state: "in progress" });
    const other = await loggedIn("other");
    const token = await csrfTokenFor(other, "/rebuild-request/user/other");
    for (const what of ["cancel", "reschedule"] as const) {
      assert.equal((await post(other, id, what, token)).status, 403, what);
      assert.equal((await post(other, id, what)).status, 400, what);
      assert.equal((await post(other, 999999, what, token)).status, 404, what);
      const huge = await other.post(`/rebuild-request/99999999999/${what}`, { csrf_token: token });
      assert.equal(huge.status, 404, what);
      const anonymous = await world.client().post(`/rebuild-request/${id}/${what}`, {});
      assert.match(anonymous.headers.get("location") ?? "", /^\/login/);
    }
    assert.equal((await requestRow(id)).state, "in progress");
  });
});

describe("a request a service is working on", () => {
  it("asks to try again instead of waiting for the service's lock", async () => {
    const id = await insertRequest({ state: "in progress" });
    await insertRebuilds(id, [["rnv", 3, null]]);
    const client = await loggedIn("jdoe");
    const token = await tokenOf(client, id);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // Plays the resolver, which holds the row while it resolves.
    const service = world.db.transaction().execute(async (trx) => {
      await trx
        .selectFrom("copr_rebuild_request")
        .select("id")
        .where("id", "=", id)
        .forUpdate()
        .execute();
      locked();
      await released;
    });
    await isLocked;
    try {
      const cancel = await client.post(`/rebuild-request/${id}/cancel`, { csrf_token: token });
      assert.equal(cancel.status, 302);
      const page = await followRedirect(client, cancel);
      assert.ok(page.includes("Koschei is working on this request right now"));
      const edit = await client.post("/rebuild-request/edit-rebuild", {
        csrf_token: token,
        request_id: String(id),
        package_id: String(packages.rnv),
        action: "remove",
      });
      assert.ok(
        (await followRedirect(client, edit)).includes("Koschei is working on this request"),
      );
    } finally {
      release();
      await service;
    }
    assert.equal((await requestRow(id)).state, "in progress");
    assert.equal((await queueOf(id)).length, 1);
    assert.deepEqual(await auditLines(world.db), []);
  });
});

describe("the plugin's pages in the site", () => {
  it("links 'My user rebuilds' from the user menu, and every page reached from it is valid HTML", async () => {
    const id = await insertRequest({ state: "failed", error: "Cancelled by jdoe" });
    await insertRebuilds(id, [
      ["rnv", 3, 5],
      ["fop", 3, null],
    ]);
    for (const who of ["jdoe", "other", "root"]) {
      const client = await loggedIn(who);
      const home = await (await client.get("/collections")).text();
      assert.ok(home.includes(`href="/rebuild-request/user/${who}">My user rebuilds</a>`), who);
      const queue = [`/rebuild-request/user/${who}`, "/rebuild-request/user/jdoe"];
      const seen = new Set(queue);
      while (queue.length > 0) {
        const path = queue.shift()!;
        const response = await client.get(path);
        assert.equal(response.status, 200, `${who} ${path}`);
        const html = await response.text();
        await assertValidHtml(html, `${who} ${path}`);
        for (const match of html.matchAll(/href="(\/rebuild-request\/[^"]*)"/g)) {
          if (!seen.has(match[1]!)) {
            seen.add(match[1]!);
            queue.push(match[1]!);
          }
        }
      }
      assert.ok(seen.has(`/rebuild-request/${id}`), who);
    }
  });
});

describe("the documentation section", () => {
  it("tells this site's default count and whether only admins may create requests", () => {
    const text = () => renderToString(userRebuildsSection.Content({ config: world.config }));
    assert.equal(userRebuildsSection.id, "user-rebuilds");
    assert.ok(text().includes("by default 8; 0 starts none"));
    assert.ok(!text().includes("only administrators may create requests"));
    world.config.copr.require_admin = true;
    try {
      assert.ok(text().includes("only administrators may create requests"));
    } finally {
      world.config.copr.require_admin = false;
    }
  });

  it("is on the documentation page, listed in its contents", async () => {
    const page = await (await world.client().get("/documentation")).text();
    assert.ok(page.includes('href="#user-rebuilds"'));
    assert.ok(page.includes("What are user rebuilds?"));
  });
});

describe("without the plugin", () => {
  let bare: WebWorld;
  before(async () => {
    bare = await webWorld({ configure: (config) => (config.plugins = []) });
    await insertCollection(bare.db, "f29");
  });
  after(() => bare.close());

  it("has no /rebuild-request route and no user-menu link", async () => {
    const client = bare.client();
    await loginAs(bare, client, "jdoe");
    const page = await (await client.get("/collections")).text();
    assert.ok(page.includes("Log out"));
    assert.ok(!page.includes("My user rebuilds"));
    assert.ok(!page.includes("/rebuild-request"));
    for (const path of ["/rebuild-request/user/jdoe", "/rebuild-request/1"]) {
      assert.equal((await client.get(path)).status, 404, path);
    }
    const documentation = await (await client.get("/documentation")).text();
    assert.ok(!documentation.includes("user-rebuilds"));
    for (const path of [
      "/rebuild-request/new",
      "/rebuild-request/edit-rebuild",
      "/rebuild-request/1/cancel",
      "/rebuild-request/1/reschedule",
    ]) {
      assert.equal((await client.post(path, {})).status, 404, path);
    }
  });
});
