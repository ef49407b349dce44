// set-notice, clear-notice, add-pkg, set-priority and set-arch-override, in-process on
// PostgreSQL: what they change, print and audit-log, and that a refused command changes nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  adminTestbed,
  insertCollection,
  insertPackages,
  auditEntry,
  type AdminTestbed,
} from "./support.js";

let bed: AdminTestbed;
before(async () => (bed = await adminTestbed()));
after(() => bed?.close());

async function packageRows(collectionId: number) {
  return bed.database.db
    .selectFrom("package")
    .select(["name", "tracked", "manual_priority", "static_priority", "arch_override"])
    .where("collection_id", "=", collectionId)
    .orderBy("name")
    .execute();
}

describe("set-notice and clear-notice", () => {
  it("store, replace and clear the global notice, audit-logged", async () => {
    const notice = () => bed.database.db.selectFrom("admin_notice").selectAll().execute();
    assert.deepEqual(await bed.run(["set-notice", "  foo  "]), {
      output: ["Admin notice added: foo"],
      audit: [auditEntry("Admin notice added: foo")],
    });
    assert.deepEqual(await notice(), [{ key: "global_notice", content: "foo" }]);
    await bed.run(["set-notice", "Outage [details](https://status.example.org)"]);
    assert.deepEqual(await notice(), [
      { key: "global_notice", content: "Outage [details](https://status.example.org)" },
    ]);
    assert.deepEqual(await bed.run(["clear-notice"]), {
      output: ["Admin notice cleared"],
      audit: [auditEntry("Admin notice cleared")],
    });
    assert.deepEqual(await notice(), []);
    assert.deepEqual((await bed.run(["clear-notice"])).audit, [auditEntry("Admin notice cleared")]);
  });

  it("set-notice needs its content", async () => {
    const result = await bed.run(["set-notice"]);
    assert.deepEqual(result, {
      output: [],
      error: "missing argument CONTENT",
      usage: true,
      audit: [],
    });
  });
});

describe("add-pkg", () => {
  it("tracks untracked packages and leaves tracked ones alone", async () => {
    const collection = await insertCollection(bed.database, "f25");
    const ids = await insertPackages(bed.database, collection, {
      rnv: {},
      eclipse: {},
      maven: { tracked: true },
    });
    const result = await bed.run(["add-pkg", "-c", "f25", "eclipse", "maven"]);
    const message = "Package eclipse (collection f25): tracked set from False to True";
    assert.deepEqual(result, {
      output: [message],
      audit: [auditEntry(message, ids.eclipse!.base_id)],
    });
    assert.deepEqual(
      (await packageRows(collection)).map((p) => [p.name, p.tracked]),
      [
        ["eclipse", true],
        ["maven", true],
        ["rnv", false],
      ],
    );
  });

  it("refuses unknown packages and changes nothing", async () => {
    const collection = await insertCollection(bed.database, "add-unknown");
    await insertPackages(bed.database, collection, { rnv: {} });
    assert.deepEqual(
      await bed.run(["add-pkg", "--collection", "add-unknown", "rnv", "xyz", "abc"]),
      {
        output: [],
        error: "Packages don't exist: xyz,abc",
        usage: false,
        audit: [],
      },
    );
    assert.equal((await packageRows(collection))[0]!.tracked, false);
  });

  it("refuses an unknown collection, and needs -c and a name", async () => {
    assert.equal((await bed.run(["add-pkg", "-c", "nope", "rnv"])).error, "Collection not found");
    const missingOption = await bed.run(["add-pkg", "rnv"]);
    assert.deepEqual(
      [missingOption.error, missingOption.usage],
      ["missing option --collection", true],
    );
    const missingName = await bed.run(["add-pkg", "-c", "f25"]);
    assert.deepEqual([missingName.error, missingName.usage], ["missing argument NAMES", true]);
  });
});

