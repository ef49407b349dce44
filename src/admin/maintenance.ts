// `cleanup` (spec 07 §2.3) and `psql` (§2.6): pruning old history, and a psql shell on the
// configured database.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { sql } from "kysely";
import { UsageError, stringOption, type Command } from "../cli/command.js";
import { databaseTarget, loadConfig } from "../config/index.js";
import { adminCommand } from "./admin-command.js";
import { dispatchToPlugins } from "./plugin-events.js";

const DEFAULT_MONTHS = 6;
const MINIMAL_MONTHS = 2;

function parseMonths(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MONTHS;
  if (!/^[+-]?\d+$/.test(text)) {
    throw new UsageError(`--older-than must be a whole number of months, not '${text}'`);
  }
  const months = Number(text);
  if (months < MINIMAL_MONTHS) throw new Error(`Minimal allowed value is ${MINIMAL_MONTHS} months`);
  return months;
}

export const cleanupCommand = adminCommand({
  name: "cleanup",
  summary: "delete old builds, resolution changes and published messages",
  description:
    "Deletes the builds started more than N months ago, except each package's last build " +
    "and last complete build (their Koji tasks and dependency changes go with them), " +
    "the resolution changes older than N months (with their problems), and the " +
    "fedora-messaging outbox messages published more than N months ago (unpublished ones " +
    "stay, however old). Prints and audit-logs how many it deleted.",
  options: [
    {
      name: "older-than",
      value: "N",
      help: `age in months, at least ${MINIMAL_MONTHS} (default ${DEFAULT_MONTHS})`,
    },
  ],
  async execute(tx, args) {
    const months = parseMonths(stringOption(args, "older-than"));
    const cutoff = sql<Date>`now() - make_interval(months => ${months})`;
    const builds = await tx.db
      .deleteFrom("build")
      .where("started", "<", cutoff)
      .where(({ exists, not, selectFrom }) =>
        not(
          exists(
            selectFrom("package")
              .select("package.id")
              .where((pkg) =>
                pkg.or([
                  pkg("package.last_build_id", "=", pkg.ref("build.id")),
                  pkg("package.last_complete_build_id", "=", pkg.ref("build.id")),
                ]),
              ),
          ),
        ),
      )
      .executeTakeFirst();
    const changes = await tx.db
      .deleteFrom("resolution_change")
      .where("timestamp", "<", cutoff)
      .executeTakeFirst();
    const messages = await tx.db
      .deleteFrom("outbox")
      .where("published_at", "is not", null)
      .where("published_at", "<", cutoff)
      .executeTakeFirst();
    await tx.audit(`Cleanup: Deleted ${builds.numDeletedRows} builds`);
    await tx.audit(`Cleanup: Deleted ${changes.numDeletedRows} resolution changes`);
    await tx.audit(`Cleanup: Deleted ${messages.numDeletedRows} published messages`);
  },
  async afterCommit(env, args) {
    const months = parseMonths(stringOption(args, "older-than"));
    await dispatchToPlugins(env, "cleanup", { olderThanMonths: months, userName: env.userName });
  },
});

/**
 * psql's arguments and environment for a PostgreSQL URL: the URL without its password as the
 * connection string (so host, socket directory and port all apply), the password in PGPASSWORD.
 */
function psqlInvocation(
  databaseUrl: string,
  args: string[],
): { args: string[]; password: string | undefined } {
  const url = new URL(databaseUrl);
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  url.password = "";
  return { args: ["-d", url.toString(), ...args], password };
}

export const psqlCommand: Command = {
  name: "psql",
  summary: "run psql on the configured database",
  description:
    "Starts psql connected to the database Koschei is configured to use, passing ARGS on; " +
    "put '--' before psql's own options, e.g. koschei-admin psql -- -c 'SELECT 1'. The " +
    "password, if any, is passed in PGPASSWORD. The embedded PGlite database cannot be " +
    "reached with psql.",
  positionals: [{ name: "ARGS", help: "arguments passed to psql", variadic: true }],
  async run(args) {
    const target = databaseTarget(loadConfig("admin"));
    if (target.kind !== "postgresql") {
      throw new Error(
        `psql needs a PostgreSQL database (db_url or database_config); this configuration ` +
          `uses the embedded PGlite database in ${target.dataDir}`,
      );
    }
    const invocation = psqlInvocation(target.url, args.positionals);
    const env = { ...process.env };
    if (invocation.password !== undefined) env.PGPASSWORD = invocation.password;
    // psql answers Ctrl-C itself (it cancels the query); this process only waits for it.
    const ignoreInterrupt = () => {};
    process.on("SIGINT", ignoreInterrupt);
    try {
      const child = spawn("psql", invocation.args, { stdio: "inherit", env });
      const [code] = (await once(child, "exit")) as [number | null];
      return code ?? 1;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new Error("psql is not installed (not found in PATH)");
      }
      throw error;
    } finally {
      process.off("SIGINT", ignoreInterrupt);
    }
  },
};
