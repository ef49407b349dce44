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

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "koschei-sim-tls-"));
  makeCertificates();
  sim = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: distScenario(),
    tls: {
      cert: readFileSync(pem("server.crt")),
      key: readFileSync(pem("server.key")),
      ca: readFileSync(pem("ca.pem")),
    },
  });
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

describe("every hub method through the client", () => {
  test("answers each method the simulator lists", async () => {
    const koji = client();
    await koji.login();
    const task = (await koji.call("build", [APP_SRC, "dist", { scratch: true }], {
      priority: 30,
    })) as number;
    const repo = (await koji.call("getRepo", ["dist-build"])) as {
      id: number;
      create_event: number;
    };
    const toCancel = (await koji.call("build", [APP_SRC, "dist", { scratch: true }])) as number;
    sim.clock.advance(3600);
    const srcRpm = { name: "app", version: "1.0", release: "1", arch: "src" };
    const calls: Record<string, [XmlRpcValue[], Record<string, XmlRpcValue>?]> = {
      getAPIVersion: [[]],
      getKojiVersion: [[]],
      hello: [[]],
      echo: [["a", 1]],
      getLastEvent: [[]],
      getLoggedInUser: [[]],
      getUser: [["koschei"]],
      getRepo: [["dist-build"], { state: 1 }],
      repoInfo: [[repo.id]],
      getTag: [["dist-build"]],
      listTags: [[]],
      getBuildConfig: [["dist-build"]],
      getBuildTarget: [["dist"]],
      getBuildTargets: [[]],
      listTargets: [[], { destTagID: "dist" }],
      getTagGroups: [["dist-build"], { event: repo.create_event }],
      listPackages: [[], { tagID: "dist", inherited: true }],
      listTagged: [["dist"], { latest: true, inherit: true }],
      getBuild: [["app-1.0-1"]],
      listBuilds: [[], { packageID: "app" }],
      listRPMs: [[], { buildID: 3, arches: "src" }],
      getRPM: [["app-1.0-1.src"]],
      getRPMDeps: [[srcRpm, 0]],
      getRPMHeaders: [
        [],
        { rpmID: srcRpm, headers: ["BUILDARCHS", "EXCLUDEARCH", "EXCLUSIVEARCH"] },
      ],
      getTaskInfo: [[task]],
      getTaskChildren: [[task], { request: true }],
      getTaskResult: [[task]],
      listTasks: [[{ method: "build" }]],
      getChannel: [["default"]],
      listHosts: [[["x86_64"], 1], { enabled: true }],
      cancelTask: [[toCancel]],
      build: [[APP_SRC, "dist", { scratch: true }], { priority: 30 }],
      newRepo: [["dist-build"]],
      tagBuild: [["dist-build", "app-1.0-1"]],
      // Koschei's repo_regen plugin: copy a tag with its build group and an external repo.
      createTag: [["mirror"], { arches: "x86_64" }],
      createBuildTarget: [["mirror", "mirror", "mirror"]],
      groupListAdd: [["mirror", "build"]],
      groupPackageListAdd: [["mirror", "build", "bash"], { type: "mandatory", blocked: false }],
      createExternalRepo: [["mirror-1", "http://example.invalid/repo"]],
      getExternalRepo: [["mirror-1"]],
      addExternalRepoToTag: [["mirror", "mirror-1", 0]],
      getTagExternalRepos: [["mirror"]],
      removeExternalRepoFromTag: [["mirror", "mirror-1"]],
    };
    const untested = HUB_METHODS.filter(
      (m) => !(m in calls) && !["sslLogin", "logout"].includes(m),
    );
    assert.deepEqual(untested, [], "every method has a call here");
    for (const [method, [args, kwargs]] of Object.entries(calls)) {
      const result = await koji.call(method, args, kwargs);
      assert.notEqual(result, undefined, method);
    }
    assert.deepEqual(await koji.call("echo", ["a", 1]), ["a", 1]);
    const groups = (await koji.call("getTagGroups", ["mirror"])) as {
      packagelist: { package: string }[];
    }[];
    assert.deepEqual(
      groups[0]!.packagelist.map((p) => p.package),
      ["bash"],
    );
    assert.deepEqual(await koji.call("getTagExternalRepos", ["mirror"]), []);
    assert.equal(
      ((await koji.call("getRPMHeaders", [], calls.getRPMHeaders![1])) as { EXCLUDEARCH: string[] })
        .EXCLUDEARCH[0],
      "i686",
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
    assert.equal(typeof (outcomes[3] as { id: number }).id, "number");
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
