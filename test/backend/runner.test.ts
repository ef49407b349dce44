// The service runner driven in-process with test services: passes, intervals, back-off on
// outages, crashes, stopping during a pass, the memory limits and the watchdog file.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { pino } from "pino";
import { KojiConnectionError, KojiFault } from "@koschei/koji-protocol/faults.js";
import { EventBus } from "../../src/backend/events.js";
import { isOutage } from "../../src/backend/outages.js";
import { fetchBytes } from "../../src/repo/download.js";
import { RepoChecksumError, RepoNotFoundError } from "../../src/repo/errors.js";
import type { ServiceContext, ServiceDefinition } from "../../src/backend/registry.js";
import {
  ExitCode,
  readMemoryUsage,
  retryDelay,
  runServices,
  type MemoryUsage,
  type RunnerOptions,
} from "../../src/backend/runner.js";
import { loadConfig, type KoscheiConfig, type ServiceConfig } from "../../src/config/index.js";

let scratchDir: string;
let baseConfig: KoscheiConfig;
let records: Record<string, unknown>[];
let sleeps: number[];

before(() => {
  scratchDir = mkdtempSync(join(tmpdir(), "koschei-runner-"));
  baseConfig = loadConfig("backend", { KOSCHEI_CONFIG_DIR: scratchDir, HOME: scratchDir });
});
after(() => rmSync(scratchDir, { recursive: true, force: true }));
beforeEach(() => {
  records = [];
  sleeps = [];
});

/** The configuration with `services.scheduler` (the test services' section) changed. */
function configWith(settings: Partial<ServiceConfig>): KoscheiConfig {
  return {
    ...baseConfig,
    services: {
      ...baseConfig.services,
      scheduler: { ...baseConfig.services.scheduler, ...settings },
    },
  };
}

function service(
  name: string,
  runPass: (context: ServiceContext) => Promise<void>,
): ServiceDefinition {
  return { name, summary: `test service ${name}`, configKey: "scheduler", runPass };
}

function run(services: ServiceDefinition[], options: Partial<RunnerOptions> = {}) {
  const log = pino({ level: "debug" }, { write: (line: string) => records.push(JSON.parse(line)) });
  return runServices({
    services,
    config: baseConfig,
    log,
    events: new EventBus(log),
    session: () => Promise.reject(new Error("these test services use no session")),
    // Records the waits instead of waiting.
    sleep: async (seconds) => void sleeps.push(seconds),
    ...options,
  });
}

const messages = () => records.map((record) => record.msg);

describe("passes", () => {
  test("--once runs one pass of each service and returns 0", async () => {
    const passes: string[] = [];
    const exitCode = await run(
      [
        service("a", async () => void passes.push("a")),
        service("b", async () => void passes.push("b")),
      ],
      { once: true },
    );
    assert.equal(exitCode, ExitCode.ok);
    assert.deepEqual(passes.sort(), ["a", "b"]);
    assert.deepEqual(sleeps, []);
  });

  test("passes repeat, waiting services.<key>.interval between them, until stopped", async () => {
    const stop = new AbortController();
    let passes = 0;
    const exitCode = await run(
      [
        service("counter", async () => {
          if (++passes === 3) stop.abort();
        }),
      ],
      { config: configWith({ interval: 42 }), stop: stop.signal },
    );
    assert.equal(exitCode, ExitCode.ok);
    assert.equal(passes, 3);
    assert.deepEqual(sleeps, [42, 42, 42]);
    assert.deepEqual(messages(), ["counter started", "counter stopped"]);
  });

  test("stopping during a pass lets that pass finish and starts no other", async () => {
    const stop = new AbortController();
    const steps: string[] = [];
    const exitCode = await run(
      [
        service("slow", async (context) => {
          steps.push("started");
          stop.abort();
          assert.equal(context.stopping.aborted, true);
          await new Promise((resolve) => setImmediate(resolve));
          steps.push("finished");
        }),
      ],
      { stop: stop.signal },
    );
    assert.equal(exitCode, ExitCode.ok);
    assert.deepEqual(steps, ["started", "finished"]);
  });
});

