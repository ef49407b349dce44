// Streaming reader of rpm-md repositories (repomd.xml → primary, filelists, comps) into the
// scenario's binary RPMs. A small hand-written XML tokenizer keeps memory flat and reads
// Debian-sized metadata (≈100 MB of primary.xml) in seconds.

import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { parseRepomd } from "@koschei/koji-protocol/repomd.js";
import { formatDependency, type DependencyFlags, type RepoPackage } from "./rpmmd.js";
import {
  dependencyKinds,
  type DependencyKind,
  type SimGroup,
  type SimGroupPackageType,
  type SimRpm,
} from "./scenario.js";

/** A package read from a repo; every optional field of RepoPackage is known. */
export type RepoBinary = Required<RepoPackage>;

export interface RpmmdRepo {
  packages: RepoBinary[];
  /** Comps groups (group id as name); [] when the repo has none. */
  groups: SimGroup[];
}

/** Receives the XML tokens in document order. */
export interface XmlHandler {
  open(name: string, attributes: Record<string, string>): void;
  /** Also called right after `open` for a self-closing element. */
  close(name: string): void;
  /** Character data, entities decoded; may arrive in several pieces. */
  text(text: string): void;
}

/** Reads the repo at `dir` (the directory holding repodata/). */
export async function readRpmmdRepo(dir: string): Promise<RpmmdRepo> {
  const locations = await readRepomd(dir);
  const primary = locations.get("primary");
  if (!primary) throw new Error(`${join(dir, "repodata/repomd.xml")}: no primary metadata`);
  const packages = await readPrimary(join(dir, primary));
  const filelists = locations.get("filelists");
  if (filelists) {
    const files = await readFilelists(join(dir, filelists));
    for (const pkg of packages) pkg.rpm.files = files.get(pkg.checksum) ?? pkg.rpm.files;
  }
  const group = locations.get("group") ?? locations.get("group_gz");
  const groups = group ? await readComps(join(dir, group)) : [];
  return { packages, groups };
}

/** Metadata type → location href, from repodata/repomd.xml (read by the protocol's reader). */
export async function readRepomd(dir: string): Promise<Map<string, string>> {
  const repomd = parseRepomd(await readFile(join(dir, "repodata/repomd.xml"), "utf8"));
  return new Map(repomd.data.map((data) => [data.type, data.href]));
}

/** Streams primary.xml(.gz) into packages (files: the primary subset). */
export async function readPrimary(path: string): Promise<RepoBinary[]> {
  const packages: RepoBinary[] = [];
  let current: RepoBinary | undefined;
  let kind: DependencyKind | undefined;
  const text = new TextCollector(["name", "arch", "checksum", "summary", "rpm:sourcerpm", "file"]);
  await parseXmlFile(path, {
    open(name, attributes) {
      if (name === "package") {
        current = emptyPackage();
        return;
      }
      if (!current) return;
      text.open(name, attributes);
      const rpm = current.rpm;
      switch (name) {
        case "version":
          setVersion(rpm, attributes);
          break;
        case "time":
          current.buildTime = Number(attributes.build ?? 0);
          break;
        case "size":
          rpm.size = Number(attributes.package ?? 0);
          break;
        case "location":
          current.location = attributes.href ?? "";
          break;
        case "rpm:entry":
          if (kind) rpm[kind].push(dependencyOf(attributes));
          break;
        default:
          if (name.startsWith("rpm:")) kind = dependencyKindOf(name.slice(4));
      }
    },
    close(name) {
      if (!current) return;
      if (name === "package") {
        packages.push(current);
        current = undefined;
        return;
      }
      if (name.startsWith("rpm:") && name !== "rpm:entry") kind = undefined;
      const value = text.close(name);
      if (value === undefined) return;
      const rpm = current.rpm;
      if (name === "name") rpm.name = value;
      else if (name === "arch") rpm.arch = value;
      else if (name === "checksum") current.checksum = value;
      else if (name === "summary") rpm.summary = value;
      else if (name === "rpm:sourcerpm") current.sourceRpm = value;
      else if (name === "file" && value) rpm.files.push(value);
    },
    text: (value) => text.text(value),
  });
  return packages;
}

