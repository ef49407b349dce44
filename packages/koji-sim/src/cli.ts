// The simulator's own small command layer, so that the package runs on its own (bin
// `koji-sim`) and Koschei's `koschei sim-koji`/`sim-scenario` can present the same commands:
// a command is plain data (its options) plus a function of the parsed option values.
import { parseArgs } from "node:util";

export interface SimOption {
  /** Long name without dashes. */
  name: string;
  /** Placeholder of the value, e.g. "FILE". Every simulator option takes one. */
  value: string;
  help: string;
  short?: string;
}

export type SimOptionValues = Partial<Record<string, string>>;

export interface SimCommand {
  name: string;
  summary: string;
  description: string;
  options: SimOption[];
  run(values: SimOptionValues): Promise<void>;
}

/** Bad command-line input: the caller prints it with a pointer to --help, exit code 2. */
export class SimUsageError extends Error {}

/** Parses `--name value`/`--name=value`/`-x value` for the command's options. */
export function parseSimArgs(command: SimCommand, argv: string[]): SimOptionValues {
  const options = Object.fromEntries(
    command.options.map((o) => [
      o.name,
      { type: "string" as const, ...(o.short ? { short: o.short } : {}) },
    ]),
  );
  try {
    const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
    return values as SimOptionValues;
  } catch (error) {
    throw new SimUsageError((error as Error).message);
  }
}

/** Reads a positive whole-number option; absent gives the fallback. */
export function positiveIntOption(values: SimOptionValues, name: string): number | undefined;
export function positiveIntOption(values: SimOptionValues, name: string, fallback: number): number;
export function positiveIntOption(
  values: SimOptionValues,
  name: string,
  fallback?: number,
): number | undefined {
  const text = values[name];
  if (text === undefined) return fallback;
  const number = Number(text);
  if (!/^\d+$/.test(text) || number < 1 || !Number.isSafeInteger(number)) {
    throw new SimUsageError(`--${name} must be a positive whole number, not '${text}'`);
  }
  return number;
}

export function simHelpText(program: string, command: SimCommand): string {
  const lines = [`Usage: ${program} ${command.name} [options]`, "", command.summary];
  lines.push("", command.description.trim(), "", "Options:");
  for (const o of command.options) {
    const flag = `${o.short ? `-${o.short}, ` : ""}--${o.name} ${o.value}`;
    lines.push(`  ${flag.padEnd(24)} ${o.help}`);
  }
  lines.push(`  ${"-h, --help".padEnd(24)} show this help and exit`);
  return lines.join("\n") + "\n";
}
