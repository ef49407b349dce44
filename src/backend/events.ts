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
  cleanup: { olderThanMonths: number; /** Who runs it, for the audit log. */ userName: string };
}

export type EventName = keyof BackendEvents;
export type EventListener<N extends EventName> = (payload: BackendEvents[N]) => unknown;
/** A listener run inside the transaction that collected the event (see `inTransaction`). */
export type TransactionListener<N extends EventName> = (
  trx: Transaction<Schema>,
  payload: BackendEvents[N],
) => Promise<unknown>;

/** One event waiting to be dispatched. */
type PendingEvent = { [N in EventName]: { name: N; payload: BackendEvents[N] } }[EventName];

export class EventBus {
  private readonly listeners = new Map<EventName, EventListener<never>[]>();
  private readonly transactionListeners = new Map<EventName, TransactionListener<never>[]>();

  constructor(private readonly log: Logger) {}

  /**
   * Registers a listener, called in registration order; registering the same function twice
   * for an event has no effect. Returns a function that removes it.
   */
  on<N extends EventName>(name: N, listener: EventListener<N>): () => void {
    return register(this.listeners, name, listener);
  }

  /**
   * Registers a listener that runs inside the transaction of `transaction`, after its body,
   * once per collected event: what it writes commits or rolls back with the change the event
   * describes (the fedora-messaging outbox). Unlike `on`, a listener that throws rolls the
   * transaction back. Same ordering and removal as `on`.
   */
  inTransaction<N extends EventName>(name: N, listener: TransactionListener<N>): () => void {
    return register(this.transactionListeners, name, listener);
  }

  /**
   * Calls every listener of the event, one after the other. A listener that throws (or
   * rejects) is logged and the others still run: a broken plugin must not stop a service.
   * Call it only after the changes the event describes are committed (see `transaction`).
   * `onFailure` hears of each failed listener too (a command reports them in its exit code).
   */
  async dispatch<N extends EventName>(
    name: N,
    payload: BackendEvents[N],
    onFailure?: (error: unknown) => void,
  ): Promise<void> {
    for (const listener of [...(this.listeners.get(name) ?? [])] as EventListener<N>[]) {
      try {
        await listener(payload);
      } catch (error) {
        this.log.error({ err: error, event: name }, `listener of ${name} failed`);
        onFailure?.(error);
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
    const result = await db.transaction().execute(async (trx) => {
      const value = await body(trx, events);
      for (const event of events.collected) {
        const listeners = this.transactionListeners.get(event.name) ?? [];
        // The union pairs each name with its payload; TypeScript cannot follow that through.
        for (const listener of [...listeners]) await listener(trx, event.payload as never);
      }
      return value;
    });
    for (const event of events.drain()) await this.dispatchPending(event);
    return result;
  }

  private dispatchPending(event: PendingEvent): Promise<void> {
    // As above: the name and payload belong together.
    return this.dispatch(event.name, event.payload as never);
  }
}

/** Adds `listener` to the event's list unless it is there; returns its removal. */
function register<L>(lists: Map<EventName, L[]>, name: EventName, listener: L): () => void {
  const registered = lists.get(name) ?? [];
  if (!registered.includes(listener)) registered.push(listener);
  lists.set(name, registered);
  return () => {
    const index = registered.indexOf(listener);
    if (index >= 0) registered.splice(index, 1);
  };
}

/** Events of one transaction, held until it commits. */
export class EventCollector {
  private pending: PendingEvent[] = [];

  add<N extends EventName>(name: N, payload: BackendEvents[N]): void {
    this.pending.push({ name, payload } as PendingEvent);
  }

  /** The events collected so far, oldest first. */
  get collected(): readonly PendingEvent[] {
    return this.pending;
  }

  /** The collected events, oldest first; the collector is empty afterwards. */
  drain(): PendingEvent[] {
    const events = this.pending;
    this.pending = [];
    return events;
  }
}