describe("failures", () => {
  test("outages are retried with capped back-off, logged with attempt and next delay", async () => {
    const stop = new AbortController();
    const outages = [
      new KojiConnectionError("connect ECONNREFUSED 127.0.0.1:1"),
      Object.assign(new Error("terminating connection due to administrator command"), {
        code: "57P01",
      }),
      new KojiFault(1014, "server offline"),
      new KojiConnectionError("socket hang up"),
      new KojiConnectionError("socket hang up"),
    ];
    let passes = 0;
    const exitCode = await run(
      [
        service("flaky", async () => {
          passes++;
          const outage = outages.shift();
          if (outage) throw outage;
          stop.abort();
        }),
      ],
      {
        config: configWith({ interval: 7 }),
        stop: stop.signal,
        retry: { firstDelaySeconds: 2, maxDelaySeconds: 10 },
      },
    );
    assert.equal(exitCode, ExitCode.ok);
    assert.equal(passes, 6);
    assert.deepEqual(sleeps, [2, 4, 8, 10, 10, 7]);
    const retries = records.filter((record) => record.attempt !== undefined);
    assert.deepEqual(
      retries.map((record) => [record.level, record.attempt, record.nextDelaySeconds]),
      [
        [40, 1, 2],
        [40, 2, 4],
        [40, 3, 8],
        [40, 4, 10],
        [40, 5, 10],
      ],
    );
  });

  test("the back-off starts again after a successful pass", () => {
    const policy = { firstDelaySeconds: 5, maxDelaySeconds: 300 };
    assert.deepEqual(
      [1, 2, 3, 6, 7, 20].map((failures) => retryDelay(failures, policy)),
      [5, 10, 20, 160, 300, 300],
    );
  });

  test("an error that is not an outage ends the run with 1 and stops the other services", async () => {
    let otherPasses = 0;
    const exitCode = await run([
      service("buggy", async () => {
        throw new TypeError("Cannot read properties of undefined");
      }),
      service("other", async (context) => {
        otherPasses++;
        await once(context.stopping, "abort");
      }),
    ]);
    assert.equal(exitCode, ExitCode.failed);
    assert.equal(otherPasses, 1);
    const crash = records.find((record) => record.msg === "Service buggy crashed.")!;
    assert.equal((crash.err as { message: string }).message, "Cannot read properties of undefined");
  });

  test("with --once an outage is not retried: the run fails with 1", async () => {
    const exitCode = await run(
      [
        service("offline", async () => {
          throw new KojiConnectionError("connect ECONNREFUSED 127.0.0.1:1");
        }),
      ],
      { once: true },
    );
    assert.equal(exitCode, ExitCode.failed);
    assert.deepEqual(sleeps, []);
  });

  test("which errors are outages", async () => {
    const withCode = (code: string) => Object.assign(new Error(code), { code });
    // What a repo download throws whose server answers 503 through every retry.
    const failingServer = createServer((_request, response) => response.writeHead(503).end());
    await new Promise<void>((resolve) => failingServer.listen(0, "127.0.0.1", resolve));
    const { port } = failingServer.address() as AddressInfo;
    const unavailableRepo = await fetchBytes(
      `http://127.0.0.1:${port}/repodata/repomd.xml`,
      { timeoutMs: 1000, retries: 1, retryDelayMs: 1 },
      1000,
    ).catch((error: unknown) => error);
    failingServer.close();
    const outages = [
      unavailableRepo,
      new KojiConnectionError("HTTP 503", { httpStatus: 503 }),
      new KojiFault(1, "Traceback … psycopg2.OperationalError"),
      withCode("ECONNRESET"),
      withCode("08006"),
      withCode("40P01"),
      new Error("Connection terminated unexpectedly"),
      new Error("pass failed", { cause: withCode("ETIMEDOUT") }),
    ];
    const defects = [
      new KojiConnectionError("certificate rejected", { retryable: false }),
      new KojiFault(1000, "GenericError: no such tag"),
      withCode("23505"),
      new RepoNotFoundError("GET http://repo/repodata/repomd.xml: HTTP 404", "http://repo"),
      new RepoChecksumError("primary.xml.gz: checksum mismatch", "http://repo"),
      new TypeError("x is undefined"),
      "a string",
    ];
    assert.deepEqual(
      outages.map(isOutage),
      outages.map(() => true),
    );
    assert.deepEqual(
      defects.map(isOutage),
      defects.map(() => false),
    );
  });
});

