// The admin commands' test bed: a fresh PostgreSQL database, a Koji hub simulator in this
// process, a configuration pointing at both, and a runner that executes a command line
// in-process exactly as `koschei-admin` would (same parsing, same transaction), returning its
// output, its error and the audit-log entries it wrote.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseScenario, type Scenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import {
  adminEnvironment,
  runAdminCommand,
  type AdminCommand,
} from "../../src/admin/admin-command.js";
import { adminCommands } from "../../src/admin/commands.js";
import { parseArgs, UsageError } from "../../src/cli/command.js";
import { loadConfig, type KoscheiConfig } from "../../src/config/index.js";
import type { Database } from "../../src/db/index.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";

/** The user the in-process runs audit as. */
export const TEST_USER = "admin-tester";

export const F29_ARCHES = ["armv7hl", "i686", "x86_64", "aarch64", "ppc64", "ppc64le", "s390x"];

/**
 * Targets as in the original's recordings (f28's destination tag differs from its build tag;
 * f28-side-42 builds in a tag of its own name), plus packages for submit-build: rnv builds
 * everywhere, maven is noarch, zvm only on s390x.
 */
export function adminScenario(): Scenario {
  return parseScenario(
    {
      name: "admin",
      startTime: "2025-01-01T00:00:00Z",
      hosts: [{ name: "builder", arches: ["x86_64", "i386", "armhfp", "s390x"], capacity: 8 }],
      tags: [
        { name: "f28" },
        { name: "f28-build", parents: ["f28"], arches: ["x86_64", "i686"] },
        { name: "f28-updates-candidate", parents: ["f28"] },
        { name: "f28-side-42", parents: ["f28-build"], arches: ["x86_64"] },
        { name: "f29" },
        { name: "f29-build", parents: ["f29"], arches: F29_ARCHES },
        { name: "f42" },
        { name: "f42-build", parents: ["f42"], arches: ["x86_64"] },
      ],
      targets: [
        { name: "f28", buildTag: "f28-build", destTag: "f28-updates-candidate" },
        { name: "f28-side-42", buildTag: "f28-side-42", destTag: "f28-side-42" },
        { name: "f29", buildTag: "f29-build", destTag: "f29" },
        { name: "f42", buildTag: "f42-build", destTag: "f42" },
      ],
      builds: [
        {
          name: "rnv",
          version: "1.7.11",
          release: "15.fc28",
          tags: ["f29"],
          rpms: [{ name: "rnv", arch: "x86_64" }],
        },
        {
          name: "maven",
          epoch: 1,
          version: "3.5.3",
          release: "2.fc29",
          tags: ["f29"],
          srpm: { buildArchs: ["noarch"] },
          rpms: [{ name: "maven", arch: "noarch" }],
        },
        {
          name: "zvm",
          version: "1.0",
          release: "1.fc29",
          tags: ["f29"],
          srpm: { exclusiveArch: ["s390x"] },
          rpms: [{ name: "zvm", arch: "s390x" }],
        },
      ],
    },
    "admin",
  );
}

/** An audit entry written by the in-process runs. */
export function auditEntry(message: string, base_id: number | null = null): AuditEntry {
  return { user: TEST_USER, message, base_id };
}

export interface AuditEntry {
  user: string;
  message: string;
  base_id: number | null;
}

export interface RunResult {
  output: string[];
  /** The one-line error, when the command failed. */
  error?: string;
  /** Whether that error is a usage error (exit code 2 rather than 1). */
  usage?: boolean;
  /** The log entries the command wrote, oldest first. */
  audit: AuditEntry[];
}

export interface AdminTestbed {
  database: Database;
  url: string;
  sim: Simulator;
  /** A configuration directory for child processes (the hub URL, a login certificate). */
  configDir: string;
  /** A scratch directory removed by close(). */
  scratch: string;
  config: KoscheiConfig;
  /** Runs a command line in-process, with the test bed's configuration unless given another. */
  run(argv: string[], options?: { stdin?: string; config?: KoscheiConfig }): Promise<RunResult>;
  close(): Promise<void>;
}

/** The config-admin.yaml of the test bed; `login: false` leaves the Koji session anonymous. */
export function adminConfigYaml(hubUrl: string, certFile: string, login = true): string {
  return [
    "koji_config:",
    `  server: ${hubUrl}`,
    "  topurl: http://127.0.0.1:1/kojifiles",
    ...(login ? ["  login_method: ssl_login", `  login_args: { cert: ${certFile} }`] : []),
    // Faults are final; a lost connection is not waited out.
    "  retry: { anon_retry: false, max_retries: 0, offline_retry: false }",
    "",
  ].join("\n");
}

