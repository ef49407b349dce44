import { runProgram } from "./command.js";
import { koscheiCommands } from "./commands.js";

const description =
  "Runs Koschei's programs: the backend services, the demo and a simulated Koji hub.";
process.exitCode = await runProgram("koschei", description, koscheiCommands, process.argv.slice(2));
