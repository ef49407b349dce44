// create-group, edit-group and add-group, in-process on PostgreSQL: names with and without
// namespace, content from files and standard input (replace or append), maintainers, and the
// exact audit entries.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  adminTestbed,
  insertCollection,
  insertPackages,
  auditEntry,
  type AdminTestbed,
} from "./support.js";

let bed: AdminTestbed;
let base: Record<string, number>;
before(async () => {
  bed = await adminTestbed();
  const collection = await insertCollection(bed.database, "f25");
  const ids = await insertPackages(bed.database, collection, { rnv: {}, maven: {}, eclipse: {} });
  base = Object.fromEntries(Object.entries(ids).map(([name, { base_id }]) => [name, base_id]));
});
after(() => bed?.close());

let files = 0;
function contentFile(text: string): string {
  const path = join(bed.scratch, `content-${++files}.txt`);
  writeFileSync(path, text);
  return path;
}

async function groups() {
  return bed.database.db
    .selectFrom("package_group")
    .select(["namespace", "name"])
    .orderBy("id")
    .execute();
}

async function content(name: string, namespace: string | null = null) {
  const rows = await bed.database.db
    .selectFrom("package_group")
    .innerJoin("package_group_relation", "group_id", "package_group.id")
    .innerJoin("base_package", "base_package.id", "package_group_relation.base_id")
    .select("base_package.name")
    .where("package_group.name", "=", name)
    .where("package_group.namespace", namespace === null ? "is" : "=", namespace)
    .orderBy("base_package.name")
    .execute();
  return rows.map((row) => row.name);
}

describe("create-group and edit-group", () => {
  it("create global and namespaced groups, then set, append and replace content", async () => {
    assert.deepEqual(await bed.run(["create-group", "global-group"]), {
      output: ["Group global-group created"],
      audit: [auditEntry("Group global-group created")],
    });
    assert.deepEqual((await bed.run(["create-group", "me/my-packages"])).audit, [
      auditEntry("Group me/my-packages created"),
    ]);
    assert.deepEqual(await groups(), [
      { namespace: null, name: "global-group" },
      { namespace: "me", name: "my-packages" },
    ]);

    const set = await bed.run([
      "edit-group",
      "global-group",
      "--content-from-file",
      contentFile("maven\n eclipse\n\n"),
    ]);
    assert.deepEqual(set.audit, [
      auditEntry("Group global-group modified: package eclipse added", base.eclipse!),
      auditEntry("Group global-group modified: package maven added", base.maven!),
    ]);
    assert.deepEqual(await content("global-group"), ["eclipse", "maven"]);

    const appended = await bed.run([
      "edit-group",
      "global-group",
      "--content-from-file",
      contentFile("rnv maven"),
      "--append",
    ]);
    assert.deepEqual(appended.audit, [
      auditEntry("Group global-group modified: package rnv added", base.rnv!),
    ]);
    assert.deepEqual(await content("global-group"), ["eclipse", "maven", "rnv"]);

    const replaced = await bed.run([
      "edit-group",
      "global-group",
      "--content-from-file",
      contentFile("rnv"),
    ]);
    assert.deepEqual(replaced, {
      output: [
        "Group global-group modified: package eclipse removed",
        "Group global-group modified: package maven removed",
      ],
      audit: [
        auditEntry("Group global-group modified: package eclipse removed", base.eclipse!),
        auditEntry("Group global-group modified: package maven removed", base.maven!),
      ],
    });
    assert.deepEqual(await content("global-group"), ["rnv"]);

    await bed.run(["edit-group", "me/my-packages", "--content-from-file", "-"], {
      stdin: "eclipse\n",
    });
    assert.deepEqual(await content("my-packages", "me"), ["eclipse"]);
  });

  it("create-group takes content at once; unknown packages or empty content write nothing", async () => {
    const created = await bed.run([
      "create-group",
      "with-content",
      "--content-from-file",
      contentFile("rnv"),
    ]);
    assert.deepEqual(created.output, [
      "Group with-content created",
      "Group with-content modified: package rnv added",
    ]);
    assert.deepEqual(
      await bed.run(["create-group", "bad", "--content-from-file", contentFile("rnv nope other")]),
      {
        output: [],
        error: "Packages don't exist: nope,other",
        usage: false,
        audit: [],
      },
    );
    assert.equal(
      (await bed.run(["create-group", "empty", "--content-from-file", contentFile(" \n")])).error,
      "Group content empty",
    );
    assert.deepEqual(
      (await groups()).filter((group) => ["bad", "empty"].includes(group.name)),
      [],
    );
    assert.equal((await bed.run(["create-group", "with-content"])).error, "Group already exists");
    assert.match(
      (await bed.run(["create-group", "x", "--content-from-file", join(bed.scratch, "absent")]))
        .error!,
      /^ENOENT: no such file or directory/,
    );
    const badName = await bed.run(["create-group", "ns/"]);
    assert.deepEqual(
      [badName.error, badName.usage],
      ["'ns/' is not a group name (namespace/name or name)", true],
    );
  });

  it("edit-group renames and moves groups without audit entries", async () => {
    await bed.run(["create-group", "old/name"]);
    assert.deepEqual(
      await bed.run(["edit-group", "old/name", "--new-name", "renamed", "--new-namespace", "new"]),
      {
        output: [],
        audit: [],
      },
    );
    await bed.run(["edit-group", "new/renamed", "--new-namespace", "ignored", "--make-global"]);
    assert.deepEqual(
      (await groups()).filter((group) => group.name === "renamed"),
      [{ namespace: null, name: "renamed" }],
    );
    assert.equal(
      (await bed.run(["edit-group", "old/name", "--new-name", "x"])).error,
      "Group old/name not found",
    );
    assert.equal(
      (await bed.run(["edit-group", "renamed", "--new-name", "global-group"])).error,
      "Group global-group already exists",
    );
  });
});

