// Koschei's Koji client against the simulator over real HTTPS: client-certificate login
// (certificates made with openssl at test time), every hub method, multicall with faults,
// retries after injected failures, session renewal, and a clear error for truncated answers.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { KojiClient, type KojiClientOptions, type RetryEvent } from "../../src/koji/client.js";
import { KojiConnectionError, KojiFault, XmlRpcParseError } from "@koschei/koji-protocol/faults.js";
import type { XmlRpcValue } from "@koschei/koji-protocol/xmlrpc.js";
import { HUB_METHODS } from "@koschei/koji-sim/hub.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { APP_SRC, control, distScenario } from "./hub-fixture.js";

let dir: string;
/** Serves HTTPS with client-certificate login. */
let sim: Simulator;
/** Plain HTTP, for faults injected through the control endpoint. */
let plain!: Simulator;
const pem = (name: string) => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { stdio: "pipe" });
}

/** A CA, a server certificate for 127.0.0.1 and client certificates (PEM with the key). */
function makeCertificates(): void {
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const selfSignedCa = (name: string, cn: string) =>
    openssl(
      "req",
      "-x509",
      ...newKey,
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      pem(`${name}.key`),
      "-out",
      pem(`${name}.pem`),
    );
  selfSignedCa("ca", "Test Koji CA");
  const issue = (name: string, cn: string, ca: string, extensions?: string) => {
    openssl(
      "req",
      ...newKey,
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      pem(`${name}.key`),
      "-out",
      pem(`${name}.csr`),
    );
    const args = [
      "x509",
      "-req",
      "-in",
      pem(`${name}.csr`),
      "-CA",
      pem(`${ca}.pem`),
      "-CAkey",
      pem(`${ca}.key`),
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      pem(`${name}.crt`),
    ];
    if (extensions) {
      writeFileSync(pem(`${name}.ext`), extensions);
      args.push("-extfile", pem(`${name}.ext`));
    }
    openssl(...args);
    writeFileSync(
      pem(`${name}.pem`),
      readFileSync(pem(`${name}.crt`), "utf8") + readFileSync(pem(`${name}.key`), "utf8"),
    );
  };
  issue("server", "127.0.0.1", "ca", "subjectAltName=IP:127.0.0.1\n");
  issue("client", "koschei", "ca");
  // A client certificate from a CA the hub does not trust.
  selfSignedCa("rogue", "Rogue CA");
  issue("intruder", "koschei", "rogue");
}

function client(options: Partial<KojiClientOptions> = {}, on: Simulator = sim): KojiClient {
  return new KojiClient({
    server: on.hubUrl,
    topurl: on.topurl,
    login_method: "ssl_login",
    login_args: { cert: pem("client.pem"), serverca: pem("ca.pem") },
    retry: { retry_interval: 0, offline_retry_interval: 0, max_retries: 3 },
    ...options,
  });
}

/** A simulator of the dist scenario serving HTTPS with client-certificate login. */
function startTlsSimulator(): Promise<Simulator> {
  return startSimulator({
    listen: "127.0.0.1:0",
    scenario: distScenario(),
    tls: {
      cert: readFileSync(pem("server.crt")),
      key: readFileSync(pem("server.key")),
      ca: readFileSync(pem("ca.pem")),
    },
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "koschei-sim-tls-"));
  makeCertificates();
  sim = await startTlsSimulator();
  plain = await startSimulator({ listen: "127.0.0.1:0", scenario: distScenario() });
});

