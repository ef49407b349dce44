// XML-RPC codec for Koji's dialect (nil and i8 extensions, kwargs as a `__starstar` struct).
// Encoding mirrors Python's xmlrpc.client output; decoding is a single-pass tokenizer over the
// document string (answers such as listTagged reach tens of megabytes).

import { XmlRpcEncodeError, XmlRpcParseError } from "./faults.js";

export type XmlRpcValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | XmlRpcDateTime
  | Uint8Array
  | XmlRpcValue[]
  | { [key: string]: XmlRpcValue };

export type XmlRpcStruct = { [key: string]: XmlRpcValue };

/** An XML-RPC `dateTime.iso8601` value, kept verbatim (Koji itself sends times as strings). */
export class XmlRpcDateTime {
  constructor(readonly iso: string) {}

  /** XML-RPC's basic form `YYYYMMDDTHH:MM:SS` (read as UTC), or any extended ISO 8601 form. */
  toDate(): Date {
    const basic = /^(\d{4})(\d{2})(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(this.iso);
    const [year, month, day, hour, minute, second] = (basic?.slice(1) ?? []).map(Number);
    const date =
      second !== undefined
        ? new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second))
        : new Date(this.iso);
    if (Number.isNaN(date.getTime())) throw new RangeError(`invalid dateTime.iso8601: ${this.iso}`);
    return date;
  }

  static fromDate(date: Date): XmlRpcDateTime {
    return new XmlRpcDateTime(date.toISOString().slice(0, 19).replace(/-/g, ""));
  }
}

export function isXmlRpcStruct(value: XmlRpcValue | undefined): value is XmlRpcStruct {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof XmlRpcDateTime)
  );
}

// ---------------------------------------------------------------------------------------------
// Keyword arguments

const STARSTAR = "__starstar";

/** Koji's keyword-argument struct: a trailing struct flagged with `__starstar: true`. */
export function kwargs(values: Record<string, XmlRpcValue>): XmlRpcValue {
  return { ...values, [STARSTAR]: true };
}

/** Splits a trailing `__starstar` struct off positional params, as the hub does. */
export function splitKwargs(params: XmlRpcValue[]): {
  args: XmlRpcValue[];
  kwargs: Record<string, XmlRpcValue>;
} {
  const last = params[params.length - 1];
  if (!isXmlRpcStruct(last) || !pythonTruthy(last[STARSTAR])) return { args: params, kwargs: {} };
  const rest: Record<string, XmlRpcValue> = {};
  for (const [key, value] of Object.entries(last))
    if (key !== STARSTAR) setMember(rest, key, value);
  return { args: params.slice(0, -1), kwargs: rest };
}

/**
 * `struct[name] = value` as plain data: a member named `__proto__` becomes an own property
 * instead of replacing the prototype (every other inherited name is a writable data property,
 * which assignment already shadows). Structs keep Object.prototype, as consumers compare them
 * with object literals.
 */
function setMember(struct: XmlRpcStruct, name: string, value: XmlRpcValue): void {
  if (name === "__proto__") {
    Object.defineProperty(struct, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    struct[name] = value;
  }
}

function pythonTruthy(value: XmlRpcValue | undefined): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "bigint") return value !== 0n;
  if (typeof value === "string" || Array.isArray(value)) return value.length > 0;
  if (value instanceof Uint8Array) return value.length > 0;
  if (value instanceof XmlRpcDateTime) return true;
  return Object.keys(value).length > 0;
}

// ---------------------------------------------------------------------------------------------
// Encoding

export interface EncodeOptions {
  /**
   * Struct members whose integral numbers must still be sent as `<double>` (JavaScript has one
   * number type; Koji sends e.g. `capacity` 2.0 and every `*_ts` as doubles). See kojiDoubleMember.
   */
  doubleMember?: (name: string) => boolean;
}