describe("set-priority", () => {
  it("sets the manual priority, logging each change in the order named", async () => {
    const collection = await insertCollection(bed.database, "prio");
    const ids = await insertPackages(bed.database, collection, {
      rnv: {},
      eclipse: { manual_priority: 3000 },
      fop: { manual_priority: 2000 },
    });
    const result = await bed.run([
      "set-priority",
      "--collection",
      "prio",
      "rnv",
      "eclipse",
      "fop",
      "2000",
    ]);
    const lines = [
      "Package rnv (collection prio): manual_priority set from 0 to 2000",
      "Package eclipse (collection prio): manual_priority set from 3000 to 2000",
    ];
    assert.deepEqual(result, {
      output: lines,
      audit: [auditEntry(lines[0]!, ids.rnv!.base_id), auditEntry(lines[1]!, ids.eclipse!.base_id)],
    });
    assert.deepEqual(
      (await packageRows(collection)).map((p) => [p.name, p.manual_priority, p.static_priority]),
      [
        ["eclipse", 2000, 0],
        ["fop", 2000, 0],
        ["rnv", 2000, 0],
      ],
    );
  });

  it("sets the static priority with --static, negative values included", async () => {
    const collection = await insertCollection(bed.database, "static");
    const ids = await insertPackages(bed.database, collection, { rnv: {} });
    const line = "Package rnv (collection static): static_priority set from 0 to -100";
    assert.deepEqual(
      await bed.run(["set-priority", "--static", "--collection", "static", "rnv", "-100"]),
      {
        output: [line],
        audit: [auditEntry(line, ids.rnv!.base_id)],
      },
    );
  });

  it("changes nothing when a package is missing", async () => {
    const collection = await insertCollection(bed.database, "prio-missing");
    await insertPackages(bed.database, collection, { rnv: {} });
    assert.deepEqual(
      await bed.run(["set-priority", "--collection", "prio-missing", "rnv", "eclipse", "2000"]),
      { output: [], error: "Packages not found: eclipse", usage: false, audit: [] },
    );
    assert.equal((await packageRows(collection))[0]!.manual_priority, 0);
  });

  it("refuses a VALUE that is not a whole number, and a missing one", async () => {
    for (const value of ["high", "1.5", "99999999999"]) {
      const result = await bed.run(["set-priority", "--collection", "prio", "rnv", value]);
      assert.deepEqual(
        [result.error, result.usage],
        [`VALUE must be a whole number, not '${value}'`, true],
      );
    }
    const missing = await bed.run(["set-priority", "--collection", "prio", "rnv"]);
    assert.deepEqual([missing.error, missing.usage], ["missing argument VALUE", true]);
    assert.equal(
      (await bed.run(["set-priority", "--collection", "nope", "rnv", "1"])).error,
      "Collection not found",
    );
  });
});

describe("set-arch-override", () => {
  it("sets and clears a package's override in every collection that has it", async () => {
    const first = await insertCollection(bed.database, "arch-a");
    const second = await insertCollection(bed.database, "arch-b");
    const ids = await insertPackages(bed.database, first, { "arch-pkg": {} });
    await insertPackages(bed.database, second, { "arch-pkg": { arch_override: "x86_64" } });
    const set = await bed.run(["set-arch-override", "arch-pkg", "^s390x ppc64le"]);
    const lines = [
      "Package arch-pkg (collection arch-a): arch_override set from None to ^s390x ppc64le",
      "Package arch-pkg (collection arch-b): arch_override set from x86_64 to ^s390x ppc64le",
    ];
    const base = ids["arch-pkg"]!.base_id;
    assert.deepEqual(set, { output: lines, audit: lines.map((line) => auditEntry(line, base)) });
    const cleared = await bed.run(["set-arch-override", "arch-pkg", ""]);
    assert.deepEqual(cleared.output, [
      "Package arch-pkg (collection arch-a): arch_override set from ^s390x ppc64le to None",
      "Package arch-pkg (collection arch-b): arch_override set from ^s390x ppc64le to None",
    ]);
    assert.equal((await packageRows(second))[0]!.arch_override, null);
    assert.deepEqual((await bed.run(["set-arch-override", "arch-pkg", ""])).audit, []);
  });

  it("with --group sets it on every package of the group", async () => {
    const collection = await insertCollection(bed.database, "arch-group");
    const ids = await insertPackages(bed.database, collection, {
      "grp-a": {},
      "grp-b": {},
      "grp-c": {},
    });
    await bed.run(["add-group", "me/arches", "grp-a", "grp-b"]);
    const result = await bed.run(["set-arch-override", "--group", "arches", "x86_64"]);
    assert.deepEqual(result.audit, [
      auditEntry(
        "Package grp-a (collection arch-group): arch_override set from None to x86_64",
        ids["grp-a"]!.base_id,
      ),
      auditEntry(
        "Package grp-b (collection arch-group): arch_override set from None to x86_64",
        ids["grp-b"]!.base_id,
      ),
    ]);
    assert.deepEqual(
      (await packageRows(collection)).map((p) => p.arch_override),
      ["x86_64", "x86_64", null],
    );
  });

  it("refuses unknown packages and groups, and ambiguous group names", async () => {
    assert.equal(
      (await bed.run(["set-arch-override", "nope", "x86_64"])).error,
      "Package nope not found",
    );
    assert.equal(
      (await bed.run(["set-arch-override", "--group", "nope", "x86_64"])).error,
      "Group nope not found",
    );
    await bed.run(["create-group", "a/twin"]);
    await bed.run(["create-group", "b/twin"]);
    assert.equal(
      (await bed.run(["set-arch-override", "--group", "twin", "x86_64"])).error,
      "Group name twin is ambiguous (a/twin, b/twin): give namespace/name",
    );
    assert.equal(
      (await bed.run(["set-arch-override", "--group", "b/twin", "x86_64"])).error,
      undefined,
    );
  });
});
