// Runs backend services in one process (spec 03 §8): each service repeats its pass every
// `services.<key>.interval` seconds, touches the watchdog file around every pass, checks the
// memory limits after it, and waits out outages of Koji, the network or the database with
// capped exponential back-off. A service with a wake channel starts its next pass as soon as a
// notification arrives on it. Stopping lets every pass in progress finish.
import { readFileSync, writeFileSync } from "node:fs";
import type { KoscheiConfig, ServiceConfig } from "../config/index.js";
import type { Logger } from "../log/logger.js";
import type { EventBus } from "./events.js";
import { isOutage } from "./outages.js";
import type { ServiceContext, ServiceDefinition } from "./registry.js";
import type { BackendSession } from "./session.js";
import type { WakeSignals } from "./wake.js";

/** Exit codes of the backend process. */
export const ExitCode = {
  /** Stopped by a signal, or every `--once` pass done. */
  ok: 0,
  /** A pass failed with an error that is not an outage (a defect), or a `--once` pass failed. */
  failed: 1,
  /** A memory limit was exceeded; the supervisor starts a fresh process. */
  memoryLimit: 3,
} as const;
export type RunnerExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Resident and virtual size of the process, in KiB. */
export interface MemoryUsage {
  residentKiB: number;
  virtualKiB: number;
}

