// The configuration reference (docs/configuration.md), generated from what the code itself
// says: every key of the built-in defaults with its default, the doc comment of its property
// in types.ts, and what validate.ts accepts. Keys that have no doc comment are described in
// `extraDescriptions` below; a test fails on any key without a description, so a new key
// cannot be added without documenting it.
//
// Reading the doc comments needs the TypeScript compiler, a development dependency: this
// module is run by scripts/config-reference.mjs and the tests, never by the product.
import ts from "typescript";
import { builtInDefaults, type DefaultsContext } from "./defaults.js";
import { isMapping, type Mapping } from "./merge.js";
import { ruleFor, type NumberRange, type Rule } from "./validate.js";

/**
 * The machine-specific values of the defaults, shown as their rule so that the reference is
 * the same wherever it is generated.
 */
export const REFERENCE_CONTEXT: DefaultsContext = {
  configDir: "<config dir>",
  dataDir: "<package dir>",
  cacheDir: "$XDG_CACHE_HOME/koschei",
  stateDir: "$XDG_DATA_HOME/koschei",
  version: "<package version>",
};

const PLACEHOLDER_LEGEND = [
  "* `<config dir>`: `$KOSCHEI_CONFIG_DIR`, else `/etc/koschei`.",
  "* `$XDG_CACHE_HOME`: that variable when it is an absolute path, else `~/.cache`.",
  "* `$XDG_DATA_HOME`: that variable when it is an absolute path, else `~/.local/share`.",
  "* `<package dir>`: the directory of Koschei's `package.json` (the checkout, or the " +
    "installed package: `/opt/koschei` in the container image).",
  "* `<package version>`: the `version` of that `package.json`.",
];

/** What types.ts says about a key: its doc comment and, for mappings, its members. */
interface TypeInfo {
  doc?: string;
  /** Members of a structured mapping, in declaration order. */
  members?: Map<string, TypeInfo>;
  /** Items of a list of mappings (links). */
  element?: TypeInfo;
  /** A mapping whose keys the config subsystem does not interpret. */
  freeForm?: boolean;
  /** The interface's own doc comment, for a section heading. */
  sectionDoc?: string;
}

/** One row of the reference. */
export interface ReferenceKey {
  /** Dotted path; list items as `links[].name`. */
  path: string;
  /** Display of the default: "unset" when the key has none. */
  defaultText: string;
  accepts: string;
  description: string;
}

/**
 * Descriptions of keys whose property in types.ts has no doc comment, or that live inside a
 * free-form mapping. `*` matches one key, a final `**` one or more.
 */
