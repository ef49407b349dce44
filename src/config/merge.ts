// Recursive merge of configuration layers, remembering which layer set each key so that
// validation errors can name the file to fix.

export type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Configuration keys come from YAML files, so a key may be named "__proto__",
// "constructor" or "toString". These two helpers treat every key as plain data: reading
// never finds what Object.prototype holds, writing never replaces an object's prototype.

/** The value `mapping` itself holds under `key`, never an inherited one. */
export function ownValue(mapping: Mapping, key: string): unknown {
  return Object.hasOwn(mapping, key) ? mapping[key] : undefined;
}

/** Sets `key` as an own property, even "__proto__", which assignment would treat as the prototype. */
function setOwnValue(mapping: Mapping, key: string, value: unknown): void {
  Object.defineProperty(mapping, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/**
 * Later wins: mappings present on both sides merge recursively, anything else (scalars,
 * lists, null) replaces. Neither input is mutated and the result shares no mapping with
 * `overlay`, so later merges cannot reach back into a parsed file.
 */
export function mergeConfig(base: Mapping, overlay: Mapping): Mapping {
  const result: Mapping = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const old = ownValue(result, key);
    if (isMapping(old) && isMapping(value)) setOwnValue(result, key, mergeConfig(old, value));
    else setOwnValue(result, key, isMapping(value) ? mergeConfig({}, value) : value);
  }
  return result;
}

/** Which layer (a file path, "built-in defaults", an environment variable) set each key. */
export class KeySources {
  private readonly byPath = new Map<string, string>();

  /** Records the keys `overlay` sets when merged onto `base` (call before merging). */
  record(base: Mapping, overlay: Mapping, source: string, path: string[] = []): void {
    for (const [key, value] of Object.entries(overlay)) {
      const keyPath = [...path, key];
      const old = ownValue(base, key);
      if (isMapping(old) && isMapping(value)) {
        this.record(old, value, source, keyPath);
        continue;
      }
      this.byPath.set(encode(keyPath), source);
      if (isMapping(value)) this.record({}, value, source, keyPath);
    }
  }

  /** The layer that set `path` or its nearest recorded ancestor. */
  sourceOf(path: string[]): string | undefined {
    for (let length = path.length; length > 0; length--) {
      const source = this.byPath.get(encode(path.slice(0, length)));
      if (source !== undefined) return source;
    }
    return undefined;
  }
}

// Key names may contain dots (cache regions), so paths are joined with a character YAML
// keys practically never hold.
const SEPARATOR = "\u0000";
const encode = (path: string[]): string => path.join(SEPARATOR);