/** Streams filelists.xml(.gz) into pkgid → files (directories left out). */
export async function readFilelists(path: string): Promise<Map<string, string[]>> {
  const files = new Map<string, string[]>();
  let current: string[] | undefined;
  const text = new TextCollector(["file"]);
  await parseXmlFile(path, {
    open(name, attributes) {
      if (name === "package") {
        current = [];
        files.set(attributes.pkgid ?? "", current);
      } else text.open(name, attributes);
    },
    close(name) {
      const value = text.close(name);
      if (value && current) current.push(value);
    },
    text: (value) => text.text(value),
  });
  return files;
}

/** Reads comps.xml(.gz) groups: id, description and package requirements. */
async function readComps(path: string): Promise<SimGroup[]> {
  const groups: SimGroup[] = [];
  let current: SimGroup | undefined;
  let packageType: SimGroupPackageType = "mandatory";
  const text = new TextCollector(["id", "description", "packagereq"]);
  await parseXmlFile(path, {
    open(name, attributes) {
      if (name === "group") current = { name: "", description: null, packages: [] };
      // Translated descriptions carry xml:lang; only the untranslated one is kept.
      if (name === "description" && attributes["xml:lang"]) return;
      if (name === "packagereq") packageType = groupPackageTypeOf(attributes.type);
      text.open(name, attributes);
    },
    close(name) {
      const value = text.close(name);
      if (name === "group" && current) {
        groups.push(current);
        current = undefined;
      }
      if (value === undefined || !current) return;
      if (name === "id") current.name = value;
      else if (name === "description") current.description = value;
      else if (name === "packagereq")
        current.packages.push({ package: value, type: packageType, blocked: false });
    },
    text: (value) => text.text(value),
  });
  return groups;
}

/** Collects the text of the innermost element among `names`. */
class TextCollector {
  private readonly names: Set<string>;
  private capturing: string | undefined;
  private parts: string[] = [];

  constructor(names: string[]) {
    this.names = new Set(names);
  }

  open(name: string, attributes: Record<string, string>): void {
    if (!this.names.has(name) || (name === "file" && attributes.type === "dir")) return;
    this.capturing = name;
    this.parts = [];
  }

  text(value: string): void {
    if (this.capturing) this.parts.push(value);
  }

  /** The element's text when it was being collected. */
  close(name: string): string | undefined {
    if (this.capturing !== name) return undefined;
    this.capturing = undefined;
    return this.parts.join("").trim();
  }
}

function emptyPackage(): RepoBinary {
  const rpm = {
    name: "",
    epoch: null,
    version: "",
    release: "",
    arch: "",
    files: [] as string[],
    size: 0,
    summary: "",
  } as Partial<SimRpm>;
  for (const kind of dependencyKinds) rpm[kind] = [];
  return { rpm: rpm as SimRpm, sourceRpm: "", location: "", buildTime: 0, checksum: "" };
}

function setVersion(rpm: SimRpm, attributes: Record<string, string>): void {
  // rpm-md spells a missing epoch as 0; Koji reports a missing epoch as null.
  const epoch = Number(attributes.epoch ?? 0);
  rpm.epoch = epoch === 0 ? null : epoch;
  rpm.version = attributes.ver ?? "";
  rpm.release = attributes.rel ?? "";
}

function dependencyOf(attributes: Record<string, string>): string {
  return formatDependency({
    name: attributes.name ?? "",
    flags: attributes.flags as DependencyFlags | undefined,
    epoch: attributes.epoch,
    ver: attributes.ver,
    rel: attributes.rel,
  });
}

function dependencyKindOf(section: string): DependencyKind | undefined {
  return (dependencyKinds as readonly string[]).includes(section)
    ? (section as DependencyKind)
    : undefined;
}

function groupPackageTypeOf(type: string | undefined): SimGroupPackageType {
  return type === "default" || type === "optional" || type === "conditional" ? type : "mandatory";
}

