import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { canonArch, srpmArches } from "@koschei/koji-protocol/arches.js";
import { buildGroupPackages } from "../../src/koji/build-group.js";
import { KojiFault } from "@koschei/koji-protocol/faults.js";
import { kojiLoad, loadArches } from "../../src/koji/load.js";
import {
  buildDir,
  repoUrl,
  rpmPath,
  taskInfoUrl,
  taskLogUrl,
  taskWorkUrl,
} from "@koschei/koji-protocol/paths.js";
import { rpmRequires } from "../../src/koji/requires.js";
import { childTaskRepoId, isKojiFaultOutcome } from "../../src/koji/tasks.js";
import type { KojiHost, KojiTagGroup, KojiTaskInfo } from "@koschei/koji-protocol/koji-types.js";
import type { XmlRpcValue } from "@koschei/koji-protocol/xmlrpc.js";
import { recorded, recordedResult } from "./recorded.js";

describe("paths", () => {
  const rnv = { name: "rnv", version: "1.7.11", release: "15.fc28", volume_name: "DEFAULT" };
  const srpm = { name: "rnv", version: "1.7.11", release: "15.fc28", arch: "src" };

  test("SRPM path relative to the work directory, as submitted in the recordings", () => {
    assert.equal(
      rpmPath("..", rnv, srpm),
      "../packages/rnv/1.7.11/15.fc28/src/rnv-1.7.11-15.fc28.src.rpm",
    );
    const submitted = recorded("BackendTest/test_submit_build.json").find(
      (c) => c.method === "build",
    );
    assert.equal(submitted?.args[0], rpmPath("..", rnv, srpm));
  });

  test("absolute build dirs, and builds on another volume", () => {
    assert.equal(
      buildDir("https://kojipkgs.fedoraproject.org/", rnv),
      "https://kojipkgs.fedoraproject.org/packages/rnv/1.7.11/15.fc28",
    );
    assert.equal(
      buildDir("https://kojipkgs.fedoraproject.org", {
        ...rnv,
        volume_name: "fedora_koji_archive02",
      }),
      "https://kojipkgs.fedoraproject.org/vol/fedora_koji_archive02/packages/rnv/1.7.11/15.fc28",
    );
    assert.equal(buildDir("..", { ...rnv, volume_name: null }), "../packages/rnv/1.7.11/15.fc28");
  });

  test("task and repo URLs (06 §6.1, §8.3)", () => {
    assert.equal(
      taskWorkUrl("https://primary-koji.test", 456789),
      "https://primary-koji.test/work/tasks/6789/456789",
    );
    assert.equal(
      taskLogUrl("https://primary-koji.test/", 25162638, "build.log"),
      "https://primary-koji.test/work/tasks/2638/25162638/build.log",
    );
    assert.equal(taskWorkUrl("https://t", 42), "https://t/work/tasks/42/42");
    assert.equal(
      taskInfoUrl("https://primary-koji.test/koji", 123456),
      "https://primary-koji.test/koji/taskinfo?taskID=123456",
    );
    const repo = recordedResult(
      "KojiUtilOtherTest/test_create_repo_descriptor.json",
      "repoInfo",
    ) as {
      tag_name: string;
      id: number;
    };
    assert.equal(
      repoUrl("https://primary-koji.test", repo.tag_name, repo.id, "x86_64"),
      "https://primary-koji.test/repos/f29-build/888027/x86_64/",
    );
  });
});

describe("canonArch", () => {
  const cases: [string, string][] = [
    ["i386", "i386"],
    ["i486", "i386"],
    ["i686", "i386"],
    ["athlon", "i386"],
    ["ia32e", "x86_64"],
    ["x86_64", "x86_64"],
    ["ppc64le", "ppc64le"],
    ["ppc64", "ppc64"],
    ["ppc64p7", "ppc64"],
    ["sparc64v", "sparc64"],
    ["sparcv9", "sparc"],
    ["alphaev6", "alpha"],
    ["armv7hl", "armhfp"],
    ["armv7hnl", "armhfp"],
    ["armv5tel", "arm"],
    ["aarch64", "aarch64"],
    ["s390x", "s390x"],
    ["noarch", "noarch"],
    ["i86", "i86"],
    ["I686", "I686"],
  ];
  for (const [arch, canon] of cases)
    test(`${arch} → ${canon}`, () => assert.equal(canonArch(arch), canon));
});

