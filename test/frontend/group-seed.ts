// Seeding and reading back what the group, add-packages and user pages work on: packages,
// groups with members and maintainers, the audit log; and posting forms with the page's CSRF
// token, as a browser does.
import type { WebClient, WebWorld } from "./web-world.js";

type Db = WebWorld["db"];

/** A package of a collection (and its base package, made or reused); returns the package id. */
export async function insertPackage(
  db: Db,
  collectionId: number,
  name: string,
  values: { tracked?: boolean; blocked?: boolean } = {},
): Promise<number> {
  await db
    .insertInto("base_package")
    .values({ name })
    .onConflict((conflict) => conflict.column("name").doNothing())
    .execute();
  const base = await db
    .selectFrom("base_package")
    .select("id")
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
  const { id } = await db
    .insertInto("package")
    .values({
      name,
      base_id: base.id,
      collection_id: collectionId,
      tracked: values.tracked ?? true,
      blocked: values.blocked ?? false,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

export interface SeededGroup {
  namespace?: string | null;
  name: string;
  packages?: string[];
  owners?: string[];
}

/** A group holding existing base packages, maintained by users (created when missing). */
export async function insertGroup(db: Db, group: SeededGroup): Promise<number> {
  const { id } = await db
    .insertInto("package_group")
    .values({ namespace: group.namespace ?? null, name: group.name })
    .returning("id")
    .executeTakeFirstOrThrow();
  for (const name of group.packages ?? []) {
    const base = await db
      .selectFrom("base_package")
      .select("id")
      .where("name", "=", name)
      .executeTakeFirstOrThrow();
    await db
      .insertInto("package_group_relation")
      .values({ group_id: id, base_id: base.id })
      .execute();
  }
  for (const name of group.owners ?? []) {
    await db
      .insertInto("user")
      .values({ name })
      .onConflict((conflict) => conflict.column("name").doNothing())
      .execute();
    const user = await db
      .selectFrom("user")
      .select("id")
      .where("name", "=", name)
      .executeTakeFirstOrThrow();
    await db.insertInto("group_acl").values({ group_id: id, user_id: user.id }).execute();
  }
  return id;
}

/** A group's members and maintainers, sorted; undefined when there is no such group. */
export async function readGroup(
  db: Db,
  namespace: string | null,
  name: string,
): Promise<{ id: number; packages: string[]; owners: string[] } | undefined> {
  const group = await db
    .selectFrom("package_group")
    .select("id")
    .where("name", "=", name)
    .where("namespace", namespace === null ? "is" : "=", namespace)
    .executeTakeFirst();
  if (group === undefined) return undefined;
  const packages = await db
    .selectFrom("package_group_relation")
    .innerJoin("base_package", "base_package.id", "package_group_relation.base_id")
    .select("base_package.name")
    .where("group_id", "=", group.id)
    .orderBy("base_package.name")
    .execute();
  const owners = await db
    .selectFrom("group_acl")
    .innerJoin("user", "user.id", "group_acl.user_id")
    .select("user.name")
    .where("group_id", "=", group.id)
    .orderBy("user.name")
    .execute();
  return {
    id: group.id,
    packages: packages.map((row) => row.name),
    owners: owners.map((row) => row.name),
  };
}

/** Whether the package of that name in the collection is tracked. */
export async function isTracked(db: Db, collectionId: number, name: string): Promise<boolean> {
  const row = await db
    .selectFrom("package")
    .select("tracked")
    .where("collection_id", "=", collectionId)
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
  return row.tracked;
}

/** The audit log as `environment user: message` lines, oldest first. */
export async function auditLines(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom("log_entry")
    .leftJoin("user", "user.id", "log_entry.user_id")
    .select(["log_entry.environment", "user.name", "log_entry.message"])
    .orderBy("log_entry.id")
    .execute();
  return rows.map((row) => `${row.environment} ${row.name}: ${row.message}`);
}

/** Empties the tables these tests fill, so that each test starts from the collection alone. */
export async function clearGroupsAndPackages(db: Db): Promise<void> {
  await db.deleteFrom("log_entry").execute();
  await db.deleteFrom("package_group").execute();
  await db.deleteFrom("package").execute();
  await db.deleteFrom("base_package").execute();
}

/** The CSRF token a form page gives this client (it needs a login). */
export async function csrfTokenFor(client: WebClient, path = "/add-group"): Promise<string> {
  const page = await (await client.get(path)).text();
  const match = /name="csrf_token" value="([^"]+)"/.exec(page);
  if (match === null) throw new Error(`no CSRF token on ${path}`);
  return match[1]!;
}

/** Posts a form with a valid CSRF token, as the browser submits a page's form. */
export async function submitForm(
  client: WebClient,
  path: string,
  form: Record<string, string | string[]>,
): Promise<Response> {
  return client.post(path, { csrf_token: await csrfTokenFor(client), ...form });
}

/** Follows one redirect and returns the page's HTML. */
export async function followRedirect(client: WebClient, response: Response): Promise<string> {
  const location = response.headers.get("location");
  if (response.status !== 302 || location === null) {
    throw new Error(`expected a redirect, got ${response.status}`);
  }
  return (await client.get(location)).text();
}
