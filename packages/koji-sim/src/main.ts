// `koji-sim COMMAND [options]`: the simulator's own program.
import { SimUsageError, parseSimArgs, simHelpText, type SimCommand } from "./cli.js";
import { simKojiCommand } from "./command.js";
import { scenarioCommand } from "./scenario-command.js";

const PROGRAM = "koji-sim";
const commands: SimCommand[] = [simKojiCommand, scenarioCommand];

function overview(): string {
  return [
    `Usage: ${PROGRAM} COMMAND [options]`,
    "",
    "A Koji hub simulator for testing Koji clients.",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    "",
    `Run '${PROGRAM} COMMAND --help' for the options of a command.`,
    "",
  ].join("\n");
}

/** Runs one command; returns the exit code (2 for bad usage, 1 for a failure). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    process.stdout.write(overview());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`${PROGRAM}: unknown command '${name}' (see '${PROGRAM} --help')\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(simHelpText(PROGRAM, command));
    return 0;
  }
  try {
    await command.run(parseSimArgs(command, rest));
    return 0;
  } catch (error) {
    const usage = error instanceof SimUsageError;
    const hint = usage ? ` (see '${PROGRAM} ${name} --help')` : "";
    process.stderr.write(`${PROGRAM} ${name}: ${(error as Error).message}${hint}\n`);
    return usage ? 2 : 1;
  }
}