/** The struct members Koji sends as doubles (koji-xmlrpc.md §2, "Numeric types"). */
export function kojiDoubleMember(name: string): boolean {
  return name.endsWith("_ts") || name === "weight" || name === "capacity" || name === "task_load";
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const I8_MIN = -(2n ** 63n);
const I8_MAX = 2n ** 63n - 1n;
const MAX_NESTING = 512;

/**
 * Escapes text content: `&`, `<`, `>` as entities; CR and the C0 controls XML 1.0 cannot carry
 * as character references (CR so it survives line-end normalisation; the others are accepted by
 * this decoder and by XML 1.1 parsers).
 */
export function escapeXml(text: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 62 || (c >= 32 && c !== 38 && c !== 60 && c !== 62) || c === 9 || c === 10) continue;
    out +=
      text.slice(from, i) +
      (c === 38 ? "&amp;" : c === 60 ? "&lt;" : c === 62 ? "&gt;" : `&#${c};`);
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

export class Encoder {
  out = "";
  constructor(private readonly options: EncodeOptions) {}

  params(values: XmlRpcValue[]): void {
    this.out += "<params>\n";
    for (const value of values) {
      this.out += "<param>\n";
      this.value(value, 0, false);
      this.out += "</param>\n";
    }
    this.out += "</params>\n";
  }

  value(value: XmlRpcValue | undefined, depth: number, asDouble: boolean): void {
    if (depth > MAX_NESTING) throw new XmlRpcEncodeError("value nested too deeply (cycle?)");
    if (value === null || value === undefined) {
      this.out += "<value><nil/></value>";
    } else if (typeof value === "string") {
      this.out += `<value><string>${escapeXml(value)}</string></value>\n`;
    } else if (typeof value === "number") {
      this.number(value, asDouble);
    } else if (typeof value === "boolean") {
      this.out += value
        ? "<value><boolean>1</boolean></value>\n"
        : "<value><boolean>0</boolean></value>\n";
    } else if (typeof value === "bigint") {
      this.integer(value);
    } else if (Array.isArray(value)) {
      this.out += "<value><array><data>\n";
      for (const item of value) this.value(item, depth + 1, false);
      this.out += "</data></array></value>\n";
    } else if (value instanceof Uint8Array) {
      this.out += `<value><base64>\n${wrapBase64(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64"))}</base64></value>\n`;
    } else if (value instanceof XmlRpcDateTime) {
      this.out += `<value><dateTime.iso8601>${escapeXml(value.iso)}</dateTime.iso8601></value>\n`;
    } else if (typeof value === "object") {
      this.struct(value, depth);
    } else {
      throw new XmlRpcEncodeError(`cannot marshal a ${typeof value}`);
    }
  }

  private struct(struct: XmlRpcStruct, depth: number): void {
    const doubleMember = this.options.doubleMember;
    this.out += "<value><struct>\n";
    for (const name of Object.keys(struct)) {
      const member = struct[name];
      // Like JSON, an undefined member is left out (handy for optional keyword arguments).
      if (member === undefined) continue;
      this.out += `<member>\n<name>${escapeXml(name)}</name>\n`;
      this.value(member, depth + 1, doubleMember !== undefined && doubleMember(name));
      this.out += "</member>\n";
    }
    this.out += "</struct></value>\n";
  }

  /** Integers exact in a double go as <int>/<i8>; larger ones were never exact, so <double>. */
  private number(value: number, asDouble: boolean): void {
    if (!Number.isSafeInteger(value) || asDouble) {
      this.out += `<value><double>${formatDouble(value)}</double></value>\n`;
    } else if (value >= INT32_MIN && value <= INT32_MAX) {
      this.out += `<value><int>${value === 0 ? 0 : value}</int></value>\n`;
    } else {
      this.integer(BigInt(value));
    }
  }

  private integer(value: bigint): void {
    if (value < I8_MIN || value > I8_MAX) {
      throw new XmlRpcEncodeError(`integer ${value} does not fit XML-RPC's 64-bit <i8>`);
    }
    const tag = value >= INT32_MIN && value <= INT32_MAX ? "int" : "i8";
    this.out += `<value><${tag}>${value}</${tag}></value>\n`;
  }
}

/** Python-like repr: integral doubles keep a fraction (`2.0`) so they read back as doubles. */
function formatDouble(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return value.toFixed(1);
  return String(value);
}

function wrapBase64(encoded: string): string {
  let out = "";
  for (let i = 0; i < encoded.length; i += 76) out += encoded.slice(i, i + 76) + "\n";
  return out;
}

/** The XML declaration Python's xmlrpc.client writes before every document. */
export const PROLOG = "<?xml version='1.0'?>\n";

const LT = 60; // <
const GT = 62; // >
const SLASH = 47; // /
const BANG = 33; // !
const QUESTION = 63; // ?

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 9 || code === 13;
}

