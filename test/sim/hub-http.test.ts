// The hub's HTTP and XML-RPC behaviour: status codes, headers, argument binding faults,
// multicall, sessions (login, expiry and renewal, call numbers, logout) and injected faults.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { kwargs } from "@koschei/koji-protocol/xmlrpc.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { TestSession, control, distScenario, rawCall, sessionHeaders } from "./hub-fixture.js";

let sim: Simulator;

before(async () => {
  sim = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: distScenario(),
    plainLoginUser: "koschei",
  });
});

after(async () => {
  await sim.close();
});

describe("HTTP", () => {
  test("GET is 405 with Allow: POST; answers carry Koji-Version", async () => {
    const response = await fetch(sim.hubUrl);
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST");
    assert.equal(response.headers.get("koji-version"), "1.35.3");
    const answer = await rawCall(sim.hubUrl, "getAPIVersion", []);
    assert.equal(answer.response.headers.get("koji-version"), "1.35.3");
    assert.equal(answer.response.headers.get("content-type"), "text/xml");
    assert.equal(answer.value, 1);
  });

  test("empty and malformed requests are 400 Invalid request", async () => {
    const empty = await fetch(sim.hubUrl, { method: "POST", body: "" });
    assert.equal(empty.status, 400);
    assert.equal(await empty.text(), "Invalid request: Empty request\n");
    const bad = await fetch(sim.hubUrl, { method: "POST", body: "<methodCall><oops>" });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /^Invalid request: /);
  });
});

