// `koschei backend SERVICE… [--once] [--debug]`: the process around the service runner. It
// loads the backend configuration, logs JSON lines to standard error (readable lines on a
// terminal), opens the database and Koji sessions when a service first needs them, and turns
// SIGTERM and SIGINT into a clean stop.
import { pino } from "pino";
import { UsageError, flagOption, type Command } from "../cli/command.js";
import { databaseTarget, loadConfig, type KoscheiConfig } from "../config/index.js";
import { openDatabase, type Database } from "../db/index.js";
import { KojiSessions } from "../koji/sessions.js";
import { createLogger, type Logger } from "../log/logger.js";
import { installOutbox } from "../messaging/outbox.js";
import { installPluginListeners, withPluginServices } from "../plugins/backend.js";
import { loadPlugins } from "../plugins/registry.js";
import { EventBus } from "./events.js";
import { prettyDestination } from "./log-format.js";
import { backendServices, findServices, type ServiceDefinition } from "./registry.js";
import { runServices } from "./runner.js";
import type { BackendSession } from "./session.js";
import { postgresWakeSignals, type WakeSignals } from "./wake.js";

/** Exit code for bad command lines, unknown services included. */
const USAGE_EXIT_CODE = 2;
const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** The command over a service registry (tests pass their own). */
export function backendCommand(registry: readonly ServiceDefinition[] = backendServices): Command {
  return {
    name: "backend",
    summary: "run backend services (polling, scheduler, resolvers, watcher) in this process",
    description: `${knownServices(registry)}
Enabled plugins add services of their own (copr: copr-resolver, copr-scheduler).

Each service repeats its pass every services.<name>.interval seconds until SIGTERM or SIGINT,
which let the passes in progress finish. Exit codes: 0 stopped or --once done, 1 a service
failed with something other than an outage of Koji, the network or the database (or a --once
pass failed, or an enabled plugin does not exist), 2 bad arguments or unknown service, 3 memory
limit exceeded.`,
    positionals: [
      { name: "SERVICE", help: "service to run (several may be given)", variadic: true },
    ],
    options: [
      { name: "once", help: "run one pass of each service, then exit" },
      { name: "debug", short: "d", help: "log at debug level" },
    ],
    async run(args) {
      if (args.positionals.length === 0) {
        throw new UsageError(`name a service to run. ${knownServices(registry)}`);
      }
      const config = loadConfig("backend");
      const plugins = await loadPlugins(config);
      const services = withPluginServices(registry, plugins);
      const lookup = findServices(services, args.positionals);
      if ("unknown" in lookup) {
        process.stderr.write(
          `koschei backend: No such service: ${lookup.unknown.join(", ")}. ${knownServices(services)}\n`,
        );
        return USAGE_EXIT_CODE;
      }
      const log = backendLogger(flagOption(args, "debug"));
      const stop = new AbortController();
      const onSignal = (signal: string) => {
        log.info(`${signal} received; stopping after the passes in progress`);
        stop.abort();
      };
      for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
      const session = serviceSessions(config, log);
      installPluginListeners(plugins, {
        config,
        log,
        events: session.events,
        openSession: session.open,
        openDatabase: session.database,
      });
      const wake = wakeSignals(config, lookup.found, log);
      try {
        return await runServices({
          services: lookup.found,
          config,
          log,
          events: session.events,
          session: session.open,
          once: flagOption(args, "once"),
          stop: stop.signal,
          watchdogPath: process.env.WATCHDOG_PATH,
          wake,
        });
      } finally {
        for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
        await wake?.close();
        await session.close();
      }
    },
  };
}

/**
 * LISTEN connections for services with a wake channel, on PostgreSQL. (PGlite is one process's
 * database: there the services sleep out their intervals.)
 */
function wakeSignals(
  config: KoscheiConfig,
  services: readonly ServiceDefinition[],
  log: Logger,
): WakeSignals | undefined {
  const target = databaseTarget(config);
  if (target.kind !== "postgresql" || !services.some((service) => service.wakeChannel)) {
    return undefined;
  }
  return postgresWakeSignals(target.url, log);
}

function knownServices(registry: readonly ServiceDefinition[]): string {
  const lines = registry.map((service) => `  ${service.name.padEnd(16)} ${service.summary}`);
  return `Services:\n${lines.join("\n")}`;
}

function backendLogger(debug: boolean): Logger {
  const level = debug ? "debug" : "info";
  return process.stderr.isTTY
    ? pino({ level }, prettyDestination(process.stderr))
    : createLogger({ level });
}

/**
 * The services' sessions, each opened on the service's first use and closed at the end: one
 * database (a pool) for all, and Koji sessions of each service's own. Services run passes
 * concurrently, and a logged-in Koji session numbers its calls: two services' calls on one
 * session may reach the hub out of order, which the hub refuses (SequenceError) and which
 * would end the process. (The original ran each service in a process of its own.)
 */
export function serviceSessions(config: KoscheiConfig, log: Logger, shared?: Database) {
  const events = new EventBus(log);
  installOutbox(events, config);
  // A database the caller opened (the demo's embedded one) stays the caller's to close.
  let database: Promise<Database> | null = shared ? Promise.resolve(shared) : null;
  const sessions = new Map<string, Promise<BackendSession>>();
  const openDatabaseOnce = () => {
    // A failed opening (the database down) is tried again by the next pass.
    database ??= openDatabase(databaseTarget(config)).catch((error: unknown) => {
      database = null;
      throw error;
    });
    return database;
  };
  const open = async (): Promise<BackendSession> => {
    const db = await openDatabaseOnce();
    const koji = await KojiSessions.fromConfig(config, log);
    return { config, database: db, koji, events, log, now: () => new Date() };
  };
  return {
    events,
    database: openDatabaseOnce,
    open: (service: string): Promise<BackendSession> => {
      let session = sessions.get(service);
      if (!session) {
        // A failed opening (Koji or the database down) is tried again by the next pass.
        session = open().catch((error: unknown) => {
          sessions.delete(service);
          throw error;
        });
        sessions.set(service, session);
      }
      return session;
    },
    close: async () => {
      try {
        for (const session of sessions.values()) {
          const opened = await session.catch(() => null);
          await opened?.koji.close().catch((error: unknown) => {
            log.warn({ err: error }, "Koji logout failed");
          });
        }
      } finally {
        if (!shared) {
          const db = await database?.catch(() => null);
          await db?.close();
        }
      }
    },
  };
}
