import { runProgram } from "../cli/command.js";
import { adminCommands } from "./commands.js";

const description =
  "Administers a Koschei instance: database schema, collections, packages, groups, priorities, notices, cleanup, builds, configuration and debugging tools.";
process.exitCode = await runProgram(
  "koschei-admin",
  description,
  adminCommands,
  process.argv.slice(2),
);
