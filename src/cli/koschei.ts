import { runProgram } from "./command.js";
import { koscheiCommands } from "./commands.js";

const description = "Runs Koschei's services, web frontend, demo and Koji hub simulator.";
process.exitCode = await runProgram("koschei", description, koscheiCommands, process.argv.slice(2));
