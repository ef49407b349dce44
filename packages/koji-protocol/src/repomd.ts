// Parser for rpm-md `repodata/repomd.xml`: the index that names each metadata file of a yum
// repository with its location, size and checksum. Pure: text in, plain objects out.
//
// repomd.xml is a small, flat, machine-written format, so a focused scanner is enough; it
// accepts namespace prefixes, either quote style, comments and character references.

/** Digest algorithms rpm-md repositories use; `sha` in repomd.xml means sha1. */
export type ChecksumType = "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512";

export interface Checksum {
  type: ChecksumType;
  /** Lower-case hex digest. */
  value: string;
}

/** One `<data>` entry of repomd.xml. */
export interface RepomdData {
  /** e.g. "primary", "filelists", "other", "group", "group_gz". */
  type: string;
  /** Location relative to the repository root, e.g. "repodata/<hash>-primary.xml.gz". */
  href: string;
  /** `xml:base` of the location: the file lives under this URL instead of the repo's. */
  base?: string;
  /** Checksum of the file as stored (compressed). */
  checksum: Checksum;
  /** Checksum of the decompressed content. */
  openChecksum?: Checksum;
  size?: number;
  openSize?: number;
  timestamp?: number;
}

export interface ParsedRepomd {
  revision?: string;
  data: RepomdData[];
}

export class RepomdParseError extends Error {
  override name = "RepomdParseError";
}

const DIGEST_HEX_LENGTH: Record<ChecksumType, number> = {
  md5: 32,
  sha1: 40,
  sha224: 56,
  sha256: 64,
  sha384: 96,
  sha512: 128,
};

/** Maps a repomd checksum type name to its algorithm (`sha` is the historical name of sha1). */
export function checksumTypeFromName(name: string): ChecksumType {
  const lower = name.toLowerCase();
  const type = lower === "sha" ? "sha1" : lower;
  if (!Object.hasOwn(DIGEST_HEX_LENGTH, type)) {
    throw new RepomdParseError(`unsupported checksum type "${name}"`);
  }
  return type as ChecksumType;
}

/** The first entry of the given type, if the repository has one. */
export function findRepomdData(repomd: ParsedRepomd, type: string): RepomdData | undefined {
  return repomd.data.find((entry) => entry.type === type);
}

export function parseRepomd(xml: string): ParsedRepomd {
  const text = xml.replace(/<!--[\s\S]*?-->/g, "");
  if (!/<(?:[\w.-]+:)?repomd[\s>]/.test(text)) {
    throw new RepomdParseError("not a repomd.xml document (no <repomd> element)");
  }
  const revision = elementText(text, "revision");
  const data: RepomdData[] = [];
  for (const match of text.matchAll(elementPattern("data", "g"))) {
    data.push(parseDataEntry(attributes(match[1]!), match[2]!));
  }
  return revision === undefined ? { data } : { revision: revision.trim(), data };
}

function parseDataEntry(attrs: Map<string, string>, body: string): RepomdData {
  const type = attrs.get("type");
  if (!type) throw new RepomdParseError("<data> element without a type attribute");
  const where = `<data type="${type}">`;

  const location = body.match(/<(?:[\w.-]+:)?location\b([^>]*?)\/?>/);
  const locationAttrs = location ? attributes(location[1]!) : undefined;
  const href = locationAttrs?.get("href");
  if (!href) throw new RepomdParseError(`${where} has no <location href>`);

  const checksum = checksumElement(body, "checksum", where);
  if (!checksum) throw new RepomdParseError(`${where} has no <checksum>`);

  const entry: RepomdData = { type, href, checksum };
  const base = locationAttrs?.get("xml:base");
  if (base) entry.base = base;
  const openChecksum = checksumElement(body, "open-checksum", where);
  if (openChecksum) entry.openChecksum = openChecksum;
  const size = integerElement(body, "size", where);
  if (size !== undefined) entry.size = size;
  const openSize = integerElement(body, "open-size", where);
  if (openSize !== undefined) entry.openSize = openSize;
  const timestamp = integerElement(body, "timestamp", where);
  if (timestamp !== undefined) entry.timestamp = timestamp;
  return entry;
}

function checksumElement(body: string, name: string, where: string): Checksum | undefined {
  const match = body.match(elementPattern(name));
  if (!match) return undefined;
  const typeName = attributes(match[1]!).get("type");
  if (!typeName) throw new RepomdParseError(`${where}: <${name}> without a type attribute`);
  const type = checksumTypeFromName(typeName);
  const value = decodeEntities(match[2]!).trim().toLowerCase();
  if (!/^[0-9a-f]*$/.test(value) || value.length !== DIGEST_HEX_LENGTH[type]) {
    throw new RepomdParseError(`${where}: <${name}> "${value}" is not a ${type} hex digest`);
  }
  return { type, value };
}

function integerElement(body: string, name: string, where: string): number | undefined {
  const text = elementText(body, name);
  if (text === undefined) return undefined;
  // Timestamps are sometimes written with a fraction ("1700000000.0"); keep the whole part.
  const match = text.trim().match(/^(\d+)(?:\.\d*)?$/);
  if (!match) throw new RepomdParseError(`${where}: <${name}> "${text.trim()}" is not a number`);
  return Number(match[1]);
}

function elementText(text: string, name: string): string | undefined {
  const match = text.match(elementPattern(name));
  return match ? decodeEntities(match[2]!) : undefined;
}

/** `<name attrs>body</name>` with an optional namespace prefix; groups: attributes, body. */
function elementPattern(name: string, flags = ""): RegExp {
  const tag = `(?:[\\w.-]+:)?${name}`;
  return new RegExp(`<${tag}(\\s[^>]*)?>([\\s\\S]*?)</${tag}\\s*>`, flags);
}

function attributes(source: string | undefined): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const match of (source ?? "").matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    attrs.set(match[1]!, decodeEntities(match[2] ?? match[3]!));
  }
  return attrs;
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, ref: string) => {
    if (ref.startsWith("#x")) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith("#")) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return NAMED_ENTITIES[ref] ?? whole;
  });
}
