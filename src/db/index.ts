// The database layer's public API; other folders import only from here.
export {
  DatabaseConnectError,
  IN_MEMORY,
  openDatabase,
  rawQuery,
  type Database,
  type DatabaseConnection,
  type OpenOptions,
} from "./connection.js";
export {
  createDb,
  DatabaseNotEmptyError,
  migrate,
  schemaVersion,
  type MigrateOptions,
  type MigrationResult,
} from "./migrate.js";
export {
  collectionLock,
  LockNamespace,
  repoLock,
  transactionLock,
  tryTransactionLock,
  withSessionLock,
  type AdvisoryLock,
  type LockOutcome,
  type SessionLockOptions,
} from "./locks.js";
export { migrations, type Migration } from "./migrations/index.js";
export type * from "./schema.js";
