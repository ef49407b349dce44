import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadScenario } from "@koschei/koji-sim/scenario.js";
import { SimState } from "@koschei/koji-sim/state.js";
import { MISSING_LIBRARY, WorldMover } from "@koschei/koji-sim/world-mover.js";

const demoState = () => new SimState(loadScenario());

function latestNvrs(state: SimState): Map<string, string> {
  return new Map(
    state
      .taggedBuilds(state.tagByName("f99"), { inherit: true, latest: true })
      .map(({ build }) => [build.name, `${build.version}-${build.release}`]),
  );
}

describe("simulator snapshots", () => {
  it("restore the same world, which then goes on", () => {
    const state = demoState();
    state.advanceTo(state.time + 3600);
    const restored = SimState.restore(state.snapshot());
    assert.equal(restored.time, state.time);
    assert.deepEqual(latestNvrs(restored), latestNvrs(state));
    assert.equal(restored.tasks.size, state.tasks.size);
    // Records shared between maps stay shared: a build found by NVR is the one in `builds`.
    const [first] = restored.builds.values();
    assert.equal(
      restored.findBuild({ name: first!.name, version: first!.version, release: first!.release }),
      first,
    );
    let events = 0;
    restored.onEvent(() => events++);
    restored.regenerateRepo(restored.tagByName("f99-build"));
    assert.ok(events > 0, "a restored world has its own listeners");
  });

  it("refuse bytes that are no snapshot", () => {
    assert.throws(() => SimState.restore(Buffer.from([0xff, 0x0f, 0x22, 0x01, 0x61])), /./);
  });
});

describe("the world mover", () => {
  it("breaks a build-required package, keeps it broken for the given moves, then fixes it", () => {
    const state = demoState();
    const mover = new WorldMover(state, "f99", "f99-build", () => 0);
    const reposBefore = state.repos.size;
    const broken = mover.step({ breakChance: 1, movesBroken: 2 });
    assert.equal(broken.kind, "break");
    assert.equal(state.repos.size, reposBefore + 1, "the build tag's repo is regenerated");
    const brokenBuild = state.findBuild(broken.nvr)!;
    assert.ok(brokenBuild.release.endsWith(".demo1"));
    assert.ok(brokenBuild.rpms.every((rpm) => rpm.binary!.requires.includes(MISSING_LIBRARY)));
    assert.equal(
      latestNvrs(state).get(brokenBuild.name),
      `${brokenBuild.version}-${brokenBuild.release}`,
    );

    assert.equal(mover.step({ breakChance: 1 }).kind, "update", "one broken package at a time");
    const fixed = mover.step();
    assert.equal(fixed.kind, "fix");
    const fixedBuild = state.findBuild(fixed.nvr)!;
    assert.equal(fixedBuild.name, brokenBuild.name);
    assert.ok(fixedBuild.release.endsWith(".demo2"));
    assert.ok(fixedBuild.rpms.every((rpm) => !rpm.binary!.requires.includes(MISSING_LIBRARY)));
  });

  it("updates keep the package's dependencies and provide the new version", () => {
    const state = demoState();
    const mover = new WorldMover(state, "f99", "f99-build", () => 0.5);
    const move = mover.step({ breakChance: 0 });
    assert.equal(move.kind, "update");
    const build = state.findBuild(move.nvr)!;
    for (const rpm of build.rpms) {
      assert.ok(!rpm.binary!.requires.includes(MISSING_LIBRARY));
      const own = rpm.binary!.provides.filter((provide) => provide.startsWith(`${rpm.name} =`));
      assert.ok(
        own.every((provide) => provide.includes(build.release)),
        own.join(", "),
      );
    }
  });
});