describe("add-group", () => {
  it("creates a group with packages and maintainers, creating unknown users", async () => {
    const result = await bed.run(["add-group", "team/tools", "rnv", "maven", "-m", "alice", "bob"]);
    const lines = [
      "Group team/tools created",
      "Group tools modified: package maven added",
      "Group tools modified: package rnv added",
      "Group tools modified: maintainer alice added",
      "Group tools modified: maintainer bob added",
    ];
    assert.deepEqual(result, {
      output: lines,
      audit: [
        auditEntry(lines[0]!),
        auditEntry(lines[1]!, base.maven!),
        auditEntry(lines[2]!, base.rnv!),
        auditEntry(lines[3]!),
        auditEntry(lines[4]!),
      ],
    });
    const maintainers = await bed.database.db
      .selectFrom("group_acl")
      .innerJoin("user", "user.id", "group_acl.user_id")
      .innerJoin("package_group", "package_group.id", "group_acl.group_id")
      .select(["user.name", "user.admin"])
      .where("package_group.name", "=", "tools")
      .orderBy("user.name")
      .execute();
    assert.deepEqual(maintainers, [
      { name: "alice", admin: false },
      { name: "bob", admin: false },
    ]);
  });

  it("works without packages or maintainers, and refuses unknown packages", async () => {
    assert.deepEqual((await bed.run(["add-group", "bare", "-m"])).output, ["Group bare created"]);
    assert.deepEqual(await bed.run(["add-group", "broken", "rnv", "nope", "-m", "carol"]), {
      output: [],
      error: "Packages don't exist: nope",
      usage: false,
      audit: [],
    });
    const carol = await bed.database.db
      .selectFrom("user")
      .select("id")
      .where("name", "=", "carol")
      .execute();
    assert.deepEqual(carol, []);
    assert.equal((await bed.run(["add-group", "bare"])).error, "Group already exists");
  });
});
