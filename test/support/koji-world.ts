// What the test worlds over the Koji hub simulator share: collection f29 of their simulated hub
// (target f29, build tag f29-build, destination tag f29).
import type { Insertable } from "kysely";
import type { Database } from "../../src/db/index.js";
import type { CollectionTable } from "../../src/db/schema.js";

/** Inserts collection f29 with `values` over its defaults; returns its id. */
export async function insertF29Collection(
  db: Database["db"],
  values: Partial<Insertable<CollectionTable>> = {},
): Promise<number> {
  const { id } = await db
    .insertInto("collection")
    .values({
      name: "f29",
      display_name: "Fedora 29",
      target: "f29",
      dest_tag: "f29",
      build_tag: "f29-build",
      ...values,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}