export async function adminTestbed(): Promise<AdminTestbed> {
  const scratch = mkdtempSync(join(tmpdir(), "koschei-admin-test-"));
  let fresh: FreshDatabase | undefined;
  let sim: Simulator | undefined;
  try {
    fresh = await freshDatabase();
    sim = await startSimulator({
      listen: "127.0.0.1:0",
      scenario: adminScenario(),
      plainLoginUser: "koschei",
    });
    // Over plain HTTP the simulator logs sslLogin in without looking at a certificate.
    const certFile = join(scratch, "koschei.pem");
    writeFileSync(certFile, "not used over plain HTTP\n");
    const configDir = join(scratch, "config");
    mkdirSync(configDir);
    writeFileSync(join(configDir, "config-admin.yaml"), adminConfigYaml(sim.hubUrl, certFile));
    const config = loadConfig("admin", { KOSCHEI_CONFIG_DIR: configDir, HOME: scratch });
    const { database, url } = fresh;
    const opened = { fresh, sim };
    return {
      database,
      url,
      sim,
      configDir,
      scratch,
      config,
      run: (argv, options = {}) =>
        runInProcess(options.config ?? config, database, argv, options.stdin ?? ""),
      async close() {
        await opened.sim.close();
        await opened.fresh.drop();
        rmSync(scratch, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await sim?.close();
    await fresh?.drop();
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
}

async function runInProcess(
  config: KoscheiConfig,
  database: Database,
  argv: string[],
  stdin: string,
): Promise<RunResult> {
  const [name, ...rest] = argv;
  const entry = adminCommands.find((candidate) => candidate.name === name);
  if (!entry) throw new Error(`no admin command ${name}`);
  const command = (await entry.load()) as AdminCommand;
  const lastId = await lastLogEntryId(database);
  const output: string[] = [];
  const { env, close } = adminEnvironment(config, database, {
    userName: TEST_USER,
    readStdin: () => stdin,
    print: (line) => output.push(line),
  });
  const result: RunResult = { output, audit: [] };
  try {
    await runAdminCommand(command, env, parseArgs(command, rest));
  } catch (error) {
    result.error = (error as Error).message;
    result.usage = error instanceof UsageError;
  } finally {
    await close();
  }
  result.audit = await auditEntriesAfter(database, lastId);
  return result;
}

async function lastLogEntryId(database: Database): Promise<number> {
  const row = await database.db
    .selectFrom("log_entry")
    .select((eb) => eb.fn.max("id").as("id"))
    .executeTakeFirstOrThrow();
  return row.id ?? 0;
}

export async function auditEntriesAfter(database: Database, id: number): Promise<AuditEntry[]> {
  return database.db
    .selectFrom("log_entry")
    .innerJoin("user", "user.id", "log_entry.user_id")
    .select(["user.name as user", "log_entry.message", "log_entry.base_id"])
    .where("log_entry.id", ">", id)
    .where("log_entry.environment", "=", "admin")
    .orderBy("log_entry.id")
    .execute();
}

/** Asserts that each command line is refused with its error, writing and printing nothing. */
export async function assertRefusals(
  bed: AdminTestbed,
  cases: [argv: string[], error: string, usage: boolean][],
): Promise<void> {
  for (const [argv, error, usage] of cases) {
    assert.deepEqual(await bed.run(argv), { output: [], error, usage, audit: [] }, argv.join(" "));
  }
}

/** Inserts a collection row directly (no Koji), with the given columns. */
export async function insertCollection(
  database: Database,
  name: string,
  columns: Partial<{
    target: string;
    build_tag: string;
    dest_tag: string;
    order: number;
    bugzilla_version: string | null;
    latest_repo_id: number | null;
    latest_repo_resolved: boolean | null;
  }> = {},
): Promise<number> {
  const row = await database.db
    .insertInto("collection")
    .values({
      name,
      display_name: `Collection ${name}`,
      target: name,
      build_tag: `${name}-build`,
      dest_tag: name,
      ...columns,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Inserts packages (and their base packages, if new) into a collection; returns ids by name. */
export async function insertPackages(
  database: Database,
  collectionId: number,
  packages: Record<
    string,
    Partial<{ tracked: boolean; manual_priority: number; arch_override: string | null }>
  >,
): Promise<Record<string, { id: number; base_id: number }>> {
  const ids: Record<string, { id: number; base_id: number }> = {};
  for (const [name, columns] of Object.entries(packages)) {
    await database.db
      .insertInto("base_package")
      .values({ name })
      .onConflict((conflict) => conflict.column("name").doNothing())
      .execute();
    const base = await database.db
      .selectFrom("base_package")
      .select("id")
      .where("name", "=", name)
      .executeTakeFirstOrThrow();
    const pkg = await database.db
      .insertInto("package")
      .values({ name, base_id: base.id, collection_id: collectionId, ...columns })
      .returning("id")
      .executeTakeFirstOrThrow();
    ids[name] = { id: pkg.id, base_id: base.id };
  }
  return ids;
}