describe("XML-RPC dialect", () => {
  test("unknown methods and bad arguments fault like a Koji hub", async () => {
    const unknown = await rawCall(sim.hubUrl, "noSuchMethod", []);
    assert.deepEqual(
      [unknown.fault?.faultCode, unknown.fault?.message],
      [1000, "Invalid method: noSuchMethod"],
    );
    const keyword = await rawCall(sim.hubUrl, "getTaskInfo", [1, kwargs({ foo: 1 })]);
    assert.deepEqual(
      [keyword.fault?.faultCode, keyword.fault?.message],
      [1019, "RootExports.getTaskInfo() got an unexpected keyword argument 'foo'"],
    );
    const positional = await rawCall(sim.hubUrl, "getTaskInfo", [1, true, false, 4]);
    assert.equal(
      positional.fault?.message,
      "RootExports.getTaskInfo() takes from 2 to 4 positional arguments but 5 were given",
    );
    const missing = await rawCall(sim.hubUrl, "getRepo", []);
    assert.equal(
      missing.fault?.message,
      "old_get_repo() missing 1 required positional argument: 'tag'",
    );
  });

  test("method names of Object.prototype are unknown methods, alone and in multicall", async () => {
    const names = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
    for (const name of names) {
      const answer = await rawCall(sim.hubUrl, name, []);
      assert.deepEqual(
        [answer.fault?.faultCode, answer.fault?.message],
        [1000, `Invalid method: ${name}`],
      );
    }
    const calls = names.map((methodName) => ({ methodName, params: [] }));
    for (const multicall of ["multiCall", "system.multicall"]) {
      const answers = (await rawCall(sim.hubUrl, multicall, [calls])).value as {
        faultCode: number;
        faultString: string;
      }[];
      assert.deepEqual(
        answers.map((answer) => [answer.faultCode, answer.faultString]),
        names.map((name) => [1000, `Invalid method: ${name}`]),
      );
    }
  });

  test("listTargets (a simulator convenience) answers exactly like getBuildTargets", async () => {
    const argumentLists = [
      [],
      ["dist"],
      [kwargs({ buildTagID: "dist-build" })],
      [kwargs({ destTagID: "nope" })],
      [kwargs({ name: "dist" })],
    ];
    for (const args of argumentLists) {
      const alias = await rawCall(sim.hubUrl, "listTargets", args);
      const real = await rawCall(sim.hubUrl, "getBuildTargets", args);
      assert.deepEqual([alias.value, alias.fault], [real.value, real.fault], JSON.stringify(args));
    }
    const all = await rawCall(sim.hubUrl, "listTargets", []);
    assert.deepEqual(
      (all.value as { name: string }[]).map((t) => t.name),
      ["dist"],
    );
    const wrong = await rawCall(sim.hubUrl, "listTargets", [kwargs({ name: "dist" })]);
    assert.equal(
      wrong.fault?.message,
      "get_build_targets() got an unexpected keyword argument 'name'",
    );
  });

  test("kwargs, the empty __starstar struct of old clients and not-found conventions", async () => {
    const withEmpty = await rawCall(sim.hubUrl, "getRepo", ["dist-build", { __starstar: true }]);
    assert.equal(typeof (withEmpty.value as { id: number }).id, "number");
    assert.equal(
      (await rawCall(sim.hubUrl, "getRepo", ["nope"])).fault?.message,
      "No such entry in table tag: nope",
    );
    assert.equal(
      (await rawCall(sim.hubUrl, "getBuildConfig", ["nope"])).fault?.message,
      "No such tagInfo: 'nope'",
    );
    assert.equal((await rawCall(sim.hubUrl, "getTag", ["nope"])).value, null);
    assert.equal((await rawCall(sim.hubUrl, "repoInfo", [424242])).value, null);
    assert.deepEqual(
      (await rawCall(sim.hubUrl, "listTagged", ["nope", kwargs({ strict: false })])).value,
      [],
    );
    assert.deepEqual(
      (
        await rawCall(sim.hubUrl, "getRPMHeaders", [
          kwargs({ rpmID: "x-1-1.src", headers: ["BUILDARCHS"] }),
        ])
      ).value,
      {},
    );
    assert.equal(
      (
        await rawCall(sim.hubUrl, "getRPMHeaders", [
          kwargs({ rpmID: "x-1-1.src", headers: ["NOPE"] }),
        ])
      ).fault?.message,
      "No such rpm header field: NOPE",
    );
    assert.equal(
      (await rawCall(sim.hubUrl, "listHosts", [[]])).fault?.message,
      "arches option cannot be empty",
    );
  });

  test("doubles stay doubles on the wire", async () => {
    const answer = await rawCall(sim.hubUrl, "listHosts", [["x86_64"]]);
    assert.match(answer.xml, /<name>capacity<\/name>\n<value><double>4\.0<\/double>/);
    assert.match(answer.xml, /<name>task_load<\/name>\n<value><double>/);
    const event = await rawCall(sim.hubUrl, "getLastEvent", []);
    assert.match(event.xml, /<name>ts<\/name>\n<value><double>/);
    assert.match(event.xml, /<name>id<\/name>\n<value><int>/);
  });

  test("getRPMDeps gives BuildRequires with rpm flags, including rpmlib ones", async () => {
    const deps = await rawCall(sim.hubUrl, "getRPMDeps", [
      { name: "app", version: "1.0", release: "1", arch: "src" },
      0,
    ]);
    assert.deepEqual(deps.value, [
      { name: "libfoo-devel", version: "1.0", flags: 12, type: 0 },
      { name: "(bash or zsh)", version: "", flags: 0, type: 0 },
      { name: "rpmlib(CompressedFileNames)", version: "3.0.4-1", flags: 16777226, type: 0 },
      { name: "rpmlib(FileDigests)", version: "4.6.0-1", flags: 16777226, type: 0 },
    ]);
  });

  test("multiCall answers [result] per success and fault structs per failure, in order", async () => {
    const answer = await rawCall(sim.hubUrl, "multiCall", [
      [
        { methodName: "getAPIVersion", params: [] },
        { methodName: "getTag", params: ["nope"] },
        { methodName: "getBuildConfig", params: ["nope"] },
        { methodName: "getTaskInfo", params: [1, kwargs({ bogus: true })] },
      ],
    ]);
    const [version, tag, config, bad] = answer.value as unknown[];
    assert.deepEqual(version, [1]);
    assert.deepEqual(tag, [null]);
    assert.deepEqual(config, {
      faultCode: 1000,
      faultString: "No such tagInfo: 'nope'",
      traceback: (config as { traceback: string[] }).traceback,
    });
    assert.ok(Array.isArray((config as { traceback: unknown }).traceback));
    assert.equal((bad as { faultCode: number }).faultCode, 1019);
    const viaSystem = await rawCall(sim.hubUrl, "system.multicall", [
      [{ methodName: "getAPIVersion", params: [] }],
    ]);
    assert.deepEqual(viaSystem.value, [[1]]);
  });
});

describe("tagBuild", () => {
  test("tags an existing build through a finished tagBuild task, with Koji's checks", async () => {
    const koji = await TestSession.open(sim.hubUrl);
    const again = await koji.call("tagBuild", ["dist", "app-1.0-1"]);
    assert.deepEqual(
      [again.fault?.faultCode, again.fault?.message],
      [1003, "build app-1.0-1 already tagged (dist)"],
    );
    const taskId = await koji.value<number>("tagBuild", ["dist-build", "app-1.0-1"]);
    const task = await koji.value<{ method: string; state: number }>("getTaskInfo", [taskId]);
    assert.deepEqual([task.method, task.state], ["tagBuild", 2]);
    const tagged = await koji.value<{ tag_name: string }[]>("listTagged", ["dist-build"], {
      package: "app",
    });
    assert.deepEqual(
      tagged.map((b) => b.tag_name),
      ["dist-build"],
    );
    assert.equal(
      (await rawCall(sim.hubUrl, "tagBuild", ["dist", "app-1.0-1"])).fault?.faultCode,
      1004,
    );
  });
});

