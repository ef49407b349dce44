import type { CommandEntry } from "./command.js";

/** Every `koschei` command (services, frontend, demo, simulator), loaded on demand. */
export const koscheiCommands: CommandEntry[] = [
];
