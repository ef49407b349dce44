// `koschei-admin create-db / migrate / alembic` and `koschei demo`'s data directory, run as real child
// processes through ./bin, on a fresh PostgreSQL database and on an embedded PGlite in a
// temporary directory.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { migrations } from "../../src/db/index.js";
import { freshDatabase, silentServer, type FreshDatabase } from "../support/database.js";

const bin = (name: string) => fileURLToPath(new URL(`../../../bin/${name}`, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "koschei-db-cli-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const emptyConfigDir = join(scratch, "config");
mkdirSync(emptyConfigDir);

const newest = migrations.at(-1)!.id;
const appliedLines = migrations.map((m) => `applied migration ${m.id}\n`).join("");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a Koschei program with an empty config directory and the given environment. */
function run(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const fullEnv: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: scratch,
    KOSCHEI_CONFIG_DIR: emptyConfigDir,
    XDG_DATA_HOME: join(scratch, "data"),
    ...env,
  };
  delete fullEnv.KOSCHEI_CONFIG;
  if (!env.KOSCHEI_DATABASE_URL) delete fullEnv.KOSCHEI_DATABASE_URL;
  return new Promise((resolve) => {
    execFile(process.execPath, [bin(program), ...args], { env: fullEnv }, (error, stdout, stderr) =>
      resolve({ status: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

describe("koschei-admin on PostgreSQL (KOSCHEI_DATABASE_URL)", () => {
  let fresh: FreshDatabase;
  let env: NodeJS.ProcessEnv;
  const location = () => fresh.url;
  before(async () => {
    fresh = await freshDatabase({ migrated: false });
    env = { KOSCHEI_DATABASE_URL: fresh.url };
  });
  after(() => fresh?.drop());

  it("create-db creates the schema on the empty database", async () => {
    assert.deepEqual(await run("koschei-admin", ["create-db"], env), {
      status: 0,
      stdout: `${appliedLines}${location()} is now at schema version ${newest}\n`,
      stderr: "",
    });
  });

  it("migrate then has nothing to do", async () => {
    assert.deepEqual(await run("koschei-admin", ["migrate"], env), {
      status: 0,
      stdout: `${location()} is up to date at schema version ${newest}\n`,
      stderr: "",
    });
  });

  it("alembic upgrade head is migrate", async () => {
    assert.deepEqual(await run("koschei-admin", ["alembic", "upgrade", "head"], env), {
      status: 0,
      stdout: `${location()} is up to date at schema version ${newest}\n`,
      stderr: "",
    });
  });

  it("create-db refuses the database now that it has tables", async () => {
    const result = await run("koschei-admin", ["create-db"], env);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      /^koschei-admin create-db: .* already has tables \(admin_notice, .*\); use 'koschei-admin migrate' to upgrade an existing Koschei database\n$/,
    );
  });

  it("other alembic commands are usage errors", async () => {
    const result = await run("koschei-admin", ["alembic", "show", "head"], env);
    assert.deepEqual(result, {
      status: 2,
      stdout: "",
      stderr:
        "koschei-admin alembic: 'show head' is not supported: the only Alembic command is " +
        "'upgrade head', the same as 'koschei-admin migrate' (see 'koschei-admin alembic --help')\n",
    });
  });

  it(
    "a server that never answers fails after connect_timeout, naming it without the password",
    { timeout: 30_000 },
    async () => {
      const server = await silentServer();
      try {
        const configDir = join(scratch, "short-connect-timeout");
        mkdirSync(configDir);
        writeFileSync(join(configDir, "config.yaml"), "database_config: {connect_timeout: 0.2}\n");
        const result = await run("koschei-admin", ["migrate"], {
          KOSCHEI_CONFIG_DIR: configDir,
          KOSCHEI_DATABASE_URL: `postgresql://koschei:secret@127.0.0.1:${server.port}/koschei`,
        });
        assert.deepEqual(result, {
          status: 1,
          stdout: "",
          stderr:
            `koschei-admin migrate: cannot connect to the database server 127.0.0.1:${server.port}: ` +
            "no answer within 0.2 s (database_config.connect_timeout)\n",
        });
      } finally {
        await server.close();
      }
    },
  );

  it("an unreachable server is a one-line error", async () => {
    const result = await run("koschei-admin", ["migrate"], {
      KOSCHEI_DATABASE_URL: "postgresql://postgres@127.0.0.1:1/koschei",
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^koschei-admin migrate: .*ECONNREFUSED.*\n$/);
  });
});

describe("the embedded PGlite database (default location)", () => {
  const dataDir = join(scratch, "data", "koschei", "pglite");

  it("create-db creates it, taking over a lock file left by a dead process", async () => {
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    mkdirSync(join(scratch, "data", "koschei"), { recursive: true });
    writeFileSync(`${dataDir}.lock`, `${dead}\n`);
    assert.deepEqual(await run("koschei-admin", ["create-db"], {}), {
      status: 0,
      stdout: `${appliedLines}${dataDir} (embedded PGlite) is now at schema version ${newest}\n`,
      stderr: "",
    });
  });
});

describe("koschei demo --data-dir", () => {
  it("refuses a directory that holds other files than a database", async () => {
    const dataDir = join(scratch, "documents");
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, "letter.txt"), "Dear …\n");
    assert.deepEqual(await run("koschei", ["demo", "--data-dir", dataDir], {}), {
      status: 1,
      stdout: "",
      stderr:
        `koschei demo: ${dataDir} is not empty and is not a demo data directory ` +
        "(no .koschei-demo file); give a new or empty directory\n",
    });
  });
});