describe("tag administration (repo_regen)", () => {
  test("creates tags, targets, groups and external repos with Koji's faults", async () => {
    const koji = await TestSession.open(sim.hubUrl);
    const id = await koji.value<number>("createTag", ["side-build"], { parent: "dist-build" });
    assert.equal((await koji.value<{ id: number }>("getTag", ["side-build"])).id, id);
    const config = await koji.value<{ arches: string }>("getBuildConfig", ["side-build"]);
    assert.equal(config.arches, "x86_64 i686", "arches inherited from dist-build");
    const again = await koji.call("createTag", ["side-build"]);
    assert.equal(again.fault?.message, "A tag with the name 'side-build' already exists");
    assert.equal(await koji.value("createBuildTarget", ["side", "side-build", "dist"]), null);
    assert.equal(
      (await koji.value<{ build_tag_name: string }>("getBuildTarget", ["side"])).build_tag_name,
      "side-build",
    );

    const missing = await koji.call("groupPackageListAdd", ["side-build", "srpm-build", "rpm"]);
    assert.equal(missing.fault?.message, "group srpm-build not present in tag side-build");
    await koji.value("groupListAdd", ["side-build", "srpm-build"]);
    await koji.value("groupPackageListAdd", ["side-build", "srpm-build", "rpm"], {
      type: "default",
    });
    const groups = await koji.value<
      { name: string; packagelist: { package: string; type: string }[] }[]
    >("getTagGroups", ["side-build"]);
    assert.deepEqual(
      groups.map((g) => [g.name, g.packagelist.map((p) => `${p.package}:${p.type}`)]),
      [
        ["srpm-build", ["rpm:default"]],
        ["build", ["bash:mandatory"]],
      ],
    );

    const repo = await koji.value<{ id: number; url: string }>("createExternalRepo", [
      "ext",
      "http://x.invalid/r",
    ]);
    assert.equal(repo.url, "http://x.invalid/r/");
    await koji.value("addExternalRepoToTag", ["side-build", "ext", 5]);
    const clash = await koji.call("addExternalRepoToTag", ["side-build", "ext", 6]);
    assert.equal(clash.fault?.message, "tag side-build already associated with external repo ext");
    const listed = await koji.value<{ external_repo_name: string; priority: number }[]>(
      "getTagExternalRepos",
      ["side-build"],
    );
    assert.deepEqual(
      listed.map((r) => [r.external_repo_name, r.priority]),
      [["ext", 5]],
    );
    await koji.value("removeExternalRepoFromTag", ["side-build", "ext"]);
    const gone = await koji.call("removeExternalRepoFromTag", ["side-build", "ext"]);
    assert.equal(gone.fault?.message, "external repo ext not associated with tag side-build");
    assert.equal((await rawCall(sim.hubUrl, "createTag", ["anonymous"])).fault?.faultCode, 1004);
  });
});

