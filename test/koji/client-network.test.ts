// The Koji client against servers that fail the ways networks do: each failure comes in
// bounded time, names the hub's URL and the limit that was reached, and every retry is logged.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { KojiClient, type KojiClientOptions } from "../../src/koji/client.js";
import { KojiConnectionError } from "@koschei/koji-protocol/faults.js";
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
const clients: KojiClient[] = [];
after(async () => {
  for (const client of clients) client.close();
  await Promise.all(servers.map((server) => server.close()));
});

async function started(server: Promise<TestServer>): Promise<TestServer> {
  servers.push(await server);
  return servers.at(-1)!;
}

/** Small limits; none fires unless the test means it to. */
const limits = { connect_timeout: 5, idle_timeout: 5, timeout: 5, retry_interval: 0 };

function client(server: string, retry: KojiClientOptions["retry"], extra = {}): KojiClient {
  const koji = new KojiClient({ server, retry: { ...limits, ...retry }, ...extra });
  clients.push(koji);
  return koji;
}

async function failure(koji: KojiClient): Promise<KojiConnectionError> {
  try {
    await koji.call("getAPIVersion");
  } catch (error) {
    assert.ok(error instanceof KojiConnectionError, `expected KojiConnectionError, got ${error}`);
    return error;
  }
  assert.fail("expected the call to fail");
}

test("a hub that never accepts the connection: connect timeout, retried and logged", async () => {
  const { origin } = await started(unacceptingServer());
  const { logger, records } = recordingLogger();
  const koji = client(`${origin}/kojihub`, { connect_timeout: 0.2, max_retries: 1 }, { logger });
  const error = await failure(koji);
  assert.equal(error.message, `${origin}/kojihub: no connection within 0.2 s (connect timeout)`);
  assert.ok(error.retryable);
  assert.deepEqual(
    records.map(({ level, url, method, attempt, maxAttempts, retryInSeconds, error }) => ({
      level,
      url,
      method,
      attempt,
      maxAttempts,
      retryInSeconds,
      error,
    })),
    [
      {
        level: 40,
        url: `${origin}/kojihub`,
        method: "getAPIVersion",
        attempt: 1,
        maxAttempts: 2,
        retryInSeconds: 0,
        error: `${origin}/kojihub: no connection within 0.2 s (connect timeout)`,
      },
    ],
  );
  assert.ok(!Number.isNaN(Date.parse(records[0]!.retryAt as string)), "retryAt is a time");
});

test("a hub that accepts and never answers: idle timeout", async () => {
  const { origin } = await started(silentServer());
  const error = await failure(client(`${origin}/kojihub`, { idle_timeout: 0.2, max_retries: 0 }));
  assert.equal(error.message, `${origin}/kojihub: no data for 0.2 s (idle timeout)`);
});

test("an HTTPS hub that accepts and never answers the TLS handshake: connect timeout", async () => {
  const { origin } = await started(silentServer());
  const server = `${origin.replace("http:", "https:")}/kojihub`;
  const error = await failure(client(server, { connect_timeout: 0.2, max_retries: 0 }));
  assert.equal(error.message, `${server}: no connection within 0.2 s (connect timeout)`);
});

test("a hub that sends a byte now and then but never finishes: overall timeout", async () => {
  const { origin } = await started(tricklingServer(20));
  const koji = client(`${origin}/kojihub`, { idle_timeout: 5, timeout: 0.3, max_retries: 0 });
  const error = await failure(koji);
  assert.equal(error.message, `${origin}/kojihub: not complete within 0.3 s (overall timeout)`);
});

test("a refused connection names the hub; retries log the URL with its password masked", async () => {
  const origin = await closedPortOrigin();
  const withPassword = origin.replace("//", "//koschei:s3cret@");
  const { logger, records } = recordingLogger();
  const koji = client(`${withPassword}/kojihub`, { max_retries: 2 }, { logger });
  const error = await failure(koji);
  const masked = `${origin.replace("//", "//koschei:***@")}/kojihub`;
  assert.match(
    error.message,
    new RegExp(`^${masked.replace(/[*.]/g, "\\$&")}: connect ECONNREFUSED`),
  );
  assert.deepEqual(
    records.map((record) => [record.url, record.attempt, record.maxAttempts]),
    [
      [masked, 1, 3],
      [masked, 2, 3],
    ],
  );
  assert.ok(!JSON.stringify(records).includes("s3cret"));
  assert.ok(!error.message.includes("s3cret"));
});

test("an https:// URL of a plain-HTTP hub says so, and is not retried", async () => {
  const plain = await started(plainHttpServer());
  const server = `${plain.origin.replace("http:", "https:")}/kojihub`;
  const { logger, records } = recordingLogger();
  const error = await failure(client(server, { max_retries: 3 }, { logger }));
  assert.match(
    error.message,
    new RegExp(
      `^${server.replace(/\./g, "\\.")}: the server does not speak TLS \\(is it plain HTTP\\?`,
    ),
  );
  assert.equal(error.retryable, false);
  assert.deepEqual(records, []);
});
