import type { CommandEntry } from "./command.js";

/** Every `koschei` command (services, frontend, demo, simulator), loaded on demand. */
export const koscheiCommands: CommandEntry[] = [
  {
    name: "sim-koji",
    summary: "run a simulated Koji hub (XML-RPC, files, builds, messages)",
    load: async () => (await import("../sim/command.js")).simKojiCommand,
  },
];
