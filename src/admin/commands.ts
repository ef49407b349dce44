import type { CommandEntry } from "../cli/command.js";

/** Every `koschei-admin` command; each module is imported only when its command runs. */
export const adminCommands: CommandEntry[] = [
  { name: "config", summary: "print the effective configuration, or one value of it", load: async () => (await import("./config.js")).configCommand },
];
