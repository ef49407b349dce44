// packageListBlock / packageListUnblock over HTTP: Koji's pkglist_block and pkglist_unblock
// with the default package_list policy (admins), each change in a new event that listPackages
// (now, at an event, with inheritance) and listTagged show; Koji's faults for unknown names,
// anonymous and non-admin callers; the call number of a block kept like other writes'.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { XmlRpcStruct, XmlRpcValue } from "@koschei/koji-protocol/xmlrpc.js";
import { parseScenario, type Scenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { TestSession, rawCall, sessionHeaders } from "./hub-fixture.js";

function blockingScenario(): Scenario {
  const build = (name: string, tags: string[]) => ({
    name,
    version: "1.0",
    release: "1",
    tags,
    imported: true,
    rpms: [{ name, arch: "x86_64" }],
  });
  return parseScenario(
    {
      name: "blocking",
      startTime: "2025-01-01T00:00:00Z",
      hosts: [{ name: "builder-1", arches: ["x86_64"] }],
      tags: [
        { name: "base" },
        { name: "child", parents: ["base"] },
        { name: "grandchild", parents: ["child"] },
        { name: "other" },
      ],
      targets: [],
      builds: [build("foo", ["base"]), build("bar", ["base"]), build("baz", ["other"])],
    },
    "blocking",
  );
}

let admin: Simulator;
let plain: Simulator;
let koji: TestSession;

before(async () => {
  admin = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: blockingScenario(),
    plainLoginUser: "kojiadmin",
  });
  plain = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: blockingScenario(),
    plainLoginUser: "koschei",
  });
  koji = await TestSession.open(admin.hubUrl);
});

after(async () => {
  await admin?.close();
  await plain?.close();
});

type Row = Record<string, XmlRpcValue>;

/** listPackages rows as "package: blocked (tag)" strings, sorted. */
async function listing(tag: string, kw: XmlRpcStruct = {}): Promise<string[]> {
  const rows = await koji.value<Row[]>("listPackages", [], { tagID: tag, ...kw });
  return rows
    .map((r) => `${String(r.package_name)}: ${String(r.blocked)} (${String(r.tag_name)})`)
    .sort();
}

async function lastEvent(): Promise<number> {
  return (await koji.value<Row>("getLastEvent")).id as number;
}

async function taggedNames(tag: string, kw: XmlRpcStruct = {}): Promise<string[]> {
  const rows = await koji.value<Row[]>("listTagged", [tag], kw);
  return rows.map((r) => String(r.name)).sort();
}

async function fault(session: TestSession | string, method: string, args: XmlRpcValue[]) {
  const answer =
    typeof session === "string"
      ? await rawCall(session, method, args)
      : await session.call(method, args);
  assert.ok(answer.fault, `${method}(${JSON.stringify(args)}) should fault`);
  return [answer.fault.faultCode, answer.fault.faultString];
}