const extraDescriptions: Record<string, string> = {
  "database_config.database":
    "Database name; without it (and without `db_url`) the embedded PGlite database is used.",
  "database_config.username": "Role to connect as.",
  "database_config.password": "Password of that role.",
  "database_config.port": "Server port; unset means PostgreSQL's 5432.",
  "koji_config.retry.max_retries": "Retries of a failed call before it fails.",
  "koji_config.task_priority": "Koji priority of submitted build tasks.",
  "dependency.ignore_weak_deps": "Resolve without weak dependencies (Recommends, Supplements).",
  "dependency.persist_chunk_size":
    "Packages whose resolution results are compared and written together.",
  "dependency.dependency_cache_capacity":
    "Dependency rows (binary NEVRAs) a resolver process keeps in memory; raise it to the " +
    "number of distinct dependencies of a repo for large collections.",
  "dependency.resolver_queue_size": "Resolution requests queued for the solver threads.",
  "dependency.resolve_for_arch": "Architecture the BuildRequires are resolved for.",
  "dependency.repo_arch": "Architecture of the build repos downloaded from Koji.",
  "priorities.newly_added": "Priority of a package newly added to a collection.",
  "priorities.build_threshold":
    "A package is scheduled for a build when its priority reaches this.",
  "priorities.package_update": "Priority added when a dependency of the package changed.",
  "priorities.failed_build_priority": "Priority added after a failed build.",
  "priorities.t1": "Hours; time-priority formula.",
  "services.*.virtual_memory_limit":
    "Virtual memory limit in KiB; the service exits with code 3 above it.",
  "fedmsg-publisher.enabled": "Publish package and collection state changes.",
  "fedmsg-publisher.modname": "Topic component of the published messages.",
  "amqp.url": "Broker URL (when no `config.toml` names one).",
  "amqp.exchange": "Exchange messages are published to and consumed from.",
  "pagure.owner_alias_url": "JSON document mapping packages to their maintainers.",
  "copr.frontend_url": "Copr frontend the copr plugin talks to.",
  "copr.copr_owner": "Owner of the Copr projects the plugin creates.",
  "copr.chroot_name": "Chroot of those projects.",
  "copr.overriding_by_exclusions": "Exclude overridden packages from the Koji repo.",
  "copr.max_builds": "Copr builds running at once.",
  "copr.fedmsg_topic": "Topic of Copr's build-finished messages.",
  "copr.default_schedule_count": "Builds scheduled per rebuild request by default.",
  "copr.name_prefix": "Prefix of the Copr project names.",
  "copr.require_admin": "Only administrators may create rebuild requests.",
  "copr.instructions": "Installation instructions of the Copr projects.",
  "osci.namespace": "Namespace of the CI messages the osci plugin sends.",
  "osci.build_artifact_type": "Artifact type of a single build.",
  "osci.build_group_artifact_type": "Artifact type of a build group.",
  "osci.contact.**": "Contact information carried by the CI messages.",
  "osci.pipeline.**": "Pipeline identification carried by the CI messages.",
  "osci.test.**": "Test identification carried by the CI messages.",
  "caching.**": "Setting of the cache region, passed to the cache verbatim.",
  "directories.templates": "Page templates.",
  "directories.static_folder": "Static files served by the frontend.",
  "directories.static_url": "URL path the static files are served under.",
  "directories.datadir": "Koschei's own data files.",
  "flask.SECRET_KEY":
    "Signs the frontend's session cookies; the frontend refuses to start with this " +
    "placeholder: set a long random secret.",
  "frontend.frontpage_kwargs": "Arguments of the front page view.",
  "frontend.packages_per_page": "Rows of package lists.",
  "frontend.anonymous_page_cache":
    "Seconds a package list or package page rendered for a visitor who is not logged in is served again to such visitors, so that many of them cost one rendering (0: every request renders its page). Logged-in users always get a fresh page.",
  "frontend.builds_per_page": "Rows of build lists.",
  "frontend.fedora_assets_url": "Fedora's shared web assets.",
  "frontend.fedmenu_url": "Fedora menu script; set with `fedmenu_data_url`.",
  "frontend.fedmenu_data_url": "Data of the Fedora menu.",
  "logging.version": "dictConfig schema version (only 1 exists).",
  "logging.**": "Logging setting, in the shape of Python's dictConfig.",
  links: "Links shown on package pages.",
  "links[].name": "Text of the link.",
  "frontend.auth.oidc.client_id": "Client id registered with the OpenID Connect provider.",
  "frontend.auth.oidc.scopes": "Scopes asked of the provider.",
  "bugreport.template.*": "A Bugzilla field; the value is a template.",
  plugins: "Plugins to load: `fedmsg`, `pagure`, `copr`, `osci`, `repo_regen`.",
  version: "Koschei's version, shown in the page footer.",
  real_builds_insert_chunk: "Real builds inserted per statement.",
};

/** Said after a key's own description. */
const extraNotes: Record<string, string> = {
  secondary_koji_config:
    "Keys as in `koji_config`; any entry switches secondary mode on (real builds, package " +
    "lists, BuildRequires and SRPMs come from this instance, always anonymously).",
  secondary_mode: "Computed when loading; not read from files.",
  "frontend.auth.user_header":
    "The reverse proxy must remove this header from every client request (deploy/httpd, " +
    "deploy/nginx).",
  "frontend.auth.trusted_proxies":
    "Compared with the connection's peer address as Node.js reports it, e.g. `127.0.0.1`, " +
    "`::1` or `::ffff:10.0.0.5` when listening on `::`.",
};

export function configReferenceKeys(typesSource: string): ReferenceKey[] {
  const types = readTypeInfo(typesSource);
  const defaults = builtInDefaults(REFERENCE_CONTEXT) as unknown as Mapping;
  const keys: ReferenceKey[] = [];
  walk([], types, defaults, keys);
  return keys;
}

