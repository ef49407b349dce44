// Sends the outbox to the broker (contracts/fedora-messaging.md §2–§3): unpublished messages
// in id order, each marked published only once the broker confirmed it. A broker outage
// leaves the rest for a later pass; a rolled-back change never wrote a message.
import { readFileSync } from "node:fs";
import { amqpEnvelope } from "@koschei/koji-protocol/messages.js";
import amqp, { type ChannelModel, type ConfirmChannel } from "amqplib";
import type { Kysely, Selectable } from "kysely";
import type { Schema } from "../db/index.js";
import type { OutboxTable } from "../db/schema.js";
import { maskPasswords } from "../log/mask.js";
import type { MessagingConfig } from "./config.js";
import type { OutboxHeaders } from "./outbox.js";

/** fedora-messaging's publish timeout; here it bounds every AMQP operation. */
export const AMQP_TIMEOUT_MS = 30_000;

/** Messages locked, sent and marked per database transaction. */
const BATCH_SIZE = 100;

/** The broker could not be reached, refused a message or did not answer in time. */
export class BrokerError extends Error {
  override name = "BrokerError";
}

export interface OutboxPublisherOptions {
  timeoutMs?: number;
  /** Checked between messages: a stopping process sends no more. */
  stopping?: AbortSignal;
}

/**
 * Publishes every unpublished outbox message, oldest first, over one connection opened
 * only when there is something to send; returns how many were published. Rows are locked
 * while being sent, so a second publisher waits for them instead of sending them again.
 * On a broker failure the messages confirmed so far are recorded, then BrokerError is thrown.
 */
export async function publishOutbox(
  db: Kysely<Schema>,
  settings: MessagingConfig,
  options: OutboxPublisherOptions = {},
): Promise<number> {
  const timeoutMs = options.timeoutMs ?? AMQP_TIMEOUT_MS;
  let broker: BrokerChannel | null = null;
  let published = 0;
  try {
    for (;;) {
      const batch = await db.transaction().execute(async (trx) => {
        const rows = await trx
          .selectFrom("outbox")
          .selectAll()
          .where("published_at", "is", null)
          .orderBy("id")
          .limit(BATCH_SIZE)
          .forUpdate()
          .execute();
        const confirmed: number[] = [];
        let failure: unknown = null;
        for (const row of rows) {
          if (options.stopping?.aborted) break;
          try {
            broker ??= await BrokerChannel.open(settings, timeoutMs);
            await broker.publish(row, new Date());
            confirmed.push(row.id);
          } catch (error) {
            failure = error;
            break;
          }
        }
        if (confirmed.length > 0) {
          await trx
            .updateTable("outbox")
            .set({ published_at: new Date() })
            .where("id", "in", confirmed)
            .execute();
        }
        return { complete: rows.length < BATCH_SIZE, confirmed: confirmed.length, failure };
      });
      published += batch.confirmed;
      if (batch.failure !== null) throw batch.failure;
      if (batch.complete || options.stopping?.aborted) return published;
    }
  } finally {
    // Assigned in the callback above, which TypeScript's narrowing does not see.
    await (broker as BrokerChannel | null)?.close();
  }
}

/** One connection with a confirm channel; every operation times out. */
class BrokerChannel {
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
    private readonly settings: MessagingConfig,
    private readonly timeoutMs: number,
  ) {}

  static async open(settings: MessagingConfig, timeoutMs: number): Promise<BrokerChannel> {
    const where = maskPasswords(settings.url);
    const connecting = amqp.connect(settings.url, { timeout: timeoutMs, ...tlsOptions(settings) });
    // A connection that comes after the timeout is closed at once.
    const connection = await withTimeout(`connecting to ${where}`, timeoutMs, connecting, (late) =>
      late.close(),
    );
    // Errors also arrive as events; without a listener they would end the process.
    connection.on("error", () => {});
    try {
      const channel = await withTimeout(
        `opening a channel on ${where}`,
        timeoutMs,
        connection.createConfirmChannel(),
      );
      channel.on("error", () => {});
      return new BrokerChannel(connection, channel, settings, timeoutMs);
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
  }

  /** Sends the message and waits for the broker's confirm; a nack is a BrokerError. */
  async publish(row: Selectable<OutboxTable>, now: Date): Promise<void> {
    const envelope = amqpEnvelope(
      { topic: row.topic, body: row.body, ...(row.headers as OutboxHeaders) },
      this.settings.topicPrefix,
      now,
      row.message_id,
    );
    const confirmed = new Promise<void>((resolve, reject) => {
      this.channel.publish(
        this.settings.exchange,
        envelope.routingKey,
        envelope.content,
        envelope.properties,
        (error: unknown) =>
          error
            ? reject(new BrokerError(`the broker refused message ${row.id}`, { cause: error }))
            : resolve(),
      );
    });
    await withTimeout(`the confirm of message ${row.id}`, this.timeoutMs, confirmed);
  }

  async close(): Promise<void> {
    // A broken connection has nothing left to close; the pass already has its error.
    await withTimeout("closing the connection", this.timeoutMs, this.connection.close()).catch(
      () => {},
    );
  }
}

/** amqplib's socket options for the `[tls]` files of the configuration. */
export function tlsOptions(settings: MessagingConfig): Record<string, Buffer> {
  const files = { ca: settings.tls.caCert, cert: settings.tls.certFile, key: settings.tls.keyFile };
  return Object.fromEntries(
    Object.entries(files)
      .filter((entry): entry is [string, string] => entry[1] !== null)
      .map(([option, path]) => [option, readFileSync(path)]),
  );
}

/** The operation's result, or a BrokerError after `ms`; its connection or failure is wrapped. */
async function withTimeout<T>(
  what: string,
  ms: number,
  operation: Promise<T>,
  discardLate?: (late: T) => unknown,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new BrokerError(`${what}: no answer from the broker within ${ms / 1000} s`));
    }, ms);
  });
  const settled = operation.then(
    (value) => {
      if (timedOut) void Promise.resolve(discardLate?.(value)).catch(() => {});
      return value;
    },
    (error: unknown) => {
      throw error instanceof BrokerError
        ? error
        : new BrokerError(`${what}: ${maskPasswords(String((error as Error)?.message ?? error))}`, {
            cause: error,
          });
    },
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
