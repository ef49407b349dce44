// A pool of worker threads, each holding its own libsolv pool of the same repos, resolving a
// stream of requests in parallel and handing the results back in input order.

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { silentLogger, type Logger } from "../log/logger.js";
import { DepsolveError, deserializeDepsolveError, type SerializedDepsolveError } from "./errors.js";
import {
  ResolutionResult,
  type LoadedRepo,
  type PoolOptions,
  type RawResolution,
  type SourcePackage,
} from "./pool.js";

export interface ResolveRequest {
  source: SourcePackage;
  buildRequires: string[];
  buildGroup: string[];
}

/**
 * The most worker threads a resolver pool starts. Each holds a whole libsolv pool and a V8
 * isolate, and solving is CPU-bound: more threads than cores only cost memory (a thousand
 * took 8 GB for a 63-package repo), and far more than this exhaust it.
 */
export const MAX_RESOLVER_WORKERS = 64;

export interface ResolverPoolOptions extends PoolOptions {
  /** Worker threads, 1 to MAX_RESOLVER_WORKERS; default: the number of cores (at most that). */
  workers?: number;
  /** Receives whatever the worker threads write to their stdout and stderr (default: none). */
  logger?: Logger;
}

export interface ResolveAllOptions {
  /** Stops the iteration: the pending next() rejects with the signal's reason. */
  signal?: AbortSignal;
}

// Messages between the pool and its workers. A request's buildGroup is null when it is the
// same array as the previous request sent to that worker (most share one build group).
export type WorkerRequest = Omit<ResolveRequest, "buildGroup"> & { buildGroup: string[] | null };
export type ToWorker =
  { kind: "resolve"; batch: number; requests: WorkerRequest[] } | { kind: "close" };
export type Outcome = { resolution: RawResolution } | { error: SerializedDepsolveError };
export type FromWorker =
  | { kind: "ready"; repos: LoadedRepo[]; compsGroups: Record<string, string[]> }
  | { kind: "failed"; error: SerializedDepsolveError }
  | { kind: "resolved"; batch: number; outcomes: Outcome[] };

/** Requests sent to a worker in one message (fewer messages, same order). */
const BATCH_SIZE = 8;
/** Requests per worker that may be in flight or waiting to be consumed (the back-pressure). */
const WINDOW_PER_WORKER = 64;

interface WorkerSlot {
  worker: Worker;
  /** Requests sent and not yet answered. */
  inFlight: number;
  /** The build group of the last request sent. */
  lastGroup?: string[];
  exited?: boolean;
}

/** A batch in flight: its first request's sequence number in the iteration that sent it. */
interface PendingBatch {
  iteration: number;
  firstSequence: number;
  size: number;
  slot: WorkerSlot;
}

export class ResolverPool {
  private nextBatch = 0;
  private iteration = 0;
  private busy = false;
  private closed = false;
  private fatal: Error | undefined;
  private readonly pending = new Map<number, PendingBatch>();
  /** Outcomes of the current iteration by sequence number, until consumed. */
  private readonly outcomes = new Map<number, Outcome>();
  private wake: (() => void) | undefined;

  private constructor(
    private readonly slots: WorkerSlot[],
    readonly repos: LoadedRepo[],
    /** The comps groups of the repos by id (mandatory, then default, package names). */
    readonly compsGroups: Record<string, string[]>,
  ) {
    for (const slot of slots) {
      slot.worker.on("message", (message: FromWorker) => this.receive(slot, message));
      slot.worker.on("error", (error) =>
        this.fail(new DepsolveError("WORKER_FAILED", error.message, { cause: error })),
      );
      slot.worker.on("exit", (code) => {
        slot.exited = true;
        if (!this.closed) {
          this.fail(
            new DepsolveError(
              "WORKER_FAILED",
              `resolver worker exited unexpectedly (code ${code})`,
            ),
          );
        }
      });
    }
  }

