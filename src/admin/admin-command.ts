// The frame of every admin command that changes data (spec 07 §1): the configuration, the
// database, Koji when needed, one transaction per command, the audit log, and output that is
// printed only once the transaction is committed, so a failing command prints nothing but
// its error and leaves nothing half-written.
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import type { Kysely } from "kysely";
import {
  KojiConnectionError,
  KojiFault,
  KojiProtocolError,
} from "@koschei/koji-protocol/faults.js";
import type { Command, ParsedArgs } from "../cli/command.js";
import { databaseTarget, loadConfig, type KoscheiConfig } from "../config/index.js";
import { openDatabase, type Database, type Schema } from "../db/index.js";
import { KojiSessions } from "../koji/sessions.js";

/** What a command runs with; the process supplies the real one, tests their own. */
export interface AdminEnvironment {
  config: KoscheiConfig;
  database: Database;
  /** The name audit-log entries carry. */
  userName: string;
  /** Standard input as text (`--content-from-file -`). */
  readStdin(): string;
  /** Writes one line of output. */
  print(line: string): void;
  /** The Koji sessions, opened (and the primary logged in) on first use. */
  koji(): Promise<KojiSessions>;
}

/**
 * What the shared change helpers need (spec 07 §1.2): queries in a transaction and an audit
 * log. The admin commands and the web interface each give their own.
 */
export interface AuditedChanges {
  readonly db: Kysely<Schema>;
  /** Records a log entry (as the admin user, or the web's logged-in user) (spec 07 §1.1). */
  audit(message: string, baseId?: number): Promise<void>;
}

/** A shared helper was given package names that are not known. */
export class UnknownPackages extends Error {
  override name = "UnknownPackages";
  constructor(readonly names: string[]) {
    super(`Packages don't exist: ${names.join(",")}`);
  }
}

/** One command's transaction: its queries, its audit log and its output. */
export interface AdminTransaction extends AuditedChanges {
  readonly env: AdminEnvironment;
  /** Prints a line that is not an audit entry. */
  print(line: string): void;
}

export interface AdminCommand extends Command {
  /** The command's work, all in one transaction. */
  execute(tx: AdminTransaction, args: ParsedArgs): Promise<void>;
  /** Work outside the transaction once it is committed and printed (plugins' cleanup). */
  afterCommit?(env: AdminEnvironment, args: ParsedArgs): Promise<void>;
}

/** A command whose `run` executes its body in the environment of this process. */
export function adminCommand(definition: Omit<AdminCommand, "run">): AdminCommand {
  const command: AdminCommand = {
    ...definition,
    run: (args) => withProcessEnvironment((env) => runAdminCommand(command, env, args)),
  };
  return command;
}

/**
 * Runs a command in one transaction; its output is printed after the commit. Koji's errors
 * become one line naming Koji.
 */
export async function runAdminCommand(
  command: AdminCommand,
  env: AdminEnvironment,
  args: ParsedArgs,
): Promise<void> {
  const output: string[] = [];
  try {
    await env.database.db.transaction().execute(async (trx) => {
      let userId: number | undefined;
      const transaction: AdminTransaction = {
        db: trx,
        env,
        async audit(message, baseId) {
          userId ??= await adminUserId(trx, env.userName);
          await trx
            .insertInto("log_entry")
            .values({ user_id: userId, environment: "admin", message, base_id: baseId ?? null })
            .execute();
          output.push(message);
        },
        print: (line) => output.push(line),
      };
      await command.execute(transaction, args);
    });
  } catch (error) {
    const kojiMessage = kojiErrorMessage(error);
    throw kojiMessage === undefined ? error : new Error(kojiMessage);
  }
  for (const line of output) env.print(line);
  await command.afterCommit?.(env, args);
}

/** One line for an error of the Koji client; undefined for other errors. */
export function kojiErrorMessage(error: unknown): string | undefined {
  if (error instanceof KojiFault) return `Koji error: ${error.faultString}`;
  if (error instanceof KojiConnectionError || error instanceof KojiProtocolError) {
    return `Koji error: ${error.message}`;
  }
  return undefined;
}

/** The user row of that name, created (not an admin) when missing. */
export async function adminUserId(db: Kysely<Schema>, name: string): Promise<number> {
  await db
    .insertInto("user")
    .values({ name })
    .onConflict((conflict) => conflict.column("name").doNothing())
    .execute();
  const user = await db
    .selectFrom("user")
    .select("id")
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
  return user.id;
}

/** $SUDO_USER when set, so that `sudo koschei-admin …` names the person; else this account. */
function auditUserName(env: NodeJS.ProcessEnv): string {
  return env.SUDO_USER || userInfo().username;
}

/**
 * An environment over an open database; `close` logs out of Koji if it was used. The
 * database stays open (its owner closes it).
 */
export function adminEnvironment(
  config: KoscheiConfig,
  database: Database,
  io: Pick<AdminEnvironment, "userName" | "readStdin" | "print">,
): { env: AdminEnvironment; close(): Promise<void> } {
  let sessions: Promise<KojiSessions> | undefined;
  return {
    env: { config, database, ...io, koji: () => (sessions ??= KojiSessions.fromConfig(config)) },
    async close() {
      // A failed login has already been reported by the command that needed Koji.
      const opened = await sessions?.catch(() => undefined);
      await opened?.close();
    },
  };
}

async function withProcessEnvironment(body: (env: AdminEnvironment) => Promise<void>) {
  const config = loadConfig("admin");
  const database = await openDatabase(databaseTarget(config), { maxConnections: 1 });
  const { env, close } = adminEnvironment(config, database, {
    userName: auditUserName(process.env),
    readStdin: () => readFileSync(0, "utf8"),
    print: (line) => process.stdout.write(`${line}\n`),
  });
  try {
    await body(env);
  } finally {
    try {
      await close();
    } finally {
      await database.close();
    }
  }
}
