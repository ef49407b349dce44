// The demo's watcher without a broker: Koji's messages arrive in this process (from the
// simulator running beside it) and go through the watcher's own handling — build states,
// real builds, the repo-resolver woken at once — with the same rules as over AMQP: a message
// that meets an outage is tried again with back-off, an unexpected one is logged and dropped.
import { isOutage } from "../backend/outages.js";
import type { ServiceDefinition } from "../backend/registry.js";
import { handleMessage, watcherService } from "../backend/watcher.js";
import { REPO_DONE_CHANNEL, type WakeSignals } from "../backend/wake.js";
import { UnexpectedMessage, type ReceivedMessage } from "../messaging/consumer.js";

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;

export interface InProcessWatcher {
  /** The `watcher` service, reading the delivered messages instead of a queue on a broker. */
  service: ServiceDefinition;
  /** Hands a message to the watcher (in delivery order). */
  deliver(message: ReceivedMessage): void;
  /** Wakes the services with a wake channel when the watcher notifies it. */
  wake: WakeSignals;
}

export function inProcessWatcher(): InProcessWatcher {
  const pending: ReceivedMessage[] = [];
  let arrived: (() => void) | null = null;
  const wakeListeners = new Map<string, Set<() => void>>();
  const wakeChannel = (channel: string) => {
    for (const onWake of wakeListeners.get(channel) ?? []) onWake();
  };

  const nextMessage = async (stopping: AbortSignal): Promise<ReceivedMessage | null> => {
    while (pending.length === 0) {
      if (stopping.aborted) return null;
      await new Promise<void>((resolve) => {
        arrived = resolve;
        stopping.addEventListener("abort", () => resolve(), { once: true });
      });
      arrived = null;
    }
    return pending.shift()!;
  };

  const service: ServiceDefinition = {
    ...watcherService,
    async runPass(context) {
      for (;;) {
        const message = await nextMessage(context.stopping);
        if (message === null) return;
        context.heartbeat();
        for (let delay = RETRY_FIRST_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
          try {
            await handleMessage(context, message);
            if (message.topic.endsWith(".repo.done")) wakeChannel(REPO_DONE_CHANNEL);
            break;
          } catch (error) {
            if (error instanceof UnexpectedMessage || !isOutage(error)) {
              context.log.warn({ err: error, messageId: message.id }, "message dropped");
              break;
            }
            context.log.warn(
              { err: error, messageId: message.id },
              `outage; retrying in ${delay} ms`,
            );
            await new Promise((resolve) => setTimeout(resolve, delay));
          }
        }
      }
    },
  };

  return {
    service,
    deliver(message) {
      pending.push(message);
      arrived?.();
    },
    wake: {
      subscribe(channel, onWake) {
        const listeners = wakeListeners.get(channel) ?? new Set();
        wakeListeners.set(channel, listeners);
        listeners.add(onWake);
        return () => listeners.delete(onWake);
      },
      async close() {
        wakeListeners.clear();
      },
    },
  };
}
