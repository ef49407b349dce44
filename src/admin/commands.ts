import type { CommandEntry } from "../cli/command.js";

/** Every `koschei-admin` command; each module is imported only when its command runs. */
export const adminCommands: CommandEntry[] = [
  {
    name: "create-db",
    summary: "create the database schema on an empty database",
    load: async () => (await import("./db-commands.js")).createDbCommand,
  },
  {
    name: "migrate",
    summary: "apply pending schema migrations to the database",
    load: async () => (await import("./db-commands.js")).migrateCommand,
  },
  {
    name: "alembic",
    summary: "'alembic upgrade head': the same as migrate",
    load: async () => (await import("./db-commands.js")).alembicCommand,
  },
  {
    name: "config",
    summary: "print the effective configuration, or one value of it",
    load: async () => (await import("./config.js")).configCommand,
  },
  {
    name: "resolve",
    summary: "resolve the BuildRequires of source packages (JSON lines) against rpm-md repos",
    load: async () => (await import("./resolve.js")).resolveCommand,
  },
];