/** Tokenizes an XML file, gunzipping it when its name ends in .gz. */
async function parseXmlFile(path: string, handler: XmlHandler): Promise<void> {
  if (/\.(xz|zst|bz2|zck)$/.test(path))
    throw new Error(`${path}: only gzip-compressed metadata is supported`);
  // Large chunks: per-chunk overhead dominates with the 16-64 KiB defaults.
  const chunkSize = 1 << 20;
  const file = createReadStream(path, { highWaterMark: chunkSize });
  const stream: Readable = path.endsWith(".gz") ? file.pipe(createGunzip({ chunkSize })) : file;
  file.on("error", (error) => stream.destroy(error));
  const tokenizer = new XmlTokenizer(handler);
  try {
    for await (const chunk of stream) tokenizer.push(chunk as Buffer);
    tokenizer.end();
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}

const LT = 0x3c;
const GT = 0x3e;
const QUOTE = 0x22;

/**
 * Incremental tokenizer for the XML that createrepo-style tools write: elements, attributes,
 * text, entities, CDATA; comments, processing instructions and DOCTYPE are skipped.
 * Not a validating parser. It scans bytes (markup is ASCII in UTF-8) and decodes only the
 * pieces it hands out, so they do not pin the large chunks in memory.
 */
export class XmlTokenizer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly handler: XmlHandler) {}

  push(chunk: Buffer): void {
    const input = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let position = 0;
    while (position < input.length) {
      const lt = input.indexOf(LT, position);
      if (lt < 0) break; // text continues in the next chunk
      if (lt > position) this.text(input, position, lt);
      const end = this.markupEnd(input, lt);
      if (end < 0) {
        position = lt;
        break;
      }
      this.markup(input, lt, end);
      position = end;
    }
    this.pending = Buffer.from(input.subarray(position));
  }

  end(): void {
    if (this.pending.toString("utf8").trim()) throw new Error("unexpected end of XML");
    this.pending = Buffer.alloc(0);
  }

  private text(input: Buffer, start: number, end: number): void {
    // Most text is the indentation between elements: skip it without decoding.
    let first = start;
    while (first < end && isXmlSpace(input[first]!)) first++;
    if (first < end) this.handler.text(decodeEntities(input.toString("utf8", start, end)));
  }

  /** Index just past the markup starting at `lt`, or -1 when it is incomplete. */
  private markupEnd(input: Buffer, lt: number): number {
    const after = (terminator: string, from: number) => {
      const at = input.indexOf(terminator, from, "latin1");
      return at < 0 ? -1 : at + terminator.length;
    };
    if (startsWith(input, lt, "<!--")) return after("-->", lt + 4);
    if (startsWith(input, lt, "<![CDATA[")) return after("]]>", lt + 9);
    if (startsWith(input, lt, "<?")) return after("?>", lt + 2);
    // A '>' inside a quoted attribute value does not end the tag.
    let gt = input.indexOf(GT, lt);
    while (gt >= 0 && quoteCount(input, lt, gt) % 2 === 1) gt = input.indexOf(GT, gt + 1);
    return gt < 0 ? -1 : gt + 1;
  }

  private markup(input: Buffer, start: number, end: number): void {
    const second = input[start + 1];
    if (startsWith(input, start, "<![CDATA[")) {
      this.handler.text(input.toString("utf8", start + 9, end - 3));
    } else if (second === 0x2f /* / */) {
      this.handler.close(input.toString("utf8", start + 2, end - 1).trim());
    } else if (second !== 0x21 /* ! */ && second !== 0x3f /* ? */) {
      const selfClosing = input[end - 2] === 0x2f;
      const body = input.toString("utf8", start + 1, selfClosing ? end - 2 : end - 1);
      const nameEnd = body.search(/[\s/]|$/);
      const name = body.slice(0, nameEnd);
      this.handler.open(name, parseAttributes(body.slice(nameEnd)));
      if (selfClosing) this.handler.close(name);
    }
  }
}

function isXmlSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x09 || byte === 0x0d;
}

function startsWith(input: Buffer, at: number, prefix: string): boolean {
  for (let i = 0; i < prefix.length; i++) if (input[at + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

function quoteCount(input: Buffer, from: number, to: number): number {
  let count = 0;
  for (let i = input.indexOf(QUOTE, from); i >= 0 && i < to; i = input.indexOf(QUOTE, i + 1))
    count++;
  return count;
}

const noAttributes: Record<string, string> = Object.freeze({});

function parseAttributes(text: string): Record<string, string> {
  if (!text.includes("=")) return noAttributes;
  const attributes: Record<string, string> = {};
  let position = 0;
  while (true) {
    const equals = text.indexOf("=", position);
    if (equals < 0) break;
    let open = equals + 1;
    while (text[open] === " " || text[open] === "\n" || text[open] === "\t") open++;
    const quote = text[open];
    const close = quote === '"' || quote === "'" ? text.indexOf(quote, open + 1) : -1;
    if (close < 0) throw new Error(`malformed attribute in <${text.trim()}>`);
    attributes[text.slice(position, equals).trim()] = decodeEntities(text.slice(open + 1, close));
    position = close + 1;
  }
  return attributes;
}

const namedEntities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return namedEntities[entity] ?? whole;
  });
}
