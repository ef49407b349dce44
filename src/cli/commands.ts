import type { CommandEntry } from "./command.js";

/** Every `koschei` command (services, frontend, demo, simulator), loaded on demand. */
export const koscheiCommands: CommandEntry[] = [
  {
    name: "demo",
    summary: "open the embedded database, create or upgrade its schema and show its contents",
    load: async () => (await import("./demo.js")).demoCommand,
  },
  {
    name: "sim-koji",
    summary: "run a simulated Koji hub (XML-RPC, files, builds, messages)",
    load: async () => (await import("../sim/command.js")).simKojiCommand,
  },
  {
    name: "sim-scenario",
    summary: "generate a Koji hub simulator scenario from an rpm-md repo",
    load: async () => (await import("../sim/scenario-command.js")).scenarioCommand,
  },
];
