// src/db/schema.ts (the Kysely typings every query is checked against) against the tables
// the migrations create. TypeScript types are gone at run time, so the typings are read
// with the TypeScript compiler's type checker, which resolves aliases such as Generated<>.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import ts from "typescript";
import { freshDatabase, type FreshDatabase } from "../support/database.js";

const schemaFile = fileURLToPath(new URL("../../../src/db/schema.ts", import.meta.url));

/** A column as both sides can describe it. */
interface ColumnShape {
  /** number, string, boolean, Date, Uint8Array, string[] or enum(label, …). */
  type: string;
  nullable: boolean;
  /** Inserts may omit it: a server default, a serial. */
  hasDefault: boolean;
}

type Tables = Map<string, Map<string, ColumnShape>>;

/** The tables and columns of the `Schema` interface of schema.ts. */
function typedTables(): Tables {
  const program = ts.createProgram([schemaFile], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(schemaFile)!;
  const schema = source.statements.find(
    (node): node is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(node) && node.name.text === "Schema",
  );
  assert.ok(schema, `no interface Schema in ${schemaFile}`);
  const typeOf = (symbol: ts.Symbol) => checker.getTypeOfSymbolAtLocation(symbol, schema);
  const tables: Tables = new Map();
  for (const table of checker.getTypeAtLocation(schema).getProperties()) {
    const columns = new Map<string, ColumnShape>();
    for (const column of typeOf(table).getProperties()) {
      // `T | null`, where T may be Kysely's ColumnType<Select, Insert, Update> (or
      // Generated<T>), whose phantom fields give the types of each use.
      const declared = membersOf(typeOf(column));
      const [columnType, ...others] = declared.filter(isNotNull);
      const select = others.length === 0 ? columnType?.getProperty("__select__") : undefined;
      const insert = others.length === 0 ? columnType?.getProperty("__insert__") : undefined;
      const selected = select ? membersOf(typeOf(select)) : declared;
      const inserted = insert ? membersOf(typeOf(insert)) : declared;
      const values = selected.filter(isNotNull);
      columns.set(column.name, {
        type: describeTsType(checker, values),
        nullable:
          declared.length > declared.filter(isNotNull).length || values.length < selected.length,
        hasDefault: inserted.some((member) => member.flags & ts.TypeFlags.Undefined),
      });
    }
    tables.set(table.name, columns);
  }
  return tables;
}

const membersOf = (type: ts.Type): ts.Type[] => (type.isUnion() ? type.types : [type]);
const isNotNull = (type: ts.Type): boolean => !(type.flags & ts.TypeFlags.Null);

function describeTsType(checker: ts.TypeChecker, members: ts.Type[]): string {
  if (members.every((member) => member.flags & ts.TypeFlags.BooleanLiteral)) return "boolean";
  if (members.length > 1 && members.every((member) => member.isStringLiteral())) {
    const labels = members.map((member) => (member as ts.StringLiteralType).value);
    return `enum(${labels.sort().join(", ")})`;
  }
  return members.map((member) => describeOne(checker, member)).join(" | ");
}

/** string, number, string[]; an object type by its name (Date, Uint8Array), without type arguments. */
function describeOne(checker: ts.TypeChecker, type: ts.Type): string {
  if (checker.isArrayType(type)) {
    return `${describeOne(checker, checker.getTypeArguments(type as ts.TypeReference)[0]!)}[]`;
  }
  if (type.flags & ts.TypeFlags.Object) return type.getSymbol()?.name ?? checker.typeToString(type);
  return checker.typeToString(type);
}

/** PostgreSQL types by the JavaScript type both backends return for them. */
const jsTypeOfColumn: Record<string, string> = {
  integer: "number",
  bigint: "number",
  smallint: "number",
  "double precision": "number",
  real: "number",
  "character varying": "string",
  text: "string",
  interval: "string",
  boolean: "boolean",
  "timestamp with time zone": "Date",
  bytea: "Uint8Array",
  jsonb: "object",
  "ARRAY:_varchar": "string[]",
  "ARRAY:_text": "string[]",
};

/** The tables and columns of the migrated database, described like typedTables(). */
async function databaseTables(fresh: FreshDatabase): Promise<Tables> {
  const rows = await fresh.database.query<{
    table_name: string;
    column_name: string;
    data_type: string;
    udt_name: string;
    nullable: boolean;
    has_default: boolean;
    enum_labels: string[] | null;
  }>(
    `SELECT c.table_name, c.column_name, c.data_type, c.udt_name,
            c.is_nullable = 'YES' AS nullable,
            c.column_default IS NOT NULL OR c.is_identity = 'YES' AS has_default,
            (SELECT array_agg(e.enumlabel::text ORDER BY e.enumlabel)
               FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
              WHERE t.typname = c.udt_name) AS enum_labels
       FROM information_schema.columns c
       JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
      ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables: Tables = new Map();
  for (const row of rows) {
    const type = row.enum_labels
      ? `enum(${row.enum_labels.join(", ")})`
      : (jsTypeOfColumn[row.data_type === "ARRAY" ? `ARRAY:${row.udt_name}` : row.data_type] ??
        `unmapped PostgreSQL type ${row.data_type} (${row.udt_name})`);
    if (!tables.has(row.table_name)) tables.set(row.table_name, new Map());
    tables.get(row.table_name)!.set(row.column_name, {
      type,
      nullable: row.nullable,
      hasDefault: row.has_default,
    });
  }
  return tables;
}

/** Every difference, one line each. */
function differences(typed: Tables, actual: Tables): string[] {
  const found: string[] = [];
  for (const table of new Set([...typed.keys(), ...actual.keys()])) {
    const typedColumns = typed.get(table);
    const actualColumns = actual.get(table);
    if (!typedColumns || !actualColumns) {
      found.push(`${table}: table only in ${typedColumns ? "schema.ts" : "the database"}`);
      continue;
    }
    for (const column of new Set([...typedColumns.keys(), ...actualColumns.keys()])) {
      const typedColumn = typedColumns.get(column);
      const actualColumn = actualColumns.get(column);
      if (!typedColumn || !actualColumn) {
        found.push(
          `${table}.${column}: column only in ${typedColumn ? "schema.ts" : "the database"}`,
        );
        continue;
      }
      for (const key of ["type", "nullable", "hasDefault"] as const) {
        if (typedColumn[key] !== actualColumn[key]) {
          found.push(
            `${table}.${column}: ${key} is ${String(typedColumn[key])} in schema.ts, ` +
              `${String(actualColumn[key])} in the database`,
          );
        }
      }
    }
  }
  return found;
}

describe("schema.ts against the migrated database", () => {
  let fresh: FreshDatabase;
  let typed: Tables;
  before(async () => {
    typed = typedTables();
    fresh = await freshDatabase();
  });
  after(() => fresh?.drop());

  it("reads the typings: a sample of columns as the checker sees them", () => {
    assert.deepEqual(typed.get("build")?.get("finished"), {
      type: "Date",
      nullable: true,
      hasDefault: false,
    });
    assert.deepEqual(typed.get("package")?.get("id"), {
      type: "number",
      nullable: false,
      hasDefault: true,
    });
    assert.deepEqual(typed.get("log_entry")?.get("environment"), {
      type: "enum(admin, backend, frontend)",
      nullable: false,
      hasDefault: false,
    });
  });

  it("has every table and column of the database, with its type, nullability and default", async () => {
    assert.deepEqual(differences(typed, await databaseTables(fresh)), []);
  });
});