describe("srpmArches (06 §8.2)", () => {
  const tagArches = ["aarch64", "armv7hl", "i686", "ppc64", "ppc64le", "s390x", "x86_64"];
  const buildArches = ["i386", "x86_64", "armhfp"];
  const headers = (file: string) =>
    recordedResult(file, "getRPMHeaders") as Record<string, XmlRpcValue>;
  const arches = (file: string, archOverride?: string, build = buildArches) =>
    srpmArches({ tagArches, headers: headers(file), archOverride, buildArches: build });
  const set = (...arches: string[]) => new Set(arches);

  test("no arch headers", () =>
    assert.deepEqual(arches("get_srpm_arches.json"), set("i686", "x86_64", "armv7hl")));
  test("BuildArch: noarch", () =>
    assert.deepEqual(arches("get_srpm_arches_noarch.json"), set("noarch")));
  test("ExclusiveArch of arm variants", () =>
    assert.deepEqual(arches("get_srpm_arches_exclusive.json"), set("armv7hl")));
  test("ExcludeArch and a long ExclusiveArch", () =>
    assert.deepEqual(arches("get_srpm_arches_exclude.json"), set("i686", "x86_64")));
  test("override replaces the tag arches", () =>
    assert.deepEqual(arches("get_srpm_arches.json", "x86_64 i386"), set("i386", "x86_64")));
  test("override in non-canonical spelling", () =>
    assert.deepEqual(arches("get_srpm_arches.json", "i686"), set("i686")));
  test("inverted override", () =>
    assert.deepEqual(arches("get_srpm_arches.json", "^armhfp"), set("i686", "x86_64")));
  test("inverted override in non-canonical spelling", () =>
    assert.deepEqual(arches("get_srpm_arches.json", "^armv7hl"), set("i686", "x86_64")));
  test("only the leading caret inverts", () =>
    assert.deepEqual(arches("get_srpm_arches.json", "^armhfp ^x86_64"), set("i686", "x86_64")));
  test("build_arches in non-canonical spelling allow every tag arch", () =>
    assert.deepEqual(arches("get_srpm_arches.json", undefined, tagArches), set(...tagArches)));
  test("no SRPM headers → null; none allowed → empty set", () => {
    assert.equal(srpmArches({ tagArches, headers: {}, buildArches }), null);
    assert.equal(srpmArches({ tagArches, headers: null, buildArches }), null);
    assert.deepEqual(
      srpmArches({ tagArches, headers: { EXCLUSIVEARCH: ["s390x"] }, buildArches }),
      new Set(),
    );
  });
  test("the recorded scheduler case: BUILDARCHS noarch twice", () => {
    const file = "SchedulerTest/test_submit_integration.json";
    assert.deepEqual(arches(file), set("noarch"));
  });
});

describe("kojiLoad (06 §8.1)", () => {
  const allArches = ["i386", "x86_64", "armhfp"];
  const load = (file: string, arches: string[]) => {
    const hosts = recordedResult(file, "listHosts") as unknown as KojiHost[];
    const query = loadArches(arches, allArches);
    return kojiLoad(hosts, query.arches, query.noarch);
  };
  const round = (value: number) => Math.round(value * 10000) / 10000;

  test("all arches: the most loaded one", () =>
    assert.equal(round(load("koji_load_all.json", allArches)), 0.8958));
  test("noarch: the least loaded arch", () =>
    assert.equal(round(load("koji_load_noarch.json", ["noarch"])), 0.4305));
  test("intel arches in package spelling", () =>
    assert.equal(round(load("koji_load_intel.json", ["i686", "x86_64"])), 0.5119));
  test("arm", () => assert.equal(round(load("koji_load_arm.json", ["armv7hl"])), 0.8958));
  test("noarch asks for every tag arch", () =>
    assert.deepEqual(loadArches(["noarch"], allArches), { arches: allArches, noarch: true }));
  test("an arch without hosts is fully loaded; no arches is an error", () => {
    assert.equal(kojiLoad([], ["s390x"], false), 1);
    assert.throws(() => loadArches([], allArches), /at least one arch/);
  });
});

