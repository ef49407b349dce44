// Type checks of the merged configuration. The built-in defaults double as the schema: a
// key's expected type is the type of its default. Keys that have no default, whose default
// does not tell the type, or whose numbers have a range are listed in `rules`. Unknown keys
// are accepted because plugins may read keys of their own.
import { isMapping, ownValue, type KeySources, type Mapping } from "./merge.js";
import { ConfigError } from "./types.js";

type Kind = "string" | "number" | "boolean" | "string-list" | "postgresql-url";

/** The numbers a key accepts. */
export interface NumberRange {
  integer?: boolean;
  min?: number;
  /** Exclusive lower bound, for durations that must be longer than nothing. */
  above?: number;
  max?: number;
}

export interface Rule {
  kind: Kind;
  /** null is accepted (the key's "unset" value). */
  nullable?: boolean;
  range?: NumberRange;
}

const integer = (min?: number, max?: number): NumberRange => ({ integer: true, min, max });
const positive: NumberRange = { above: 0 };
/** Seconds where 0 means "no limit" or "at once". */
const nonNegative: NumberRange = { min: 0 };
const numberRule = (range: NumberRange, nullable = false): Rule => ({
  kind: "number",
  range,
  nullable,
});

/** The Koji client's back-off options, in koji_config.retry and (overriding) session_opts. */
const retryRanges: Record<string, NumberRange> = {
  max_retries: integer(0),
  retry_interval: nonNegative,
  offline_retry_interval: nonNegative,
  timeout: positive,
  connect_timeout: positive,
  idle_timeout: positive,
};

