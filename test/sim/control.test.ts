// The control interface refuses what a scenario would refuse (the same validator and
// definitions), with a 400 and a message naming the field, and the simulator keeps working.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseScenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { control, distScenario, rawCall } from "./hub-fixture.js";

let sim: Simulator;

before(async () => {
  sim = await startSimulator({ listen: "127.0.0.1:0", scenario: distScenario() });
});

after(async () => {
  await sim.close();
});

/** POSTs a body as given (JSON.stringify cannot write 1e400). */
async function postRaw(path: string, body: string) {
  const response = await fetch(`${sim.url}/control${path}`, { method: "POST", body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The simulator still moves time and answers XML-RPC. */
async function assertStillWorking(): Promise<void> {
  const before = (await control(sim.url, "/state")).body.time as number;
  const advanced = await control(sim.url, "/advance", { seconds: 60 });
  assert.deepEqual([advanced.status, advanced.body.time], [200, before + 60]);
  const event = await rawCall(sim.hubUrl, "getLastEvent", []);
  assert.equal(event.fault, undefined);
  assert.equal((event.value as { ts: number }).ts > 0, true);
}

describe("advance", () => {
  test("seconds must be a finite number within 100 years", async () => {
    const refused = [
      ['{"seconds": 1e400}', "seconds: expected a number, got Infinity"],
      ['{"seconds": 1e13}', "seconds: must be at most 3155760000"],
      ['{"seconds": -1}', "seconds: must be at least 0"],
      ['{"seconds": "soon"}', 'seconds: expected a number, got "soon"'],
      ["{}", 'missing property "seconds"'],
      ['{"seconds": 1, "minutes": 2}', "minutes: unknown property"],
      ['{"__proto__": {"seconds": 5}}', 'missing property "seconds"; __proto__: unknown property'],
    ];
    for (const [body, error] of refused) {
      assert.deepEqual(await postRaw("/advance", body!), { status: 400, body: { error } }, body);
    }
    await assertStillWorking();
  });

  test("the clock does not go past 9999-12-31T23:59:59Z, Koji's last timestamp", async () => {
    const scenario = parseScenario({
      ...structuredClone(distScenario()),
      startTime: "9999-12-31T00:00:00Z",
    });
    const late = await startSimulator({ listen: "127.0.0.1:0", scenario });
    try {
      assert.deepEqual(await control(late.url, "/advance", { seconds: 86400 }), {
        status: 400,
        body: {
          error: "seconds: 86400 would take the simulated clock past 9999-12-31T23:59:59.000Z",
        },
      });
      const lastSecond = await control(late.url, "/advance", { seconds: 86399 });
      assert.deepEqual([lastSecond.status, lastSecond.body.time], [200, 253402300799]);
      const repo = await rawCall(late.hubUrl, "getRepo", ["dist-build"]);
      assert.equal(repo.fault, undefined);
    } finally {
      await late.close();
    }
  });
});

describe("faults", () => {
  test("values out of range and unknown fields are refused", async () => {
    const refused: [unknown, string][] = [
      [{ method: "getRepo", delayMs: 1e13 }, "delayMs: must be at most 600000"],
      [{ method: "getRepo", delayMs: 0 }, "delayMs: must be at least 1"],
      [{ method: "getRepo", faultCode: 1.5 }, "faultCode: expected an integer, got 1.5"],
      [{ method: "getRepo", faultCode: 2 ** 31 }, "faultCode: must be at most 2147483647"],
      [{ method: "getRepo", httpStatus: 200 }, "httpStatus: must be at least 400"],
      [{ method: "getRepo", truncate: false }, "truncate: expected one of true"],
      [{ method: "getRepo", count: 0, truncate: true }, "count: must be at least 1"],
      [{ method: "getRepo", delay: 5 }, "delay: unknown property"],
      [{ method: "", truncate: true }, "method: must not be empty"],
      [
        { method: "getRepo", faultCode: 1, httpStatus: 500 },
        'give exactly one of "faultCode", "delayMs", "truncate", "httpStatus"',
      ],
    ];
    for (const [body, error] of refused) {
      assert.deepEqual(
        await control(sim.url, "/faults", body),
        { status: 400, body: { error } },
        JSON.stringify(body),
      );
    }
    assert.deepEqual((await control(sim.url, "/faults")).body, []);
    await assertStillWorking();
  });
});

describe("tag-build", () => {
  const build = (change: Record<string, unknown>) => ({
    tag: "dist",
    build: { name: "newpkg", version: "1", release: "1", ...change },
  });

  test("a build a scenario would refuse is refused", async () => {
    const refused: [unknown, string][] = [
      [build({ epoch: -1 }), "build.epoch: must be at least 0"],
      [
        build({ rpms: [{ name: "newpkg", arch: "src" }] }),
        "build.rpms[0].arch: the SRPM is implied, list binary RPMs only",
      ],
      [build({ colour: "blue" }), "build.colour: unknown property"],
      [build({ tags: ["dist"] }), "build.tags: unknown property"],
      [build({ id: 5 }), "build.id: unknown property"],
      [
        build({ rpms: [{ name: "newpkg", arch: "noarch", constructor: 1 }] }),
        "build.rpms[0].constructor: unknown property",
      ],
      [
        build({
          rpms: [
            { name: "newpkg", arch: "noarch" },
            { name: "newpkg", arch: "noarch" },
          ],
        }),
        "build.rpms[1]: same NVRA as build.rpms[0] (newpkg-1-1.noarch)",
      ],
      [{ ...build({}), when: "now" }, "when: unknown property"],
      [{ tag: "nope", build: build({}).build }, "no such tag: nope"],
    ];
    for (const [body, error] of refused) {
      assert.deepEqual(
        await control(sim.url, "/tag-build", body),
        { status: 400, body: { error } },
        JSON.stringify(body),
      );
    }
    const accepted = await control(
      sim.url,
      "/tag-build",
      build({ epoch: 2, rpms: [{ name: "newpkg", arch: "noarch" }] }),
    );
    assert.deepEqual([accepted.status, accepted.body.nvr], [200, "newpkg-1-1"]);
    const rpms = await rawCall(sim.hubUrl, "listRPMs", [accepted.body.build_id as number]);
    assert.deepEqual(
      (rpms.value as { nvr: string; arch: string; epoch: number }[]).map((r) => [
        r.nvr,
        r.arch,
        r.epoch,
      ]),
      [
        ["newpkg-1-1", "src", 2],
        ["newpkg-1-1", "noarch", 2],
      ],
    );
    await assertStillWorking();
  });
});

describe("request bodies", () => {
  test("a body over 4 MiB is 413, and the simulator goes on", async () => {
    const tooLong = await postRaw("/advance", `{"seconds": 1, "pad": "${"x".repeat(5 << 20)}"}`);
    assert.deepEqual(tooLong, { status: 413, body: { error: "request too long" } });
    assert.deepEqual(await postRaw("/advance", "[1]"), {
      status: 400,
      body: { error: "body must be a JSON object" },
    });
    await assertStillWorking();
  });
});
