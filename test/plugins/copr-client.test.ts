// Koschei's Copr client (spec 11 §2) against the Copr simulator over real HTTP: every method,
// Copr's refusals (401, 404, 400) and outages (500, 503, 429, no answer, a connection dropped,
// an answer that never ends) told apart as transient or not, answers of the wrong shape, the
// copr client configuration file, builds advancing to succeeded or failed, and the build-end
// message on a real RabbitMQ.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { listenOnTopic, type TopicListener } from "../support/amqp-listener.js";
import type { KoscheiConfig } from "../../src/config/index.js";
import {
  CoprClient,
  CoprError,
  CoprNotFoundError,
  type CoprBuild,
  type CreateProjectOptions,
} from "../../src/plugins/copr/copr-client.js";
import {
  CoprConfigError,
  parseCoprConfig,
  readCoprConfig,
} from "../../src/plugins/copr/copr-config.js";
import { coprConfigText, startCoprSim, type CoprWorld } from "../support/copr-world.js";

const AMQP_URL = process.env.KOSCHEI_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672/%2F";
/** Short limits, so that the tests of a silent or endless Copr end in about a second. */
const QUICK = { connectMs: 1_000, idleMs: 400, overallMs: 1_500 };
const OWNER = "koschei";
const CHROOT = "custom-1-x86_64";
const SRPM =
  "https://kojipkgs.example.org/packages/rnv/1.7.11/10.fc29/src/rnv-1.7.11-10.fc29.src.rpm";
const COMPS = Buffer.from('<?xml version="1.0"?>\n<comps><group><id>build</id></group></comps>\n');

const PROJECT_OPTIONS: CreateProjectOptions = {
  chroots: [CHROOT],
  description: "Koschei rebuild for request 12",
  instructions: "Not for installing.",
  additionalRepos: ["https://copr.example.org/results/someone/update/fedora-rawhide-x86_64/"],
  unlistedOnHomePage: true,
  develMode: false,
  enableNet: false,
};

let world: CoprWorld;
let dir: string;

function client(overrides: { token?: string; url?: string } = {}): CoprClient {
  return new CoprClient({
    url: overrides.url ?? world.url,
    login: world.user.login,
    username: world.user.username,
    token: overrides.token ?? world.user.token,
    timeouts: QUICK,
  });
}

