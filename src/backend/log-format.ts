// Log lines for people: when standard error is a terminal, the backend's pino JSON records are
// shown as "12:34:56 INFO  polling: message key=value …" instead.
const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** pino's own fields, shown in the line's head instead of as key=value pairs. */
const HEAD_FIELDS = new Set(["level", "time", "pid", "hostname", "msg", "service", "err", "name"]);

/** One JSON record as a human-readable line (with an error's stack below it). */
export function formatLogRecord(record: Record<string, unknown>): string {
  const time = new Date(Number(record.time)).toISOString().slice(11, 19);
  const level = (LEVEL_NAMES[Number(record.level)] ?? String(record.level)).padEnd(5);
  const source = record.service ?? record.name;
  const extras = Object.entries(record)
    .filter(([key]) => !HEAD_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  const head = [
    time,
    level,
    source ? `${String(source)}:` : "",
    String(record.msg ?? ""),
    ...extras,
  ]
    .filter((part) => part !== "")
    .join(" ");
  const error = record.err as { stack?: string; message?: string } | undefined;
  return error ? `${head}\n  ${error.stack ?? error.message}\n` : `${head}\n`;
}

/** A destination for pino that writes formatted lines to `output`. */
export function prettyDestination(output: NodeJS.WritableStream): { write(line: string): void } {
  return { write: (line) => void output.write(formatLogRecord(JSON.parse(line))) };
}
