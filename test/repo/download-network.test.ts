// Repo downloads against servers that fail the ways networks do: each failure comes in bounded
// time, names the URL and the limit that was reached, and every retry is logged.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { downloadVerified, fetchBytes, type DownloadOptions } from "../../src/repo/download.js";
import { RepoDownloadError } from "../../src/repo/errors.js";
import {
  closedPortOrigin,
  plainHttpServer,
  recordingLogger,
  silentServer,
  tricklingServer,
  unacceptingServer,
  type TestServer,
} from "../net/misbehaving-servers.js";

const servers: TestServer[] = [];
const scratch = mkdtempSync(join(tmpdir(), "koschei-download-"));
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
  rmSync(scratch, { recursive: true, force: true });
});

async function started(server: Promise<TestServer>): Promise<TestServer> {
  servers.push(await server);
  return servers.at(-1)!;
}

/** Small limits; none fires unless the test means it to. */
const limits: DownloadOptions = {
  timeoutMs: 5000,
  connectTimeoutMs: 5000,
  overallTimeoutMs: 5000,
  retries: 0,
  retryDelayMs: 1,
};

async function failure(download: Promise<unknown>): Promise<RepoDownloadError> {
  try {
    await download;
  } catch (error) {
    assert.ok(error instanceof RepoDownloadError, `expected RepoDownloadError, got ${error}`);
    return error;
  }
  assert.fail("expected the download to fail");
}

test("a server that never accepts the connection: connect timeout, retried and logged", async () => {
  const url = `${(await started(unacceptingServer())).origin}/repodata/repomd.xml`;
  const { logger, records } = recordingLogger();
  const options = { ...limits, connectTimeoutMs: 200, retries: 1, logger };
  const error = await failure(fetchBytes(url, options, 1000));
  assert.equal(
    error.message,
    `GET ${url} failed after 2 attempts: no connection within 0.2 s (connect timeout)`,
  );
  assert.equal(error.url, url);
  assert.deepEqual(
    records.map(({ level, url, attempt, maxAttempts, retryInMs, error }) => ({
      level,
      url,
      attempt,
      maxAttempts,
      retryInMs,
      error,
    })),
    [
      {
        level: 40,
        url,
        attempt: 1,
        maxAttempts: 2,
        retryInMs: 1,
        error: "no connection within 0.2 s (connect timeout)",
      },
    ],
  );
  assert.ok(!Number.isNaN(Date.parse(records[0]!.retryAt as string)), "retryAt is a time");
});

test("a server that accepts and never answers: idle timeout", async () => {
  const url = `${(await started(silentServer())).origin}/repodata/repomd.xml`;
  const error = await failure(fetchBytes(url, { ...limits, timeoutMs: 200 }, 1000));
  assert.equal(
    error.message,
    `GET ${url} failed after 1 attempt: no data for 0.2 s (idle timeout)`,
  );
});

test("a server that sends a byte now and then but never finishes: overall timeout", async () => {
  const url = `${(await started(tricklingServer(20))).origin}/repodata/primary.xml.gz`;
  const expected = { checksum: { type: "sha256" as const, value: "0".repeat(64) } };
  const error = await failure(
    downloadVerified(url, join(scratch, "primary.xml.gz"), expected, {
      ...limits,
      overallTimeoutMs: 300,
    }),
  );
  assert.equal(
    error.message,
    `GET ${url} failed after 1 attempt: not complete within 0.3 s (overall timeout)`,
  );
});

test("a refused connection is retried; the log and the error mask the URL's password", async () => {
  const origin = await closedPortOrigin();
  const url = `${origin.replace("//", "//koschei:s3cret@")}/repodata/repomd.xml`;
  const masked = `${origin.replace("//", "//koschei:***@")}/repodata/repomd.xml`;
  const { logger, records } = recordingLogger();
  const error = await failure(fetchBytes(url, { ...limits, retries: 2, logger }, 1000));
  assert.ok(
    error.message.startsWith(`GET ${masked} failed after 3 attempts: connect ECONNREFUSED`),
    error.message,
  );
  assert.deepEqual(
    records.map((record) => [record.url, record.attempt, record.retryInMs]),
    [
      [masked, 1, 1],
      [masked, 2, 2],
    ],
  );
  assert.ok(!JSON.stringify(records).includes("s3cret"));
});

test("an https:// URL of a plain-HTTP server says so, and is not retried", async () => {
  const { origin } = await started(plainHttpServer());
  const url = `${origin.replace("http:", "https:")}/repodata/repomd.xml`;
  const { logger, records } = recordingLogger();
  const error = await failure(fetchBytes(url, { ...limits, retries: 3, logger }, 1000));
  assert.ok(
    error.message.startsWith(
      `GET ${url}: the server does not speak TLS (is it plain HTTP? then the URL must start with http://)`,
    ),
    error.message,
  );
  assert.deepEqual(records, []);
});