/** Back-off after failed passes: the first delay, doubled per further failure, up to the cap. */
export interface RetryPolicy {
  firstDelaySeconds: number;
  maxDelaySeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { firstDelaySeconds: 5, maxDelaySeconds: 300 };

export interface RunnerOptions {
  services: readonly ServiceDefinition[];
  config: KoscheiConfig;
  log: Logger;
  events: EventBus;
  /**
   * The session of the named service, opened by its first pass that asks for it. Services run
   * concurrently: they may share the database, but not a logged-in Koji session, whose calls
   * must reach the hub in the order of their call numbers (see `serviceSessions`).
   */
  session: (service: string) => Promise<BackendSession>;
  /** One pass of each service, then return (no retries). */
  once?: boolean;
  /** Aborting it stops the services once their passes in progress are done. */
  stop?: AbortSignal;
  /** `$WATCHDOG_PATH`: the file touched by services whose `watchdog` setting is on. */
  watchdogPath?: string;
  retry?: RetryPolicy;
  /** Waits, or resolves early when `signal` aborts. Tests pass one that returns at once. */
  sleep?: (seconds: number, signal: AbortSignal) => Promise<void>;
  memoryUsage?: () => MemoryUsage;
  /**
   * Notifications that end the sleep between passes of services with a `wakeChannel`;
   * without it they sleep out their intervals.
   */
  wake?: WakeSignals;
}

/** Raised by a heartbeat to end a pass that never returns when memory is exhausted. */
class MemoryLimitExceeded extends Error {}

/** Runs the services until stopped, a `--once` round is done, or one of them must end the process. */
export async function runServices(options: RunnerOptions): Promise<RunnerExitCode> {
  const halt = new AbortController();
  let exitCode: RunnerExitCode = ExitCode.ok;
  const end = (code: RunnerExitCode) => {
    // The most serious reason wins: a crash or memory exhaustion over a plain stop.
    if (code > exitCode) exitCode = code;
    halt.abort();
  };
  // Settings that cannot work fail here, before any service starts.
  const watchdogs = options.services.map((service) =>
    watchdog(options.config.services[service.configKey], options.watchdogPath),
  );
  const onStop = () => halt.abort();
  options.stop?.addEventListener("abort", onStop, { once: true });
  if (options.stop?.aborted) halt.abort();
  try {
    await Promise.all(
      options.services.map((service, index) =>
        runService(service, options, watchdogs[index]!, halt.signal, end),
      ),
    );
  } finally {
    options.stop?.removeEventListener("abort", onStop);
  }
  return exitCode;
}

async function runService(
  service: ServiceDefinition,
  options: RunnerOptions,
  touchWatchdog: () => void,
  halt: AbortSignal,
  end: (code: RunnerExitCode) => void,
): Promise<void> {
  const settings = options.config.services[service.configKey];
  const log = options.log.child({ service: service.name });
  const retry = options.retry ?? DEFAULT_RETRY_POLICY;
  const sleep = options.sleep ?? abortableSleep;
  const memoryExceeded = memoryCheck(settings, options.memoryUsage ?? readMemoryUsage, log);
  const context: ServiceContext = {
    name: service.name,
    config: options.config,
    settings,
    log,
    events: options.events,
    stopping: halt,
    once: options.once ?? false,
    session: () => options.session(service.name),
    heartbeat: () => {
      touchWatchdog();
      if (memoryExceeded()) throw new MemoryLimitExceeded();
    },
  };
  // A notification during a pass makes the sleep after it end at once; during the sleep it
  // ends the sleep.
  let wakeRequested = false;
  let sleeping: AbortController | null = null;
  const unsubscribe =
    service.wakeChannel && options.wake
      ? options.wake.subscribe(service.wakeChannel, () => {
          wakeRequested = true;
          sleeping?.abort();
        })
      : () => {};
  log.info(`${service.name} started`);
  try {
    // A pass that ended the process says so itself; a stop is logged here.
    if (await runLoop()) log.info(`${service.name} stopped`);
  } finally {
    unsubscribe();
  }

  function ended(code: RunnerExitCode): false {
    end(code);
    return false;
  }

  /** Repeats the pass until stopped (true) or until it ends the process (false). */
  async function runLoop(): Promise<boolean> {
    let failures = 0;
    while (!halt.aborted) {
      touchWatchdog();
      wakeRequested = false;
      try {
        await service.runPass(context);
        failures = 0;
      } catch (error) {
        if (error instanceof MemoryLimitExceeded) return ended(ExitCode.memoryLimit);
        if (options.once || !isOutage(error)) {
          log.error({ err: error }, `Service ${service.name} crashed.`);
          return ended(ExitCode.failed);
        }
        failures++;
        const delay = retryDelay(failures, retry);
        log.warn(
          { err: error, attempt: failures, nextDelaySeconds: delay },
          `${service.name} pass failed (attempt ${failures}); retrying in ${delay} s`,
        );
        await sleep(delay, halt);
        continue;
      }
      if (memoryExceeded()) return ended(ExitCode.memoryLimit);
      touchWatchdog();
      if (options.once) break;
      if (!wakeRequested) {
        sleeping = new AbortController();
        await sleep(settings.interval, AbortSignal.any([halt, sleeping.signal]));
        sleeping = null;
      }
      if (wakeRequested && !halt.aborted) {
        log.debug(`${service.name} woken by a notification on ${service.wakeChannel}`);
      }
    }
    return true;
  }
}

/** Delay before the next try after `failures` failed passes in a row. */
export function retryDelay(failures: number, policy: RetryPolicy): number {
  return Math.min(policy.firstDelaySeconds * 2 ** (failures - 1), policy.maxDelaySeconds);
}

/** Creates or truncates the watchdog file, when the service's `watchdog` setting is on. */
function watchdog(settings: ServiceConfig, path: string | undefined): () => void {
  if (!settings.watchdog) return () => {};
  if (!path) throw new Error("the service's watchdog is on, but $WATCHDOG_PATH is not set");
  return () => writeFileSync(path, "");
}

/** Whether the process has outgrown `memory_limit` (resident) or `virtual_memory_limit` (KiB). */
function memoryCheck(
  settings: ServiceConfig,
  usage: () => MemoryUsage,
  log: Logger,
): () => boolean {
  const { memory_limit: residentLimit, virtual_memory_limit: virtualLimit } = settings;
  if (!residentLimit && !virtualLimit) return () => false;
  return () => {
    const { residentKiB, virtualKiB } = usage();
    const exceeded =
      (!!residentLimit && residentKiB > residentLimit) ||
      (!!virtualLimit && virtualKiB > virtualLimit);
    if (exceeded) {
      log.warn(
        { residentKiB, virtualKiB },
        `Memory limit reached - resident: ${residentKiB} KiB, virtual: ${virtualKiB} KiB. Exiting.`,
      );
    }
    return exceeded;
  };
}

/** VmRSS and VmSize of /proc/self/status, which Linux gives in KiB. */
export function readMemoryUsage(): MemoryUsage {
  const status = readFileSync("/proc/self/status", "utf8");
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s*(\\d+) kB`, "m").exec(status)?.[1]);
  return { residentKiB: field("VmRSS"), virtualKiB: field("VmSize") };
}

function abortableSleep(seconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, seconds * 1000);
    signal.addEventListener("abort", done, { once: true });
  });
}
