import { runProgram, type CommandEntry } from "../cli/command.js";
import { ConfigError, loadConfig } from "../config/index.js";
import { loadPlugins } from "../plugins/registry.js";
import { adminCommands } from "./commands.js";

const description =
  "Administers a Koschei instance: database schema, collections, packages, groups, priorities, notices, cleanup, builds, configuration and debugging tools. Enabled plugins add commands of their own.";

/** The commands of the enabled plugins; none when the configuration cannot be read. */
async function pluginCommands(): Promise<CommandEntry[]> {
  let config;
  try {
    config = loadConfig("admin");
  } catch (error) {
    // Every command that needs the configuration reports what is wrong with it.
    if (error instanceof ConfigError) return [];
    throw error;
  }
  return (await loadPlugins(config)).flatMap((plugin) => plugin.adminCommands ?? []);
}

try {
  process.exitCode = await runProgram(
    "koschei-admin",
    description,
    [...adminCommands, ...(await pluginCommands())],
    process.argv.slice(2),
  );
} catch (error) {
  process.stderr.write(`koschei-admin: ${error instanceof Error ? error.message : error}\n`);
  process.exitCode = 1;
}
