import type { CommandEntry } from "../cli/command.js";

/** Every `koschei-admin` command; each module is imported only when its command runs. */
export const adminCommands: CommandEntry[] = [
];