describe("memory limits", () => {
  const usage = (residentKiB: number, virtualKiB: number) => (): MemoryUsage => ({
    residentKiB,
    virtualKiB,
  });

  test("resident memory above memory_limit after a pass ends the run with 3", async () => {
    let passes = 0;
    const exitCode = await run([service("hungry", async () => void passes++)], {
      config: configWith({ memory_limit: 1000 }),
      memoryUsage: usage(1001, 5000),
    });
    assert.equal(exitCode, ExitCode.memoryLimit);
    assert.equal(passes, 1);
    assert.ok(
      messages().includes("Memory limit reached - resident: 1001 KiB, virtual: 5000 KiB. Exiting."),
    );
  });

  test("virtual size above virtual_memory_limit ends the run with 3; below both limits it goes on", async () => {
    const config = configWith({ memory_limit: 2000, virtual_memory_limit: 5000 });
    assert.equal(
      await run([service("fat", async () => {})], { config, memoryUsage: usage(1000, 5001) }),
      ExitCode.memoryLimit,
    );
    assert.equal(
      await run([service("fit", async () => {})], {
        config,
        memoryUsage: usage(2000, 5000),
        once: true,
      }),
      ExitCode.ok,
    );
  });

  test("a heartbeat inside an endless pass ends it when the limit is exceeded", async () => {
    let beats = 0;
    const exitCode = await run(
      [
        service("watcher-like", async (context) => {
          for (;;) {
            context.heartbeat();
            beats++;
            await new Promise((resolve) => setImmediate(resolve));
          }
        }),
      ],
      {
        config: configWith({ memory_limit: 10 }),
        memoryUsage: () => usage(beats >= 3 ? 11 : 10, 0)(),
      },
    );
    assert.equal(exitCode, ExitCode.memoryLimit);
    assert.equal(beats, 3);
  });

  test("the process's own figures come from /proc/self/status", () => {
    const { residentKiB, virtualKiB } = readMemoryUsage();
    assert.ok(Number.isInteger(residentKiB) && residentKiB > 0);
    assert.ok(virtualKiB >= residentKiB);
  });
});

describe("watchdog", () => {
  test("with watchdog on, the file of $WATCHDOG_PATH is created, and truncated around each pass", async () => {
    const path = join(scratchDir, "watchdog");
    let sizeDuringPass = -1;
    const exitCode = await run(
      [
        service("watched", async () => {
          sizeDuringPass = statSync(path).size;
          writeFileSync(path, "written during the pass");
        }),
      ],
      { config: configWith({ watchdog: true }), watchdogPath: path, once: true },
    );
    assert.equal(exitCode, ExitCode.ok);
    assert.equal(sizeDuringPass, 0);
    assert.equal(readFileSync(path, "utf8"), "");
  });

  test("with watchdog on and no $WATCHDOG_PATH the run fails before any pass", async () => {
    let passes = 0;
    await assert.rejects(
      run([service("watched", async () => void passes++)], {
        config: configWith({ watchdog: true }),
        once: true,
      }),
      /\$WATCHDOG_PATH is not set/,
    );
    assert.equal(passes, 0);
  });
});

describe("wake-ups", () => {
  /** Wake signals the test fires by hand. */
  function manualWake() {
    const listeners = new Map<string, () => void>();
    return {
      signals: {
        subscribe(channel: string, onWake: () => void) {
          listeners.set(channel, onWake);
          return () => listeners.delete(channel);
        },
        close: async () => {},
      },
      fire: (channel: string) => listeners.get(channel)?.(),
      subscribed: () => [...listeners.keys()],
    };
  }

  test("a notification on the service's channel ends its sleep; one during a pass skips the next sleep", async () => {
    const stop = new AbortController();
    const wake = manualWake();
    const sleepsStarted: number[] = [];
    let passes = 0;
    const definition = {
      ...service("resolver", async () => {
        passes++;
        // During the second pass: the sleep after it is skipped.
        if (passes === 2) wake.fire("repo_done");
        if (passes === 4) stop.abort();
      }),
      wakeChannel: "repo_done",
    };
    const exitCode = await run([definition], {
      config: configWith({ interval: 3600 }),
      stop: stop.signal,
      wake: wake.signals,
      // Sleeps for real (an hour), unless a wake-up or the stop ends them.
      sleep: (seconds, signal) =>
        new Promise<void>((resolve) => {
          sleepsStarted.push(seconds);
          if (signal.aborted) return resolve();
          signal.addEventListener("abort", () => resolve(), { once: true });
          // The first sleep is ended by a notification.
          if (sleepsStarted.length === 1) setImmediate(() => wake.fire("repo_done"));
          // The second one (after pass 3) too.
          if (sleepsStarted.length === 2) setImmediate(() => wake.fire("repo_done"));
        }),
    });
    assert.equal(exitCode, ExitCode.ok);
    assert.equal(passes, 4);
    // Passes 1 and 3 slept (and were woken); pass 2's wake-up came during it; pass 4 stopped.
    assert.deepEqual(sleepsStarted, [3600, 3600, 3600]);
    assert.deepEqual(wake.subscribed(), [], "unsubscribed at the end");
  });

  test("services without a channel, or without wake signals, are not subscribed", async () => {
    const wake = manualWake();
    await run([service("plain", async () => {})], { once: true, wake: wake.signals });
    assert.deepEqual(wake.subscribed(), []);
  });
});
