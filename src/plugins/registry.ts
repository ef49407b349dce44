// The plugins this product knows (spec 11 §1.1) and the loading of the enabled ones. A plugin's
// code is imported only when it is enabled, so a disabled plugin costs nothing.
import type { KoscheiConfig } from "../config/index.js";
import type { KoscheiPlugin } from "./plugin.js";

export interface PluginEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<KoscheiPlugin>;
}

export const knownPlugins: readonly PluginEntry[] = [
  {
    name: "copr",
    summary: "user rebuilds: what a Copr repository would change, break or fix in a collection",
    load: async () => (await import("./copr/index.js")).coprPlugin,
  },
  {
    name: "pagure",
    summary: "a user's packages from Pagure's owner aliases (dist-git maintainers)",
    load: async () => (await import("./pagure/index.js")).pagurePlugin,
  },
  {
    name: "osci",
    summary: "Fedora CI messages about build groups (side tags) against their base collection",
    load: async () => (await import("./osci/index.js")).osciPlugin,
  },
  {
    name: "repo_regen",
    summary: "secondary mode: mirrors the secondary Koji's repos into the primary hub",
    load: async () => (await import("./repo-regen/index.js")).repoRegenPlugin,
  },
  {
    name: "fedmsg",
    summary:
      "accepted for the original's configurations: the watcher and the publisher are core services here",
    load: async () => (await import("./fedmsg.js")).fedmsgPlugin,
  },
];

/** An enabled plugin this product does not have. */
export class UnknownPluginError extends Error {
  override name = "UnknownPluginError";
  constructor(readonly plugin: string) {
    super(`${plugin} plugin enabled but not installed`);
  }
}

/**
 * The plugins the configuration enables, in its order, each once. Throws UnknownPluginError for
 * a name nobody provides, before any plugin is loaded.
 */
export async function loadPlugins(
  config: Pick<KoscheiConfig, "plugins">,
  registry: readonly PluginEntry[] = knownPlugins,
): Promise<KoscheiPlugin[]> {
  const names = [...new Set(config.plugins)];
  const entries = names.map((name) => {
    const entry = registry.find((candidate) => candidate.name === name);
    if (!entry) throw new UnknownPluginError(name);
    return entry;
  });
  return Promise.all(entries.map((entry) => entry.load()));
}
