// Type checks of the merged configuration. The built-in defaults double as the schema: a
// key's expected type is the type of its default. Keys that have no default (or whose
// default does not tell the type) are listed in `rulesWithoutDefault`. Unknown keys are
// accepted because plugins may read keys of their own.
import { isMapping, type KeySources, type Mapping } from "./merge.js";
import { ConfigError } from "./types.js";

type Kind = "string" | "number" | "boolean" | "string-list" | "postgresql-url";

interface Rule {
  kind: Kind;
  /** null is accepted (the key's "unset" value). */
  nullable?: boolean;
}

// Paths of the schema; `*` matches any one key. secondary_koji_config is checked with the
// paths of koji_config, whose keys it shares.
const rulesWithoutDefault: Record<string, Rule> = {
  "database_config.host": { kind: "string", nullable: true },
  "database_config.database": { kind: "string", nullable: true },
  "database_config.username": { kind: "string", nullable: true },
  "database_config.password": { kind: "string", nullable: true },
  "database_config.port": { kind: "number", nullable: true },
  db_url: { kind: "postgresql-url", nullable: true },
  unpriv_db_username: { kind: "string", nullable: true },
  bypass_login: { kind: "string", nullable: true },
  "koji_config.repo_url": { kind: "string", nullable: true },
  // session_opts is free-form, but the back-off options in it override koji_config.retry.
  "koji_config.session_opts.anon_retry": { kind: "boolean" },
  "koji_config.session_opts.max_retries": { kind: "number" },
  "koji_config.session_opts.retry_interval": { kind: "number" },
  "koji_config.session_opts.offline_retry": { kind: "boolean" },
  "koji_config.session_opts.offline_retry_interval": { kind: "number" },
  "koji_config.session_opts.timeout": { kind: "number" },
  "services.*.interval": { kind: "number" },
  "services.*.watchdog": { kind: "boolean" },
  "services.*.memory_limit": { kind: "number", nullable: true },
  "services.*.virtual_memory_limit": { kind: "number", nullable: true },
  plugins: { kind: "string-list" },
  "frontend.external_url": { kind: "string", nullable: true },
  "frontend.fedmenu_url": { kind: "string", nullable: true },
  "frontend.fedmenu_data_url": { kind: "string", nullable: true },
  "bugreport.template.*": { kind: "string" },
};

const expectedText: Record<Kind, string> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  "string-list": "a list of strings",
  "postgresql-url": "a postgresql:// or postgres:// URL",
};

function isPostgresqlUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//.test(value);
}

/** Throws ConfigError naming the layer that set the first badly typed value. */
export function validateConfig(config: Mapping, defaults: Mapping, sources: KeySources): void {
  const fail = (path: string[], display: string, expected: string, got: string): never => {
    const source = sources.sourceOf(path) ?? "configuration";
    throw new ConfigError(`${source}: ${display}: expected ${expected}, got ${got}`);
  };

  const checkKind = (value: unknown, kind: Kind, path: string[], display: string): void => {
    const ok =
      kind === "string"
        ? typeof value === "string"
        : kind === "number"
          ? typeof value === "number" && Number.isFinite(value)
          : kind === "boolean"
            ? typeof value === "boolean"
            : kind === "postgresql-url"
              ? typeof value === "string" && isPostgresqlUrl(value)
              : Array.isArray(value);
    if (!ok) {
      const got = kind === "postgresql-url" ? describeUrl(value) : describe(value);
      fail(path, display, expectedText[kind], got);
    }
    if (kind === "string-list") {
      (value as unknown[]).forEach((item, index) =>
        checkKind(item, "string", path, `${display}[${index}]`),
      );
    }
  };

  const check = (
    value: unknown,
    template: unknown,
    path: string[],
    schemaPath: string[],
    display: string,
  ): void => {
    const rule = ruleFor(schemaPath);
    if (rule) {
      if (value === null && rule.nullable) return;
      checkKind(value, rule.kind, path, display);
      return;
    }
    if (template === undefined || template === null) {
      // Unknown or free-form: still descend, rules may apply deeper (e.g. a plugin's service).
      if (isMapping(value)) checkEntries(value, undefined, path, schemaPath, display);
      return;
    }
    if (typeof template === "string") return checkKind(value, "string", path, display);
    if (typeof template === "number") return checkKind(value, "number", path, display);
    if (typeof template === "boolean") return checkKind(value, "boolean", path, display);
    if (Array.isArray(template)) return checkList(value, template, path, schemaPath, display);
    if (!isMapping(value)) return fail(path, display, "a mapping", describe(value));
    checkEntries(value, template as Mapping, path, schemaPath, display);
  };

  const checkList = (
    value: unknown,
    template: unknown[],
    path: string[],
    schemaPath: string[],
    display: string,
  ): void => {
    const [example] = template;
    if (typeof example === "string") return checkKind(value, "string-list", path, display);
    if (!Array.isArray(value)) return fail(path, display, "a list", describe(value));
    value.forEach((item, index) => check(item, example, path, schemaPath, `${display}[${index}]`));
  };

  const checkEntries = (
    value: Mapping,
    template: Mapping | undefined,
    path: string[],
    schemaPath: string[],
    display: string,
  ): void => {
    for (const [key, item] of Object.entries(value)) {
      const itemDisplay = display ? `${display}.${key}` : key;
      check(item, template?.[key], [...path, key], [...schemaPath, key], itemDisplay);
    }
  };

  for (const [key, value] of Object.entries(config)) {
    // Secondary entries are a partial koji_config.
    const schemaKey = key === "secondary_koji_config" ? "koji_config" : key;
    check(value, defaults[schemaKey], [key], [schemaKey], key);
  }
}

function ruleFor(schemaPath: string[]): Rule | undefined {
  for (const [pattern, rule] of Object.entries(rulesWithoutDefault)) {
    const parts = pattern.split(".");
    if (
      parts.length === schemaPath.length &&
      parts.every((part, i) => part === "*" || part === schemaPath[i])
    ) {
      return rule;
    }
  }
  return undefined;
}

/** Shows only a URL's scheme so that the password of a mistyped URL is not printed. */
function describeUrl(value: unknown): string {
  if (typeof value !== "string") return describe(value);
  const scheme = /^[^:/@]*:\/\//.exec(value);
  return scheme ? `"${scheme[0]}…"` : "a string that is not a URL";
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "a list";
  if (isMapping(value)) return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}