after(async () => {
  await sim.close();
  await plain.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("login", () => {
  test("sslLogin with a client certificate logs in as its CN", async () => {
    const koji = client();
    await koji.login();
    assert.ok(koji.loggedIn);
    const me = (await koji.call("getLoggedInUser")) as { name: string };
    assert.equal(me.name, "koschei");
    assert.equal(koji.hubVersion, "1.35.3");
    await koji.logout();
    assert.equal(koji.loggedIn, false);
    koji.close();
  });

  test("a certificate from an untrusted CA is refused with AuthError", async () => {
    const koji = client({ login_args: { cert: pem("intruder.pem"), serverca: pem("ca.pem") } });
    await assert.rejects(
      koji.login(),
      (error: unknown) => error instanceof KojiFault && error.is("AuthError"),
    );
    koji.close();
  });

  test("anonymous clients verify the hub with serverca; without it the hub is refused", async () => {
    const anonymous = client({ login_method: "logout", login_args: { serverca: pem("ca.pem") } });
    assert.equal(await anonymous.call("getAPIVersion"), 1);
    assert.equal(anonymous.loggedIn, false);
    anonymous.close();
    const trustingNobody = client({ login_method: "logout", login_args: {} });
    await assert.rejects(trustingNobody.call("getAPIVersion"), (error: unknown) => {
      assert.ok(error instanceof KojiConnectionError && !error.retryable);
      assert.match(error.message, /certificate/);
      return true;
    });
    trustingNobody.close();
  });

  test("anonymous clients cannot build", async () => {
    const koji = client({ login_method: "logout" });
    await koji.login();
    await assert.rejects(
      koji.call("build", [APP_SRC, "dist", { scratch: true }]),
      (error: unknown) => error instanceof KojiFault && error.is("ActionNotAllowed"),
    );
    koji.close();
  });

  test("an expired session is renewed and the call repeated", async () => {
    const koji = client();
    await koji.login();
    sim.clock.advance(25 * 3600);
    const me = (await koji.call("getLoggedInUser")) as { name: string };
    assert.equal(me.name, "koschei");
    koji.close();
  });
});

/** An expected answer: exact, or only the members a pattern lists. */
type Pattern =
  string | number | boolean | null | RegExp | Pattern[] | { [member: string]: Pattern };

/** A hub call and its expected answer: `answer` exactly, or the `fields` pattern. */
type HubCall = { args: XmlRpcValue[]; kwargs?: Record<string, XmlRpcValue> } & (
  { answer: XmlRpcValue } | { fields: Pattern }
);

/**
 * Asserts that a value matches a pattern: arrays item by item with the same length, structs
 * in the members the pattern names (missing members fail), regular expressions against
 * strings, anything else exactly.
 */
function assertMatches(actual: unknown, pattern: Pattern, path: string): void {
  if (pattern instanceof RegExp) {
    assert.equal(typeof actual, "string", `${path}: expected a string`);
    assert.match(actual as string, pattern, path);
  } else if (Array.isArray(pattern)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, pattern.length, `${path}: ${JSON.stringify(actual)}`);
    pattern.forEach((item, index) => assertMatches(actual[index], item, `${path}[${index}]`));
  } else if (pattern !== null && typeof pattern === "object") {
    assert.ok(
      actual !== null && typeof actual === "object" && !Array.isArray(actual),
      `${path}: expected a struct, got ${JSON.stringify(actual)}`,
    );
    for (const [member, value] of Object.entries(pattern)) {
      assert.ok(member in actual, `${path}.${member}: missing`);
      assertMatches((actual as Record<string, unknown>)[member], value, `${path}.${member}`);
    }
  } else {
    assert.equal(actual, pattern, path);
  }
}

/** Seconds since the epoch of an ISO 8601 time, as Koji's *_ts fields. */
function epochSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}

