// A validator for the subset of JSON Schema (2020-12) that scenario.schema.json uses:
// type, enum, required, properties, additionalProperties: false, items, minItems, minimum,
// exclusiveMinimum, maximum, minLength, pattern, format "date-time" (RFC 3339), local "$ref": "#/$defs/…" and "default". It also
// fills defaults in, so the schema is the one place where constant defaults are written down.
// Property names come from untrusted JSON: only own properties count, so "constructor" or
// "__proto__" are unknown properties like any other.

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean;
  items?: JsonSchema;
  minItems?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  default?: unknown;
  description?: string;
}

/**
 * Checks `value` against `schema` (default: the whole of `root`, which holds the `$defs`) and
 * fills absent properties that have a default; returns the problems found, each naming its
 * JSON path below `path`.
 */
export function validateAndFillDefaults(
  root: JsonSchema,
  value: unknown,
  schema: JsonSchema = root,
  path = "",
): string[] {
  const problems: string[] = [];
  visit(root, schema, value, path, problems);
  return problems;
}

// Resolved schemas by the schema object holding the $ref: a scenario visits the same few
// schemas hundreds of thousands of times.
const resolvedSchemas = new WeakMap<JsonSchema, JsonSchema>();

function resolve(root: JsonSchema, schema: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  let resolved = resolvedSchemas.get(schema);
  if (!resolved) {
    const prefix = "#/$defs/";
    const target = schema.$ref.startsWith(prefix)
      ? root.$defs?.[schema.$ref.slice(prefix.length)]
      : undefined;
    if (!target) throw new Error(`schema: unresolvable $ref ${schema.$ref}`);
    // Keywords next to a $ref (default, description) apply together with the referenced schema.
    const siblings = { ...schema };
    delete siblings.$ref;
    resolved = { ...resolve(root, target), ...siblings };
    resolvedSchemas.set(schema, resolved);
  }
  return resolved;
}

/** A fresh copy of a default value, so that filled-in objects are never shared. */
function copyOfDefault(value: unknown): unknown {
  if (Array.isArray(value) && value.length === 0) return [];
  return typeof value === "object" && value !== null ? structuredClone(value) : value;
}

function visit(
  root: JsonSchema,
  raw: JsonSchema,
  value: unknown,
  path: string,
  problems: string[],
): void {
  const schema = resolve(root, raw);
  const at = (message: string) => problems.push(path ? `${path}: ${message}` : message);
  if (schema.enum && !schema.enum.some((allowed) => allowed === value)) {
    at(`expected one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`);
    return;
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((type) => hasType(value, type))) {
      at(`expected ${types.map(describeType).join(" or ")}, got ${describeValue(value)}`);
      return;
    }
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) at("must not be empty");
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
      at(`must match ${schema.pattern}`);
    }
    if (schema.format === "date-time" && !isDateTime(value)) {
      at("expected an RFC 3339 date-time (YYYY-MM-DDThh:mm:ssZ)");
    }
  }
  if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) {
    at(`must be at least ${schema.minimum}`);
  }
  if (
    typeof value === "number" &&
    schema.exclusiveMinimum !== undefined &&
    value <= schema.exclusiveMinimum
  ) {
    at(`must be more than ${schema.exclusiveMinimum}`);
  }
  if (typeof value === "number" && schema.maximum !== undefined && value > schema.maximum) {
    at(`must be at most ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.minItems !== undefined && value.length < schema.minItems) {
    at(schema.minItems === 1 ? "must not be empty" : `needs at least ${schema.minItems} items`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => visit(root, schema.items!, item, `${path}[${i}]`, problems));
  }
  if (isObject(value) && schema.properties) {
    visitObject(root, schema, value, path, problems);
  }
}

function visitObject(
  root: JsonSchema,
  schema: JsonSchema,
  value: Record<string, unknown>,
  path: string,
  problems: string[],
): void {
  const properties = schema.properties ?? {};
  const prefix = path ? `${path}.` : "";
  for (const name of schema.required ?? []) {
    if (!Object.hasOwn(value, name))
      problems.push(`${path ? `${path}: ` : ""}missing property "${name}"`);
  }
  if (schema.additionalProperties === false) {
    for (const name of Object.keys(value)) {
      if (!Object.hasOwn(properties, name)) problems.push(`${prefix}${name}: unknown property`);
    }
  }
  for (const [name, raw] of Object.entries(properties)) {
    if (!Object.hasOwn(value, name)) {
      const fallback = resolve(root, raw).default;
      if (fallback === undefined) continue;
      value[name] = copyOfDefault(fallback);
    }
    visit(root, raw, value[name], `${prefix}${name}`, problems);
  }
}

// RFC 3339's date-time (JSON Schema's "date-time"): a four-digit year keeps dates within
// what Date and Python's datetime (Koji's timestamps) both represent.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function isDateTime(value: string): boolean {
  return DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    case "object":
      return isObject(value);
    default:
      throw new Error(`schema: unsupported type ${type}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeType(type: string): string {
  return type === "null"
    ? "null"
    : type === "array" || type === "object" || type === "integer"
      ? `an ${type}`
      : `a ${type}`;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}
