// The configuration subsystem's public API; other folders import only from here.
export {
  DATABASE_TIMEOUT_DEFAULTS,
  KOJI_RETRY_DEFAULTS,
  REPO_DOWNLOAD_TIMEOUT_DEFAULTS,
} from "./defaults.js";
export { assembleConfig, loadConfig } from "./load.js";
export { databaseTarget, kojiConfig, lookupConfig } from "./lookup.js";
export { ConfigError } from "./types.js";
export type * from "./types.js";