// Paths of the schema; `*` matches any one key. secondary_koji_config is checked with the
// paths of koji_config, whose keys it shares. Every number of the defaults has a range here.
const rules: Record<string, Rule> = {
  "database_config.host": { kind: "string", nullable: true },
  "database_config.database": { kind: "string", nullable: true },
  "database_config.username": { kind: "string", nullable: true },
  "database_config.password": { kind: "string", nullable: true },
  "database_config.port": numberRule(integer(1, 65535), true),
  "database_config.connect_timeout": numberRule(positive),
  "database_config.statement_timeout": numberRule(nonNegative),
  "database_config.idle_in_transaction_timeout": numberRule(nonNegative),
  db_url: { kind: "postgresql-url", nullable: true },
  "amqp.config_file": { kind: "string", nullable: true },
  unpriv_db_username: { kind: "string", nullable: true },
  bypass_login: { kind: "string", nullable: true },
  "koji_config.max_builds": numberRule(integer(0)),
  // 1 or more disables the load check (spec 02).
  "koji_config.load_threshold": numberRule(nonNegative),
  "koji_config.task_priority": numberRule(integer()),
  "koji_config.task_timeout": numberRule(positive),
  "koji_config.multicall_chunk_size": numberRule(integer(1)),
  "koji_config.repo_url": { kind: "string", nullable: true },
  ...Object.fromEntries(
    Object.entries(retryRanges).map(([key, range]) => [
      `koji_config.retry.${key}`,
      numberRule(range),
    ]),
  ),
  // session_opts is free-form, but the back-off options in it override koji_config.retry.
  "koji_config.session_opts.anon_retry": { kind: "boolean" },
  "koji_config.session_opts.offline_retry": { kind: "boolean" },
  ...Object.fromEntries(
    Object.entries(retryRanges).map(([key, range]) => [
      `koji_config.session_opts.${key}`,
      numberRule(range),
    ]),
  ),
  "dependency.persist_chunk_size": numberRule(integer(1)),
  "dependency.perf_report_interval": numberRule(positive),
  "dependency.dependency_cache_capacity": numberRule(integer(1)),
  "dependency.resolver_queue_size": numberRule(integer(1)),
  "dependency.cache_l2_capacity": numberRule(integer(1)),
  "dependency.repo_connect_timeout": numberRule(positive),
  "dependency.repo_idle_timeout": numberRule(positive),
  "dependency.repo_download_timeout": numberRule(positive),
  "priorities.newly_added": numberRule(integer()),
  "priorities.build_threshold": numberRule(integer()),
  "priorities.package_update": numberRule(integer()),
  "priorities.failed_build_priority": numberRule(integer()),
  // Hours; the time priority takes their logarithms.
  "priorities.t0": numberRule(positive),
  "priorities.t1": numberRule(positive),
  "services.*.interval": numberRule(positive),
  "services.*.watchdog": { kind: "boolean" },
  "services.*.memory_limit": numberRule(integer(1), true),
  "services.*.virtual_memory_limit": numberRule(integer(1), true),
  plugins: { kind: "string-list" },
  "copr.max_builds": numberRule(integer(0)),
  "copr.default_schedule_count": numberRule(integer(1)),
  // Seconds; -1 is dogpile's "never expires". Regions may be nested one level (pagure.users).
  "caching.*.expiration_time": numberRule({ min: -1 }, true),
  "caching.*.*.expiration_time": numberRule({ min: -1 }, true),
  "frontend.external_url": { kind: "string", nullable: true },
  "frontend.fedmenu_url": { kind: "string", nullable: true },
  "frontend.fedmenu_data_url": { kind: "string", nullable: true },
  "frontend.packages_per_page": numberRule(integer(1)),
  "frontend.builds_per_page": numberRule(integer(1)),
  "frontend.anonymous_page_cache": numberRule({ min: 0, max: 3600 }),
  "frontend.auth.user_re": { kind: "string" },
  "frontend.auth.user_header": { kind: "string" },
  "frontend.auth.trusted_proxies": { kind: "string-list" },
  "frontend.auth.oidc.issuer": { kind: "string", nullable: true },
  "frontend.auth.oidc.client_id": { kind: "string", nullable: true },
  "frontend.auth.oidc.client_secret": { kind: "string", nullable: true },
  "frontend.auth.oidc.redirect_url": { kind: "string", nullable: true },
  "frontend.auth.oidc.timeout": numberRule(positive),
  "bugreport.template.*": { kind: "string" },
  // Python's logging.config.dictConfig knows only version 1.
  "logging.version": numberRule(integer(1, 1)),
  real_builds_insert_chunk: numberRule(integer(1)),
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
      if (rule.range && !inRange(value as number, rule.range)) {
        fail(path, display, describeRange(rule.range), String(value));
      }
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
      const itemTemplate = template && ownValue(template, key);
      check(item, itemTemplate, [...path, key], [...schemaPath, key], itemDisplay);
    }
  };

  for (const [key, value] of Object.entries(config)) {
    // Secondary entries are a partial koji_config.
    const schemaKey = key === "secondary_koji_config" ? "koji_config" : key;
    check(value, ownValue(defaults, schemaKey), [key], [schemaKey], key);
  }
}

/** The rule of a schema path (a key path with koji_config for secondary_koji_config). */
export function ruleFor(schemaPath: string[]): Rule | undefined {
  for (const [pattern, rule] of Object.entries(rules)) {
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

function inRange(value: number, range: NumberRange): boolean {
  return (
    (!range.integer || Number.isInteger(value)) &&
    (range.min === undefined || value >= range.min) &&
    (range.above === undefined || value > range.above) &&
    (range.max === undefined || value <= range.max)
  );
}

function describeRange(range: NumberRange): string {
  const numbers = range.integer ? "an integer" : "a number";
  if (range.min !== undefined && range.min === range.max) return String(range.min);
  if (range.min !== undefined && range.max !== undefined) {
    return `${numbers} from ${range.min} to ${range.max}`;
  }
  if (range.min !== undefined) return `${numbers} >= ${range.min}`;
  if (range.above !== undefined) return `${numbers} > ${range.above}`;
  return numbers;
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