describe("rpmRequires (04 §4)", () => {
  test("the recorded example", () => {
    const deps = [
      { flags: 0, name: "maven-local", type: 0, version: "" },
      { flags: 0, name: "jetty-toolchain", type: 0, version: "" },
      { flags: 16777226, name: "rpmlib(FileDigests)", type: 0, version: "4.6.0-1" },
      { flags: 16777226, name: "rpmlib(CompressedFileNames)", type: 0, version: "3.0.4-1" },
    ];
    assert.deepEqual(rpmRequires(deps), ["maven-local", "jetty-toolchain"]);
  });

  test("operators from the sense bits, auto-generated deps kept, other bits dropped", () => {
    const dep = (flags: number, version = "1.0") => ({ name: "x", version, flags, type: 0 });
    assert.deepEqual(
      rpmRequires([
        dep(2),
        dep(4),
        dep(8),
        dep(10),
        dep(12),
        dep(16384, ""),
        dep(16384 | 12),
        dep(64 | 8),
        dep(268435464),
        dep(524288),
      ]),
      ["x < 1.0", "x > 1.0", "x = 1.0", "x <= 1.0", "x >= 1.0", "x", "x >= 1.0"],
    );
  });
});

describe("buildGroupPackages (04 §5)", () => {
  test("the build group of f29-build at repo 888027: 24 packages", () => {
    const groups = recordedResult(
      "KojiUtilOtherTest/test_get_build_group.json",
      "getTagGroups",
    ) as unknown as KojiTagGroup[];
    const expected =
      "tar xz sed findutils gcc redhat-rpm-config make shadow-utils coreutils which gcc-c++ unzip " +
      "fedora-release bzip2 gawk cpio util-linux bash info grep rpm-build patch diffutils gzip";
    assert.deepEqual(new Set(buildGroupPackages(groups, "build")), new Set(expected.split(" ")));
    assert.equal(buildGroupPackages(groups, "build")!.length, 24);
  });

  test("blocked, optional and conditional entries are left out; unknown group → null", () => {
    const entry = (pkg: string, type: string, blocked = false) => ({
      package: pkg,
      type,
      blocked,
      group_id: 1,
      tag_id: 1,
      basearchonly: null,
      requires: null,
    });
    const group = {
      name: "build",
      packagelist: [
        entry("a", "mandatory"),
        entry("b", "default"),
        entry("c", "optional"),
        entry("d", "conditional"),
        entry("e", "mandatory", true),
      ],
    } as unknown as KojiTagGroup;
    assert.deepEqual(buildGroupPackages([group], "build"), ["a", "b"]);
    assert.equal(buildGroupPackages([group], "srpm-build"), null);
    assert.equal(buildGroupPackages([], "build"), null);
  });
});

describe("task outcomes", () => {
  test("is_koji_fault classification of the recorded getTaskResult answers (06 §8.3)", () => {
    const outcomes = recorded("KojiUtilOtherTest/test_koji_fault.json").map((call) =>
      call.fault
        ? isKojiFaultOutcome(new KojiFault(call.fault.faultCode, call.fault.faultString))
        : false,
    );
    assert.deepEqual(outcomes, [false, false, false, false, false, false, true, true]);
    assert.equal(isKojiFaultOutcome(new KojiFault(1001, "lock")), true);
    assert.equal(isKojiFaultOutcome(new KojiFault(1337, "unknown code")), true);
  });

  const children = (file: string) =>
    recordedResult(file, "getTaskChildren") as unknown as KojiTaskInfo[];

  test("repo id of buildArch children (request[4])", () => {
    assert.deepEqual(
      children("BackendTest/test_update_state.json").map(childTaskRepoId),
      [460889, 460889, 460889],
    );
  });

  test("repo id of a rebuildSRPM child (request[2])", () => {
    assert.deepEqual(
      children("PollingTest/test_poll_failed_rebuildSRPM.json").map(childTaskRepoId),
      [1344909],
    );
  });

  test("children without request, other methods and options without repo_id give null", () => {
    const ids = children("BackendTest/test_refresh_latest_builds_latest_no_repo_id.json").map(
      childTaskRepoId,
    );
    assert.deepEqual(ids, [null, null, null, null, null, null, null, null, null]);
    const srpm = children("BackendTest/test_update_state_failed.json").find(
      (c) => c.method === "buildSRPMFromSCM",
    )!;
    assert.equal(childTaskRepoId(srpm), null);
    const child = { id: 1, method: "buildArch", request: ["x", 1, "x86_64", true, {}] };
    assert.equal(childTaskRepoId(child as unknown as KojiTaskInfo), null);
    const broken = { id: 1, method: "buildArch", request: ["x"] };
    assert.throws(() => childTaskRepoId(broken as unknown as KojiTaskInfo), /request\[4\]/);
  });
});