describe("packageListBlock and packageListUnblock", () => {
  test("a block is a new event: listPackages now and with inheritance show it, not before", async () => {
    const before = await lastEvent();
    assert.equal(await koji.value("packageListBlock", ["base", "foo"]), null);
    const blockEvent = await lastEvent();
    assert.equal(blockEvent, before + 1);

    assert.deepEqual(await listing("base"), ["bar: false (base)", "foo: true (base)"]);
    assert.deepEqual(await listing("grandchild", { inherited: true }), [
      "bar: false (base)",
      "foo: true (base)",
    ]);
    assert.deepEqual(await listing("child"), [], "no entries of its own");
    assert.deepEqual(await listing("base", { event: before }), [
      "bar: false (base)",
      "foo: false (base)",
    ]);
    assert.deepEqual(await listing("grandchild", { inherited: true, event: before }), [
      "bar: false (base)",
      "foo: false (base)",
    ]);
    assert.deepEqual(await listing("base", { with_blocked: false }), ["bar: false (base)"]);
    // Builds of a blocked package are not tagged for listTagged (readTaggedBuilds).
    assert.deepEqual(await taggedNames("child", { inherit: true }), ["bar"]);
    assert.deepEqual(await taggedNames("child", { inherit: true, event: before }), ["bar", "foo"]);

    // Blocking again changes nothing: no new event.
    assert.equal(await koji.value("packageListBlock", ["base", "foo"]), null);
    assert.equal(await lastEvent(), blockEvent);
  });

  test("unblocking an inherited block adds an unblocked entry in the tag, the parent stays blocked", async () => {
    const before = await lastEvent();
    assert.equal(await koji.value("packageListUnblock", ["child", "foo"]), null);
    assert.equal(await lastEvent(), before + 1);
    assert.deepEqual(await listing("child"), ["foo: false (child)"]);
    assert.deepEqual(await listing("grandchild", { inherited: true }), [
      "bar: false (base)",
      "foo: false (child)",
    ]);
    assert.deepEqual(await listing("base"), ["bar: false (base)", "foo: true (base)"]);
    assert.deepEqual(await taggedNames("grandchild", { inherit: true }), ["bar", "foo"]);
    assert.deepEqual(await listing("grandchild", { inherited: true, event: before }), [
      "bar: false (base)",
      "foo: true (base)",
    ]);
  });

  test("unblocking a block in the tag itself leaves the package listed, unblocked", async () => {
    const before = await lastEvent();
    assert.equal(await koji.value("packageListUnblock", ["base", "foo"]), null);
    assert.equal(await lastEvent(), before + 1);
    assert.deepEqual(await listing("base"), ["bar: false (base)", "foo: false (base)"]);
    assert.deepEqual(await listing("base", { event: before }), [
      "bar: false (base)",
      "foo: true (base)",
    ]);
    // Blocking in a child tag by package id: an own blocked entry there.
    const [foo] = await koji.value<Row[]>("listPackages", [], { tagID: "base", prefix: "foo" });
    assert.equal(await koji.value("packageListBlock", ["grandchild", foo!.package_id!]), null);
    assert.deepEqual(await listing("grandchild", { inherited: true }), [
      "bar: false (base)",
      "foo: true (grandchild)",
    ]);
    assert.deepEqual(await listing("child", { inherited: true }), [
      "bar: false (base)",
      "foo: false (child)",
    ]);
  });

  test("unknown tags and packages, unlisted and not blocked packages: Koji's GenericErrors", async () => {
    const before = await lastEvent();
    assert.deepEqual(await fault(koji, "packageListBlock", ["nope", "foo"]), [
      1000,
      "No such tagInfo: 'nope'",
    ]);
    assert.deepEqual(await fault(koji, "packageListBlock", ["base", "nope"]), [
      1000,
      "No such entry in table package: nope",
    ]);
    assert.deepEqual(await fault(koji, "packageListUnblock", ["nope", "foo"]), [
      1000,
      "No such tagInfo: 'nope'",
    ]);
    assert.deepEqual(await fault(koji, "packageListUnblock", ["base", "nope"]), [
      1000,
      "No such entry in table package: nope",
    ]);
    assert.deepEqual(await fault(koji, "packageListBlock", ["base", "baz"]), [
      1000,
      "Package baz is not in tag listing for base",
    ]);
    assert.deepEqual(await fault(koji, "packageListUnblock", ["base", "baz"]), [
      1000,
      "no data (blocked or otherwise) for package baz in tag base",
    ]);
    assert.deepEqual(await fault(koji, "packageListUnblock", ["base", "bar"]), [
      1000,
      "package bar NOT blocked in tag base",
    ]);
    assert.deepEqual(await fault(koji, "packageListBlock", ["base"]), [
      1019,
      "pkglist_block() missing 1 required positional argument: 'pkginfo'",
    ]);
    assert.equal(await lastEvent(), before, "no fault changed anything");
  });

  test("anonymous callers must log in, other users are refused by the package_list policy", async () => {
    const before = await lastEvent();
    for (const method of ["packageListBlock", "packageListUnblock"]) {
      assert.deepEqual(await fault(admin.hubUrl, method, ["base", "bar"]), [
        1004,
        "you must be logged in for this operation",
      ]);
      // As on Koji, the tag and package are looked up before the login is checked.
      assert.deepEqual(await fault(admin.hubUrl, method, ["nope", "bar"]), [
        1000,
        "No such tagInfo: 'nope'",
      ]);
    }
    const user = await TestSession.open(plain.hubUrl);
    assert.equal((await user.value<Row>("getLoggedInUser")).name, "koschei");
    for (const method of ["packageListBlock", "packageListUnblock"]) {
      assert.deepEqual(await fault(user, method, ["base", "bar"]), [
        1004,
        "policy violation (package_list): Only admin/tag can do this via default policy",
      ]);
    }
    assert.deepEqual(await fault(plain.hubUrl, "packageListBlock", ["base", "baz"]), [
      1000,
      "Package baz is not in tag listing for base",
    ]);
    assert.equal(await lastEvent(), before);
  });

  test("a block's call number is kept: the same number again is RetryError", async () => {
    const login = (await rawCall(`${admin.hubUrl}/ssllogin`, "sslLogin", [])).value!;
    const headers = sessionHeaders(login, 7);
    const first = await rawCall(admin.hubUrl, "packageListBlock", ["base", "bar"], headers);
    assert.equal(first.fault, undefined);
    const again = await rawCall(admin.hubUrl, "packageListUnblock", ["base", "bar"], headers);
    const sessionId = (login as Row)["session-id"] as number;
    assert.deepEqual(
      [again.fault?.faultCode, again.fault?.faultString],
      [1009, `unable to retry call 7 (method packageListUnblock) for session ${sessionId}`],
    );
    assert.deepEqual(await listing("base"), ["bar: true (base)", "foo: false (base)"]);
    const next = sessionHeaders(login, 8);
    assert.equal(
      (await rawCall(admin.hubUrl, "packageListUnblock", ["base", "bar"], next)).fault,
      undefined,
    );
    assert.deepEqual(await listing("base"), ["bar: false (base)", "foo: false (base)"]);
  });
});