/** The rejection of `promise`, which must be a CoprError. */
async function coprError(promise: Promise<unknown>): Promise<CoprError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CoprError, `expected a CoprError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the call to fail");
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  world = await startCoprSim({ timing: { auto: false } });
  dir = mkdtempSync(join(tmpdir(), "koschei-copr-client-"));
});

after(async () => {
  await world.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  world.sim.setFaults(null);
  world.sim.setTiming({ auto: false });
  world.sim.setOutcomes({ defaultOutcome: "succeeded", failingPackages: [] });
  world.sim.calls.length = 0;
});

describe("the copr client configuration file", () => {
  it("is read from copr.config_path, and the client logs in with it", async () => {
    const path = world.writeConfig(dir);
    assert.deepEqual(readCoprConfig(path), {
      login: world.user.login,
      username: world.user.username,
      token: world.user.token,
      coprUrl: world.url,
    });
    const fromConfig = CoprClient.fromConfig({ copr: { config_path: path } } as KoscheiConfig);
    assert.equal(fromConfig.username, "koschei");
    await fromConfig.createProject(OWNER, "from-config", PROJECT_OPTIONS);
    assert.equal(world.sim.calls.at(-1)?.user, "koschei");
    await fromConfig.deleteProject(OWNER, "from-config");
  });

  it("reads configparser's syntax: comments, ':' and '=', case of keys, DEFAULT, %% and %(key)s", () => {
    const settings = parseCoprConfig(
      [
        "; python-copr's file",
        "[DEFAULT]",
        "host = copr.stg.fedoraproject.org",
        "",
        "[copr-cli]",
        "# from https://copr.stg.fedoraproject.org/api/",
        "LOGIN: asdf",
        "username = koschei",
        "token = abc%%def",
        "copr_url = https://%(host)s",
        "",
      ].join("\r\n"),
      "/etc/koschei/copr-config",
    );
    assert.deepEqual(settings, {
      login: "asdf",
      username: "koschei",
      token: "abc%def",
      coprUrl: "https://copr.stg.fedoraproject.org",
    });
  });

  it("names the path and the keys it needs when the file is missing", () => {
    const path = join(dir, "nowhere", "copr-config");
    assert.throws(
      () => readCoprConfig(path),
      (error: Error) => {
        assert.ok(error instanceof CoprConfigError);
        assert.match(
          error.message,
          new RegExp(`${path.replace(/[/.]/g, "\\$&")} .*does not exist`),
        );
        assert.match(error.message, /\[copr-cli\] section with login, username, token, copr_url/);
        return true;
      },
    );
    assert.throws(
      () => CoprClient.fromConfig({ copr: { config_path: path } } as KoscheiConfig),
      CoprConfigError,
    );
    const directory = join(dir, "a-directory");
    mkdirSync(directory, { recursive: true });
    assert.throws(() => readCoprConfig(directory), /is a directory/);
  });

  it("refuses what it cannot read, naming the line but never quoting the token", () => {
    const refusals: [string, RegExp][] = [
      ["token = s3cret\n", /line 1: a setting before the first \[section\] header/],
      [
        "[copr-cli]\nlogin = a\nusername = b\ntoken = s3cret\n",
        /lacks copr_url \(it needs login, username, token, copr_url\)/,
      ],
      ["[copr-cli]\nlogin = a\nusername = b\ntoken =\ncopr_url = https://x\n", /lacks token/],
      ["[copr]\ntoken = s3cret\n", /has no \[copr-cli\] section/],
      ["[copr-cli]\ntoken = s3cret\nToken = s3cret2\n", /line 3: 'token' appears twice/],
      ["[copr-cli]\n[copr-cli]\n", /line 2: section \[copr-cli\] appears twice/],
      ["[copr-cli]\ns3cret\n", /line 2: expected '\[section\]', 'key = value' or a comment/],
      [
        "[copr-cli]\nlogin=a\nusername=b\ntoken=s3cret\ncopr_url=copr.example.org\n",
        /copr_url .* is not a URL/,
      ],
      [
        "[copr-cli]\nlogin=a\nusername=b\ntoken=s3cret\ncopr_url=ftp://copr.example.org\n",
        /must start with https/,
      ],
      [
        "[copr-cli]\nlogin=a\nusername=b\ntoken=s3%cret\ncopr_url=https://x\n",
        /'token' .* has a '%'/,
      ],
      [
        "[copr-cli]\nlogin=a\nusername=b\ntoken=s3cret\ncopr_url=http://copr.example.org\n",
        /plain http:\/\/, which would send the API token unencrypted; .*encrypted = False/,
      ],
    ];
    for (const [text, expected] of refusals) {
      assert.throws(
        () => parseCoprConfig(text, "/etc/koschei/copr-config"),
        (error: Error) => {
          assert.ok(error instanceof CoprConfigError, String(error));
          assert.match(error.message, /^\/etc\/koschei\/copr-config/);
          assert.match(error.message, expected);
          assert.doesNotMatch(error.message, /s3cret/);
          return true;
        },
        text,
      );
    }
  });

  it("allows plain http only when the file says encrypted = False", () => {
    const text = coprConfigText("http://127.0.0.1:1", world.user);
    assert.equal(parseCoprConfig(text, "x").coprUrl, "http://127.0.0.1:1");
    assert.throws(() => parseCoprConfig(text.replace("False", "maybe"), "x"), /true or false/);
  });
});

describe("projects", () => {
  it("reads the user's project and its chroot repositories", async () => {
    world.sim.createProject({
      ownername: "mizdebsk",
      name: "isync-gmail",
      chroots: [],
      chrootRepos: {
        "fedora-rawhide-x86_64":
          "https://download.copr-dev.fedorainfracloud.org/results/mizdebsk/isync-gmail/fedora-rawhide-x86_64/",
        "fedora-29-x86_64": "https://example.org/f29/",
      },
    });
    const project = await client().getProject("mizdebsk", "isync-gmail");
    assert.deepEqual(project, {
      ownername: "mizdebsk",
      name: "isync-gmail",
      chroot_repos: {
        "fedora-rawhide-x86_64":
          "https://download.copr-dev.fedorainfracloud.org/results/mizdebsk/isync-gmail/fedora-rawhide-x86_64/",
        "fedora-29-x86_64": "https://example.org/f29/",
      },
    });
    assert.deepEqual(world.sim.calls.at(-1), {
      ...world.sim.calls.at(-1),
      method: "GET",
      path: "/api_3/project",
      query: { ownername: "mizdebsk", projectname: "isync-gmail" },
      status: 200,
    });
  });

  it("tells a missing project apart (CoprNotFoundError, Copr's words, not transient)", async () => {
    const error = await coprError(client().getProject("nobody", "nothing"));
    assert.ok(error instanceof CoprNotFoundError);
    assert.equal(error.transient, false);
    assert.equal(error.status, 404);
    assert.equal(
      error.message,
      `Copr GET ${world.url}/api_3/project?ownername=nobody&projectname=nothing: HTTP 404: ` +
        "Project nobody/nothing does not exist.",
    );
  });

  it("creates a project with Koschei's settings, then deletes it", async () => {
    await client().createProject(OWNER, "k-12-345", PROJECT_OPTIONS);
    const call = world.sim.calls.at(-1)!;
    assert.equal(call.method, "POST");
    assert.equal(call.path, "/api_3/project/add/koschei");
    assert.equal(call.user, "koschei");
    assert.deepEqual(call.input, {
      name: "k-12-345",
      chroots: [CHROOT],
      description: "Koschei rebuild for request 12",
      instructions: "Not for installing.",
      additional_repos: PROJECT_OPTIONS.additionalRepos,
      unlisted_on_hp: true,
      devel_mode: false,
      enable_net: false,
    });
    const project = world.sim.state.project(OWNER, "k-12-345")!;
    assert.deepEqual([...project.chroots.keys()], [CHROOT]);
    assert.deepEqual(project.additionalRepos, PROJECT_OPTIONS.additionalRepos);
    assert.equal(project.unlistedOnHp, true);
    const read = await client().getProject(OWNER, "k-12-345");
    assert.deepEqual(read.chroot_repos, {
      [CHROOT]: `${world.url}/results/koschei/k-12-345/${CHROOT}/`,
    });

    const again = await coprError(client().createProject(OWNER, "k-12-345", PROJECT_OPTIONS));
    assert.equal(again.transient, false);
    assert.equal(again.status, 400);
    assert.match(again.message, /name: You already have a project named 'k-12-345'\./);

    await client().deleteProject(OWNER, "k-12-345");
    assert.equal(world.sim.state.project(OWNER, "k-12-345"), undefined);
    assert.equal(world.sim.calls.at(-1)?.method, "DELETE");
    assert.deepEqual(world.sim.calls.at(-1)?.input, { verify: true });

    const gone = await coprError(client().deleteProject(OWNER, "k-12-345"));
    assert.ok(gone instanceof CoprNotFoundError);
    assert.match(gone.message, /Project koschei\/k-12-345 does not exist\./);
  });

  it("keeps __proto__ an ordinary name of owners, projects and chroots", async () => {
    world.sim.createProject({
      ownername: "__proto__",
      name: "constructor",
      chroots: [],
      chrootRepos: JSON.parse(
        '{"__proto__": "https://example.org/proto/", "toString": "https://example.org/t/"}',
      ),
    });
    const project = await client().getProject("__proto__", "constructor");
    assert.deepEqual(Object.keys(project.chroot_repos).sort(), ["__proto__", "toString"]);
    assert.equal(
      Object.getOwnPropertyDescriptor(project.chroot_repos, "__proto__")?.value,
      "https://example.org/proto/",
    );
    await assert.rejects(client().getProject("__proto__", "__proto__"), CoprNotFoundError);
    await client().createProject(OWNER, "__proto__", PROJECT_OPTIONS);
    await client().deleteProject(OWNER, "__proto__");
  });
});

describe("chroots", () => {
  it("sets the buildroot packages and uploads comps.xml as multipart/form-data", async () => {
    await client().createProject(OWNER, "k-1-1", PROJECT_OPTIONS);
    await client().editChroot(OWNER, "k-1-1", CHROOT, {
      additionalPackages: ["@build"],
      comps: { fileName: "comps.xml", content: COMPS },
    });
    const call = world.sim.calls.at(-1)!;
    assert.equal(call.method, "PUT");
    assert.equal(call.path, `/api_3/project-chroot/edit/koschei/k-1-1/${CHROOT}`);
    assert.deepEqual(call.input, {
      additional_packages: ["@build"],
      upload_comps: { filename: "comps.xml", size: COMPS.length },
    });
    const chroot = world.sim.state.project(OWNER, "k-1-1")!.chroots.get(CHROOT)!;
    assert.deepEqual(chroot.additionalPackages, ["@build"]);
    assert.equal(chroot.comps?.name, "comps.xml");
    assert.ok(chroot.comps?.content.equals(COMPS));

    // Without comps only the packages change.
    await client().editChroot(OWNER, "k-1-1", CHROOT, { additionalPackages: ["@build", "R"] });
    assert.deepEqual(chroot.additionalPackages, ["@build", "R"]);
    assert.ok(chroot.comps?.content.equals(COMPS));

    const noChroot = await coprError(
      client().editChroot(OWNER, "k-1-1", "fedora-rawhide-x86_64", { additionalPackages: [] }),
    );
    assert.ok(noChroot instanceof CoprNotFoundError);
    assert.match(
      noChroot.message,
      /Chroot name fedora-rawhide-x86_64 does not exist in Copr koschei\/k-1-1\./,
    );
    await client().deleteProject(OWNER, "k-1-1");
  });
});

describe("builds", () => {
  before(async () => {
    await client().createProject(OWNER, "k-2-2", PROJECT_OPTIONS);
  });

  it("submits a build from the SRPM URL in the background and reads its state", async () => {
    const build = await client().createBuildFromUrl(OWNER, "k-2-2", SRPM, { chroots: [CHROOT] });
    assert.deepEqual(build, { id: build.id, state: "pending" });
    assert.deepEqual(world.sim.calls.at(-1)?.input, {
      ownername: OWNER,
      projectname: "k-2-2",
      pkgs: [SRPM],
      chroots: [CHROOT],
      background: true,
    });
    const record = world.sim.state.builds.get(build.id)!;
    assert.equal(record.packageName, "rnv");
    assert.equal(record.background, true);
    assert.deepEqual(await client().getBuild(build.id), { id: build.id, state: "pending" });
    world.sim.state.advance(record);
    assert.deepEqual(await client().getBuild(build.id), { id: build.id, state: "running" });
    world.sim.finishBuild(build.id, "failed");
    assert.deepEqual(await client().getBuild(build.id), { id: build.id, state: "failed" });
  });

  it("advances builds over time to succeeded, or failed for a failing package", async () => {
    world.sim.setOutcomes({ failingPackages: ["broken"] });
    world.sim.setTiming({ pendingMs: 30, runningMs: 30, auto: true });
    const good = await client().createBuildFromUrl(OWNER, "k-2-2", SRPM, { chroots: [CHROOT] });
    const bad = await client().createBuildFromUrl(
      OWNER,
      "k-2-2",
      "https://kojipkgs.example.org/broken-1-1.fc29.src.rpm",
      { chroots: [CHROOT] },
    );
    const seen = new Set<string>();
    const final = async (build: CoprBuild) =>
      waitFor(`build ${build.id} to end`, async () => {
        const { state } = await client().getBuild(build.id);
        seen.add(state);
        return state === "succeeded" || state === "failed" ? state : undefined;
      });
    assert.equal(await final(good), "succeeded");
    assert.equal(await final(bad), "failed");
    assert.ok(seen.has("pending") || seen.has("running"));
  });

  it("refuses a build in a project that does not exist or a chroot it does not have", async () => {
    const noProject = await coprError(
      client().createBuildFromUrl(OWNER, "k-0-0", SRPM, { chroots: [CHROOT] }),
    );
    assert.ok(noProject instanceof CoprNotFoundError);
    const badChroot = await coprError(
      client().createBuildFromUrl(OWNER, "k-2-2", SRPM, { chroots: ["fedora-1-x86_64"] }),
    );
    assert.equal(badChroot.status, 400);
    assert.equal(badChroot.transient, false);
    const noBuild = await coprError(client().getBuild(999_999));
    assert.ok(noBuild instanceof CoprNotFoundError);
    assert.match(noBuild.message, /Build 999999 does not exist\./);
  });
});

describe("Copr refusing the login", () => {
  it("answers 401 to writes without a valid token, and the message never shows the token", async () => {
    const token = "wrong-token-7f3a";
    const error = await coprError(client({ token }).createProject(OWNER, "k-9-9", PROJECT_OPTIONS));
    assert.equal(error.status, 401);
    assert.equal(error.transient, false);
    assert.match(error.message, /HTTP 401: Login invalid\/expired\./);
    assert.doesNotMatch(error.message + String(error.stack), new RegExp(token));
    assert.equal(world.sim.state.project(OWNER, "k-9-9"), undefined);
    // No Authorization header at all.
    const answer = await fetch(`${world.url}/api_3/build/create/url`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ownername: OWNER, projectname: "k-2-2", pkgs: [SRPM] }),
    });
    assert.equal(answer.status, 401);
    assert.match(((await answer.json()) as { error: string }).error, /Login invalid/);
  });

  it("refuses to create a project for another owner (403)", async () => {
    const error = await coprError(client().createProject("someone", "x", PROJECT_OPTIONS));
    assert.equal(error.status, 403);
    assert.equal(error.transient, false);
  });
});

describe("Copr in trouble", () => {
  it("makes HTTP 500, 503 and 429 transient, with what Copr or its proxy said", async () => {
    world.sim.setFaults({ status: 500, count: 1 });
    const internal = await coprError(client().getBuild(1));
    assert.equal(internal.transient, true);
    assert.equal(internal.status, 500);
    assert.match(internal.message, /HTTP 500: Request wasn't successful/);

    world.sim.setFaults({ status: 503, count: 1 });
    const unavailable = await coprError(client().getProject(OWNER, "k-2-2"));
    assert.equal(unavailable.transient, true);
    assert.match(unavailable.message, /HTTP 503: 503 Service Unavailable Service Unavailable/);

    world.sim.setFaults({ status: 429, count: 1 });
    assert.equal((await coprError(client().getProject(OWNER, "k-2-2"))).transient, true);
    // The fault was for one call each.
    assert.equal((await client().getProject(OWNER, "k-2-2")).name, "k-2-2");
  });

  it("gives up on a Copr that never answers, within the time limits, as transient", async () => {
    world.sim.setFaults({ mode: "hang" });
    const started = Date.now();
    const error = await coprError(client().getProject(OWNER, "k-2-2"));
    const elapsed = Date.now() - started;
    assert.equal(error.transient, true);
    assert.equal(error.status, null);
    assert.match(
      error.message,
      /Copr did not answer: GET .*\/api_3\/project\?.*(idle|overall) timeout/,
    );
    assert.ok(elapsed < 3_000, `took ${elapsed} ms`);
  });

  it("cuts an answer that never ends, as transient", async () => {
    world.sim.setFaults({ mode: "endless", count: 1 });
    const started = Date.now();
    const error = await coprError(client().getBuild(1));
    assert.equal(error.transient, true);
    assert.match(error.message, /answer larger than \d+ bytes|timeout/);
    assert.ok(Date.now() - started < 3_000);
  });

  it("makes a dropped connection and a closed port transient", async () => {
    world.sim.setFaults({ mode: "down", count: 1 });
    assert.equal((await coprError(client().getBuild(1))).transient, true);
    const closed = await coprError(client({ url: "http://127.0.0.1:1" }).getBuild(1));
    assert.equal(closed.transient, true);
    assert.match(closed.message, /ECONNREFUSED/);
  });

  it("waits for a slow Copr within the limits", async () => {
    world.sim.setFaults({ delayMs: 200, count: 1 });
    assert.equal((await client().getProject(OWNER, "k-2-2")).name, "k-2-2");
  });

  it("refuses answers of the wrong shape", async () => {
    world.sim.setFaults({ answer: { ownername: OWNER, name: "k-2-2" }, count: 1 });
    const noRepos = await coprError(client().getProject(OWNER, "k-2-2"));
    assert.equal(noRepos.transient, false);
    assert.match(noRepos.message, /unexpected answer \(a project without a chroot_repos object\)/);

    world.sim.setFaults({
      answer: { ownername: OWNER, name: "x", chroot_repos: { a: 1 } },
      count: 1,
    });
    assert.match((await coprError(client().getProject(OWNER, "x"))).message, /unexpected answer/);

    world.sim.setFaults({ answer: { id: "12", state: "running" }, count: 1 });
    assert.match((await coprError(client().getBuild(12))).message, /a build without a numeric id/);

    world.sim.setFaults({ answer: { items: [], meta: {} }, count: 1 });
    assert.match(
      (await coprError(client().createBuildFromUrl(OWNER, "k-2-2", SRPM, { chroots: [CHROOT] })))
        .message,
      /unexpected answer \(not a build\)/,
    );

    world.sim.setFaults({ answer: { output: "notok", error: "Something odd" }, count: 1 });
    const withError = await coprError(client().getBuild(12));
    assert.equal(withError.transient, false);
    assert.match(withError.message, /: Something odd$/);
  });
});

describe("the simulator's own HTTP rules", () => {
  it("answers bad JSON with 400, unknown routes with 404, wrong methods with 405, huge bodies with 413", async () => {
    const auth = `Basic ${Buffer.from(`${world.user.login}:${world.user.token}`).toString("base64")}`;
    const post = (path: string, body: string) =>
      fetch(`${world.url}${path}`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body,
      });
    const badJson = await post("/api_3/build/create/url", "{bad");
    assert.equal(badJson.status, 400);
    assert.match(((await badJson.json()) as { error: string }).error, /not valid JSON/);
    const unknown = await fetch(`${world.url}/api_3/no/such/route`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { error: "Such API endpoint doesn't exist" });
    const wrongMethod = await fetch(`${world.url}/api_3/project/delete/koschei/x`, {
      method: "GET",
    });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get("allow"), "DELETE, POST");
    const huge = await post("/api_3/build/create/url", " ".repeat(11 * 1024 * 1024));
    assert.equal(huge.status, 413);
  });

  it("offers its control interface over HTTP", async () => {
    const control = (method: string, path: string, body?: unknown) =>
      fetch(`${world.url}/control${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).then(async (answer) => ({ status: answer.status, body: await answer.json() }));
    const created = await control("POST", "/projects", {
      ownername: "someone",
      projectname: "update",
      chroot_repos: { "fedora-rawhide-x86_64": "https://example.org/repo/" },
    });
    assert.equal(created.status, 201);
    assert.deepEqual((await client().getProject("someone", "update")).chroot_repos, {
      "fedora-rawhide-x86_64": "https://example.org/repo/",
    });
    assert.equal(
      (await control("POST", "/projects", { ownername: "someone", projectname: "update" })).status,
      409,
    );
    const build = await client().createBuildFromUrl(OWNER, "k-2-2", SRPM, { chroots: [CHROOT] });
    const finished = await control("POST", `/builds/${build.id}/finish`, { state: "failed" });
    assert.equal(finished.body.state, "failed");
    assert.equal(
      (await control("POST", `/builds/${build.id}/finish`, { state: "odd" })).status,
      400,
    );
    assert.equal((await control("POST", "/faults", { status: 503, count: 1 })).status, 200);
    assert.equal((await coprError(client().getBuild(build.id))).status, 503);
    const calls = (await control("GET", "/calls")).body as { path: string }[];
    assert.equal(calls.at(-1)?.path, `/api_3/build/${build.id}`);
    assert.doesNotMatch(JSON.stringify(calls), new RegExp(world.user.token));
    assert.equal((await control("POST", "/nothing")).status, 404);
  });
});

