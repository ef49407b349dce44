// Pagure's owner aliases (spec 11 §3): dist-git publishes, for every package, its maintainers
// and maintaining groups (`{"rpms": {"<package>": ["<user>", "@<group>"], …}, …}`). Koschei
// turns that around into the packages of each user. One download serves every user until it
// expires; a Pagure that answers with an error status counts as "owns nothing" for as long.
import { requestJson, type JsonAnswer } from "../../net/json-request.js";
import type { HttpTimeouts } from "../../net/http-request.js";

/** The file is a few MB for all of Fedora; far more is not an alias file. */
const MAX_ALIAS_BYTES = 64 * 1024 * 1024;

export type PackagesByUser = ReadonlyMap<string, readonly string[]>;

/** Packages per user (and per `@group`) of the `rpms` namespace; other shapes are ignored. */
export function packagesByUser(document: unknown): PackagesByUser {
  const byUser = new Map<string, string[]>();
  const rpms = isObject(document) ? document.rpms : undefined;
  if (!isObject(rpms)) return byUser;
  for (const [packageName, owners] of Object.entries(rpms)) {
    if (!Array.isArray(owners)) continue;
    for (const owner of owners) {
      if (typeof owner !== "string") continue;
      const packages = byUser.get(owner) ?? [];
      packages.push(packageName);
      byUser.set(owner, packages);
    }
  }
  return byUser;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export interface OwnerAliasOptions {
  url: string;
  timeouts: HttpTimeouts;
  /** How long one download is used, in milliseconds. */
  maxAgeMs: number;
  /** Called when Pagure answers with an error status (it then counts as owning nothing). */
  onErrorStatus?: (answer: JsonAnswer) => void;
  now?: () => number;
}

/**
 * The packages of each user, downloaded at most once per `maxAgeMs` (callers asking while a
 * download runs share it). A network error, time limit or body that is not JSON rejects, and
 * the next call tries again.
 */
export class OwnerAliases {
  private cached: { byUser: PackagesByUser; until: number } | undefined;
  private inFlight: Promise<PackagesByUser> | undefined;

  constructor(private readonly options: OwnerAliasOptions) {}

  async packagesOf(userName: string): Promise<readonly string[]> {
    return (await this.mapping()).get(userName) ?? [];
  }

  private mapping(): Promise<PackagesByUser> {
    const now = (this.options.now ?? Date.now)();
    if (this.cached && now < this.cached.until) return Promise.resolve(this.cached.byUser);
    this.inFlight ??= this.download().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async download(): Promise<PackagesByUser> {
    const url = new URL(this.options.url);
    const answer = await requestJson(url, {
      timeouts: this.options.timeouts,
      maxBytes: MAX_ALIAS_BYTES,
    });
    let byUser: PackagesByUser;
    if (answer.status < 200 || answer.status >= 300) {
      this.options.onErrorStatus?.(answer);
      byUser = new Map();
    } else if (answer.body === undefined) {
      throw new Error(`${url.origin}${url.pathname} did not answer JSON`);
    } else {
      byUser = packagesByUser(answer.body);
    }
    this.cached = { byUser, until: (this.options.now ?? Date.now)() + this.options.maxAgeMs };
    return byUser;
  }
}
