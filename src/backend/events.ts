// The backend's in-process events (spec 03 §10): the core announces what happened, plugins
// (the fedmsg publisher, repo_regen, osci, copr) listen. Events about database changes are
// delivered only once those changes are committed, and a failing listener never fails the
// service that dispatched the event.
import type { Kysely, Transaction } from "kysely";
import type { Schema } from "../db/index.js";
import type { Logger } from "../log/logger.js";
import type { CollectionState, PackageMessageState } from "../model/states.js";

/** The payload of each event. Listeners get what they need from here or from the session they were created with. */
export interface BackendEvents {
  /** A package's message state changed: a build finished, or a resolution changed it. */
  package_state_change: {
    package: { id: number; name: string; collection_id: number };
    prevState: PackageMessageState;
    newState: PackageMessageState;
  };
  /** A new repo of a collection was resolved (sent even when the state stays the same). */
  collection_state_change: {
    collection: { id: number; name: string };
    repoId: number;
    prevState: CollectionState;
    newState: CollectionState;
  };
  /** A polling pass refreshed builds and packages. */
  polling_event: Record<string, never>;
  /** The watcher received a message (the body as published, e.g. a task state change). */
  fedmsg_event: { topic: string; body: unknown };
  /** `koschei-admin cleanup`: data older than this many months is being removed. */
  cleanup: { olderThanMonths: number };
}

export type EventName = keyof BackendEvents;
export type EventListener<N extends EventName> = (payload: BackendEvents[N]) => unknown;

/** One event waiting to be dispatched. */
type PendingEvent = { [N in EventName]: { name: N; payload: BackendEvents[N] } }[EventName];

export class EventBus {
  private readonly listeners = new Map<EventName, EventListener<never>[]>();

  constructor(private readonly log: Logger) {}

  /**
   * Registers a listener, called in registration order; registering the same function twice
   * for an event has no effect. Returns a function that removes it.
   */
  on<N extends EventName>(name: N, listener: EventListener<N>): () => void {
    const registered = this.listeners.get(name) ?? [];
    if (!registered.includes(listener)) registered.push(listener);
    this.listeners.set(name, registered);
    return () => {
      const index = registered.indexOf(listener);
      if (index >= 0) registered.splice(index, 1);
    };
  }

  /**
   * Calls every listener of the event, one after the other. A listener that throws (or
   * rejects) is logged and the others still run: a broken plugin must not stop a service.
   * Call it only after the changes the event describes are committed (see `transaction`).
   */
  async dispatch<N extends EventName>(name: N, payload: BackendEvents[N]): Promise<void> {
    for (const listener of [...(this.listeners.get(name) ?? [])] as EventListener<N>[]) {
      try {
        await listener(payload);
      } catch (error) {
        this.log.error({ err: error, event: name }, `listener of ${name} failed`);
      }
    }
  }

  /**
   * Runs `body` in a database transaction with an event collector: the events it collects
   * are dispatched after the transaction commits, and dropped when it rolls back (the body
   * threw, and the error is rethrown).
   */
  async transaction<T>(
    db: Kysely<Schema>,
    body: (trx: Transaction<Schema>, events: EventCollector) => Promise<T>,
  ): Promise<T> {
    const events = new EventCollector();
    const result = await db.transaction().execute((trx) => body(trx, events));
    for (const event of events.drain()) await this.dispatchPending(event);
    return result;
  }

  private dispatchPending(event: PendingEvent): Promise<void> {
    // The union pairs each name with its payload; TypeScript cannot follow that through.
    return this.dispatch(event.name, event.payload as never);
  }
}

/** Events of one transaction, held until it commits. */
export class EventCollector {
  private pending: PendingEvent[] = [];

  add<N extends EventName>(name: N, payload: BackendEvents[N]): void {
    this.pending.push({ name, payload } as PendingEvent);
  }

  /** The collected events, oldest first; the collector is empty afterwards. */
  drain(): PendingEvent[] {
    const events = this.pending;
    this.pending = [];
    return events;
  }
}
