// The osci plugin (spec 11 §4): Fedora CI messages about build groups — a side collection
// (typically a Koji side tag) tested against its base collection. Every polling pass
// evaluates each group and reports a change of state or repo through the outbox.
import type { CommandEntry } from "../../cli/command.js";
import type { KoscheiPlugin } from "../plugin.js";
import { pollBuildGroups } from "./poll.js";

const adminCommands: CommandEntry[] = [
  {
    name: "create-build-group",
    summary: "report CI results of a side collection against its base collection",
    load: async () => (await import("./admin.js")).createBuildGroupCommand,
  },
  {
    name: "list-build-groups",
    summary: "list the build groups and what they last reported",
    load: async () => (await import("./admin.js")).listBuildGroupsCommand,
  },
  {
    name: "delete-build-group",
    summary: "stop reporting a build group",
    load: async () => (await import("./admin.js")).deleteBuildGroupCommand,
  },
];

export const osciPlugin: KoscheiPlugin = {
  name: "osci",
  summary: "Fedora CI messages about build groups (side tags) against their base collection",
  backend: {
    listeners: { polling_event: (_payload, context) => pollBuildGroups(context) },
  },
  adminCommands,
  migrations: [{ id: "0009_build_group", tables: ["build_group"] }],
};
