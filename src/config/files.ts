// Which YAML files each component reads, and turning a file's text into a mapping.
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { isMapping, type Mapping } from "./merge.js";
import type { Component } from "./types.js";
import { ConfigError } from "./types.js";

export const DEFAULT_CONFIG_DIR = "/etc/koschei";

/** File names without extension, in merge order (later wins). */
function configFileStems(component: Component): string[] {
  // The admin tool works on the backend's database and Koji, so it reads the backend file too.
  const specific: Record<Component, string[]> = {
    backend: ["config-backend"],
    frontend: ["config-frontend"],
    admin: ["config-backend", "config-admin"],
  };
  return ["config", ...specific[component]];
}

/**
 * Checks a config directory named by KOSCHEI_CONFIG_DIR: a typo there must not silently
 * leave every setting at its default.
 */
export function checkConfigDirectory(dir: string, variable: string): string {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    throw new ConfigError(`${variable}: ${dir}: no such directory`);
  }
  if (!isDirectory) throw new ConfigError(`${variable}: ${dir}: not a directory`);
  return dir;
}

/**
 * Whether a config file is present. A symbolic link to nothing is present, so that
 * reading it fails loudly instead of the file being skipped as missing.
 */
function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The existing files of a component in `dir`, each as `.yaml` or `.yml`. */
export function findConfigFiles(dir: string, component: Component): string[] {
  return configFileStems(component).flatMap((stem) => {
    const found = [".yaml", ".yml"].map((ext) => join(dir, stem + ext)).filter(isPresent);
    if (found.length > 1) {
      throw new ConfigError(`${found.join(" and ")}: both exist; keep only one of them`);
    }
    return found;
  });
}

/** Files listed explicitly (KOSCHEI_CONFIG); each must exist. */
export function checkListedFiles(paths: string[]): string[] {
  for (const path of paths) {
    if (!existsSync(path)) throw new ConfigError(`Config file not found: ${path}`);
  }
  return paths;
}

export function readConfigFile(path: string): Mapping {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && lstatSync(path).isSymbolicLink()) {
      throw new ConfigError(
        `${path}: symbolic link to ${readlinkSync(path)}, which does not exist`,
      );
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${path}: cannot read: ${reason}`);
  }
  return parseConfigText(text, path);
}

/** Parses one file's YAML; an empty file is an empty mapping. */
function parseConfigText(text: string, fileName: string): Mapping {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const [error] = document.errors;
  if (error) {
    const { line } = lineCounter.linePos(error.pos[0]);
    throw new ConfigError(`${fileName}:${line}: YAML syntax error: ${firstLine(error.message)}`);
  }
  let value: unknown;
  try {
    value = document.toJS();
  } catch (failure) {
    // e.g. an alias to an undefined anchor, only detected while building the value
    const reason = failure instanceof Error ? failure.message : String(failure);
    throw new ConfigError(`${fileName}: YAML error: ${firstLine(reason)}`);
  }
  if (value === null || value === undefined) return {};
  if (!isMapping(value)) {
    const got = Array.isArray(value) ? "a list" : JSON.stringify(value);
    throw new ConfigError(`${fileName}: expected a mapping of configuration keys, got ${got}`);
  }
  return value;
}

const firstLine = (text: string): string => text.split("\n", 1)[0]!.trim();
