// The pagure plugin: the user-packages page also lists the packages Pagure's owner aliases
// give the user (spec 11 §3). Frontend only.
import { lookupConfig, type KoscheiConfig } from "../../config/index.js";
import type { KoscheiPlugin } from "../plugin.js";
import { OwnerAliases } from "./owner-aliases.js";

const DEFAULT_MAX_AGE_SECONDS = 600;
/** Pagure is asked while a page waits: it gets a few seconds, not a minute. */
const TIMEOUTS = { connectMs: 5_000, idleMs: 10_000, overallMs: 30_000 };

/** `caching.pagure.users.expiration_time` in milliseconds (the original's cache region). */
function maxAgeMs(config: KoscheiConfig): number {
  let seconds: unknown;
  try {
    seconds = lookupConfig(config, "caching.pagure.users.expiration_time");
  } catch {
    seconds = DEFAULT_MAX_AGE_SECONDS;
  }
  // Validated at load time; null or a negative number means "never expires" in dogpile.
  if (typeof seconds !== "number" || seconds < 0) return Number.POSITIVE_INFINITY;
  return seconds * 1000;
}

/** One cache per frontend process and alias URL. */
const aliasesByUrl = new Map<string, OwnerAliases>();

function ownerAliases(config: KoscheiConfig): OwnerAliases {
  const url = config.pagure.owner_alias_url;
  let aliases = aliasesByUrl.get(url);
  if (!aliases) {
    aliases = new OwnerAliases({ url, timeouts: TIMEOUTS, maxAgeMs: maxAgeMs(config) });
    aliasesByUrl.set(url, aliases);
  }
  return aliases;
}

export const pagurePlugin: KoscheiPlugin = {
  name: "pagure",
  summary: "a user's packages from Pagure's owner aliases (pagure.owner_alias_url)",
  frontend: {
    userPackageSources: [
      async (deps, userName) => [...(await ownerAliases(deps.config).packagesOf(userName))],
    ],
  },
};
