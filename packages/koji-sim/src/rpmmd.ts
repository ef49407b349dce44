// rpm-md repository metadata: dependency strings <-> <rpm:entry> attributes, and a writer of
// repodata/ (repomd.xml, primary/filelists/other.xml.gz, comps.xml) in createrepo_c's form.

import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parseEvr } from "@koschei/koji-protocol/evr.js";
import type { DependencyKind, SimGroup, SimRpm } from "./scenario.js";

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

// A Map: the operator comes from scenario text, and "constructor" is no operator.
const flagsByOperator = new Map<string, DependencyFlags>([
  ["=", "EQ"],
  ["<", "LT"],
  [">", "GT"],
  ["<=", "LE"],
  [">=", "GE"],
]);
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
  const flags = words.length === 3 ? flagsByOperator.get(words[1]!) : undefined;
  if (!flags) throw new Error(`malformed dependency "${dependency}" (expected "name [OP EVR]")`);
  return { name: words[0]!, flags, ...evrAttributes(words[2]!) };
}

/** A dependency's `[E:]V[-R]` as rpm-md attributes: epoch and release only when given. */
function evrAttributes(text: string): { epoch?: string; ver: string; rel?: string } {
  const { epoch, version, release } = parseEvr(text);
  return {
    ...(epoch !== null ? { epoch: String(epoch) } : {}),
    ver: version,
    ...(release !== null ? { rel: release } : {}),
  };
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

/** A binary RPM as it appears in a repo. */
export interface RepoPackage {
  rpm: SimRpm;
  /** File name of the SRPM it was built from, e.g. "foo-1.0-1.src.rpm". */
  sourceRpm: string;
  /** href relative to the repo directory (the arch directory in Koji). */
  location: string;
  /** Build time, epoch seconds; default the repodata timestamp. */
  buildTime?: number;
  /** sha256 pkgid; default a hash of the location (there is no real file to hash). */
  checksum?: string;
}

export interface RepodataOptions {
  /** Written as comps.xml (and comps.xml.gz); blocked packages are left out. */
  groups?: SimGroup[];
  /** repomd revision and timestamps, epoch seconds. */
  timestamp: number;
}

/** repodata file path relative to the repo directory ("repodata/primary.xml.gz", …) → content. */
export type RepodataFiles = Map<string, Buffer>;

/** Writes rpm-md repodata in createrepo_c's layout (sha256 checksums, gzip, comps group). */
export function generateRepodata(packages: RepoPackage[], options: RepodataOptions): RepodataFiles {
  const listed = packages.map((pkg) => ({
    ...pkg,
    checksum: pkg.checksum ?? sha256(pkg.location),
    buildTime: pkg.buildTime ?? options.timestamp,
  }));
  const metadata: { type: string; name: string; xml: string }[] = [
    { type: "primary", name: "primary.xml", xml: primaryXml(listed) },
    { type: "filelists", name: "filelists.xml", xml: filelistsXml(listed) },
    { type: "other", name: "other.xml", xml: otherXml(listed) },
  ];
  const files: RepodataFiles = new Map();
  const records: string[] = [];
  const time = options.timestamp;
  for (const { type, name, xml } of metadata) {
    const open = Buffer.from(xml, "utf8");
    const compressed = gzipSync(open);
    files.set(`repodata/${name}.gz`, compressed);
    records.push(repomdRecord(type, `repodata/${name}.gz`, compressed, open, time));
  }
  if (options.groups) {
    const comps = Buffer.from(compsXml(options.groups), "utf8");
    const compressed = gzipSync(comps);
    files.set("repodata/comps.xml", comps);
    files.set("repodata/comps.xml.gz", compressed);
    records.push(repomdRecord("group", "repodata/comps.xml", comps, undefined, time));
    records.push(repomdRecord("group_gz", "repodata/comps.xml.gz", compressed, comps, time));
  }
  const repomd = [
    xmlDeclaration,
    '<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">',
    `  <revision>${time}</revision>`,
    ...records,
    "</repomd>",
    "",
  ].join("\n");
  files.set("repodata/repomd.xml", Buffer.from(repomd, "utf8"));
  return files;
}

/** generateRepodata into `dir`/repodata/ (created if needed). */
export async function writeRepodata(
  dir: string,
  packages: RepoPackage[],
  options: RepodataOptions,
): Promise<void> {
  const files = generateRepodata(packages, options);
  await mkdir(join(dir, "repodata"), { recursive: true });
  for (const [path, content] of files) await writeFile(join(dir, path), content);
}

/** createrepo_c's rule for the files that primary.xml lists (the rest only in filelists). */
export function isPrimaryFile(path: string): boolean {
  return path.startsWith("/etc/") || path === "/usr/lib/sendmail" || path.includes("bin/");
}

type ListedPackage = RepoPackage & { checksum: string; buildTime: number };

const xmlDeclaration = '<?xml version="1.0" encoding="UTF-8"?>';

function repomdRecord(
  type: string,
  href: string,
  content: Buffer,
  open: Buffer | undefined,
  timestamp: number,
): string {
  return [
    `  <data type="${type}">`,
    `    <checksum type="sha256">${sha256(content)}</checksum>`,
    ...(open ? [`    <open-checksum type="sha256">${sha256(open)}</open-checksum>`] : []),
    `    <location href="${href}"/>`,
    `    <timestamp>${timestamp}</timestamp>`,
    `    <size>${content.length}</size>`,
    ...(open ? [`    <open-size>${open.length}</open-size>`] : []),
    "  </data>",
  ].join("\n");
}

function versionElement(rpm: SimRpm): string {
  return `<version epoch="${rpm.epoch ?? 0}" ver="${escapeXml(rpm.version)}" rel="${escapeXml(rpm.release)}"/>`;
}

// createrepo_c's order of the dependency sections.
const primaryDependencyOrder: DependencyKind[] = [
  "provides",
  "requires",
  "conflicts",
  "obsoletes",
  "suggests",
  "enhances",
  "recommends",
  "supplements",
];

function primaryXml(packages: ListedPackage[]): string {
  const out = [
    xmlDeclaration,
    `<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${packages.length}">`,
  ];
  for (const { rpm, sourceRpm, location, checksum, buildTime } of packages) {
    out.push(
      '<package type="rpm">',
      `  <name>${escapeXml(rpm.name)}</name>`,
      `  <arch>${escapeXml(rpm.arch)}</arch>`,
      `  ${versionElement(rpm)}`,
      `  <checksum type="sha256" pkgid="YES">${checksum}</checksum>`,
      `  <summary>${escapeXml(rpm.summary)}</summary>`,
      `  <description>${escapeXml(rpm.summary)}</description>`,
      "  <packager></packager>",
      "  <url></url>",
      `  <time file="${buildTime}" build="${buildTime}"/>`,
      `  <size package="${rpm.size}" installed="${rpm.size}" archive="0"/>`,
      `  <location href="${escapeXml(location)}"/>`,
      "  <format>",
      "    <rpm:license></rpm:license>",
      "    <rpm:vendor></rpm:vendor>",
      "    <rpm:group>Unspecified</rpm:group>",
      "    <rpm:buildhost>sim-koji</rpm:buildhost>",
      `    <rpm:sourcerpm>${escapeXml(sourceRpm)}</rpm:sourcerpm>`,
      '    <rpm:header-range start="0" end="0"/>',
    );
    for (const kind of primaryDependencyOrder) {
      const dependencies = rpm[kind];
      if (dependencies.length === 0) continue;
      out.push(`    <rpm:${kind}>`);
      for (const dependency of dependencies)
        out.push(`      ${entryElement(parseDependency(dependency))}`);
      out.push(`    </rpm:${kind}>`);
    }
    for (const file of rpm.files)
      if (isPrimaryFile(file)) out.push(`    <file>${escapeXml(file)}</file>`);
    out.push("  </format>", "</package>");
  }
  out.push("</metadata>", "");
  return out.join("\n");
}

function entryElement(entry: DependencyEntry): string {
  let element = `<rpm:entry name="${escapeXml(entry.name)}"`;
  if (entry.flags) {
    element += ` flags="${entry.flags}" epoch="${entry.epoch ?? "0"}" ver="${escapeXml(entry.ver ?? "")}"`;
    if (entry.rel !== undefined) element += ` rel="${escapeXml(entry.rel)}"`;
  }
  return `${element}/>`;
}

function packageElement(pkg: ListedPackage): string {
  const { rpm, checksum } = pkg;
  return `<package pkgid="${checksum}" name="${escapeXml(rpm.name)}" arch="${escapeXml(rpm.arch)}">`;
}

function filelistsXml(packages: ListedPackage[]): string {
  const out = [
    xmlDeclaration,
    `<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="${packages.length}">`,
  ];
  for (const pkg of packages) {
    out.push(packageElement(pkg), `  ${versionElement(pkg.rpm)}`);
    for (const file of pkg.rpm.files) out.push(`  <file>${escapeXml(file)}</file>`);
    out.push("</package>");
  }
  out.push("</filelists>", "");
  return out.join("\n");
}

function otherXml(packages: ListedPackage[]): string {
  const out = [
    xmlDeclaration,
    `<otherdata xmlns="http://linux.duke.edu/metadata/other" packages="${packages.length}">`,
  ];
  for (const pkg of packages)
    out.push(packageElement(pkg), `  ${versionElement(pkg.rpm)}`, "</package>");
  out.push("</otherdata>", "");
  return out.join("\n");
}

function compsXml(groups: SimGroup[]): string {
  const out = [
    xmlDeclaration,
    '<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">',
    "<comps>",
  ];
  for (const group of groups) {
    out.push(
      "  <group>",
      `    <id>${escapeXml(group.name)}</id>`,
      `    <name>${escapeXml(group.name)}</name>`,
      `    <description>${escapeXml(group.description ?? "")}</description>`,
      "    <default>false</default>",
      "    <uservisible>true</uservisible>",
      "    <packagelist>",
    );
    for (const member of group.packages) {
      if (member.blocked) continue;
      out.push(`      <packagereq type="${member.type}">${escapeXml(member.package)}</packagereq>`);
    }
    out.push("    </packagelist>", "  </group>");
  }
  out.push("</comps>", "");
  return out.join("\n");
}

const xmlEscapes: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
};

/** Escapes text for element content and double-quoted attributes; drops characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
      .replace(/[&<>"]/g, (char) => xmlEscapes[char]!)
  );
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
