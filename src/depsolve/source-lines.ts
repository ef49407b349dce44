// Reading and parsing the source-package JSON lines `koschei-admin resolve` reads (--srpms).
// Every error names the line.

import { MAX_STRING_BYTES, type SourcePackage } from "./pool.js";

/**
 * The longest line accepted, in bytes. A real source package's line is a few KiB; reading an
 * unbounded line would hold it whole in memory (and past 512 MiB crash V8's string limit).
 */
export const MAX_SOURCE_LINE_BYTES = 1024 * 1024;

/** The highest epoch RPM can store (a 32-bit unsigned integer). */
const MAX_EPOCH = 2 ** 32 - 1;

export interface SourceLine {
  source: SourcePackage;
  buildRequires: string[];
  /** Replaces the build group for this line when present. */
  group?: string[];
}

const NEWLINE = 0x0a;

/**
 * Parses each non-blank line of `input` (a file or stdin stream), reading no line beyond
 * `maxLineBytes`: a longer one is an error `line N: too long`. Lines end with LF or CRLF.
 */
export async function* readSourceLines(
  input: AsyncIterable<Buffer | string>,
  maxLineBytes = MAX_SOURCE_LINE_BYTES,
): AsyncGenerator<SourceLine> {
  let lineNumber = 1;
  let parts: Buffer[] = [];
  let length = 0;
  const append = (part: Buffer) => {
    length += part.length;
    if (length > maxLineBytes) {
      throw new Error(`line ${lineNumber}: too long (over ${maxLineBytes} bytes)`);
    }
    parts.push(part);
  };
  const takeLine = (): string => {
    const text = Buffer.concat(parts, length).toString("utf8");
    parts = [];
    length = 0;
    return text.endsWith("\r") ? text.slice(0, -1) : text;
  };
  for await (const chunk of input) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
      append(bytes.subarray(start, end));
      const text = takeLine();
      if (text.trim() !== "") yield parseSourceLine(text, lineNumber);
      lineNumber++;
      start = end + 1;
    }
    append(bytes.subarray(start));
  }
  const last = takeLine();
  if (last.trim() !== "") yield parseSourceLine(last, lineNumber);
}

/** Why a string from the input cannot reach libsolv, or undefined when it can. */
function unusableString(text: string): string | undefined {
  // libsolv would read only up to a NUL (which JSON allows as \u0000).
  if (text.includes("\0")) return "contains a NUL character";
  if (Buffer.byteLength(text) > MAX_STRING_BYTES) return `is longer than ${MAX_STRING_BYTES} bytes`;
  return undefined;
}

/**
 * Parses `{"name","epoch","version","release","buildrequires":[...],"group"?:[...]}`.
 * A null epoch (as Koji reports "no epoch") counts as 0.
 */
export function parseSourceLine(text: string, lineNumber: number): SourceLine {
  // Bad input, naming the line.
  const fail = (problem: string): never => {
    throw new Error(`line ${lineNumber}: ${problem}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail("not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("expected a JSON object");
  }
  const record = value as Record<string, unknown>;
  for (const field of ["name", "version", "release"]) {
    const fieldValue = record[field];
    if (typeof fieldValue !== "string" || fieldValue === "") {
      return fail(`"${field}" must be a non-empty string`);
    }
    const problem = unusableString(fieldValue);
    if (problem) fail(`"${field}" ${problem}`);
  }
  if (!("epoch" in record)) fail('"epoch" is missing (null when the package has none)');
  const epoch = record.epoch ?? 0;
  if (typeof epoch !== "number" || !Number.isInteger(epoch) || epoch < 0) {
    fail('"epoch" must be a whole number (or null)');
  }
  if ((epoch as number) > MAX_EPOCH) fail(`"epoch" is out of range (0 to ${MAX_EPOCH})`);
  for (const field of ["buildrequires", "group"]) {
    const list = record[field];
    if (field === "group" && list === undefined) continue;
    if (!Array.isArray(list) || !list.every((item) => typeof item === "string")) {
      return fail(`"${field}" must be a list of strings`);
    }
    list.forEach((item: string, index) => {
      const problem = unusableString(item);
      if (problem) fail(`"${field}"[${index}] ${problem}`);
    });
  }
  return {
    source: {
      name: record.name as string,
      epoch: epoch as number,
      version: record.version as string,
      release: record.release as string,
    },
    buildRequires: record.buildrequires as string[],
    ...(record.group !== undefined && { group: record.group as string[] }),
  };
}
