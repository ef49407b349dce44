// Waking a service between its passes: a service that declares a PostgreSQL channel
// (`wakeChannel` in registry.ts) starts its next pass as soon as a NOTIFY arrives on it,
// instead of sleeping out its interval. The watcher notifies `koschei_repo_done` when Koji
// says a collection's build tag has a new repo, and the repo-resolver listens on it.
import type { Kysely } from "kysely";
import { sql } from "kysely";
import pg from "pg";
import type { Schema } from "../db/index.js";
import type { Logger } from "../log/logger.js";
import { maskPasswords } from "../log/mask.js";

/** The channel of the repo-resolver: a build tag got a new repo (payload: the tag's name). */
export const REPO_DONE_CHANNEL = "koschei_repo_done";

/** Where the runner learns that a service should start its next pass now. */
export interface WakeSignals {
  /**
   * Calls `onWake` for every notification on the channel, and after a lost listening connection
   * is back (notifications sent meanwhile are lost, so each channel is woken once to be safe).
   * Returns the unsubscription.
   */
  subscribe(channel: string, onWake: () => void): () => void;
  close(): Promise<void>;
}

/** Sends a notification on the channel (delivered when the surrounding transaction commits). */
export async function notifyChannel(
  db: Kysely<Schema>,
  channel: string,
  payload: string,
): Promise<void> {
  await sql`SELECT pg_notify(${channel}, ${payload})`.execute(db);
}

export interface WakeRetryPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
}

const DEFAULT_WAKE_RETRY: WakeRetryPolicy = { firstDelayMs: 1000, maxDelayMs: 60_000 };

/**
 * LISTENs on a dedicated PostgreSQL connection, opened with the first subscription. A lost
 * connection is opened again with back-off (1 s doubling to 60 s); until then services just
 * sleep out their intervals, as without wake-ups.
 */
export function postgresWakeSignals(
  url: string,
  log: Logger,
  retry: WakeRetryPolicy = DEFAULT_WAKE_RETRY,
): WakeSignals {
  const listeners = new Map<string, Set<() => void>>();
  let client: pg.Client | null = null;
  let connecting = false;
  let closed = false;
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;
  const where = maskPasswords(url);

  const wake = (channel: string) => {
    for (const listener of [...(listeners.get(channel) ?? [])]) listener();
  };

  const scheduleReconnect = () => {
    if (closed || timer) return;
    failures++;
    const delay = Math.min(retry.firstDelayMs * 2 ** (failures - 1), retry.maxDelayMs);
    timer = setTimeout(() => {
      timer = null;
      void connect(true);
    }, delay);
  };

  const connect = async (reconnecting: boolean) => {
    if (closed || connecting || client) return;
    connecting = true;
    const candidate = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    candidate.on("error", () => {});
    try {
      await candidate.connect();
      for (const channel of listeners.keys()) {
        await candidate.query(`LISTEN ${candidate.escapeIdentifier(channel)}`);
      }
    } catch (error) {
      connecting = false;
      await candidate.end().catch(() => {});
      log.warn({ err: error, server: where }, "cannot listen for wake-ups; retrying");
      scheduleReconnect();
      return;
    }
    connecting = false;
    if (closed) {
      await candidate.end().catch(() => {});
      return;
    }
    client = candidate;
    failures = 0;
    candidate.on("notification", (message) => wake(message.channel));
    candidate.on("end", () => {
      if (client !== candidate) return;
      client = null;
      if (closed) return;
      log.warn({ server: where }, "lost the connection listening for wake-ups; reconnecting");
      scheduleReconnect();
    });
    if (reconnecting) {
      log.info({ server: where }, "listening for wake-ups again");
      for (const channel of listeners.keys()) wake(channel);
    }
  };

  return {
    subscribe(channel, onWake) {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        const current = client;
        if (current) {
          void current
            .query(`LISTEN ${current.escapeIdentifier(channel)}`)
            .catch(() => current.end().catch(() => {}));
        }
      }
      set.add(onWake);
      void connect(false);
      return () => {
        set.delete(onWake);
      };
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const current = client;
      client = null;
      await current?.end().catch(() => {});
    },
  };
}