describe("sessions", () => {
  test("sslLogin gives a session; the session is checked on every call", async () => {
    const koji = await TestSession.open(sim.hubUrl);
    const login = koji.login as Record<string, unknown>;
    assert.equal(login["header-auth"], true);
    assert.match(login["session-key"] as string, /^\d+-[A-Za-z0-9]{19}$/);
    const me = await koji.value<{ name: string; authtype: number }>("getLoggedInUser");
    assert.deepEqual([me.name, me.authtype], ["koschei", 2]);

    const forged = { ...login, "session-key": "1-forged" };
    const wrongKey = await rawCall(sim.hubUrl, "getLoggedInUser", [], sessionHeaders(forged, 99));
    assert.deepEqual(
      [wrongKey.fault?.faultCode, wrongKey.fault?.message],
      [1002, "Invalid session or bad credentials"],
    );
    await koji.value("createTag", ["sequence-test"]); // a write: the hub keeps its call number
    const stale = await rawCall(sim.hubUrl, "getLoggedInUser", [], sessionHeaders(login, 0));
    assert.equal(stale.fault?.faultCode, 1008, "callnum below the last one is a SequenceError");
    assert.equal(await koji.value("logout", [], { session_id: null }), null);
    assert.equal((await koji.call("getLoggedInUser")).fault?.faultCode, 1002);
    assert.equal(
      (await rawCall(sim.hubUrl, "sslLogin", [kwargs({ proxyuser: null })])).fault?.faultCode,
      1002,
      "only on /ssllogin",
    );
  });

  test("the same call number again is a RetryError after a write that went through, not after a read or a fault", async () => {
    const koji = await TestSession.open(sim.hubUrl);
    const login = koji.login as Record<string, unknown>;
    const headers = (callnum: number) => sessionHeaders(login, callnum);
    const read = await rawCall(sim.hubUrl, "getLoggedInUser", [], headers(40));
    assert.equal((read.value as { name: string }).name, "koschei");
    const readAgain = await rawCall(sim.hubUrl, "getLoggedInUser", [], headers(40));
    assert.equal((readAgain.value as { name: string }).name, "koschei", "reads may be retried");
    const created = await rawCall(sim.hubUrl, "createTag", ["retry-test"], headers(41));
    assert.equal(created.fault, undefined);
    const createdAgain = await rawCall(sim.hubUrl, "createTag", ["retry-test"], headers(41));
    assert.deepEqual(
      [createdAgain.fault?.faultCode, createdAgain.fault?.message],
      [1009, `unable to retry call 41 (method createTag) for session ${login["session-id"]}`],
    );
    const clash = await rawCall(sim.hubUrl, "createTag", ["retry-test"], headers(42));
    assert.equal(clash.fault?.faultCode, 1000, "an existing tag is a GenericError");
    const retried = await rawCall(sim.hubUrl, "createTag", ["retry-test-2"], headers(42));
    assert.equal(retried.fault, undefined, "a failed write leaves its number free");
  });

  test("legacy clients pass the session in the query string", async () => {
    const other = (await TestSession.open(sim.hubUrl)).login as Record<string, unknown>;
    const query = `session-id=${other["session-id"]}&session-key=${other["session-key"]}&callnum=5`;
    const viaQuery = await rawCall(`${sim.hubUrl}?${query}`, "getLoggedInUser", []);
    assert.equal((viaQuery.value as { name: string }).name, "koschei");
  });

  test("sessions expire after 24 simulated hours and are renewed by sslLogin(renew=True)", async () => {
    const koji = await TestSession.open(sim.hubUrl);
    const before = koji.login as Record<string, unknown>;
    await control(sim.url, "/advance", { seconds: 25 * 3600 });
    const expired = await koji.call("getLoggedInUser");
    assert.equal(expired.fault?.faultCode, 1007);
    const renewed = await rawCall(
      `${sim.hubUrl}/ssllogin`,
      "sslLogin",
      [kwargs({ proxyuser: null, renew: true })],
      sessionHeaders(before, 1000),
    );
    const after = renewed.value as Record<string, unknown>;
    assert.equal(after["session-id"], before["session-id"]);
    assert.notEqual(after["session-key"], before["session-key"]);
    koji.login = after;
    assert.equal((await koji.value<{ name: string }>("getLoggedInUser")).name, "koschei");
  });
});

describe("fault injection", () => {
  test("the next N calls of a method answer the injected fault, then normal answers resume", async () => {
    const added = await control(sim.url, "/faults", {
      method: "getAPIVersion",
      count: 2,
      faultCode: 1014,
      faultString: "server is offline",
    });
    assert.equal(added.status, 200);
    for (let i = 0; i < 2; i++) {
      const answer = await rawCall(sim.hubUrl, "getAPIVersion", []);
      assert.deepEqual(
        [answer.fault?.faultCode, answer.fault?.message],
        [1014, "server is offline"],
      );
    }
    assert.equal((await rawCall(sim.hubUrl, "getAPIVersion", [])).value, 1);
  });

  test("HTTP errors, truncated answers and slow answers", async () => {
    await control(sim.url, "/faults", { method: "getAPIVersion", httpStatus: 500 });
    await control(sim.url, "/faults", { method: "getKojiVersion", truncate: true });
    await control(sim.url, "/faults", { method: "hello", delayMs: 20 });
    assert.equal((await control(sim.url, "/faults")).body.length, 3);
    const http = await fetch(sim.hubUrl, {
      method: "POST",
      body: "<?xml version='1.0'?><methodCall><methodName>getAPIVersion</methodName></methodCall>",
    });
    assert.equal(http.status, 500);
    await assert.rejects(
      rawCall(sim.hubUrl, "getKojiVersion", []),
      /malformed XML-RPC|unexpected end/,
    );
    assert.equal((await rawCall(sim.hubUrl, "hello", [])).value, "Hello World");
    assert.equal((await rawCall(sim.hubUrl, "getAPIVersion", [])).value, 1);
  });

  test("bad fault specs are refused; DELETE clears pending faults", async () => {
    assert.equal(
      (await control(sim.url, "/faults", { method: "x", faultCode: 1, httpStatus: 500 })).status,
      400,
    );
    assert.equal((await control(sim.url, "/faults", { method: "x" })).status, 400);
    await control(sim.url, "/faults", { method: "*", count: 5, httpStatus: 503 });
    assert.deepEqual((await control(sim.url, "/faults", undefined, "DELETE")).body, []);
    assert.equal((await rawCall(sim.hubUrl, "getAPIVersion", [])).value, 1);
  });
});