/** Renders docs/configuration.md from types.ts's text. */
export function configReference(typesSource: string): string {
  const types = readTypeInfo(typesSource);
  const keys = configReferenceKeys(typesSource);
  const lines = [
    "# Configuration reference",
    "",
    "<!-- Generated by `node scripts/config-reference.mjs` from src/config/defaults.ts,",
    "     types.ts and validate.ts; do not edit. test/deploy checks that it is current. -->",
    "",
    "Every key Koschei reads, its built-in default and what it means. Files in the config",
    "directory override the defaults, merged recursively (lists and scalars replace); see the",
    'README\'s "Configuration" section for which component reads which file. Keys not listed',
    "here are kept without checks (plugins may read keys of their own).",
    "",
    "Defaults that depend on the machine are shown as their rule:",
    "",
    ...PLACEHOLDER_LEGEND,
    "",
    "The environment variable `KOSCHEI_DATABASE_URL` overrides `db_url`.",
  ];
  // A top-level key with keys below it gets a section; the others share one table.
  const groups = new Map<string, ReferenceKey[]>();
  for (const key of keys) {
    const name = /^[^.[]*/.exec(key.path)![0];
    groups.set(name, [...(groups.get(name) ?? []), key]);
  }
  const single = [...groups].filter(
    ([name, group]) => group.length === 1 && group[0]!.path === name,
  );
  lines.push("", "## Top-level keys", "", ...table(single.map(([, [key]]) => key!)));
  for (const [name, group] of groups) {
    if (single.some(([other]) => other === name)) continue;
    lines.push("", `## \`${name}\``, "");
    // A key with a row of its own says what it is there.
    const info = types.members?.get(name);
    const doc = group.some((key) => key.path === name)
      ? undefined
      : (info?.doc ?? info?.sectionDoc);
    if (doc) lines.push(doc, "");
    lines.push(...table(group));
  }
  return lines.join("\n") + "\n";
}

function table(keys: ReferenceKey[]): string[] {
  return [
    "| key | default | accepts | meaning |",
    "|---|---|---|---|",
    ...keys.map(
      (key) =>
        `| \`${cell(key.path)}\` | ${cell(key.defaultText)} | ${cell(key.accepts)} | ` +
        `${cell(key.description)} |`,
    ),
  ];
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function walk(path: string[], info: TypeInfo | undefined, value: unknown, out: ReferenceKey[]) {
  const names = [...(info?.members?.keys() ?? []), ...(isMapping(value) ? Object.keys(value) : [])];
  for (const name of new Set(names)) {
    const childInfo = info?.members?.get(name);
    const childValue = isMapping(value) && Object.hasOwn(value, name) ? value[name] : undefined;
    const childPath = [...path, name];
    const structured = childInfo?.members !== undefined || isMapping(childValue);
    const empty = isMapping(childValue) && Object.keys(childValue).length === 0;
    if (!structured || empty || childInfo?.freeForm) {
      out.push(row(childPath, childInfo, childValue, info?.freeForm === true));
    }
    if (structured && !empty) walk(childPath, childInfo, childValue, out);
    if (Array.isArray(childValue) && childInfo?.element?.members) {
      const [first] = childValue as unknown[];
      for (const [item, itemInfo] of childInfo.element.members) {
        const example = isMapping(first) ? first[item] : undefined;
        const itemRow = row(
          [...childPath.slice(0, -1), `${name}[]`, item],
          itemInfo,
          example,
          false,
        );
        out.push({ ...itemRow, defaultText: "—" });
      }
    }
  }
}

function row(
  path: string[],
  info: TypeInfo | undefined,
  value: unknown,
  insideFreeForm: boolean,
): ReferenceKey {
  const dotted = path
    .map((part) => (part === "" || part.includes(".") ? `"${part}"` : part))
    .join(".");
  const schemaPath = path[0] === "secondary_koji_config" ? ["koji_config", ...path.slice(1)] : path;
  const rule = ruleFor(schemaPath);
  let description = info?.doc ?? findExtra(path) ?? "";
  const note = extraNotes[path.join(".")];
  if (note) description += ` ${note}`;
  const listsKeys = info?.freeForm && isMapping(value) && Object.keys(value).length > 0;
  if (info?.freeForm && !insideFreeForm) {
    description += " Free-form: its keys are passed on verbatim";
    description += listsKeys ? "; the defaults are the keys below." : ".";
  }
  return {
    path: dotted,
    defaultText: listsKeys ? "the keys below" : showDefault(value),
    accepts: accepts(rule, value, info),
    description: description.trim(),
  };
}

function findExtra(path: string[]): string | undefined {
  const exact = extraDescriptions[path.join(".")];
  if (exact !== undefined) return exact;
  for (const [pattern, text] of Object.entries(extraDescriptions)) {
    const parts = pattern.split(".");
    const rest = parts.at(-1) === "**";
    const fixed = rest ? parts.slice(0, -1) : parts;
    const lengthFits = rest ? path.length > fixed.length : path.length === fixed.length;
    if (lengthFits && fixed.every((p, i) => p === "*" || p === path[i])) return text;
  }
  return undefined;
}

function showDefault(value: unknown): string {
  if (value === undefined || value === null) return "unset";
  if (typeof value === "string") return value === "" ? '`""`' : `\`${codeText(value)}\``;
  return `\`${codeText(JSON.stringify(value))}\``;
}

/** Text inside a code span: newlines shown as \n, no backtick to end it early. */
function codeText(text: string): string {
  return text.replaceAll("\n", "\\n").replaceAll("`", "'");
}

function accepts(rule: Rule | undefined, value: unknown, info: TypeInfo | undefined): string {
  if (rule) {
    const kind =
      rule.kind === "number"
        ? describeRange(rule.range ?? {})
        : {
            string: "string",
            boolean: "true or false",
            "string-list": "list of strings",
            "postgresql-url": "`postgresql://` or `postgres://` URL",
          }[rule.kind];
    return rule.nullable ? `${kind}, or null` : kind;
  }
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "true or false";
  if (typeof value === "number") return "number";
  if (Array.isArray(value)) {
    return typeof value[0] === "string" || value.length === 0 ? "list of strings" : "list";
  }
  if (isMapping(value) || info?.members || info?.freeForm) return "mapping";
  return "any";
}

function describeRange(range: NumberRange): string {
  const numbers = range.integer ? "integer" : "number";
  if (range.min !== undefined && range.min === range.max) return String(range.min);
  if (range.min !== undefined && range.max !== undefined) {
    return `${numbers} from ${range.min} to ${range.max}`;
  }
  if (range.min !== undefined) return `${numbers} ≥ ${range.min}`;
  if (range.above !== undefined) return `${numbers} > ${range.above}`;
  return numbers;
}

/** The doc comments of `KoscheiConfig` and the types it uses, from types.ts's text. */
function readTypeInfo(source: string): TypeInfo {
  const file = ts.createSourceFile("types.ts", source, ts.ScriptTarget.ES2022, true);
  const declarations = new Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration>();
  for (const statement of file.statements) {
    if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
      declarations.set(statement.name.text, statement);
    }
  }
  const fromMembers = (members: ts.NodeArray<ts.TypeElement>): Map<string, TypeInfo> => {
    const result = new Map<string, TypeInfo>();
    for (const member of members) {
      if (!ts.isPropertySignature(member) || !member.type) continue;
      const name = ts.isIdentifier(member.name)
        ? member.name.text
        : ts.isStringLiteral(member.name)
          ? member.name.text
          : member.name.getText(file);
      const info = fromType(member.type);
      const doc = docOf(member);
      result.set(name, doc ? { ...info, doc } : info);
    }
    return result;
  };
  const fromDeclaration = (name: string): TypeInfo | undefined => {
    const declaration = declarations.get(name);
    if (!declaration) return name === "ConfigMapping" ? { freeForm: true } : undefined;
    if (!ts.isInterfaceDeclaration(declaration)) return fromType(declaration.type);
    const sectionDoc = docOf(declaration);
    const members = fromMembers(declaration.members);
    return sectionDoc ? { sectionDoc, members } : { members };
  };
  const fromType = (type: ts.TypeNode): TypeInfo => {
    if (ts.isTypeLiteralNode(type)) return { members: fromMembers(type.members) };
    if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
      if (type.typeName.text === "Record") return { freeForm: true };
      return fromDeclaration(type.typeName.text) ?? {};
    }
    if (ts.isArrayTypeNode(type)) {
      const element = fromType(type.elementType);
      return element.members ? { element } : {};
    }
    if (ts.isIntersectionTypeNode(type)) {
      const parts = type.types.map(fromType);
      const members = new Map(parts.flatMap((part) => [...(part.members ?? [])]));
      return { freeForm: parts.some((part) => part.freeForm), members };
    }
    return {};
  };
  const root = fromDeclaration("KoscheiConfig");
  if (!root?.members) throw new Error("types.ts: interface KoscheiConfig not found");
  return root;
}

function docOf(node: ts.Node): string | undefined {
  const texts = ts
    .getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? "")
    .filter((text) => text !== "");
  const text = texts.join(" ").replace(/\s+/g, " ").trim();
  return text === "" ? undefined : text;
}