/** Ends a tag name: whitespace, `>` or `/` (and end of input, where charCodeAt gives NaN). */
function endsName(code: number): boolean {
  return code === GT || code === SLASH || isSpace(code) || Number.isNaN(code);
}

export class Parser {
  readonly xml: string;
  pos = 0;
  private depth = 0;
  /** Per nesting depth, the member names of the last struct read there (see memberName). */
  private readonly memberNames: string[][] = [];

  constructor(
    input: string | Buffer,
    private readonly root: string,
  ) {
    let xml = typeof input === "string" ? input : input.toString("utf8");
    if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1);
    // XML line-end normalisation, done once for the whole document.
    if (xml.indexOf("\r") !== -1) xml = xml.replace(/\r\n?/g, "\n");
    this.xml = xml;
  }

  /** Throws; a document that stops before its root element is closed is reported as truncated. */
  fail(reason: string, at: number = this.pos): never {
    const truncated = at >= this.xml.length || !this.xml.trimEnd().endsWith(`</${this.root}>`);
    throw new XmlRpcParseError(truncated ? `unexpected end of input (${reason})` : reason, at);
  }

  /** Skips whitespace, comments, processing instructions and a doctype between elements. */
  skipMisc(): void {
    const xml = this.xml;
    let p = this.pos;
    for (;;) {
      const c = xml.charCodeAt(p);
      if (isSpace(c)) {
        p++;
      } else if (c === LT && xml.charCodeAt(p + 1) === QUESTION) {
        p = this.skipPast("?>", p);
      } else if (c === LT && xml.charCodeAt(p + 1) === BANG) {
        if (xml.startsWith("<!--", p)) p = this.skipPast("-->", p);
        else if (xml.startsWith("<!DOCTYPE", p)) p = this.skipPast(">", p);
        else this.fail("CDATA sections and declarations are not supported", p);
      } else {
        break;
      }
    }
    this.pos = p;
  }

  private skipPast(terminator: string, from: number): number {
    const end = this.xml.indexOf(terminator, from + 2);
    if (end === -1) this.fail(`unterminated markup, expected ${terminator}`, this.xml.length);
    return end + terminator.length;
  }

  /** Whether the next element (after whitespace) opens `<name`. */
  peekOpen(name: string): boolean {
    this.skipMisc();
    const p = this.pos;
    return (
      this.xml.charCodeAt(p) === LT &&
      this.xml.startsWith(name, p + 1) &&
      endsName(this.xml.charCodeAt(p + 1 + name.length))
    );
  }

  /** Consumes `<name …>`; returns true when the element was self-closing (`<name/>`). */
  open(name: string, mayBeEmpty: boolean): boolean {
    if (!this.peekOpen(name)) this.fail(`expected <${name}>`);
    const selfClosed = this.finishOpenTag(this.pos + 1 + name.length);
    if (selfClosed && !mayBeEmpty) this.fail(`<${name}/> cannot be empty`);
    return selfClosed;
  }

  /** Skips attributes up to the end of a start tag; returns true for `/>`. */
  private finishOpenTag(p: number): boolean {
    const xml = this.xml;
    for (;;) {
      const c = xml.charCodeAt(p);
      if (c === GT) {
        this.pos = p + 1;
        return false;
      }
      if (c === SLASH) {
        if (xml.charCodeAt(p + 1) !== GT) this.fail("expected /> in start tag", p);
        this.pos = p + 2;
        return true;
      }
      if (c === 34 || c === 39) {
        const close = xml.indexOf(c === 34 ? '"' : "'", p + 1);
        if (close === -1) this.fail("unterminated attribute value", xml.length);
        p = close + 1;
      } else if (c === LT || Number.isNaN(c)) {
        this.fail("unterminated start tag", p);
      } else {
        p++;
      }
    }
  }

  close(name: string): void {
    this.skipMisc();
    const xml = this.xml;
    let p = this.pos;
    if (
      xml.charCodeAt(p) !== LT ||
      xml.charCodeAt(p + 1) !== SLASH ||
      !xml.startsWith(name, p + 2) ||
      !endsName(xml.charCodeAt(p + 2 + name.length))
    ) {
      this.fail(`expected </${name}>`, p);
    }
    p += 2 + name.length;
    while (isSpace(xml.charCodeAt(p))) p++;
    if (xml.charCodeAt(p) !== GT) this.fail(`expected > closing </${name}`, p);
    this.pos = p + 1;
  }

  end(): void {
    this.skipMisc();
    if (this.pos !== this.xml.length) this.fail("unexpected content after the document element");
  }

  /** Character data up to the next tag, entities decoded, comments dropped. */
  text(): string {
    const xml = this.xml;
    let out = "";
    for (;;) {
      const start = this.pos;
      const lt = xml.indexOf("<", start);
      if (lt === -1) this.fail("unterminated text", xml.length);
      out += decodeEntities(xml, start, lt);
      if (xml.charCodeAt(lt + 1) === BANG) {
        if (!xml.startsWith("<!--", lt)) this.fail("CDATA sections are not supported", lt);
        this.pos = this.skipPast("-->", lt);
        continue;
      }
      this.pos = lt;
      return out;
    }
  }

  /** Parses `<value>…</value>` including both tags. */
  value(): XmlRpcValue {
    if (this.open("value", true)) return "";
    if (++this.depth > MAX_NESTING) this.fail("values nested too deeply");
    const xml = this.xml;
    let result: XmlRpcValue;
    // Fast path: a type element right after <value>; otherwise text (comments dropped), which
    // is either the whole (untyped string) value or whitespace before the type element.
    const next = xml.charCodeAt(this.pos + 1);
    if (xml.charCodeAt(this.pos) === LT && next !== SLASH && next !== BANG) {
      result = this.typed();
    } else {
      const textAt = this.pos;
      const text = this.text();
      if (xml.charCodeAt(this.pos + 1) === SLASH) {
        result = text;
      } else {
        for (let i = 0; i < text.length; i++) {
          if (!isSpace(text.charCodeAt(i))) this.fail("text before a value's type element", textAt);
        }
        result = this.typed();
      }
    }
    this.close("value");
    this.depth--;
    return result;
  }

  /** The type element's name; known names come back as constants (no allocation per value). */
  private typeTag(start: number): string {
    const xml = this.xml;
    for (const tag of TYPE_TAGS) {
      if (xml.startsWith(tag, start) && endsName(xml.charCodeAt(start + tag.length))) return tag;
    }
    let end = start;
    while (!endsName(xml.charCodeAt(end))) end++;
    return xml.slice(start, end);
  }

  private typed(): XmlRpcValue {
    const nameStart = this.pos + 1;
    const tag = this.typeTag(nameStart);
    const empty = this.finishOpenTag(nameStart + tag.length);
    // Namespaced spellings (`ex:nil`, `ex:i8`) mean the same as their local name.
    const colon = tag.indexOf(":");
    const type = colon === -1 ? tag : tag.slice(colon + 1);
    switch (type) {
      case "string":
        return empty ? "" : this.scalarEnd(tag, this.text());
      case "int":
      case "i4":
      case "i8":
      case "i1":
      case "i2":
      case "biginteger":
        return this.scalarEnd(tag, this.integer(empty, nameStart - 1));
      case "nil":
        if (!empty) this.scalarEnd(tag, this.blank(tag));
        return null;
      case "boolean":
        return this.scalarEnd(tag, this.boolean(empty, nameStart - 1));
      case "double":
      case "float":
      case "bigdecimal":
        return this.scalarEnd(tag, this.double(empty, nameStart - 1));
      case "array":
        return empty ? [] : this.array(tag);
      case "struct":
        return empty ? {} : this.struct(tag);
      case "dateTime.iso8601":
        if (empty) this.fail("empty dateTime.iso8601", nameStart - 1);
        return this.scalarEnd(tag, new XmlRpcDateTime(this.text().trim()));
      case "base64":
        return empty ? new Uint8Array(0) : this.scalarEnd(tag, base64Bytes(this.text()));
      default:
        return this.fail(`unknown value type <${tag}>`, nameStart - 1);
    }
  }

  private scalarEnd<T extends XmlRpcValue>(tag: string, value: T): T {
    this.close(tag);
    return value;
  }

  private blank(tag: string): null {
    const at = this.pos;
    if (this.text().trim() !== "") this.fail(`<${tag}> must be empty`, at);
    return null;
  }

  private integer(empty: boolean, at: number): number | bigint {
    const small = empty ? undefined : this.smallInteger();
    if (small !== undefined) return small;
    const text = empty ? "" : this.text().trim();
    let i = text.charCodeAt(0) === 45 || text.charCodeAt(0) === 43 ? 1 : 0; // - +
    if (i === text.length) this.fail(`invalid integer "${text}"`, at);
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) this.fail(`invalid integer "${text}"`, at);
    }
    if (text.length <= 15) return Number(text) || 0; // `|| 0` turns -0 into 0
    const big = BigInt(text);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big;
  }

  /** Fast path for the common case: up to 15 digits with nothing else before the end tag. */
  private smallInteger(): number | undefined {
    const xml = this.xml;
    let p = this.pos;
    const negative = xml.charCodeAt(p) === 45;
    if (negative) p++;
    const digitsStart = p;
    let value = 0;
    for (let c = xml.charCodeAt(p); c >= 48 && c <= 57; c = xml.charCodeAt(++p)) {
      value = value * 10 + (c - 48);
    }
    const digits = p - digitsStart;
    if (
      digits === 0 ||
      digits > 15 ||
      xml.charCodeAt(p) !== LT ||
      xml.charCodeAt(p + 1) !== SLASH
    ) {
      return undefined;
    }
    this.pos = p;
    return negative && value !== 0 ? -value : value;
  }

  private boolean(empty: boolean, at: number): boolean {
    const text = empty ? "" : this.text().trim();
    if (text === "1") return true;
    if (text === "0") return false;
    return this.fail(`invalid boolean "${text}"`, at);
  }

  private double(empty: boolean, at: number): number {
    const text = empty ? "" : this.text().trim();
    if (isDecimalNumber(text)) return Number(text);
    const special = SPECIAL_DOUBLES.get(text.toLowerCase());
    return special ?? this.fail(`invalid double "${text}"`, at);
  }

  /**
   * Reads a member name. Sibling structs (rows of a list) repeat the same names in the same
   * order, so the name seen at this position last time is tried first, sparing an allocation.
   */
  private memberName(previousNames: string[], index: number): string {
    const xml = this.xml;
    const previous = previousNames[index];
    const end = this.pos + (previous?.length ?? 0);
    if (
      previous !== undefined &&
      xml.charCodeAt(end) === LT &&
      xml.charCodeAt(end + 1) === SLASH &&
      xml.startsWith(previous, this.pos)
    ) {
      this.pos = end;
    } else {
      previousNames[index] = this.text();
    }
    this.close("name");
    return previousNames[index]!;
  }

  private array(tag: string): XmlRpcValue[] {
    const items: XmlRpcValue[] = [];
    if (!this.open("data", true)) {
      while (this.peekOpen("value")) items.push(this.value());
      this.close("data");
    }
    this.close(tag);
    return items;
  }

  private struct(tag: string): XmlRpcStruct {
    const struct: XmlRpcStruct = {};
    const previousNames = (this.memberNames[this.depth] ??= []);
    for (let index = 0; this.peekOpen("member"); index++) {
      this.open("member", false);
      const name = this.open("name", true) ? "" : this.memberName(previousNames, index);
      const value = this.value();
      this.close("member");
      setMember(struct, name, value);
    }
    this.close(tag);
    return struct;
  }
}

