// The copr client's configuration file (config `copr.config_path`), the INI file python-copr
// reads (`copr.v3.Client.create_from_config_file`): section [copr-cli] with the API `login`,
// `username`, `token` and `copr_url`. Parsed like Python's configparser (sections, `key = value`
// or `key: value`, lower-cased keys, indented continuation lines, # and ; comment lines,
// [DEFAULT], %(key)s and %% interpolation), strictly: anything else is an error naming the file
// and line. Messages never quote values: the file holds the API token.
import { readFileSync } from "node:fs";

export interface CoprClientSettings {
  /** The API login (not the user name): Basic authentication's user part. */
  login: string;
  username: string;
  token: string;
  /** The Copr frontend, e.g. https://copr.fedorainfracloud.org; the API is <copr_url>/api_3. */
  coprUrl: string;
}

export class CoprConfigError extends Error {
  override name = "CoprConfigError";
}

const SECTION = "copr-cli";
const REQUIRED = ["login", "username", "token", "copr_url"] as const;
const NEEDS = `a [${SECTION}] section with ${REQUIRED.join(", ")}`;
const BOOLEANS = new Map([
  ["1", true],
  ["yes", true],
  ["true", true],
  ["on", true],
  ["0", false],
  ["no", false],
  ["false", false],
  ["off", false],
]);

type Sections = Map<string, Map<string, string>>;

/** configparser's reading of the file: sections of lower-cased keys and raw values. */
function parseIni(text: string, path: string): Sections {
  const sections: Sections = new Map();
  let section: Map<string, string> | null = null;
  let sectionName = "";
  let lastKey: string | null = null;
  let keyIndent = 0;
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  for (const [index, line] of lines.entries()) {
    const where = `${path}, line ${index + 1}`;
    const trimmed = line.trim();
    const indent = line.length - line.trimStart().length;
    if (trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    if (trimmed === "") {
      // configparser keeps empty lines inside a value that continues below.
      if (section && lastKey !== null) section.set(lastKey, section.get(lastKey)! + "\n");
      continue;
    }
    if (section && lastKey !== null && indent > keyIndent) {
      section.set(lastKey, `${section.get(lastKey)!}\n${trimmed}`);
      continue;
    }
    // A value's trailing empty lines are not part of it.
    if (section && lastKey !== null) section.set(lastKey, section.get(lastKey)!.trimEnd());
    lastKey = null;
    const header = /^\[(.+)\]$/.exec(trimmed);
    if (header) {
      sectionName = header[1]!;
      if (sections.has(sectionName))
        throw new CoprConfigError(`${where}: section [${sectionName}] appears twice`);
      section = new Map();
      sections.set(sectionName, section);
      continue;
    }
    if (!section)
      throw new CoprConfigError(`${where}: a setting before the first [section] header`);
    const delimiter = trimmed.search(/[=:]/);
    if (delimiter <= 0)
      throw new CoprConfigError(`${where}: expected '[section]', 'key = value' or a comment`);
    const key = trimmed.slice(0, delimiter).trim().toLowerCase();
    if (section.has(key))
      throw new CoprConfigError(`${where}: '${key}' appears twice in [${sectionName}]`);
    section.set(key, trimmed.slice(delimiter + 1).trim());
    lastKey = key;
    keyIndent = indent;
  }
  if (section && lastKey !== null) section.set(lastKey, section.get(lastKey)!.trimEnd());
  return sections;
}

/** A value with configparser's BasicInterpolation: %% is %, %(key)s another key's value. */
function interpolate(
  sections: Sections,
  sectionName: string,
  key: string,
  path: string,
  depth = 0,
): string | undefined {
  const lookup = (name: string) =>
    sections.get(sectionName)?.get(name) ?? sections.get("DEFAULT")?.get(name);
  const raw = lookup(key);
  if (raw === undefined) return undefined;
  if (depth > 10)
    throw new CoprConfigError(`${path}: '${key}' in [${sectionName}] refers to itself (%(…)s)`);
  return raw.replace(/%(%|\((\w[\w.-]*)\)s|)/g, (_match, what: string, name?: string) => {
    if (what === "%") return "%";
    if (name !== undefined) {
      const value = interpolate(sections, sectionName, name.toLowerCase(), path, depth + 1);
      if (value === undefined)
        throw new CoprConfigError(
          `${path}: '${key}' in [${sectionName}] refers to '${name}', which is not set`,
        );
      return value;
    }
    throw new CoprConfigError(
      `${path}: '${key}' in [${sectionName}] has a '%' that is neither '%%' nor '%(name)s'`,
    );
  });
}

/** Reads the settings from the file's text; `path` names it in messages. */
export function parseCoprConfig(text: string, path: string): CoprClientSettings {
  const sections = parseIni(text, path);
  if (!sections.has(SECTION))
    throw new CoprConfigError(`${path} has no [${SECTION}] section; it needs ${NEEDS}`);
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const key of REQUIRED) {
    const value = interpolate(sections, SECTION, key, path);
    if (value === undefined || value.trim() === "") missing.push(key);
    else values.set(key, value.trim());
  }
  if (missing.length > 0)
    throw new CoprConfigError(
      `${path}: [${SECTION}] lacks ${missing.join(", ")} (it needs ${REQUIRED.join(", ")})`,
    );
  const coprUrl = values.get("copr_url")!;
  let url: URL;
  try {
    url = new URL(coprUrl);
  } catch {
    throw new CoprConfigError(`${path}: copr_url in [${SECTION}] is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new CoprConfigError(`${path}: copr_url in [${SECTION}] must start with https://`);
  if (url.search || url.hash)
    throw new CoprConfigError(
      `${path}: copr_url in [${SECTION}] must not have a query or fragment`,
    );
  // As python-copr: the token must not travel over plain HTTP unless the file says so.
  const encryptedText = interpolate(sections, SECTION, "encrypted", path);
  const encrypted =
    encryptedText === undefined ? true : BOOLEANS.get(encryptedText.trim().toLowerCase());
  if (encrypted === undefined)
    throw new CoprConfigError(`${path}: encrypted in [${SECTION}] must be true or false`);
  if (encrypted && url.protocol === "http:")
    throw new CoprConfigError(
      `${path}: copr_url in [${SECTION}] is plain http://, which would send the API token ` +
        "unencrypted; use https://, or set 'encrypted = False' to allow it (a local test Copr)",
    );
  return {
    login: values.get("login")!,
    username: values.get("username")!,
    token: values.get("token")!,
    coprUrl,
  };
}

/** Reads and parses the file; a missing or unreadable file is an error naming it. */
export function readCoprConfig(path: string): CoprClientSettings {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES"
          ? "is not readable (permission denied)"
          : code === "EISDIR"
            ? "is a directory"
            : `cannot be read (${(error as Error).message})`;
    throw new CoprConfigError(
      `the copr client configuration ${path} (copr.config_path) ${reason}; it needs ${NEEDS}`,
    );
  }
  return parseCoprConfig(text, path);
}
