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
    name: "cleanup",
    summary: "delete old builds, resolution changes and published messages",
    load: async () => (await import("./maintenance.js")).cleanupCommand,
  },
  {
    name: "set-notice",
    summary: "set the notice shown at the top of every web page",
    load: async () => (await import("./notices.js")).setNoticeCommand,
  },
  {
    name: "clear-notice",
    summary: "remove the notice shown at the top of every web page",
    load: async () => (await import("./notices.js")).clearNoticeCommand,
  },
  {
    name: "add-pkg",
    summary: "track packages of a collection",
    load: async () => (await import("./packages.js")).addPkgCommand,
  },
  {
    name: "add-group",
    summary: "create a package group with its packages and maintainers",
    load: async () => (await import("./groups.js")).addGroupCommand,
  },
  {
    name: "set-priority",
    summary: "set the manual or static priority of packages",
    load: async () => (await import("./packages.js")).setPriorityCommand,
  },
  {
    name: "set-arch-override",
    summary: "set the arches a package is built for",
    load: async () => (await import("./packages.js")).setArchOverrideCommand,
  },
  {
    name: "create-group",
    summary: "create a package group",
    load: async () => (await import("./groups.js")).createGroupCommand,
  },
  {
    name: "edit-group",
    summary: "rename a package group or change its packages",
    load: async () => (await import("./groups.js")).editGroupCommand,
  },
  {
    name: "create-collection",
    summary: "create a collection",
    load: async () => (await import("./collections.js")).createCollectionCommand,
  },
  {
    name: "edit-collection",
    summary: "change a collection",
    load: async () => (await import("./collections.js")).editCollectionCommand,
  },
  {
    name: "delete-collection",
    summary: "delete a collection with its packages and builds",
    load: async () => (await import("./collections.js")).deleteCollectionCommand,
  },
  {
    name: "branch-collection",
    summary: "branch a release off a collection that follows rawhide",
    load: async () => (await import("./collections.js")).branchCollectionCommand,
  },
  {
    name: "fork-collection",
    summary: "create a collection beside another, e.g. for a Koji side tag",
    load: async () => (await import("./collections.js")).forkCollectionCommand,
  },
  {
    name: "create-collection-group",
    summary: "create a collection group",
    load: async () => (await import("./collection-groups.js")).createCollectionGroupCommand,
  },
  {
    name: "edit-collection-group",
    summary: "change a collection group",
    load: async () => (await import("./collection-groups.js")).editCollectionGroupCommand,
  },
  {
    name: "delete-collection-group",
    summary: "delete a collection group",
    load: async () => (await import("./collection-groups.js")).deleteCollectionGroupCommand,
  },
  {
    name: "psql",
    summary: "run psql on the configured database",
    load: async () => (await import("./maintenance.js")).psqlCommand,
  },
  {
    name: "submit-build",
    summary: "submit Koji scratch builds of packages now",
    load: async () => (await import("./submit-build.js")).submitBuildCommand,
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
