// Consuming fedora-messaging messages over AMQP (contracts/fedora-messaging.md §4) with the
// guarantees Koschei's watcher needs: a message is acknowledged only after its handler
// returned (its effect committed); a handler failing on an outage (database, Koji) keeps the
// message and tries it again with back-off, without acknowledging it; a message that cannot be
// decoded, or that the handler rejects as unexpected, is logged with its id, counted and
// acknowledged; a lost broker connection is opened again with back-off, and the messages it
// had delivered but not acknowledged come again (the handler must be idempotent).
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from "amqplib";
import type { Logger } from "../log/logger.js";
import { maskPasswords } from "../log/mask.js";
import type { MessagingConfig } from "./config.js";
import { tlsOptions } from "./publisher.js";

/** A delivery, decoded. */
export interface ReceivedMessage {
  /** The AMQP message id (fedora-messaging sets a UUID), or null when absent. */
  id: string | null;
  /** The full routing key, topic prefix included (as fedora-messaging's consumer sees it). */
  topic: string;
  /** The JSON object of the body. */
  body: Record<string, unknown>;
  headers: Record<string, unknown>;
  /** The broker delivered it before (to us or to a consumer that went away). */
  redelivered: boolean;
}

/** Thrown by a handler for a message it cannot make sense of: logged, counted, acknowledged. */
export class UnexpectedMessage extends Error {
  override name = "UnexpectedMessage";
}

/** What the consumer has done since it started. */
export interface ConsumerCounters {
  /** Acknowledged after the handler returned. */
  handled: number;
  /** Not JSON objects, or rejected by the handler as unexpected; acknowledged. */
  malformed: number;
  /** The handler failed with an error that is not an outage; logged and acknowledged. */
  failed: number;
  /** Handler attempts that failed on an outage and were tried again. */
  retried: number;
  /** Connections to the broker opened (the first and every reconnection). */
  connections: number;
}

export interface BackOff {
  firstDelayMs: number;
  maxDelayMs: number;
}

export interface ConsumerOptions {
  settings: MessagingConfig;
  /** Routing keys bound to the queue when the configuration binds none to it. */
  defaultRoutingKeys: readonly string[];
  log: Logger;
  /** Applies the message; returning means its effect is committed. */
  handle(message: ReceivedMessage): Promise<void>;
  /** Whether an error of the handler is an outage worth trying again (see backend/outages.ts). */
  isTransient(error: unknown): boolean;
  /**
   * Whether an error of the handler must end `consumeMessages` (thrown, the message not
   * acknowledged) instead of dropping the message: one that every message would meet, such
   * as a session that cannot be opened for a reason other than an outage.
   */
  isFatal?(error: unknown): boolean;
  /**
   * Called before each message and every 30 s without one (the runner's heartbeat: watchdog,
   * memory limit); what it throws ends `consumeMessages`, the message unacknowledged.
   */
  beforeMessage?: () => void;
  /** Ends `run` once the message in progress is done. */
  stopping: AbortSignal;
  /** Between tries of a message whose handler hit an outage (default 1 s doubling to 60 s). */
  retry?: BackOff;
  /** Between broker connection attempts (default 1 s doubling to 60 s). */
  reconnect?: BackOff;
  /** Counters to add to (a service keeps them across runs). */
  counters?: ConsumerCounters;
  /**
   * Handle what the queue holds, then return once no message came for this many milliseconds
   * (`--once`). A broker that cannot be reached, or a connection lost, is then thrown.
   */
  drainIdleMs?: number;
}

const DEFAULT_BACK_OFF: BackOff = { firstDelayMs: 1000, maxDelayMs: 60_000 };
/** Bounds connecting and every setup operation; the connection's heartbeat finds silent peers. */
const CONNECT_TIMEOUT_MS = 30_000;
const HEARTBEAT_SECONDS = 30;
/** Without deliveries, `beforeMessage` (the runner's heartbeat) is still called this often. */
const IDLE_HEARTBEAT_MS = 30_000;

export function newCounters(): ConsumerCounters {
  return { handled: 0, malformed: 0, failed: 0, retried: 0, connections: 0 };
}

