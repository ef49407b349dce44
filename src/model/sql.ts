// Small helpers for the SQL expression builders of this folder, which splice table aliases
// and numbers into SQL text: both are checked so that no caller can inject anything else.

/** Table aliases the expression builders refer to; defaults are the schema's table names. */
export interface TableAliases {
  readonly package: string;
  readonly collection: string;
  /** The build row `package.last_build_id` points at (joined under this alias). */
  readonly lastBuild: string;
}

export const DEFAULT_TABLE_ALIASES: TableAliases = {
  package: "package",
  collection: "collection",
  lastBuild: "last_build",
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Returns `name` if it is a plain SQL identifier, else throws. */
export function sqlIdentifier(name: string): string {
  if (!IDENTIFIER.test(name))
    throw new Error(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return name;
}

/** A double precision literal holding exactly the given JavaScript number. */
export function sqlFloat(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  // The shortest round-trip decimal parses back to the same double in PostgreSQL.
  return `CAST(${String(value)} AS double precision)`;
}
