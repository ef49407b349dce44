// The backend services `koschei backend SERVICE…` can run. A service is a named pass that the
// runner repeats every `services.<configKey>.interval` seconds; adding one is one entry in
// `backendServices`. A service may also declare a PostgreSQL channel whose notifications end
// its sleep between passes (the repo-resolver wakes when the watcher hears of a new repo).
import type { KoscheiConfig, ServiceConfig, ServicesConfig } from "../config/index.js";
import type { Logger } from "../log/logger.js";
import type { EventBus } from "./events.js";
import { publisherService } from "../messaging/service.js";
import { buildResolverService } from "./build-resolver.js";
import { pollingService } from "./polling.js";
import { repoResolverService } from "./repo-resolver.js";
import { schedulerService } from "./scheduler.js";
import type { BackendSession } from "./session.js";
import { REPO_DONE_CHANNEL } from "./wake.js";
import { watcherService } from "./watcher.js";

export interface ServiceDefinition {
  /** The name on the command line, e.g. "polling". */
  readonly name: string;
  /** One line for `koschei backend --help`. */
  readonly summary: string;
  /** The section `services.<configKey>` with the interval, watchdog and memory limits. */
  readonly configKey: keyof ServicesConfig;
  /**
   * One pass of the service's work. Throwing ends the pass: an outage of Koji, the network or
   * the database is retried with back-off, anything else ends the process (see README.md).
   */
  runPass(context: ServiceContext): Promise<void>;
  /**
   * A PostgreSQL NOTIFY channel: a notification on it starts the next pass at once instead of
   * after `interval` (one arriving during a pass starts another right after it).
   */
  readonly wakeChannel?: string;
}

/** What a pass gets from the runner. */
export interface ServiceContext {
  readonly name: string;
  readonly config: KoscheiConfig;
  /** `services.<configKey>`. */
  readonly settings: ServiceConfig;
  /** Named after the service. */
  readonly log: Logger;
  readonly events: EventBus;
  /**
   * Aborted when the process is asked to stop. A pass that works through many units (builds,
   * packages, messages) checks it between units and returns; the unit in progress finishes.
   */
  readonly stopping: AbortSignal;
  /**
   * The database and Koji sessions, opened on first use: the database shared by the process's
   * services, the Koji sessions the service's own (see `serviceSessions` in command.ts).
   */
  session(): Promise<BackendSession>;
  /** `--once`: one pass, then the process exits (the watcher handles what is queued, then returns). */
  readonly once?: boolean;
  /**
   * For passes that never return (the watcher waits for messages): touches the watchdog file
   * and checks the memory limit, as the runner does around every pass.
   */
  heartbeat(): void;
}

/** Every service of the product. */
export const backendServices: readonly ServiceDefinition[] = [
  pollingService,
  schedulerService,
  // The watcher notifies this channel when Koji reports a new repo of a collection's build tag.
  { ...repoResolverService, wakeChannel: REPO_DONE_CHANNEL },
  buildResolverService,
  watcherService,
  publisherService,
];

export type ServiceLookup = { found: ServiceDefinition[] } | { unknown: string[] };

/** The definitions of the given names, in the given order, or the names nobody registered. */
export function findServices(
  registry: readonly ServiceDefinition[],
  names: readonly string[],
): ServiceLookup {
  const byName = new Map(registry.map((service) => [service.name, service]));
  const unknown = names.filter((name) => !byName.has(name));
  if (unknown.length > 0) return { unknown };
  return { found: [...new Set(names)].map((name) => byName.get(name)!) };
}