/** Consumes until `stopping` aborts; broker outages are waited out, never thrown. */
export async function consumeMessages(options: ConsumerOptions): Promise<ConsumerCounters> {
  const counters = options.counters ?? newCounters();
  const reconnect = options.reconnect ?? DEFAULT_BACK_OFF;
  const where = maskPasswords(options.settings.url);
  let failures = 0;
  while (!options.stopping.aborted) {
    let link: BrokerLink;
    try {
      link = await BrokerLink.open(options);
    } catch (error) {
      if (options.drainIdleMs !== undefined) throw error;
      failures++;
      const delay = backOff(failures, reconnect);
      options.log.warn(
        { err: error, attempt: failures, nextDelayMs: delay, broker: where },
        `cannot consume from the broker; trying again in ${delay / 1000} s`,
      );
      await sleep(delay, options.stopping);
      continue;
    }
    counters.connections++;
    if (failures > 0 || counters.connections > 1) {
      options.log.info({ broker: where, queue: link.queue }, "consuming from the broker again");
    }
    failures = 0;
    let drained: boolean;
    try {
      drained = await new MessageLoop(options, counters, link).run();
    } finally {
      await link.close();
    }
    if (drained) return counters;
    if (!options.stopping.aborted && options.drainIdleMs !== undefined) {
      throw new Error(`lost the connection to the broker ${where}`);
    }
    if (!options.stopping.aborted) {
      failures++;
      const delay = backOff(failures, reconnect);
      options.log.warn(
        { broker: where, nextDelayMs: delay },
        `lost the broker connection; reconnecting in ${delay / 1000} s`,
      );
      await sleep(delay, options.stopping);
    }
  }
  return counters;
}

/** One connection and channel consuming the queue; deliveries wait in `inbox`. */
class BrokerLink {
  readonly inbox: ConsumeMessage[] = [];
  private readonly lost = new AbortController();
  private notify: (() => void) | null = null;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    readonly queue: string,
  ) {}

  /** Aborted when the connection or channel is gone (or the broker cancelled the consumer). */
  get signal(): AbortSignal {
    return this.lost.signal;
  }

  static async open(options: ConsumerOptions): Promise<BrokerLink> {
    const { settings } = options;
    const connection = await withTimeout(
      amqp.connect(withHeartbeat(settings.url), {
        timeout: CONNECT_TIMEOUT_MS,
        clientProperties: { app: "Koschei watcher" },
        ...tlsOptions(settings),
      }),
      (late) => void late.close().catch(() => {}),
    );
    connection.on("error", () => {});
    try {
      const channel = await withTimeout(connection.createChannel());
      channel.on("error", () => {});
      const { queue } = await withTimeout(
        channel.assertQueue(settings.queue.name, {
          durable: settings.queue.durable,
          autoDelete: settings.queue.autoDelete,
          exclusive: settings.queue.exclusive || settings.queue.name === "",
        }),
      );
      const bindings = settings.bindings.filter((binding) => binding.queue === settings.queue.name);
      const routes =
        bindings.length > 0
          ? bindings.flatMap((binding) =>
              binding.routingKeys.map((key) => ({ exchange: binding.exchange, key })),
            )
          : options.defaultRoutingKeys.map((key) => ({ exchange: settings.exchange, key }));
      for (const route of routes) {
        await withTimeout(channel.bindQueue(queue, route.exchange, route.key));
      }
      await withTimeout(channel.prefetch(settings.prefetchCount));
      const link = new BrokerLink(connection, channel, queue);
      connection.on("close", () => link.markLost());
      channel.on("close", () => link.markLost());
      await withTimeout(
        channel.consume(
          queue,
          (message) => {
            // null: the broker cancelled the consumer (its queue was deleted).
            if (message === null) link.markLost();
            else link.deliver(message);
          },
          { noAck: false },
        ),
      );
      return link;
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
  }

  private deliver(message: ConsumeMessage): void {
    this.inbox.push(message);
    this.wake();
  }

  private markLost(): void {
    this.lost.abort();
    this.wake();
  }

  private wake(): void {
    const notify = this.notify;
    this.notify = null;
    notify?.();
  }

  /**
   * The next delivery; null once the link is lost or `stopping` aborts; "idle" when nothing
   * came for `idleMs`.
   */
  async next(stopping: AbortSignal, idleMs: number): Promise<ConsumeMessage | "idle" | null> {
    const deadline = Date.now() + idleMs;
    for (;;) {
      if (this.signal.aborted || stopping.aborted) return null;
      const message = this.inbox.shift();
      if (message) return message;
      const left = deadline - Date.now();
      if (left <= 0) return "idle";
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stopping.removeEventListener("abort", done);
          this.notify = null;
          resolve();
        };
        const timer = setTimeout(done, left);
        this.notify = done;
        stopping.addEventListener("abort", done, { once: true });
      });
    }
  }

  /** False when the channel is gone: the broker gives the message to us (or another) again. */
  ack(message: ConsumeMessage): boolean {
    if (this.signal.aborted) return false;
    try {
      this.channel.ack(message);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    // Unacknowledged deliveries go back to the queue when the connection closes.
    this.markLost();
    await withTimeout(this.connection.close()).catch(() => {});
  }
}

/** Handles the link's deliveries one at a time, in order. */
class MessageLoop {
  private readonly retry: BackOff;

