// `koschei-admin` as a real child process, configured through KOSCHEI_CONFIG_DIR and
// KOSCHEI_DATABASE_URL against the in-process Koji hub simulator: the original's documented
// invocations, exit codes (0, 1 for refusals, 2 for usage errors), stdout and stderr, the
// audit user from SUDO_USER, standard input, psql, and --help.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { adminCommands } from "../../src/admin/commands.js";
import {
  adminConfigYaml,
  adminTestbed,
  auditEntriesAfter,
  insertPackages,
  type AdminTestbed,
} from "./support.js";

/** The original's data commands, in its order (spec 07 §1). */
const ORIGINAL_COMMANDS = [
  "cleanup", "set-notice", "clear-notice", "add-pkg", "add-group", "set-priority",
  "set-arch-override", "create-group", "edit-group", "create-collection", "edit-collection",
  "delete-collection", "branch-collection", "fork-collection", "create-collection-group",
  "edit-collection-group", "delete-collection-group", "psql", "submit-build",
]; // prettier-ignore

const ADMIN = fileURLToPath(new URL("../../../bin/koschei-admin", import.meta.url));

let bed: AdminTestbed;
let anonymousConfigDir: string;
before(async () => {
  bed = await adminTestbed();
  anonymousConfigDir = join(bed.scratch, "anonymous");
  mkdirSync(anonymousConfigDir);
  writeFileSync(
    join(anonymousConfigDir, "config-admin.yaml"),
    adminConfigYaml(bed.sim.hubUrl, "", false),
  );
});
after(() => bed?.close());

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function admin(
  args: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: bed.scratch,
    KOSCHEI_CONFIG_DIR: bed.configDir,
    KOSCHEI_DATABASE_URL: bed.url,
    SUDO_USER: "jdoe",
    ...options.env,
  };
  delete env.KOSCHEI_CONFIG;
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [ADMIN, ...args], { env }, (error, stdout, stderr) =>
      resolve({ status: error ? (error.code as number) : 0, stdout, stderr }),
    );
    child.stdin!.end(options.stdin ?? "");
  });
}

describe("koschei-admin as the original's documentation invokes it", () => {
  it("create-collection, then add-pkg, audit-logged as $SUDO_USER", async () => {
    assert.deepEqual(
      await admin([
        "create-collection",
        "f42",
        "-d",
        "Fedora 42",
        "-t",
        "f42",
        "--bugzilla-product",
        "Fedora",
      ]),
      { status: 0, stdout: "Collection f42 created\n", stderr: "" },
    );
    const collection = await bed.database.db
      .selectFrom("collection")
      .select(["id", "display_name", "build_tag", "dest_tag", "bugzilla_product"])
      .where("name", "=", "f42")
      .executeTakeFirstOrThrow();
    assert.deepEqual(collection, {
      id: collection.id,
      display_name: "Fedora 42",
      build_tag: "f42-build",
      dest_tag: "f42-build",
      bugzilla_product: "Fedora",
    });
    const ids = await insertPackages(bed.database, collection.id, { bash: {}, rpm: {} });
    const before = await bed.database.db
      .selectFrom("log_entry")
      .select((eb) => eb.fn.max("id").as("id"))
      .executeTakeFirstOrThrow();
    assert.deepEqual(await admin(["add-pkg", "-c", "f42", "bash", "rpm"]), {
      status: 0,
      stdout:
        "Package bash (collection f42): tracked set from False to True\n" +
        "Package rpm (collection f42): tracked set from False to True\n",
      stderr: "",
    });
    assert.deepEqual(await auditEntriesAfter(bed.database, before.id!), [
      {
        user: "jdoe",
        message: "Package bash (collection f42): tracked set from False to True",
        base_id: ids.bash!.base_id,
      },
      {
        user: "jdoe",
        message: "Package rpm (collection f42): tracked set from False to True",
        base_id: ids.rpm!.base_id,
      },
    ]);
  });

  it("reads group content from standard input", async () => {
    assert.deepEqual(
      await admin(["create-group", "tools", "--content-from-file", "-"], { stdin: "bash\nrpm\n" }),
      {
        status: 0,
        stdout:
          "Group tools created\nGroup tools modified: package bash added\nGroup tools modified: package rpm added\n",
        stderr: "",
      },
    );
  });
});

