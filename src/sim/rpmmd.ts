// rpm-md repository metadata: dependency strings <-> <rpm:entry> attributes, and a writer of
// repodata/ (repomd.xml, primary/filelists/other.xml.gz, comps.xml) in createrepo_c's form.

/** Comparison flags of a versioned dependency, as spelled in rpm-md. */
export type DependencyFlags = "EQ" | "LT" | "GT" | "LE" | "GE";

/** One <rpm:entry>: a plain name (also a whole rich dependency), or a versioned one. */
export interface DependencyEntry {
  name: string;
  flags?: DependencyFlags;
  epoch?: string;
  ver?: string;
  rel?: string;
}

const flagsByOperator: Record<string, DependencyFlags> = {
  "=": "EQ",
  "<": "LT",
  ">": "GT",
  "<=": "LE",
  ">=": "GE",
};
const operatorByFlags: Record<DependencyFlags, string> = {
  EQ: "=",
  LT: "<",
  GT: ">",
  LE: "<=",
  GE: ">=",
};

/**
 * Parses "name", "name OP [E:]V[-R]" or a rich "(…)" dependency. Rich dependencies stay whole
 * in `name`, which is how createrepo_c writes them. Throws on anything else.
 */
export function parseDependency(dependency: string): DependencyEntry {
  const text = dependency.trim();
  if (text.startsWith("(")) {
    if (!balancedParentheses(text)) throw new Error(`unbalanced parentheses in "${dependency}"`);
    return { name: text };
  }
  const words = text.split(/\s+/);
  if (words.length === 1 && words[0]) return { name: words[0] };
  const flags = words.length === 3 ? flagsByOperator[words[1]!] : undefined;
  if (!flags) throw new Error(`malformed dependency "${dependency}" (expected "name [OP EVR]")`);
  return { name: words[0]!, flags, ...parseEvr(words[2]!) };
}

/** Splits "[E:]V[-R]" at the first ':' (after a numeric epoch) and the last '-'. */
export function parseEvr(evr: string): { epoch?: string; ver: string; rel?: string } {
  const colon = evr.indexOf(":");
  const epoch = colon > 0 && /^\d+$/.test(evr.slice(0, colon)) ? evr.slice(0, colon) : undefined;
  const rest = epoch === undefined ? evr : evr.slice(colon + 1);
  const dash = rest.lastIndexOf("-");
  if (dash < 0) return epoch === undefined ? { ver: rest } : { epoch, ver: rest };
  const parts = { ver: rest.slice(0, dash), rel: rest.slice(dash + 1) };
  return epoch === undefined ? parts : { epoch, ...parts };
}

/** The dependency string of an entry; epoch 0 is left out (rpm-md always spells it). */
export function formatDependency(entry: DependencyEntry): string {
  if (!entry.flags) return entry.name;
  const epoch = entry.epoch && entry.epoch !== "0" ? `${entry.epoch}:` : "";
  const release = entry.rel !== undefined ? `-${entry.rel}` : "";
  return `${entry.name} ${operatorByFlags[entry.flags]} ${epoch}${entry.ver ?? ""}${release}`;
}

/** "[E:]V-R" with the epoch only when set and non-zero. */
export function formatEvr(epoch: number | null, version: string, release: string): string {
  return `${epoch ? `${epoch}:` : ""}${version}-${release}`;
}

function balancedParentheses(text: string): boolean {
  let depth = 0;
  for (const char of text) {
    if (char === "(") depth++;
    else if (char === ")" && --depth < 0) return false;
  }
  return depth === 0;
}
