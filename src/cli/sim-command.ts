// The simulator package's commands under Koschei's program (`koschei sim-koji`,
// `koschei sim-scenario`). With `koschei demo`, the only product code that may import
// @koschei/koji-sim: a composition root, never a service.
import { SimUsageError, type SimCommand } from "@koschei/koji-sim/cli.js";
import { UsageError, type Command } from "./command.js";

/** Presents a simulator command as a Koschei command named `name`. */
function fromSimCommand(name: string, command: SimCommand): Command {
  return {
    name,
    summary: command.summary,
    description: command.description,
    options: command.options,
    async run(args) {
      const values = Object.fromEntries(
        Object.entries(args.options).filter(
          (entry): entry is [string, string] => typeof entry[1] === "string",
        ),
      );
      try {
        await command.run(values);
      } catch (error) {
        throw error instanceof SimUsageError ? new UsageError(error.message) : error;
      }
    },
  };
}

export async function simKojiCommand(): Promise<Command> {
  return fromSimCommand("sim-koji", (await import("@koschei/koji-sim/command.js")).simKojiCommand);
}

export async function simScenarioCommand(): Promise<Command> {
  const { scenarioCommand } = await import("@koschei/koji-sim/scenario-command.js");
  return fromSimCommand("sim-scenario", scenarioCommand);
}
