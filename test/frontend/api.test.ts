// The JSON API (spec 09, scenarios A1–A13 of spec 12 §2): exact elements, key order and
// content type; every answer — errors included — validated against the served OpenAPI document;
// hostile parameters.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import { SharedAnswers } from "../../src/frontend/api-query.js";
import { clearPackages, insertBuild, insertPackage } from "./api-seed.js";
import { insertCollection, webWorld, type WebWorld } from "./web-world.js";

// ---- A validator for the JSON Schema subset the OpenAPI document uses ----

type Schema = Record<string, unknown>;
const ANNOTATIONS = new Set(["description", "title"]);

/** Every violation of `schema` by `value`; a keyword outside the subset is an error itself. */
function violations(schema: Schema, value: unknown, root: Schema, at = "$"): string[] {
  const problems: string[] = [];
  for (const [keyword, rule] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    switch (keyword) {
      case "$ref": {
        const path = (rule as string).replace(/^#\//, "").split("/");
        const target = path.reduce<unknown>((node, key) => (node as Schema)[key], root);
        problems.push(...violations(target as Schema, value, root, at));
        break;
      }
      case "type": {
        const types = Array.isArray(rule) ? (rule as string[]) : [rule as string];
        if (!types.some((type) => hasType(value, type))) problems.push(`${at}: not ${types}`);
        break;
      }
      case "enum":
        if (!(rule as unknown[]).includes(value))
          problems.push(`${at}: ${String(value)} not in enum`);
        break;
      case "pattern":
        if (typeof value === "string" && !new RegExp(rule as string, "u").test(value)) {
          problems.push(`${at}: '${value}' does not match ${String(rule)}`);
        }
        break;
      case "anyOf": {
        const branches = (rule as Schema[]).map((branch) => violations(branch, value, root, at));
        if (branches.every((branch) => branch.length > 0)) problems.push(...branches.flat());
        break;
      }
      case "items":
        if (Array.isArray(value)) {
          value.forEach((item, index) =>
            problems.push(...violations(rule as Schema, item, root, `${at}[${index}]`)),
          );
        }
        break;
      case "required":
        if (isObject(value)) {
          for (const key of rule as string[]) {
            if (!Object.hasOwn(value, key)) problems.push(`${at}: no ${key}`);
          }
        }
        break;
      case "properties":
        if (isObject(value)) {
          for (const [key, property] of Object.entries(rule as Record<string, Schema>)) {
            if (Object.hasOwn(value, key)) {
              problems.push(...violations(property, value[key], root, `${at}.${key}`));
            }
          }
        }
        break;
      case "additionalProperties":
        if (isObject(value)) {
          const declared = (schema.properties ?? {}) as Schema;
          for (const key of Object.keys(value).filter((key) => !Object.hasOwn(declared, key))) {
            if (rule === false) problems.push(`${at}: unexpected ${key}`);
            else problems.push(...violations(rule as Schema, value[key], root, `${at}.${key}`));
          }
        }
        break;
      case "minProperties":
      case "maxProperties":
        if (isObject(value)) {
          const count = Object.keys(value).length;
          const bound = rule as number;
          if (keyword === "minProperties" ? count < bound : count > bound) {
            problems.push(`${at}: ${count} properties (${keyword} ${bound})`);
          }
        }
        break;
      default:
        throw new Error(`the validator does not know the keyword ${keyword} (at ${at})`);
    }
  }
  return problems;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasType(value: unknown, type: string): boolean {
  if (type === "null") return value === null;
  if (type === "array") return Array.isArray(value);
  if (type === "object") return isObject(value);
  if (type === "integer") return Number.isInteger(value);
  return typeof value === type;
}

// ---- The world ----

interface OpenApi extends Schema {
  paths: Record<
    string,
    { get: { responses: Record<string, { content: Record<string, Schema> }> } }
  >;
}

describe("JSON API", () => {
  let world: WebWorld;
  let f25: number;
  let epel7: number;
  let openApi: OpenApi;

  /** The operation of the document whose path template matches `path`. */
  function operationFor(path: string) {
    const match = Object.entries(openApi.paths).find(([template]) =>
      new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path),
    );
    assert.ok(match, `the OpenAPI document describes ${path}`);
    return match[1].get;
  }

  /**
   * GETs an API path (fresh, bypassing shared answers unless `shared`), checks the content
   * type and that the body matches the document's schema for that status; returns both.
   */
  async function api(path: string, options: { status?: number; shared?: boolean } = {}) {
    const headers: Record<string, string> = options.shared ? {} : { "cache-control": "no-cache" };
    const response = await world.client().request(path, { headers });
    const text = await response.text();
    assert.equal(response.status, options.status ?? 200, `${path}: ${text}`);
    assert.equal(response.headers.get("content-type"), "application/json");
    const body: unknown = JSON.parse(text);
    const pathname = new URL(path, world.baseUrl).pathname;
    const operation = operationFor(pathname);
    const described = operation.responses[String(response.status)];
    assert.ok(described, `${pathname} documents status ${response.status}`);
    const schema = described.content["application/json"]!.schema as Schema;
    assert.deepEqual(violations(schema, body, openApi), [], `${path} answers as documented`);
    return { body, text };
  }

  const build = (taskId: number) => ({
    task_id: taskId,
    time_started: new Date(taskId * 1000).toISOString().slice(0, 19),
    time_finished: null,
    epoch: null,
    version: "1",
    release: "1.fc25",
  });
  const element = (name: string, collection: string, state: string, taskId: number | null) => ({
    name,
    collection,
    state,
    last_complete_build: taskId === null ? null : build(taskId),
  });

  before(async () => {
    world = await webWorld();
    f25 = await insertCollection(world.db, "f25", { display_name: "Fedora Rawhide", order: 2 });
    epel7 = await insertCollection(world.db, "epel7", { display_name: "EPEL 7", order: 1 });
    const response = await world.client().get("/api/v1/openapi.json");
    assert.equal(response.headers.get("content-type"), "application/json");
    openApi = (await response.json()) as OpenApi;
  });
  after(() => world.close());
  beforeEach(() => clearPackages(world.db));

  it("serves an OpenAPI 3.1 document of exactly the two endpoints", () => {
    assert.equal(openApi.openapi, "3.1.0");
    assert.deepEqual(Object.keys(openApi.paths), [
      "/api/v1/packages",
      "/api/v1/collections/diff/{first}/{second}",
    ]);
  });

  it("A1: no packages → []", async () => {
    const { text } = await api("/api/v1/packages");
    assert.equal(text, "[]");
  });

  it("A2: a package without builds is unknown with no last complete build", async () => {
    await insertPackage(world.db, "rnv", f25);
    const { body } = await api("/api/v1/packages");
    assert.deepEqual(body, [element("rnv", "f25", "unknown", null)]);
  });

  it("A3: a complete build → ok, with the build's fields in the spec's key order", async () => {
    await insertBuild(world.db, await insertPackage(world.db, "rnv", f25), "complete", 1337);
    const { text } = await api("/api/v1/packages");
    assert.equal(
      text,
      '[{"name" : "rnv", "collection" : "f25", "state" : "ok", "last_complete_build" : ' +
        '{"task_id" : 1337, "time_started" : "1970-01-01T00:22:17", "time_finished" : null, ' +
        '"epoch" : null, "version" : "1", "release" : "1.fc25"}}]',
    );
  });

  it("A4: a failed build → failing", async () => {
    await insertBuild(world.db, await insertPackage(world.db, "rnv", f25), "failed", 1337);
    const { body } = await api("/api/v1/packages");
    assert.deepEqual(body, [element("rnv", "f25", "failing", 1337)]);
  });

  it("shows blocked, untracked and unresolved before the build's state", async () => {
    for (const [name, values] of [
      ["a-blocked", { blocked: true }],
      ["b-untracked", { tracked: false }],
      ["c-unresolved", { resolved: false }],
      ["d-not-resolved-yet", { resolved: null }],
    ] as const) {
      await insertBuild(world.db, await insertPackage(world.db, name, f25, values), "complete", 1);
    }
    const { body } = await api("/api/v1/packages");
    assert.deepEqual(
      (body as Array<{ state: string }>).map((item) => item.state),
      ["blocked", "untracked", "unresolved", "ok"],
    );
  });

  it("renders fractional seconds without trailing zeros and finished times in UTC", async () => {
    const id = await insertPackage(world.db, "rnv", f25);
    await insertBuild(world.db, id, "complete", 7, {
      started: "2020-01-02T03:04:05.120+02:00",
      finished: "2020-01-02T05:00:00Z",
    });
    const { body } = await api("/api/v1/packages");
    const [only] = body as Array<{ last_complete_build: Record<string, unknown> }>;
    assert.equal(only!.last_complete_build.time_started, "2020-01-02T01:04:05.12");
    assert.equal(only!.last_complete_build.time_finished, "2020-01-02T05:00:00");
  });

  describe("with packages in f25 and epel7 (A5–A12)", () => {
    beforeEach(async () => {
      await insertBuild(world.db, await insertPackage(world.db, "xpp3", f25), "complete", 1337);
      await insertBuild(world.db, await insertPackage(world.db, "xpp", f25), "running", 1338);
      await insertBuild(world.db, await insertPackage(world.db, "xpp2", f25), "failed", 1339);
      await insertBuild(world.db, await insertPackage(world.db, "rnv", epel7), "complete", 1340);
      await insertBuild(world.db, await insertPackage(world.db, "fop", epel7), "failed", 1341);
    });
    const all = () => [
      element("fop", "epel7", "failing", 1341),
      element("rnv", "epel7", "ok", 1340),
      element("xpp", "f25", "unknown", null),
      element("xpp2", "f25", "failing", 1339),
      element("xpp3", "f25", "ok", 1337),
    ];
    const names = (body: unknown) => (body as Array<{ name: string }>).map((item) => item.name);

    it("A5: every package by name", async () => {
      assert.deepEqual((await api("/api/v1/packages")).body, all());
    });

    it("A6: ?collection=epel7 → fop, rnv", async () => {
      const { body } = await api("/api/v1/packages?collection=epel7");
      assert.deepEqual(body, all().slice(0, 2));
    });

    it("A7: ?collection=xyzzy → 404 from the site-wide collection check, as JSON", async () => {
      const { body } = await api("/api/v1/packages?collection=xyzzy", { status: 404 });
      assert.deepEqual(body, { status: 404, message: "Collection not found" });
    });

    it("A8: only the first collection value is checked; all values filter", async () => {
      const { body } = await api(
        "/api/v1/packages?collection=epel7&collection=xyzzy&collection=f25",
      );
      assert.deepEqual(body, all());
      await api("/api/v1/packages?collection=xyzzy&collection=f25", { status: 404 });
    });

    it("filters on the literal collection value: ?collection=f25,epel7 → []", async () => {
      assert.deepEqual((await api("/api/v1/packages?collection=f25,epel7")).body, []);
    });

    it("A9, A10: ?name= matches exactly; an unknown name matches nothing", async () => {
      assert.deepEqual((await api("/api/v1/packages?name=xpp")).body, [all()[2]]);
      const unknown = await api("/api/v1/packages?name=maven-project-info-reports-plugin");
      assert.deepEqual(unknown.body, []);
      assert.deepEqual((await api("/api/v1/packages?name=xpp*")).body, []);
    });

    it("A11: several names → rnv, xpp", async () => {
      assert.deepEqual(names((await api("/api/v1/packages?name=rnv&name=xpp&name=maven")).body), [
        "rnv",
        "xpp",
      ]);
    });

    it("A12: names and a collection combine → fop, rnv", async () => {
      const { body } = await api("/api/v1/packages?name=rnv&name=fop&collection=epel7");
      assert.deepEqual(names(body), ["fop", "rnv"]);
      assert.deepEqual((await api("/api/v1/packages?name=rnv&collection=f25")).body, []);
    });

    it("lists a package of two collections once per collection, in the site's order", async () => {
      await insertPackage(world.db, "rnv", f25, { tracked: false });
      const { body } = await api("/api/v1/packages?name=rnv");
      assert.deepEqual(body, [element("rnv", "f25", "untracked", null), all()[1]]);
    });

    it("ignores hostile and unknown parameters", async () => {
      assert.deepEqual((await api("/api/v1/packages?__proto__=x&constructor=y")).body, all());
      assert.deepEqual((await api("/api/v1/packages?name=__proto__&name=constructor")).body, []);
      assert.deepEqual((await api("/api/v1/packages?name=%00&name=fop%00")).body, []);
      assert.deepEqual((await api("/api/v1/packages?name=")).body, []);
      assert.deepEqual((await api("/api/v1/packages?name=%E0%A4%A")).body, []);
      assert.deepEqual((await api("/api/v1/packages?name[]=fop")).body, all());
      await api("/api/v1/packages?collection=__proto__", { status: 404 });
      await api("/api/v1/packages?collection=%00", { status: 404 });
    });

    it("answers 10,000 names in one request", async () => {
      const query = Array.from({ length: 10_000 }, (_, index) => `name=pkg${index}`);
      query.push("name=rnv", "name=xpp3");
      const response = await world.app.inject({
        method: "GET",
        url: `/api/v1/packages?${query.join("&")}`,
      });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers["content-type"], "application/json");
      assert.deepEqual(names(response.json()), ["rnv", "xpp3"]);
    });

    it("refuses a URL too long for the HTTP server without a 500", async () => {
      const query = Array.from({ length: 10_000 }, (_, index) => `name=package-${index}`);
      const response = await world.client().get(`/api/v1/packages?${query.join("&")}`);
      assert.equal(response.status, 431);
    });

    it("gzips shared answers for clients that accept it", async () => {
      const inject = (headers: Record<string, string>) =>
        world.app.inject({ method: "GET", url: "/api/v1/packages", headers });
      const plain = await inject({ "cache-control": "no-cache" });
      assert.equal(plain.headers["content-encoding"], undefined);
      assert.deepEqual(plain.json(), all());
      for (const [acceptEncoding, gzipped] of [
        ["gzip, deflate, br", true],
        ["deflate, GZIP;q=0.5", true],
        ["gzip;q=0", false],
        ["identity", false],
      ] as const) {
        const response = await inject({ "accept-encoding": acceptEncoding });
        assert.equal(response.headers["content-encoding"], gzipped ? "gzip" : undefined);
        assert.equal(response.headers.vary, "accept-encoding");
        const body = gzipped ? gunzipSync(response.rawPayload) : response.rawPayload;
        assert.equal(body.toString(), plain.body, acceptEncoding);
      }
    });

    it("shares an answer without names for a few seconds unless asked for a fresh one", async () => {
      const first = await api("/api/v1/packages?collection=f25", { shared: true });
      await insertPackage(world.db, "zzz", f25);
      const shared = await api("/api/v1/packages?collection=f25", { shared: true });
      assert.equal(shared.text, first.text);
      const fresh = await api("/api/v1/packages?collection=f25");
      assert.deepEqual(names(fresh.body), ["xpp", "xpp2", "xpp3", "zzz"]);
      const named = await api("/api/v1/packages?name=zzz", { shared: true });
      assert.deepEqual(names(named.body), ["zzz"], "answers with names are never shared");
    });
  });

  describe("collections diff (A13)", () => {
    beforeEach(async () => {
      for (const [collection, states] of [
        [f25, { good: "complete", bad: "failed", broken: "complete", fixed: "failed" }],
        [epel7, { good: "complete", bad: "failed", broken: "failed", fixed: "complete" }],
      ] as const) {
        let taskId = collection * 100;
        for (const [name, state] of Object.entries(states)) {
          await insertBuild(
            world.db,
            await insertPackage(world.db, name, collection),
            state,
            ++taskId,
          );
        }
      }
    });

    it("A13: lists the packages whose states differ, states keyed in path order", async () => {
      const { text } = await api("/api/v1/collections/diff/f25/epel7");
      assert.equal(
        text,
        '[{"name" : "broken", "state" : {"f25" : "ok", "epel7" : "failing"}}, ' +
          '{"name" : "fixed", "state" : {"f25" : "failing", "epel7" : "ok"}}]',
      );
      const reversed = await api("/api/v1/collections/diff/epel7/f25");
      assert.deepEqual(reversed.body, [
        { name: "broken", state: { epel7: "failing", f25: "ok" } },
        { name: "fixed", state: { epel7: "ok", f25: "failing" } },
      ]);
    });

    it("compares untracked and blocked states, skips packages of one collection only", async () => {
      await insertPackage(world.db, "only-f25", f25);
      await insertPackage(world.db, "quiet", f25, { tracked: false });
      await insertBuild(world.db, await insertPackage(world.db, "quiet", epel7), "complete", 9);
      await insertPackage(world.db, "gone", f25, { blocked: true });
      await insertPackage(world.db, "gone", epel7);
      const { body } = await api("/api/v1/collections/diff/f25/epel7");
      assert.deepEqual(body, [
        { name: "broken", state: { f25: "ok", epel7: "failing" } },
        { name: "fixed", state: { f25: "failing", epel7: "ok" } },
        { name: "gone", state: { f25: "blocked", epel7: "unknown" } },
        { name: "quiet", state: { f25: "untracked", epel7: "ok" } },
      ]);
    });

    it("is empty for a collection compared with itself", async () => {
      assert.equal((await api("/api/v1/collections/diff/f25/f25")).text, "[]");
    });

    it("answers 404 as JSON for an unknown collection", async () => {
      const { body } = await api("/api/v1/collections/diff/f25/xyzzy", { status: 404 });
      assert.deepEqual(body, { status: 404, message: "Collection not found: xyzzy" });
      await api("/api/v1/collections/diff/__proto__/f25", { status: 404 });
      await api("/api/v1/collections/diff/%00/f25", { status: 404 });
      await api("/api/v1/collections/diff/f25/epel7?collection=nope", { status: 404 });
    });

    it("leaves over-long and malformed path segments to the router: JSON, not a 500", async () => {
      for (const [path, status] of [
        [`/api/v1/collections/diff/${"x".repeat(600)}/f25`, 414],
        ["/api/v1/collections/diff/%E0%A4%A/f25", 400],
      ] as const) {
        const response = await world.client().get(path);
        assert.equal(response.status, status);
        assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
        assert.ok(((await response.json()) as { message: string }).message);
      }
    });
  });

  it("answers unknown API paths and methods with JSON 404s", async () => {
    for (const response of [
      await world.client().get("/api/v1/package"),
      await world.client().get("/api/v1/collections/diff/f25"),
      await world.client().request("/api/v1/packages", { method: "POST" }),
    ]) {
      assert.equal(response.status, 404);
      assert.equal(response.headers.get("content-type"), "application/json");
      assert.match(((await response.json()) as { message: string }).message, /No API endpoint/);
    }
  });
});