function base64Bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}

// Most frequent first.
const TYPE_TAGS = [
  "string",
  "int",
  "nil",
  "boolean",
  "double",
  "struct",
  "array",
  "i8",
  "ex:nil",
  "ex:i8",
  "i4",
  "dateTime.iso8601",
  "base64",
];

const NAMED_ENTITIES = new Map([
  ["amp", "&"],
  ["lt", "<"],
  ["gt", ">"],
  ["quot", '"'],
  ["apos", "'"],
]);

// Python's float() words; Number() would instead take "Infinity" but not "inf".
const SPECIAL_DOUBLES = new Map([
  ["inf", Infinity],
  ["+inf", Infinity],
  ["-inf", -Infinity],
  ["infinity", Infinity],
  ["+infinity", Infinity],
  ["-infinity", -Infinity],
  ["nan", NaN],
  ["+nan", NaN],
  ["-nan", NaN],
]);

/** `[+-]digits[.digits][e[+-]digits]` with at least one mantissa digit (what float() reads). */
function isDecimalNumber(text: string): boolean {
  let i = text.charCodeAt(0) === 45 || text.charCodeAt(0) === 43 ? 1 : 0;
  let mantissaDigits = 0;
  let seenPoint = false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) mantissaDigits++;
    else if (c === 46 && !seenPoint) seenPoint = true;
    else break;
  }
  if (mantissaDigits === 0) return false;
  if (i === text.length) return true;
  if ((text.charCodeAt(i) | 32) !== 101) return false; // e or E
  i++;
  if (text.charCodeAt(i) === 45 || text.charCodeAt(i) === 43) i++;
  const exponentStart = i;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  return i > exponentStart && i === text.length;
}

