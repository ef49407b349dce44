// The one logger type that library code accepts: callers (the CLI, services, tests) decide
// where log lines go; libraries never write to the process's streams themselves.
import { pino, destination, type Logger } from "pino";

export type { Logger };

/** A logger writing JSON lines to standard error, the default of commands and services. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    { level: options.level ?? "info", ...(options.name ? { name: options.name } : {}) },
    destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything, for library callers that want no log. */
export const silentLogger: Logger = pino({ level: "silent" });
