// `koschei backend SERVICE… [--once] [--debug]`: the process around the service runner. It
// loads the backend configuration, logs JSON lines to standard error (readable lines on a
// terminal), opens the database and Koji sessions when a service first needs them, and turns
// SIGTERM and SIGINT into a clean stop.
import { pino } from "pino";
import { UsageError, flagOption, type Command } from "../cli/command.js";
import { databaseTarget, loadConfig, type KoscheiConfig } from "../config/index.js";
import { openDatabase } from "../db/index.js";
import { KojiSessions } from "../koji/sessions.js";
import { createLogger, type Logger } from "../log/logger.js";
import { EventBus } from "./events.js";
import { prettyDestination } from "./log-format.js";
import { backendServices, findServices, type ServiceDefinition } from "./registry.js";
import { runServices } from "./runner.js";
import type { BackendSession } from "./session.js";

/** Exit code for bad command lines, unknown services included. */
const USAGE_EXIT_CODE = 2;
const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** The command over a service registry (tests pass their own). */
export function backendCommand(registry: readonly ServiceDefinition[] = backendServices): Command {
  return {
    name: "backend",
    summary: "run backend services (polling, scheduler, resolvers, watcher) in this process",
    description: `${knownServices(registry)}

Each service repeats its pass every services.<name>.interval seconds until SIGTERM or SIGINT,
which let the passes in progress finish. Exit codes: 0 stopped or --once done, 1 a service
failed with something other than an outage of Koji, the network or the database (or a --once
pass failed), 2 bad arguments or unknown service, 3 memory limit exceeded.`,
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
      const lookup = findServices(registry, args.positionals);
      if ("unknown" in lookup) {
        process.stderr.write(
          `koschei backend: No such service: ${lookup.unknown.join(", ")}. ${knownServices(registry)}\n`,
        );
        return USAGE_EXIT_CODE;
      }
      const config = loadConfig("backend");
      const log = backendLogger(flagOption(args, "debug"));
      const stop = new AbortController();
      const onSignal = (signal: string) => {
        log.info(`${signal} received; stopping after the passes in progress`);
        stop.abort();
      };
      for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
      const session = lazySession(config, log);
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
        });
      } finally {
        for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
        await session.close();
      }
    },
  };
}

function knownServices(registry: readonly ServiceDefinition[]): string {
  if (registry.length === 0) return "No services are registered yet.";
  const lines = registry.map((service) => `  ${service.name.padEnd(16)} ${service.summary}`);
  return `Services:\n${lines.join("\n")}`;
}

function backendLogger(debug: boolean): Logger {
  const level = debug ? "debug" : "info";
  return process.stderr.isTTY
    ? pino({ level }, prettyDestination(process.stderr))
    : createLogger({ level });
}

/** The database and Koji sessions, opened once on first use, closed at the end. */
function lazySession(config: KoscheiConfig, log: Logger) {
  const events = new EventBus(log);
  let opening: Promise<BackendSession> | null = null;
  const open = async (): Promise<BackendSession> => {
    const database = await openDatabase(databaseTarget(config));
    try {
      const koji = await KojiSessions.fromConfig(config, log);
      return { config, database, koji, events, log, now: () => new Date() };
    } catch (error) {
      await database.close();
      throw error;
    }
  };
  return {
    events,
    open: () => {
      // A failed opening (Koji or the database down) is tried again by the next pass.
      opening ??= open().catch((error: unknown) => {
        opening = null;
        throw error;
      });
      return opening;
    },
    close: async () => {
      const session = await opening?.catch(() => null);
      if (!session) return;
      try {
        await session.koji.close();
      } finally {
        await session.database.close();
      }
    },
  };
}