/** Decodes `xml[start, end)` with entity and character references replaced. */
function decodeEntities(xml: string, start: number, end: number): string {
  const raw = xml.slice(start, end);
  let amp = raw.indexOf("&");
  if (amp === -1) return raw;
  let out = "";
  let from = 0;
  while (amp !== -1) {
    out += raw.slice(from, amp);
    const semicolon = raw.indexOf(";", amp);
    if (semicolon === -1 || semicolon - amp > 12) {
      throw new XmlRpcParseError("unterminated entity reference", start + amp);
    }
    out += decodeReference(raw.slice(amp + 1, semicolon), start + amp);
    from = semicolon + 1;
    amp = raw.indexOf("&", from);
  }
  return out + raw.slice(from);
}

function decodeReference(name: string, at: number): string {
  if (name.charCodeAt(0) !== 35 /* # */) {
    const named = NAMED_ENTITIES.get(name);
    if (named === undefined) throw new XmlRpcParseError(`unknown entity &${name};`, at);
    return named;
  }
  const hex = name.charCodeAt(1) === 120; /* x */
  const digits = name.slice(hex ? 2 : 1);
  let codePoint = 0;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    const digit =
      c >= 48 && c <= 57 ? c - 48 : hex && (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1;
    if (digit < 0) throw new XmlRpcParseError(`invalid character reference &${name};`, at);
    codePoint = codePoint * (hex ? 16 : 10) + digit;
  }
  if (digits.length === 0 || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
    throw new XmlRpcParseError(`invalid character reference &${name};`, at);
  }
  return String.fromCodePoint(codePoint);
}
