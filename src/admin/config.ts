// `koschei-admin config [KEY]`: shows the effective configuration of the admin tool.
import { stringify } from "yaml";
import { flagOption, type Command } from "../cli/command.js";
import { loadConfig, lookupConfig } from "../config/index.js";

function formatConfigValue(value: unknown, json: boolean): string {
  if (json) return JSON.stringify(value, null, 2) + "\n";
  if (typeof value === "object" && value !== null) return stringify(value);
  return `${String(value)}\n`;
}

export const configCommand: Command = {
  name: "config",
  summary: "print the effective configuration, or one value of it",
  description:
    "Prints the merged result of the built-in defaults, the configuration files and the " +
    "environment, as the admin tool sees it (config.yaml, config-backend.yaml, " +
    "config-admin.yaml of $KOSCHEI_CONFIG_DIR, default /etc/koschei; or the files " +
    "$KOSCHEI_CONFIG lists, colon-separated). Scalars are printed " +
    "plainly, mappings and lists as YAML.",
  options: [{ name: "json", help: "print the value as JSON" }],
  positionals: [
    {
      name: "KEY",
      help: "dotted key such as koji_config.weburl (default: everything)",
      optional: true,
    },
  ],
  async run(args) {
    const config = loadConfig("admin");
    const value = lookupConfig(config, args.positionals[0] ?? "");
    process.stdout.write(formatConfigValue(value, flagOption(args, "json")));
  },
};