describe("the build-end message", () => {
  const topic = `org.koschei-test-${randomUUID().slice(0, 8)}.copr.build.end`;
  let listener: TopicListener;
  let publishing: CoprWorld;

  before(async () => {
    listener = await listenOnTopic(AMQP_URL, topic);
    publishing = await startCoprSim({
      amqpUrl: AMQP_URL,
      buildEndTopic: topic,
      timing: { auto: false },
    });
  });

  after(async () => {
    await publishing?.close();
    await listener?.close();
  });

  it("is published as copr.build.end to amq.topic when a build ends, and again when asked", async () => {
    const copr = new CoprClient({
      url: publishing.url,
      login: publishing.user.login,
      username: publishing.user.username,
      token: publishing.user.token,
      timeouts: QUICK,
    });
    await copr.createProject(OWNER, "k-3-3", PROJECT_OPTIONS);
    const build = await copr.createBuildFromUrl(OWNER, "k-3-3", SRPM, { chroots: [CHROOT] });
    publishing.sim.finishBuild(build.id, "succeeded");
    await publishing.sim.flush();
    const [message] = await waitFor("the build.end message", async () =>
      listener.messages.length >= 1 ? listener.messages : undefined,
    );
    assert.equal(message!.routingKey, topic);
    assert.deepEqual(
      { ...message!.body, pid: 0, what: "" },
      {
        user: "koschei",
        copr: "k-3-3",
        owner: "koschei",
        pkg: "rnv",
        build: build.id,
        chroot: CHROOT,
        version: "1.7.11-10.fc29",
        status: 1,
        ip: "127.0.0.1",
        who: "backend.worker-copr-sim",
        pid: 0,
        what: "",
      },
    );
    assert.match(
      String(message!.body.what),
      new RegExp(`^build end: user:koschei copr:k-3-3 build:${build.id} pkg:rnv`),
    );
    const { properties } = message!;
    assert.equal(properties.contentType, "application/json");
    assert.equal(properties.deliveryMode, 2);
    assert.match(String(properties.messageId), /^[0-9a-f-]{36}$/);
    assert.equal(properties.headers?.fedora_messaging_schema, "copr.build.end");
    assert.equal(properties.headers?.fedora_messaging_severity, 20);
    assert.equal(properties.headers?.fedora_messaging_user_koschei, true);

    // Asked again (a duplicate delivery), with the failed state the build now has.
    publishing.sim.state.setState(publishing.sim.state.builds.get(build.id)!, "failed");
    await publishing.sim.flush();
    const again = await waitFor("the second message", async () =>
      listener.messages.length >= 2 ? listener.messages[1] : undefined,
    );
    assert.equal(again.body.status, 0);
    publishing.sim.publishBuildEndOf(publishing.sim.state.builds.get(build.id)!);
    await publishing.sim.flush();
    await waitFor("the third message", async () =>
      listener.messages.length >= 3 ? true : undefined,
    );
    assert.equal(publishing.sim.messages.length, 3);
  });
});

it("writes the world's copr-config readable by its owner only", () => {
  const path = world.writeConfig(dir);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.match(readFileSync(path, "utf8"), /^\[copr-cli\]\nlogin = koschei-api-login\n/);
});