describe("koschei-admin failures", () => {
  it("a refusal is one line on stderr and exit status 1, with nothing written", async () => {
    assert.deepEqual(await admin(["add-pkg", "-c", "nope", "bash"]), {
      status: 1,
      stdout: "",
      stderr: "koschei-admin add-pkg: Collection not found\n",
    });
    assert.deepEqual(
      await admin(["fork-collection", "f42", "f42-side", "-d", "Side", "-t", "missing"]),
      {
        status: 1,
        stdout: "",
        stderr: "koschei-admin fork-collection: Target missing not found in Koji\n",
      },
    );
    const side = await bed.database.db
      .selectFrom("collection")
      .select("id")
      .where("name", "=", "f42-side")
      .execute();
    assert.deepEqual(side, []);
  });

  it("a usage error is exit status 2 with a hint", async () => {
    assert.deepEqual(await admin(["set-priority", "--collection", "f42", "bash"]), {
      status: 2,
      stdout: "",
      stderr:
        "koschei-admin set-priority: missing argument VALUE (see 'koschei-admin set-priority --help')\n",
    });
  });

  it("submit-build refuses an anonymous Koji session", async () => {
    const result = await admin(["submit-build", "bash"], {
      env: { KOSCHEI_CONFIG_DIR: anonymousConfigDir },
    });
    assert.deepEqual(result, {
      status: 1,
      stdout: "",
      stderr:
        "koschei-admin submit-build: submit-build needs a logged-in Koji session, and this one is " +
        "anonymous: set koji_config.login_method to ssl_login and koji_config.login_args.cert to " +
        "the client certificate (a PEM file with its key)\n",
    });
  });
});

describe("koschei-admin psql", () => {
  it("runs psql on the configured database, passing its arguments", async () => {
    assert.deepEqual(
      await admin(["psql", "--", "-Atc", "SELECT name FROM collection ORDER BY name"]),
      {
        status: 0,
        stdout: "f42\n",
        stderr: "",
      },
    );
  });

  it("refuses the embedded PGlite database", async () => {
    const env = { KOSCHEI_DATABASE_URL: "", XDG_DATA_HOME: join(bed.scratch, "data") };
    const result = await admin(["psql"], { env });
    assert.deepEqual(result, {
      status: 1,
      stdout: "",
      stderr:
        "koschei-admin psql: psql needs a PostgreSQL database (db_url or database_config); this " +
        `configuration uses the embedded PGlite database in ${join(bed.scratch, "data", "koschei", "pglite")}\n`,
    });
  });
});

describe("koschei-admin help", () => {
  it("lists every command of the original, in its order", async () => {
    const { status, stdout } = await admin(["--help"]);
    assert.equal(status, 0);
    const listed = [...stdout.matchAll(/^ {2}(\S+) /gm)].map((match) => match[1]);
    assert.deepEqual(
      listed.filter((name) => ORIGINAL_COMMANDS.includes(name!)),
      ORIGINAL_COMMANDS,
    );
  });

  it("shows a command's options, required and variadic ones marked", async () => {
    const { status, stdout } = await admin(["create-collection-group", "--help"]);
    assert.equal(status, 0);
    assert.equal(
      stdout,
      [
        "Usage: koschei-admin create-collection-group [options] NAME",
        "",
        "create a collection group",
        "",
        "Creates a group of collections, shown together on the web Collections page.",
        "",
        "Arguments:",
        "  NAME                     the group's name",
        "",
        "Options:",
        "  -d, --display-name NAME  human-readable name (required)",
        "  -c, --contents [COLL...] the group's collections, replacing its current ones (none given: unchanged)",
        "  -h, --help               show this help and exit",
        "",
      ].join("\n"),
    );
  });

  it("every one of them describes itself and each of its options and arguments", async () => {
    for (const entry of adminCommands.filter((e) => ORIGINAL_COMMANDS.includes(e.name))) {
      const command = await entry.load();
      assert.ok(
        command.description && command.description.length > 20,
        `${entry.name} has a description`,
      );
      for (const item of [...(command.options ?? []), ...(command.positionals ?? [])]) {
        assert.ok(item.help.length > 5, `${entry.name} ${item.name} has help`);
      }
    }
  });
});
