import { runProgram } from "../cli/command.js";
import { adminCommands } from "./commands.js";

const description =
  "Administers a Koschei instance: its database schema, its configuration and debugging tools.";
process.exitCode = await runProgram(
  "koschei-admin",
  description,
  adminCommands,
  process.argv.slice(2),
);