describe("every hub method through the client", () => {
  /** A simulator of its own, so that ids, events and times do not depend on other tests. */
  let fresh: Simulator;
  before(async () => {
    fresh = await startTlsSimulator();
  });
  after(() => fresh.close());

  test("answers each method the simulator lists with the dist scenario's data", async () => {
    const koji = client({}, fresh);
    await koji.login();
    const task = (await koji.call("build", [APP_SRC, "dist", { scratch: true }], {
      priority: 30,
    })) as number;
    const repo = (await koji.call("getRepo", ["dist-build"])) as {
      id: number;
      create_event: number;
    };
    fresh.clock.advance(3600);
    // Submitted after the hour, so that it is still free (state 0) when cancelled.
    const toCancel = (await koji.call("build", [APP_SRC, "dist", { scratch: true }])) as number;
    const srcRpm = { name: "app", version: "1.0", release: "1", arch: "src" };
    const user = { id: 4, name: "koschei", status: 0, usertype: 0, krb_principals: [] };
    const distTag = { id: 1, name: "dist", perm_id: null, perm: null, arches: null };
    const distBuildTag = { id: 2, name: "dist-build", perm_id: null, perm: null };
    const tagFlags = { locked: false, maven_support: false, maven_include_all: false };
    const distTarget = {
      id: 1,
      build_tag: 2,
      dest_tag: 1,
      name: "dist",
      build_tag_name: "dist-build",
      dest_tag_name: "dist",
    };
    const repoFields: Pattern = {
      id: repo.id,
      tag_id: 2,
      tag_name: "dist-build",
      state: 1,
      create_event: repo.create_event,
      creation_time: "2024-12-31 23:59:00+00:00",
      creation_ts: epochSeconds("2024-12-31T23:59:00Z"),
    };
    const buildGroup = (tagId: number) => ({
      name: "build",
      group_id: 1,
      tag_id: tagId,
      blocked: false,
      exported: true,
      display_name: "build",
      is_default: null,
      uservisible: true,
      description: null,
      langonly: null,
      biarchonly: false,
      packagelist: [
        {
          group_id: 1,
          tag_id: tagId,
          package: "bash",
          blocked: false,
          type: "mandatory",
          basearchonly: null,
          requires: null,
        },
      ],
      grouplist: [],
    });
    const tagPackage = (packageId: number, name: string) => ({
      package_id: packageId,
      package_name: name,
      tag_id: 1,
      tag_name: "dist",
      extra_arches: null,
      blocked: false,
      owner_id: 1,
      owner_name: "kojiadmin",
    });
    // The scenario's builds come with the build tasks that made them, half an hour each.
    const scenarioBuild = (id: number, nvr: string, taskId: number, completed: string) => ({
      id,
      build_id: id,
      nvr,
      state: 1,
      epoch: null,
      task_id: taskId,
      owner_name: "kojiadmin",
      completion_time: `${completed}+00:00`,
    });
    const appBuild = scenarioBuild(3, "app-1.0-1", 10000011, "2024-12-31 23:00:00");
    const appSrcRpm: Pattern = {
      name: "app",
      version: "1.0",
      release: "1",
      nvr: "app-1.0-1",
      arch: "src",
      epoch: null,
      build_id: 3,
      buildtime: epochSeconds("2024-12-31T23:00:00Z"),
      external_repo_id: 0,
      external_repo_name: "INTERNAL",
    };
    const taskPattern = (id: number, state: number, owner: string, priority: number) => ({
      id,
      state,
      method: "build",
      arch: "noarch",
      parent: null,
      priority,
      owner_name: owner,
    });
    const host = (id: number, name: string, arches: string, capacity: number, load: number) => ({
      id,
      user_id: id + 1,
      name,
      update_ts: epochSeconds("2025-01-01T01:00:00Z"),
      ready: true,
      task_load: load,
      arches,
      capacity,
      description: null,
      comment: null,
      enabled: true,
    });
    const mirrorRepo = { id: 1, name: "mirror-1", url: "http://example.invalid/repo/" };
    const calls: Record<string, HubCall> = {
      getAPIVersion: { args: [], answer: 1 },
      getKojiVersion: { args: [], answer: "1.35.3" },
      hello: { args: [], answer: "Hello World" },
      echo: { args: ["a", 1], answer: ["a", 1] },
      // Submitting tasks makes no event: the last one created the repo.
      getLastEvent: {
        args: [],
        answer: { id: repo.create_event, ts: epochSeconds("2024-12-31T23:59:00Z") },
      },
      getLoggedInUser: { args: [], answer: { ...user, authtype: 2, krb_principal: null } },
      getUser: { args: ["koschei"], answer: user },
      getRepo: { args: ["dist-build"], kwargs: { state: 1 }, fields: repoFields },
      repoInfo: { args: [repo.id], fields: repoFields },
      getTag: {
        args: ["dist-build"],
        answer: { ...distBuildTag, arches: "x86_64 i686", ...tagFlags, extra: {} },
      },
      listTags: {
        args: [],
        answer: [
          { ...distTag, ...tagFlags },
          { ...distBuildTag, arches: "x86_64 i686", ...tagFlags },
        ],
      },
      getBuildConfig: {
        args: ["dist-build"],
        answer: {
          ...distBuildTag,
          arches: "x86_64 i686",
          ...tagFlags,
          extra: {},
          config_inheritance: { extra: {}, arches: null },
        },
      },
      getBuildTarget: { args: ["dist"], answer: distTarget },
      getBuildTargets: { args: [], answer: [distTarget] },
      listTargets: { args: [], kwargs: { destTagID: "dist" }, answer: [distTarget] },
      getTagGroups: {
        args: ["dist-build"],
        kwargs: { event: repo.create_event },
        answer: [buildGroup(2)],
      },
      listPackages: {
        args: [],
        kwargs: { tagID: "dist", inherited: true },
        answer: [tagPackage(1001, "bash"), tagPackage(1002, "libfoo"), tagPackage(1003, "app")],
      },
      listTagged: {
        args: ["dist"],
        kwargs: { latest: true, inherit: true },
        fields: [
          { ...appBuild, tag_name: "dist" },
          {
            ...scenarioBuild(2, "libfoo-1.0-1", 10000006, "2024-12-31 22:00:00"),
            tag_name: "dist",
          },
          { ...scenarioBuild(1, "bash-5.2-1", 10000001, "2024-12-31 21:00:00"), tag_name: "dist" },
        ],
      },
      getBuild: {
        args: ["app-1.0-1"],
        fields: { ...appBuild, source: /^git\+https:\/\/src\.koji-sim\.test\/rpms\/app\.git\?#/ },
      },
      listBuilds: { args: [], kwargs: { packageID: "app" }, fields: [appBuild] },
      listRPMs: { args: [], kwargs: { buildID: 3, arches: "src" }, fields: [appSrcRpm] },
      getRPM: { args: ["app-1.0-1.src"], fields: appSrcRpm },
      getRPMDeps: {
        args: [srcRpm, 0],
        answer: [
          { name: "libfoo-devel", version: "1.0", flags: 12, type: 0 },
          { name: "(bash or zsh)", version: "", flags: 0, type: 0 },
          { name: "rpmlib(CompressedFileNames)", version: "3.0.4-1", flags: 16777226, type: 0 },
          { name: "rpmlib(FileDigests)", version: "4.6.0-1", flags: 16777226, type: 0 },
        ],
      },
      getRPMHeaders: {
        args: [],
        kwargs: { rpmID: srcRpm, headers: ["BUILDARCHS", "EXCLUDEARCH", "EXCLUSIVEARCH"] },
        answer: { BUILDARCHS: [], EXCLUDEARCH: ["i686"], EXCLUSIVEARCH: [] },
      },
      // Priority 30 is relative to Koji's default 20; the task rules give 100 s per task.
      getTaskInfo: {
        args: [task],
        fields: {
          id: task,
          state: 2,
          method: "build",
          arch: "noarch",
          parent: null,
          owner: 4,
          priority: 50,
          create_time: "2025-01-01 00:00:00+00:00",
          completion_time: "2025-01-01 00:03:35+00:00",
        },
      },
      // ExcludeArch: i686 leaves one buildArch task, after the SRPM's.
      getTaskChildren: {
        args: [task],
        kwargs: { request: true },
        fields: [
          {
            method: "rebuildSRPM",
            label: "srpm",
            arch: "noarch",
            parent: task,
            state: 2,
            request: [APP_SRC, 2, { repo_id: repo.id, scratch: true }],
          },
          {
            method: "buildArch",
            label: "x86_64",
            arch: "x86_64",
            parent: task,
            state: 2,
            request: [
              /^tasks\/\d+\/\d+\/app-1\.0-1\.src\.rpm$/,
              2,
              "x86_64",
              true,
              { repo_id: repo.id },
            ],
          },
        ],
      },
      getTaskResult: { args: [task], answer: null },
      listTasks: {
        args: [{ method: "build" }],
        fields: [
          taskPattern(10000001, 2, "kojiadmin", 20),
          taskPattern(10000006, 2, "kojiadmin", 20),
          taskPattern(10000011, 2, "kojiadmin", 20),
          taskPattern(task, 2, "koschei", 50),
          taskPattern(toCancel, 0, "koschei", 20),
        ],
      },
      getChannel: {
        args: ["default"],
        answer: { id: 1, name: "default", description: null, enabled: true, comment: null },
      },
      listHosts: {
        args: [["x86_64"], 1],
        kwargs: { enabled: true },
        answer: [host(1, "builder-1", "x86_64 i386", 4, 0), host(2, "builder-2", "x86_64", 2, 1.5)],
      },
      cancelTask: { args: [toCancel], answer: null },
      // Task ids are handed out in order.
      build: {
        args: [APP_SRC, "dist", { scratch: true }],
        kwargs: { priority: 30 },
        answer: toCancel + 1,
      },
      newRepo: { args: ["dist-build"], answer: toCancel + 2 },
      tagBuild: { args: ["dist-build", "app-1.0-1"], answer: toCancel + 3 },
      // Koschei's repo_regen plugin: copy a tag with its build group and an external repo.
      createTag: { args: ["mirror"], kwargs: { arches: "x86_64" }, answer: 3 },
      createBuildTarget: { args: ["mirror", "mirror", "mirror"], answer: null },
      groupListAdd: { args: ["mirror", "build"], answer: null },
      groupPackageListAdd: {
        args: ["mirror", "build", "bash"],
        kwargs: { type: "mandatory", blocked: false },
        answer: null,
      },
      createExternalRepo: { args: ["mirror-1", "http://example.invalid/repo"], answer: mirrorRepo },
      getExternalRepo: { args: ["mirror-1"], answer: mirrorRepo },
      addExternalRepoToTag: { args: ["mirror", "mirror-1", 0], answer: null },
      getTagExternalRepos: {
        args: ["mirror"],
        answer: [
          {
            external_repo_id: 1,
            external_repo_name: "mirror-1",
            priority: 0,
            tag_id: 3,
            tag_name: "mirror",
            url: "http://example.invalid/repo/",
            merge_mode: "koji",
            arches: null,
          },
        ],
      },
      removeExternalRepoFromTag: { args: ["mirror", "mirror-1"], answer: null },
    };
    // Package list changes are for admins (this client is koschei): package-blocking.test.ts.
    const adminOnly = ["packageListBlock", "packageListUnblock"];
    const untested = HUB_METHODS.filter(
      (m) => !(m in calls) && !["sslLogin", "logout", ...adminOnly].includes(m),
    );
    assert.deepEqual(untested, [], "every method has a call here");
    for (const [method, call] of Object.entries(calls)) {
      const result = await koji.call(method, call.args, call.kwargs);
      if ("answer" in call) assert.deepEqual(result, call.answer, method);
      else assertMatches(result, call.fields, method);
    }
    // What the calls answered with null did.
    assertMatches(
      await koji.call("getTaskInfo", [toCancel]),
      { id: toCancel, state: 3 },
      "cancelled",
    );
    assert.deepEqual(await koji.call("getBuildTarget", ["mirror"]), {
      id: 2,
      build_tag: 3,
      dest_tag: 3,
      name: "mirror",
      build_tag_name: "mirror",
      dest_tag_name: "mirror",
    });
    assert.deepEqual(await koji.call("getTagGroups", ["mirror"]), [buildGroup(3)]);
    assert.deepEqual(await koji.call("getTagExternalRepos", ["mirror"]), []);
    assertMatches(
      await koji.call("listTagged", ["dist-build"]),
      [{ ...appBuild, tag_name: "dist-build" }],
      "tagged",
    );
    koji.close();
  });

  test("multiCall returns results and faults in order", async () => {
    const koji = client({ login_method: "logout", multicall_chunk_size: 2 });
    const outcomes = await koji.multiCall([
      { method: "getTag", args: ["dist"] },
      { method: "getTaskResult", args: [999999] },
      { method: "getBuildConfig", args: ["nope"] },
      { method: "getRepo", args: ["dist-build"], kwargs: { state: 1 } },
      { method: "getTaskInfo", args: [1], kwargs: { bogus: 1 } },
    ]);
    assert.equal((outcomes[0] as { name: string }).name, "dist");
    assert.ok(outcomes[1] instanceof KojiFault && outcomes[1].faultCode === 1000);
    assert.ok(
      outcomes[2] instanceof KojiFault && outcomes[2].message === "No such tagInfo: 'nope'",
    );
    assertMatches(outcomes[3], { id: 1, tag_name: "dist-build", state: 1 }, "getRepo");
    assert.ok(outcomes[4] instanceof KojiFault && outcomes[4].is("ParameterError"));
    koji.close();
  });
});

describe("reliability", () => {
  const retried: RetryEvent[] = [];
  const retrying = () =>
    client({ login_method: "logout", onRetry: (event) => retried.push(event) }, plain);

  test("HTTP 500 is retried", async () => {
    retried.length = 0;
    await control(plain.url, "/faults", { method: "getAPIVersion", count: 2, httpStatus: 500 });
    const koji = retrying();
    assert.equal(await koji.call("getAPIVersion"), 1);
    assert.deepEqual(
      retried.map((r) => r.error.message),
      Array(2).fill(`${plain.hubUrl}: HTTP 500 Simulated HTTP error 500`),
    );
    koji.close();
  });

  test("ServerOffline is waited out; other faults are final", async () => {
    retried.length = 0;
    await control(plain.url, "/faults", {
      method: "getKojiVersion",
      faultCode: 1014,
      faultString: "server is offline",
    });
    const koji = retrying();
    assert.equal(await koji.call("getKojiVersion"), "1.35.3");
    assert.equal(retried.length, 1);
    await control(plain.url, "/faults", {
      method: "getKojiVersion",
      faultCode: 1005,
      faultString: "injected",
    });
    await assert.rejects(
      koji.call("getKojiVersion"),
      (error: unknown) => error instanceof KojiFault && error.is("BuildError"),
    );
    koji.close();
  });

  test("a truncated answer is retried, and one that stays truncated is a clear parse error", async () => {
    const koji = retrying();
    await control(plain.url, "/faults", { method: "getAPIVersion", truncate: true });
    assert.equal(await koji.call("getAPIVersion"), 1);
    await control(plain.url, "/faults", { method: "getAPIVersion", count: 10, truncate: true });
    await assert.rejects(koji.call("getAPIVersion"), (error: unknown) => {
      assert.ok(error instanceof XmlRpcParseError);
      assert.match(error.message, /malformed XML-RPC at position \d+: unexpected end of input/);
      return true;
    });
    await control(plain.url, "/faults", undefined, "DELETE");
    koji.close();
  });

  test("a retried call of a logged-in session keeps its callnum and is accepted", async () => {
    const koji = client();
    await koji.login();
    sim.faults.add("getLoggedInUser", 1, { kind: "http", status: 503 });
    assert.equal(((await koji.call("getLoggedInUser")) as { name: string }).name, "koschei");
    koji.close();
  });
});
