// `npm run db:snapshot`: rewrites src/db/schema.sql from a database migrated from scratch
// on the test server (KOSCHEI_TEST_DATABASE_URL). Run it after adding a migration and
// commit the result with it.
import { writeFileSync } from "node:fs";
import { dumpSchema, freshDatabase, SCHEMA_SNAPSHOT } from "../support/database.js";

const fresh = await freshDatabase();
try {
  writeFileSync(SCHEMA_SNAPSHOT, dumpSchema(fresh.url));
  process.stdout.write(`wrote ${SCHEMA_SNAPSHOT}\n`);
} finally {
  await fresh.drop();
}
