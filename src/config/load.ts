// Loading: built-in defaults, then the component's YAML files, then the environment;
// merged, type-checked and completed with the derived secondary Koji settings.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { builtInDefaults, userDirectories } from "./defaults.js";
import {
  checkConfigDirectory,
  checkListedFiles,
  DEFAULT_CONFIG_DIR,
  findConfigFiles,
  readConfigFile,
} from "./files.js";
import { isMapping, KeySources, mergeConfig, type Mapping } from "./merge.js";
import type { Component, KojiConfig, KoscheiConfig } from "./types.js";
import { validateConfig } from "./validate.js";

/** One source of configuration values, named for error messages. */
export interface ConfigLayer {
  source: string;
  values: Mapping;
}

const DEFAULTS_SOURCE = "built-in defaults";

/**
 * Merges the layers over the defaults (later wins), validates the result and derives
 * `secondary_koji_config` and `secondary_mode`. Pure; inputs are not mutated.
 */
export function assembleConfig(defaults: KoscheiConfig, layers: ConfigLayer[]): KoscheiConfig {
  const sources = new KeySources();
  let merged: Mapping = {};
  for (const { source, values } of [
    { source: DEFAULTS_SOURCE, values: { ...defaults } },
    ...layers,
  ]) {
    sources.record(merged, values, source);
    merged = mergeConfig(merged, values);
  }
  validateConfig(merged, defaults as unknown as Mapping, sources);
  const config = merged as unknown as KoscheiConfig;
  const secondaryEntries = merged.secondary_koji_config as Mapping;
  // Shallow on purpose: a secondary login_args or retry replaces the primary one whole.
  config.secondary_koji_config = { ...config.koji_config, ...secondaryEntries } as KojiConfig;
  config.secondary_mode = Object.keys(secondaryEntries).length > 0;
  return config;
}

/** Values the environment overrides, as a layer (absent when nothing is set). */
function environmentLayers(env: NodeJS.ProcessEnv): ConfigLayer[] {
  const databaseUrl = env.KOSCHEI_DATABASE_URL;
  if (!databaseUrl) return [];
  return [{ source: "environment variable KOSCHEI_DATABASE_URL", values: { db_url: databaseUrl } }];
}

/** The files to read: KOSCHEI_CONFIG's list if set, else the config directory's files. */
function configFiles(component: Component, configDir: string, env: NodeJS.ProcessEnv): string[] {
  if (env.KOSCHEI_CONFIG) {
    return checkListedFiles(env.KOSCHEI_CONFIG.split(":").filter((path) => path !== ""));
  }
  return findConfigFiles(configDir, component);
}

/** KOSCHEI_CONFIG_DIR, which must then be a directory, or /etc/koschei (which may be absent). */
function configDirectory(env: NodeJS.ProcessEnv): string {
  if (!env.KOSCHEI_CONFIG_DIR) return DEFAULT_CONFIG_DIR;
  return checkConfigDirectory(resolve(env.KOSCHEI_CONFIG_DIR), "KOSCHEI_CONFIG_DIR");
}

export function loadConfig(
  component: Component,
  env: NodeJS.ProcessEnv = process.env,
): KoscheiConfig {
  const root = packageRoot();
  const configDir = configDirectory(env);
  const defaults = builtInDefaults({
    configDir,
    dataDir: root,
    ...userDirectories(env, env.HOME || homedir()),
    version: packageVersion(root),
  });
  const fileLayers = configFiles(component, configDir, env).map((path) => ({
    source: path,
    values: readConfigFile(path),
  }));
  return assembleConfig(defaults, [...fileLayers, ...environmentLayers(env)]);
}

/** The directory of our package.json: the checkout, or the installed package. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error("cannot find Koschei's package.json above " + import.meta.url);
    dir = parent;
  }
  return dir;
}

function packageVersion(root: string): string {
  const manifest: unknown = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  return isMapping(manifest) && typeof manifest.version === "string" ? manifest.version : "unknown";
}