  /**
   * Starts the workers and waits until each has loaded the repos. Throws DepsolveError: the
   * worker count out of range (INVALID_ARGUMENT), or the first worker's failure to load.
   */
  static async open(options: ResolverPoolOptions): Promise<ResolverPool> {
    const count = options.workers ?? Math.min(availableParallelism(), MAX_RESOLVER_WORKERS);
    if (!Number.isInteger(count) || count < 1 || count > MAX_RESOLVER_WORKERS) {
      throw new DepsolveError(
        "INVALID_ARGUMENT",
        `workers must be an integer from 1 to ${MAX_RESOLVER_WORKERS}, not ${count}`,
      );
    }
    const logger = options.logger ?? silentLogger;
    const poolOptions: PoolOptions = {
      arch: options.arch,
      repos: options.repos,
      cacheDir: options.cacheDir,
      cacheCapacity: options.cacheCapacity,
      ignoreWeakDeps: options.ignoreWeakDeps,
      excludeOlderDuplicates: options.excludeOlderDuplicates,
    };
    const started: Worker[] = [];
    try {
      // With a cache, the first worker loads alone so that the others find its .solv files.
      const loadingFirst = startWorker(poolOptions, logger, started);
      if (options.cacheDir) await loadingFirst;
      const others = Array.from({ length: count - 1 }, () =>
        startWorker(poolOptions, logger, started),
      );
      const [first, ...rest] = await Promise.all([loadingFirst, ...others]);
      const slots = [first!, ...rest].map((ready) => ({ worker: ready.worker, inFlight: 0 }));
      return new ResolverPool(slots, first!.repos, first!.compsGroups);
    } catch (error) {
      await Promise.all(started.map((worker) => worker.terminate()));
      throw error;
    }
  }

  get workers(): number {
    return this.slots.length;
  }

