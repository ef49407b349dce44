// What the backend's operations share (spec 03 §0): configuration, the database, the Koji
// sessions, the event bus, a logger and the clock.
import type { KoscheiConfig } from "../config/index.js";
import type { Database } from "../db/index.js";
import type { KojiSessions } from "../koji/sessions.js";
import type { Logger } from "../log/logger.js";
import type { EventBus } from "./events.js";

export interface BackendSession {
  readonly config: KoscheiConfig;
  readonly database: Database;
  readonly koji: KojiSessions;
  readonly events: EventBus;
  readonly log: Logger;
  /** The current time; tests against the simulated hub pass its clock. */
  now(): Date;
}
