import type { CommandEntry } from "./command.js";

/** Every `koschei` command, each module imported only when its command runs. */
export const koscheiCommands: CommandEntry[] = [
  {
    name: "backend",
    summary: "run backend services (polling, scheduler, resolvers, watcher) in this process",
    load: async () => (await import("../backend/command.js")).backendCommand(),
  },
  {
    name: "frontend",
    summary: "serve the web interface and the JSON API",
    load: async () => (await import("../frontend/command.js")).frontendCommand(),
  },
  {
    name: "demo",
    summary:
      "run Koschei on a simulated Koji with every service and the web interface in one process",
    load: async () => (await import("./demo.js")).demoCommand,
  },
  {
    name: "sim-koji",
    summary: "run a simulated Koji hub (XML-RPC, topurl files, scratch builds, messages)",
    load: async () => (await import("./sim-command.js")).simKojiCommand(),
  },
  {
    name: "sim-scenario",
    summary: "generate a Koji hub simulator scenario from an rpm-md repo and srpms.jsonl",
    load: async () => (await import("./sim-command.js")).simScenarioCommand(),
  },
];