  /**
   * Resolves every request, yielding the resolutions in input order. Input is read only as far
   * as a bounded window ahead of the consumer. One iteration at a time per pool.
   */
  async *resolveAll(
    requests: Iterable<ResolveRequest> | AsyncIterable<ResolveRequest>,
    options: ResolveAllOptions = {},
  ): AsyncGenerator<ResolutionResult, void, undefined> {
    if (this.closed) throw new DepsolveError("POOL_CLOSED", "the resolver pool is closed");
    if (this.busy) throw new DepsolveError("POOL_BUSY", "the resolver pool is already resolving");
    this.busy = true;
    const iteration = ++this.iteration;
    const signal = options.signal;
    const onAbort = () => this.wake?.();
    signal?.addEventListener("abort", onAbort);
    const input = toAsyncIterator(requests);
    const window = WINDOW_PER_WORKER * this.slots.length;
    let submitted = 0;
    let consumed = 0;
    let inputDone = false;
    let batch: ResolveRequest[] = [];
    const flush = () => {
      if (batch.length) this.dispatch(iteration, submitted - batch.length, batch);
      batch = [];
    };
    try {
      while (true) {
        signal?.throwIfAborted();
        if (this.fatal) throw this.fatal;
        while (!inputDone && submitted - consumed < window) {
          const next = await input.next();
          signal?.throwIfAborted();
          if (next.done) {
            inputDone = true;
            break;
          }
          batch.push(next.value);
          submitted++;
          if (batch.length === BATCH_SIZE) flush();
        }
        flush();
        const outcome = this.outcomes.get(consumed);
        if (outcome) {
          this.outcomes.delete(consumed);
          consumed++;
          if ("error" in outcome) throw deserializeDepsolveError(outcome.error);
          yield new ResolutionResult(outcome.resolution);
          continue;
        }
        if (inputDone && consumed === submitted) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.outcomes.clear();
      this.iteration++; // answers still in flight belong to no iteration now
      this.busy = false;
      if (!inputDone) await input.return?.();
    }
  }

  /** Stops the workers, freeing their pools; a running iteration fails. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new DepsolveError("POOL_CLOSED", "the resolver pool was closed"));
    await Promise.all(
      this.slots
        .filter((slot) => !slot.exited)
        .map(
          (slot) =>
            new Promise<void>((resolve) => {
              slot.worker.once("exit", () => resolve());
              slot.worker.postMessage({ kind: "close" } satisfies ToWorker);
            }),
        ),
    );
  }

  private dispatch(iteration: number, firstSequence: number, requests: ResolveRequest[]): void {
    const slot = this.slots.reduce((best, candidate) =>
      candidate.inFlight < best.inFlight ? candidate : best,
    );
    const id = this.nextBatch++;
    this.pending.set(id, { iteration, firstSequence, size: requests.length, slot });
    slot.inFlight += requests.length;
    const sent = requests.map((request): WorkerRequest => {
      if (request.buildGroup !== slot.lastGroup) {
        slot.lastGroup = request.buildGroup;
        return request;
      }
      return { ...request, buildGroup: null };
    });
    slot.worker.postMessage({ kind: "resolve", batch: id, requests: sent } satisfies ToWorker);
  }

  private receive(slot: WorkerSlot, message: FromWorker): void {
    if (message.kind !== "resolved") return;
    const batch = this.pending.get(message.batch);
    if (!batch) return;
    this.pending.delete(message.batch);
    slot.inFlight -= batch.size;
    if (batch.iteration !== this.iteration) return;
    message.outcomes.forEach((outcome, index) =>
      this.outcomes.set(batch.firstSequence + index, outcome),
    );
    this.wake?.();
  }

  private fail(error: Error): void {
    this.fatal ??= error;
    this.wake?.();
  }
}

interface ReadyWorker {
  worker: Worker;
  repos: LoadedRepo[];
  compsGroups: Record<string, string[]>;
}

function startWorker(
  options: PoolOptions,
  logger: Logger,
  started: Worker[],
): Promise<ReadyWorker> {
  // Its stdout and stderr are its own streams (not piped into the process's, which would add
  // listeners there per worker) and go to the logger.
  const worker = new Worker(new URL("./worker.js", import.meta.url), {
    workerData: options,
    stdout: true,
    stderr: true,
  });
  started.push(worker);
  for (const [stream, name] of [
    [worker.stdout, "stdout"],
    [worker.stderr, "stderr"],
  ] as const) {
    stream.setEncoding("utf8");
    stream.on("data", (text: string) =>
      logger.warn({ worker: worker.threadId, stream: name }, text.trimEnd()),
    );
  }
  return new Promise((resolve, reject) => {
    const onError = (error: Error) =>
      reject(new DepsolveError("WORKER_FAILED", error.message, { cause: error }));
    const onExit = (code: number) =>
      reject(new DepsolveError("WORKER_FAILED", `resolver worker exited (code ${code})`));
    worker.once("error", onError);
    worker.once("exit", onExit);
    worker.once("message", (message: FromWorker) => {
      worker.off("error", onError);
      worker.off("exit", onExit);
      if (message.kind === "ready") {
        resolve({ worker, repos: message.repos, compsGroups: message.compsGroups });
      } else if (message.kind === "failed") {
        reject(deserializeDepsolveError(message.error));
      } else {
        reject(new DepsolveError("WORKER_FAILED", `unexpected first message ${message.kind}`));
      }
    });
  });
}

function toAsyncIterator<T>(items: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in items) return items[Symbol.asyncIterator]();
  const iterator = items[Symbol.iterator]();
  return {
    next: async () => iterator.next(),
    return: async () => iterator.return?.() ?? { done: true, value: undefined },
  };
}

/** Opens a pool of resolver threads; see ResolverPool. */
export function openResolverPool(options: ResolverPoolOptions): Promise<ResolverPool> {
  return ResolverPool.open(options);
}
