// The `publisher` backend service: every pass sends what the outbox holds. A broker outage is
// not a failed pass: the messages wait in the outbox and the broker is tried again after a
// back-off of its own (5 s doubling to 300 s), while the pass interval stays short so that
// messages go out soon after their change when the broker is there.
import type { Kysely } from "kysely";
import type { ServiceContext, ServiceDefinition } from "../backend/registry.js";
import type { BackendSession } from "../backend/session.js";
import type { Schema } from "../db/index.js";
import type { Logger } from "../log/logger.js";
import { loadMessagingConfig, type MessagingConfig } from "./config.js";
import { BrokerError, publishOutbox } from "./publisher.js";

const FIRST_RETRY_SECONDS = 5;
const MAX_RETRY_SECONDS = 300;

/** Publishes the outbox, waiting out broker outages with back-off. */
export class OutboxRelay {
  private failures = 0;
  private retryAt = 0;

  constructor(
    private readonly settings: MessagingConfig,
    private readonly log: Logger,
    /** Milliseconds, as Date.now(). */
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Sends the unpublished messages unless the broker failed lately and its back-off has not
   * run out. Database errors are thrown (the runner retries those).
   */
  async runPass(db: Kysely<Schema>, stopping?: AbortSignal): Promise<void> {
    if (this.now() < this.retryAt) return;
    try {
      const published = await publishOutbox(db, this.settings, { stopping });
      if (published > 0) this.log.info({ published }, "published messages of the outbox");
      this.failures = 0;
    } catch (error) {
      if (!(error instanceof BrokerError)) throw error;
      this.failures += 1;
      const delay = Math.min(FIRST_RETRY_SECONDS * 2 ** (this.failures - 1), MAX_RETRY_SECONDS);
      this.retryAt = this.now() + delay * 1000;
      this.log.warn(
        { err: error, attempt: this.failures, nextDelaySeconds: delay },
        "broker unavailable, messages wait in the outbox",
      );
    }
  }
}

const relays = new WeakMap<BackendSession, OutboxRelay>();

async function runPublisherPass(context: ServiceContext): Promise<void> {
  const session = await context.session();
  let relay = relays.get(session);
  if (!relay) {
    relay = new OutboxRelay(loadMessagingConfig(session.config), context.log);
    relays.set(session, relay);
  }
  await relay.runPass(session.database.db, context.stopping);
}

export const publisherService: ServiceDefinition = {
  name: "publisher",
  summary:
    "sends the fedora-messaging outbox (package and collection state changes, plugins' messages) to the broker",
  configKey: "publisher",
  runPass: runPublisherPass,
};
