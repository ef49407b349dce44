// A small, explicit command-line layer shared by `koschei` and `koschei-admin`:
// every command declares its options, so `--help` and argument errors come from one place.

export interface OptionSpec {
  /** Long name without dashes, e.g. "build-group". */
  name: string;
  /** Placeholder of the option's value, e.g. "FILE"; absent for a boolean flag. */
  value?: string;
  help: string;
  /** The option may be given several times; its values are collected in order. */
  repeatable?: boolean;
  /**
   * The option takes every following argument up to the next option, possibly none (argparse's
   * `nargs='*'`), e.g. `-c f28 f29`; its value is a list.
   */
  variadic?: boolean;
  /** A one-letter alias, e.g. "j". */
  short?: string;
  /** Leaving the option out is a usage error. */
  required?: boolean;
}

export interface PositionalSpec {
  name: string;
  help: string;
  optional?: boolean;
  /**
   * Takes every remaining argument but those the positionals after it need (at most one
   * variadic positional).
   */
  variadic?: boolean;
  /** A variadic positional that needs at least one argument. */
  oneOrMore?: boolean;
}

export interface ParsedArgs {
  /**
   * Option values by long name: string for valued options, string[] for repeatable and
   * variadic ones, true for flags.
   */
  options: Record<string, string | string[] | true | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  /** Longer text shown by `--help` below the usage line. */
  description?: string;
  options?: OptionSpec[];
  positionals?: PositionalSpec[];
  /** Returns the process exit code (0 when undefined). */
  run(args: ParsedArgs): Promise<number | void>;
}

/** A registry entry: the command module is loaded only when that command runs. */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

/** Bad command-line input: printed as one line with a hint to `--help`, exit code 2. */
export class UsageError extends Error {}

export function parseArgs(command: Command, argv: string[]): ParsedArgs {
  const options: ParsedArgs["options"] = {};
  const positionals: string[] = [];
  const specs = command.options ?? [];
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const byShort = new Map(specs.filter((s) => s.short).map((spec) => [spec.short!, spec]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptionSpec | undefined;
    let inlineValue: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inlineValue = eq >= 0 ? arg.slice(eq + 1) : undefined;
      spec = byName.get(name);
      if (!spec) throw new UsageError(`unknown option --${name}`);
    } else if (arg.startsWith("-") && arg.length === 2) {
      spec = byShort.get(arg.slice(1));
      if (!spec) throw new UsageError(`unknown option ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }
    if (!spec.value) {
      if (inlineValue !== undefined) throw new UsageError(`option --${spec.name} takes no value`);
      options[spec.name] = true;
      continue;
    }
    if (spec.variadic) {
      if (options[spec.name] !== undefined) {
        throw new UsageError(`option --${spec.name} given more than once`);
      }
      const values = inlineValue === undefined ? [] : [inlineValue];
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith("-")) values.push(argv[++i]!);
      options[spec.name] = values;
      continue;
    }
    const value = inlineValue ?? argv[++i];
    if (value === undefined) throw new UsageError(`option --${spec.name} needs a ${spec.value}`);
    if (spec.repeatable) {
      const previous = options[spec.name];
      options[spec.name] = [...(Array.isArray(previous) ? previous : []), value];
    } else {
      if (options[spec.name] !== undefined) {
        throw new UsageError(`option --${spec.name} given more than once`);
      }
      options[spec.name] = value;
    }
  }
  const missing = specs.find((spec) => spec.required && options[spec.name] === undefined);
  if (missing) throw new UsageError(`missing option --${missing.name}`);
  checkPositionals(command.positionals ?? [], positionals);
  return { options, positionals };
}

function checkPositionals(specs: PositionalSpec[], given: string[]): void {
  const required = specs.filter((s) => (s.variadic ? s.oneOrMore : !s.optional)).length;
  if (given.length < required) {
    throw new UsageError(`missing argument ${specs[given.length]!.name}`);
  }
  const variadic = specs.some((s) => s.variadic);
  if (!variadic && given.length > specs.length) {
    throw new UsageError(`unexpected argument '${given[specs.length]}'`);
  }
}

function formatHelp(program: string, command: Command): string {
  const positionals = (command.positionals ?? []).map((p) => {
    if (p.variadic) return p.oneOrMore ? `${p.name}...` : `[${p.name}...]`;
    return p.optional ? `[${p.name}]` : p.name;
  });
  const lines = [
    `Usage: ${[program, command.name, "[options]", ...positionals].join(" ")}`,
    "",
    command.summary,
  ];
  if (command.description) lines.push("", command.description.trim());
  if (command.positionals?.length) {
    lines.push("", "Arguments:");
    for (const p of command.positionals) lines.push(`  ${p.name.padEnd(24)} ${p.help}`);
  }
  lines.push("", "Options:");
  const options: OptionSpec[] = [
    ...(command.options ?? []),
    { name: "help", short: "h", help: "show this help and exit" },
  ];
  for (const o of options) {
    const value = o.value ? (o.variadic ? ` [${o.value}...]` : ` ${o.value}`) : "";
    const flag = `${o.short ? `-${o.short}, ` : ""}--${o.name}${value}`;
    const notes = [o.required && "required", o.repeatable && "repeatable"].filter(Boolean);
    const note = notes.length ? ` (${notes.join(", ")})` : "";
    lines.push(`  ${flag.padEnd(24)} ${o.help}${note}`);
  }
  return lines.join("\n") + "\n";
}

function formatOverview(program: string, description: string, entries: CommandEntry[]): string {
  const width = Math.max(...entries.map((e) => e.name.length)) + 2;
  return [
    `Usage: ${program} COMMAND [options]`,
    "",
    description,
    "",
    "Commands:",
    ...entries.map((e) => `  ${e.name.padEnd(width)} ${e.summary}`),
    "",
    `Run '${program} COMMAND --help' for the options of a command.`,
    "",
  ].join("\n");
}

/** Dispatches argv to a registered command; never throws, returns the exit code. */
export async function runProgram(
  program: string,
  description: string,
  entries: CommandEntry[],
  argv: string[],
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(formatOverview(program, description, entries));
    return name === undefined ? 2 : 0;
  }
  const entry = entries.find((e) => e.name === name);
  if (!entry) {
    process.stderr.write(`${program}: unknown command '${name}' (see '${program} --help')\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(formatHelp(program, command));
    return 0;
  }
  try {
    const exitCode = await command.run(parseArgs(command, rest));
    return exitCode ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(
        `${program} ${name}: ${error.message} (see '${program} ${name} --help')\n`,
      );
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${program} ${name}: ${message}\n`);
    if (process.env.KOSCHEI_DEBUG && error instanceof Error)
      process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

/** Reads a single-valued option, or undefined. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options[name];
  return typeof value === "string" ? value : undefined;
}

/** Reads a repeatable option as a list (empty when absent). */
export function listOption(args: ParsedArgs, name: string): string[] {
  const value = args.options[name];
  return Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
}

export function flagOption(args: ParsedArgs, name: string): boolean {
  return args.options[name] === true;
}

/** Parses a positive integer option; when absent, returns the fallback (undefined without one). */
export function intOption(args: ParsedArgs, name: string, fallback: number): number;
export function intOption(args: ParsedArgs, name: string): number | undefined;
export function intOption(args: ParsedArgs, name: string, fallback?: number): number | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`--${name} must be a positive whole number, not '${value}'`);
  }
  return Number(value);
}