  constructor(
    private readonly options: ConsumerOptions,
    private readonly counters: ConsumerCounters,
    private readonly link: BrokerLink,
  ) {
    this.retry = options.retry ?? DEFAULT_BACK_OFF;
  }

  /** Handles deliveries until the link is lost or stopping (false), or drained (true). */
  async run(): Promise<boolean> {
    const { drainIdleMs } = this.options;
    for (;;) {
      const delivery = await this.link.next(
        this.options.stopping,
        drainIdleMs === undefined ? IDLE_HEARTBEAT_MS : Math.min(drainIdleMs, IDLE_HEARTBEAT_MS),
      );
      if (!delivery) return false;
      if (delivery === "idle" && drainIdleMs !== undefined) return true;
      // A quiet queue is no reason for the watchdog to think the service hangs.
      if (delivery === "idle") this.options.beforeMessage?.();
      else await this.process(delivery);
    }
  }

  private async process(delivery: ConsumeMessage): Promise<void> {
    const { log } = this.options;
    const id = messageId(delivery);
    const topic = delivery.fields.routingKey;
    const decoded = decode(delivery);
    if (typeof decoded === "string") {
      this.counters.malformed++;
      log.warn(
        { messageId: id, topic, malformed: this.counters.malformed },
        `dropping malformed message ${id ?? "(no id)"} on ${topic}: ${decoded}`,
      );
      this.link.ack(delivery);
      return;
    }
    let attempt = 0;
    for (;;) {
      // The heartbeat may end the process (memory limit): the message is then not acknowledged.
      this.options.beforeMessage?.();
      try {
        await this.options.handle(decoded);
        if (this.link.ack(delivery)) this.counters.handled++;
        return;
      } catch (error) {
        if (error instanceof UnexpectedMessage) {
          this.counters.malformed++;
          log.warn(
            { messageId: id, topic, malformed: this.counters.malformed },
            `dropping unexpected message ${id ?? "(no id)"} on ${topic}: ${error.message}`,
          );
          this.link.ack(delivery);
          return;
        }
        if (this.options.isFatal?.(error)) throw error;
        if (!this.options.isTransient(error)) {
          this.counters.failed++;
          log.error(
            { err: error, messageId: id, topic, failed: this.counters.failed },
            `handling message ${id ?? "(no id)"} on ${topic} failed; dropping it`,
          );
          this.link.ack(delivery);
          return;
        }
        attempt++;
        this.counters.retried++;
        const delay = backOff(attempt, this.retry);
        log.warn(
          { err: error, messageId: id, topic, attempt, nextDelayMs: delay },
          `message ${id ?? "(no id)"} on ${topic} waits for an outage to end; ` +
            `trying again in ${delay / 1000} s`,
        );
        await sleep(delay, AbortSignal.any([this.options.stopping, this.link.signal]));
        // Stopping or a lost channel: not acknowledged, so the broker delivers it again.
        if (this.options.stopping.aborted || this.link.signal.aborted) return;
      }
    }
  }
}

/** The message, or why it is not a fedora-messaging message (a JSON object in UTF-8). */
function decode(delivery: ConsumeMessage): ReceivedMessage | string {
  const encoding = delivery.properties.contentEncoding as string | undefined;
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
    return `content encoding ${encoding} is not utf-8`;
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(delivery.content));
  } catch (error) {
    return `the body is not UTF-8 JSON (${(error as Error).message})`;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return "the body is not a JSON object";
  }
  return {
    id: messageId(delivery),
    topic: delivery.fields.routingKey,
    body: body as Record<string, unknown>,
    headers: (delivery.properties.headers ?? {}) as Record<string, unknown>,
    redelivered: delivery.fields.redelivered,
  };
}

function messageId(delivery: ConsumeMessage): string | null {
  const id = delivery.properties.messageId as unknown;
  return typeof id === "string" && id !== "" ? id : null;
}

function backOff(failures: number, policy: BackOff): number {
  return Math.min(policy.firstDelayMs * 2 ** (failures - 1), policy.maxDelayMs);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The URL with `heartbeat=30` unless it sets a heartbeat: a silent broker is noticed. */
function withHeartbeat(url: string): string {
  if (/[?&]heartbeat=/.test(url)) return url;
  return `${url}${url.includes("?") ? "&" : "?"}heartbeat=${HEARTBEAT_SECONDS}`;
}

/** The operation's result, or an error after CONNECT_TIMEOUT_MS (a late result is discarded). */
async function withTimeout<T>(operation: Promise<T>, discardLate?: (late: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`no answer from the broker within ${CONNECT_TIMEOUT_MS / 1000} s`));
    }, CONNECT_TIMEOUT_MS);
  });
  const settled = operation.then((value) => {
    if (timedOut) discardLate?.(value);
    return value;
  });
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