describe("JSON API without collections", () => {
  let world: WebWorld;
  before(async () => (world = await webWorld()));
  after(() => world.close());

  it("answers 503 as JSON naming the command that creates one", async () => {
    const response = await world.client().get("/api/v1/packages");
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("content-type"), "application/json");
    const body = (await response.json()) as { status: number; message: string };
    assert.equal(body.status, 503);
    assert.match(body.message, /create-collection/);
  });
});

describe("shared answers", () => {
  /** Answers "1", "2", … one per computation, each after `ms`; counts the computations. */
  function counter(ms = 20) {
    let computations = 0;
    return {
      get count() {
        return computations;
      },
      compute: async () => {
        const value = Buffer.from(String(++computations));
        await sleep(ms);
        return value;
      },
    };
  }
  const text = async (answer: Promise<Buffer>) => (await answer).toString();
  const shared = { fresh: false };

  it("lets concurrent requests share one computation, also fresh ones", async () => {
    const answers = new SharedAnswers<Buffer>({ maxAgeMs: 1000, staleMs: 0, maxKeys: 4 });
    const source = counter();
    const all = await Promise.all([
      text(answers.get("k", shared, source.compute)),
      text(answers.get("k", shared, source.compute)),
      text(answers.get("k", { fresh: true }, source.compute)),
    ]);
    assert.deepEqual(all, ["1", "1", "1"]);
    assert.equal(await text(answers.get("other", shared, source.compute)), "2");
  });

  it("reuses an answer for maxAgeMs, serves it stale while refreshing, then waits", async () => {
    const answers = new SharedAnswers<Buffer>({ maxAgeMs: 400, staleMs: 400, maxKeys: 4 });
    const source = counter();
    assert.equal(await text(answers.get("k", shared, source.compute)), "1");
    assert.equal(await text(answers.get("k", shared, source.compute)), "1");
    assert.equal(await text(answers.get("k", { fresh: true }, source.compute)), "2");
    await sleep(450);
    assert.equal(await text(answers.get("k", shared, source.compute)), "2", "stale, refreshing");
    await sleep(150);
    assert.equal(await text(answers.get("k", shared, source.compute)), "3", "refreshed");
    await sleep(900);
    assert.equal(await text(answers.get("k", shared, source.compute)), "4", "too old: waits");
    assert.equal(source.count, 4);
  });

  it("keeps no failure and at most maxKeys keys", async () => {
    const answers = new SharedAnswers<Buffer>({ maxAgeMs: 1000, staleMs: 0, maxKeys: 2 });
    const failing = () => Promise.reject(new Error("database down"));
    await assert.rejects(answers.get("k", shared, failing), /database down/);
    const source = counter(0);
    assert.equal(await text(answers.get("k", shared, source.compute)), "1");
    await answers.get("b", shared, source.compute);
    await answers.get("c", shared, source.compute);
    assert.equal(await text(answers.get("k", shared, source.compute)), "4", "k was dropped");
  });
});
