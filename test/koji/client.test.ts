import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { KOJI_RETRY_DEFAULTS } from "../../src/config/index.js";
import { KojiClient, backoffSeconds, type RetryEvent } from "../../src/koji/client.js";
import {
  KojiConnectionError,
  KojiFault,
  KojiProtocolError,
  XmlRpcParseError,
} from "@koschei/koji-protocol/faults.js";
import { startTestHub, tlsFixture, type HubReply, type TestHub } from "./test-hub.js";

const hubs: TestHub[] = [];
after(() => Promise.all(hubs.map((hub) => hub.close())));

/** A hub answering with the given replies in turn (the last one repeats). */
async function scriptedHub(replies: HubReply[], options: { tls?: boolean } = {}) {
  let next = 0;
  const hub = await startTestHub(() => replies[Math.min(next++, replies.length - 1)]!, options);
  hubs.push(hub);
  return hub;
}

const fastRetry = { retry_interval: 0.001, offline_retry_interval: 0.001, timeout: 5 };

function client(hub: TestHub, retry: object = {}, extra: object = {}) {
  return new KojiClient({ server: hub.url, retry: { ...fastRetry, ...retry }, ...extra });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail("expected the call to fail");
}

describe("calls", () => {
  test("positional and keyword arguments reach the hub Koji-style", async () => {
    const hub = await scriptedHub([{ value: [{ id: 1 }] }]);
    const koji = client(hub);
    const result = await koji.call("listTagged", ["f29-build"], { latest: true, inherit: true });
    assert.deepEqual(result, [{ id: 1 }]);
    const [request] = hub.requests;
    assert.equal(request!.method, "listTagged");
    assert.deepEqual(request!.params, [
      "f29-build",
      { latest: true, inherit: true, __starstar: true },
    ]);
    assert.equal(request!.headers["content-type"], "text/xml");
    assert.equal(request!.path, "/kojihub");
    // No kwargs → no trailing struct.
    await koji.call("getAPIVersion");
    assert.deepEqual(hub.requests[1]!.params, []);
    koji.close();
  });

  test("faults are thrown as KojiFault and not retried", async () => {
    const hub = await scriptedHub([{ fault: [1005, "error building package"] }]);
    const error = await rejection(client(hub).call("getTaskResult", [1]));
    assert.ok(error instanceof KojiFault);
    assert.equal(error.kojiClass, "BuildError");
    assert.equal(hub.requests.length, 1);
  });

  test("the hub's Koji-Version header is remembered", async () => {
    const hub = await startTestHub(() => ({ value: 1 }), { kojiVersion: "1.35.2" });
    hubs.push(hub);
    const koji = client(hub);
    assert.equal(koji.hubVersion, null);
    await koji.call("getAPIVersion");
    assert.equal(koji.hubVersion, "1.35.2");
  });

  test("a read-only client refuses hub changes before sending anything", async () => {
    const hub = await scriptedHub([{ value: 1 }]);
    const koji = client(hub, {}, { readOnly: true });
    await assert.rejects(koji.call("build", ["src", "f29", {}]), /read-only/);
    await assert.rejects(koji.multiCall([{ method: "cancelTask", args: [1] }]), /read-only/);
    await assert.rejects(koji.sslLogin({ cert: tlsFixture("client.pem") }), /read-only/);
    assert.equal(hub.requests.length, 0);
  });

  test("retry options left out take Koschei's configured defaults", () => {
    const koji = new KojiClient({ server: "http://x/kojihub", retry: { max_retries: 3 } });
    assert.deepEqual(koji.retry, { ...KOJI_RETRY_DEFAULTS, max_retries: 3 });
    assert.equal(koji.retry.anon_retry, true, "unlike Koji, anonymous calls are retried");
  });

  test("bad options are refused", () => {
    assert.throws(() => new KojiClient({ server: "ftp://x/kojihub" }), /http\(s\)/);
    assert.throws(
      () => new KojiClient({ server: "http://x/kojihub", multicall_chunk_size: 0 }),
      /multicall_chunk_size/,
    );
    assert.throws(
      () => new KojiClient({ server: "https://x/kojihub", login_args: { serverca: 5 } }),
      /^Error: login_args.serverca must be a file name$/,
    );
  });
});

describe("retries", () => {
  test("HTTP 5xx, dropped connections, garbled and cut-off answers are retried", async () => {
    const hub = await scriptedHub([
      { status: 503, body: "Service Unavailable" },
      "drop",
      { raw: "<methodResponse><params>" },
      { truncated: ["a", "long", "answer"] },
      { value: "ok" },
    ]);
    const events: RetryEvent[] = [];
    const koji = client(hub, {}, { onRetry: (event: RetryEvent) => events.push(event) });
    assert.equal(await koji.call("getAPIVersion"), "ok");
    assert.equal(hub.requests.length, 5);
    assert.deepEqual(
      events.map((e) => [e.attempt, e.error.constructor.name]),
      [
        [1, "KojiConnectionError"],
        [2, "KojiConnectionError"],
        [3, "XmlRpcParseError"],
        [4, "KojiConnectionError"],
      ],
    );
  });

  test("retries stop after max_retries with the last error", async () => {
    const hub = await scriptedHub([{ status: 500, body: "Internal Server Error\nmore" }]);
    const error = await rejection(client(hub, { max_retries: 2 }).call("getAPIVersion"));
    assert.ok(error instanceof KojiConnectionError);
    assert.equal(error.httpStatus, 500);
    assert.match(error.message, /HTTP 500 Internal Server Error$/);
    assert.equal(hub.requests.length, 3);
  });

  test("anonymous calls are not retried without anon_retry", async () => {
    const hub = await scriptedHub([{ status: 502 }, { value: 1 }]);
    await assert.rejects(
      client(hub, { anon_retry: false }).call("getAPIVersion"),
      KojiConnectionError,
    );
    assert.equal(hub.requests.length, 1);
  });

  test("HTTP 4xx is not retried", async () => {
    const hub = await scriptedHub([{ status: 400, body: "Invalid request: Empty request" }]);
    const error = await rejection(client(hub).call("getAPIVersion"));
    assert.ok(error instanceof KojiConnectionError && error.httpStatus === 400);
    assert.equal(hub.requests.length, 1);
  });

  test("a garbled answer that never gets better ends as XmlRpcParseError", async () => {
    const hub = await scriptedHub([{ raw: "<html>proxy error</html>" }]);
    const error = await rejection(client(hub, { max_retries: 1 }).call("getAPIVersion"));
    assert.ok(error instanceof XmlRpcParseError);
    assert.equal(hub.requests.length, 2);
  });

  test("ServerOffline is waited out without counting retries", async () => {
    const offline: HubReply = { fault: [1014, "server is offline"] };
    const hub = await scriptedHub([offline, offline, offline, { value: 7 }]);
    assert.equal(await client(hub, { max_retries: 0 }).call("getAPIVersion"), 7);
    assert.equal(hub.requests.length, 4);
  });

  test("without offline_retry, ServerOffline is an ordinary fault", async () => {
    const hub = await scriptedHub([{ fault: [1014, "database outage"] }, { value: 7 }]);
    const error = await rejection(client(hub, { offline_retry: false }).call("getAPIVersion"));
    assert.ok(error instanceof KojiFault && error.is("ServerOffline"));
    assert.equal(hub.requests.length, 1);
  });

  test("a hub that does not answer times out (and the timeout is retried)", async () => {
    const hub = await scriptedHub(["hang"]);
    const error = await rejection(
      client(hub, { timeout: 0.2, max_retries: 1 }).call("getAPIVersion"),
    );
    assert.ok(error instanceof KojiConnectionError);
    assert.equal(error.message, `${hub.url}: not complete within 0.2 s (overall timeout)`);
    assert.equal(hub.requests.length, 2);
  });

  test("an unreachable hub is a KojiConnectionError", async () => {
    const hub = await scriptedHub([{ value: 1 }]);
    await hub.close();
    const error = await rejection(client(hub, { max_retries: 1 }).call("getAPIVersion"));
    assert.ok(error instanceof KojiConnectionError);
    assert.match(error.message, /ECONNREFUSED/);
  });

  test("back-off: first retry at once, then doubling up to retry_interval", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffSeconds(attempt, 20)),
      [0, 1, 2, 4, 8, 16, 20, 20],
    );
    assert.equal(backoffSeconds(5, 0.5), 0.5);
  });
});

describe("multicall", () => {
  test("calls are sent in chunks and answered in order, faults per call", async () => {
    const hub = await startTestHub(({ method, params }) => {
      assert.equal(method, "multiCall");
      const calls = params[0] as { methodName: string; params: number[] }[];
      return {
        value: calls.map((call) =>
          call.params[0]! % 4 === 0
            ? { faultCode: 1000, faultString: `No such task: ${call.params[0]}`, traceback: [] }
            : [call.params[0] === 5 ? null : { id: call.params[0]! }],
        ),
      };
    });
    hubs.push(hub);
    const koji = client(hub, {}, { multicall_chunk_size: 3 });
    const ids = [1, 2, 3, 4, 5, 6, 7];
    const results = await koji.multiCall(ids.map((id) => ({ method: "getTaskInfo", args: [id] })));
    assert.equal(hub.requests.length, 3);
    assert.deepEqual(
      hub.requests.map((r) => (r.params[0] as unknown[]).length),
      [3, 3, 1],
    );
    assert.deepEqual(results.slice(0, 3), [{ id: 1 }, { id: 2 }, { id: 3 }]);
    assert.ok(results[3] instanceof KojiFault && results[3].faultString === "No such task: 4");
    assert.deepEqual(results.slice(4), [null, { id: 6 }, { id: 7 }]);
  });

  test("kwargs of multicall entries are encoded per call", async () => {
    const hub = await scriptedHub([{ value: [[[]]] }]);
    await client(hub).multiCall([
      { method: "getTaskChildren", args: [25162638], kwargs: { request: true } },
    ]);
    assert.deepEqual(hub.requests[0]!.params, [
      [{ methodName: "getTaskChildren", params: [25162638, { request: true, __starstar: true }] }],
    ]);
  });

  test("no calls, no request", async () => {
    const hub = await scriptedHub([{ value: [] }]);
    assert.deepEqual(await client(hub).multiCall([]), []);
    assert.equal(hub.requests.length, 0);
  });

  test("an answer of the wrong length or shape is a protocol error", async () => {
    const hub = await scriptedHub([{ value: [[1]] }, { value: [[1], "bad"] }]);
    const calls = [
      { method: "getTaskInfo", args: [1] },
      { method: "getTaskInfo", args: [2] },
    ];
    await assert.rejects(client(hub).multiCall(calls), KojiProtocolError);
    await assert.rejects(client(hub).multiCall(calls), /unexpected multiCall entry/);
  });
});

describe("sessions", () => {
  const sessionAnswer = (headerAuth: boolean) => ({
    value: {
      "session-id": 12345,
      "session-key": "3428-AbCdEfGhIjKlMnOpQrS",
      "header-auth": headerAuth,
    },
  });

  async function loginHub(headerAuth: boolean, acceptedUser = "koschei") {
    const hub = await startTestHub(
      (request) => {
        if (request.method === "sslLogin") {
          if (request.path !== "/kojihub/ssllogin" || request.clientCertCn !== acceptedUser) {
            return { fault: [1002, "could not verify client: NONE"] };
          }
          return sessionAnswer(headerAuth);
        }
        if (request.method === "logout") return { value: null };
        return { value: request.method === "multiCall" ? [[1], [2]] : 1 };
      },
      { tls: true },
    );
    hubs.push(hub);
    return hub;
  }

  const loginOptions = (hub: TestHub) => ({
    server: hub.url,
    retry: fastRetry,
    login_method: "ssl_login",
    login_args: { cert: tlsFixture("client.pem"), serverca: tlsFixture("ca.pem") },
  });

  test("ssl_login with a client certificate; session headers with an increasing callnum", async () => {
    const hub = await loginHub(true);
    const koji = new KojiClient(loginOptions(hub));
    await koji.login();
    assert.ok(koji.loggedIn);
    const login = hub.requests[0]!;
    assert.equal(login.method, "sslLogin");
    assert.deepEqual(login.kwargs, { proxyuser: null });
    assert.equal(login.headers["koji-session-id"], undefined);

    await koji.call("build", ["src", "f29", { scratch: true }], { priority: 30 });
    await koji.multiCall([
      { method: "getTaskInfo", args: [1] },
      { method: "getTaskInfo", args: [2] },
    ]);
    await koji.call("getAPIVersion");
    const sent = hub.requests
      .slice(1)
      .map((r) => [
        r.headers["koji-session-id"],
        r.headers["koji-session-key"],
        r.headers["koji-session-callnum"],
        r.query.size,
      ]);
    assert.deepEqual(sent, [
      ["12345", "3428-AbCdEfGhIjKlMnOpQrS", "0", 0],
      ["12345", "3428-AbCdEfGhIjKlMnOpQrS", "1", 0],
      ["12345", "3428-AbCdEfGhIjKlMnOpQrS", "2", 0],
    ]);

    await koji.logout();
    assert.ok(!koji.loggedIn);
    const logout = hub.requests.at(-1)!;
    assert.equal(logout.method, "logout");
    assert.deepEqual(logout.kwargs, { session_id: null });
    await koji.call("getAPIVersion");
    assert.equal(hub.requests.at(-1)!.headers["koji-session-id"], undefined);
    koji.close();
  });

  test("hubs without header auth get the session in the query string", async () => {
    const hub = await loginHub(false);
    const koji = new KojiClient(loginOptions(hub));
    await koji.login();
    await koji.call("getAPIVersion");
    await koji.call("getAPIVersion");
    const queries = hub.requests.slice(1).map((r) => Object.fromEntries(r.query));
    assert.deepEqual(queries, [
      { "session-id": "12345", "session-key": "3428-AbCdEfGhIjKlMnOpQrS", callnum: "0" },
      { "session-id": "12345", "session-key": "3428-AbCdEfGhIjKlMnOpQrS", callnum: "1" },
    ]);
    assert.equal(hub.requests[1]!.headers["koji-session-id"], undefined);
    koji.close();
  });

  test("a retried call is re-sent with the same callnum", async () => {
    let attempts = 0;
    const hub = await startTestHub(
      (request) => {
        if (request.method === "sslLogin") return sessionAnswer(true);
        return ++attempts === 1 ? { status: 503 } : { value: 99 };
      },
      { tls: true },
    );
    hubs.push(hub);
    const koji = new KojiClient({
      ...loginOptions(hub),
      retry: { ...fastRetry, anon_retry: false },
    });
    await koji.login();
    assert.equal(await koji.call("build", ["src", "f29", {}]), 99);
    await koji.call("getAPIVersion");
    assert.deepEqual(
      hub.requests.slice(1).map((r) => r.headers["koji-session-callnum"]),
      ["0", "0", "1"],
    );
    koji.close();
  });

  test("an expired session is renewed and the call repeated once", async () => {
    let expired = true;
    const hub = await startTestHub(
      (request) => {
        if (request.method === "sslLogin") {
          expired = false;
          return sessionAnswer(true);
        }
        return expired ? { fault: [1007, 'session "12345" has expired'] } : { value: "fine" };
      },
      { tls: true },
    );
    hubs.push(hub);
    const koji = new KojiClient(loginOptions(hub));
    await koji.login();
    expired = true;
    assert.equal(await koji.call("getAPIVersion"), "fine");
    const renewal = hub.requests[2]!;
    assert.equal(renewal.method, "sslLogin");
    assert.deepEqual(renewal.kwargs, { proxyuser: null, renew: true, exclusive: false });
    assert.equal(renewal.headers["koji-session-id"], "12345");
    assert.deepEqual(
      hub.requests.map((r) => r.method),
      ["sslLogin", "getAPIVersion", "sslLogin", "getAPIVersion"],
    );
    koji.close();
  });

  test("a hub that refuses the certificate fails the login", async () => {
    const hub = await loginHub(true, "someone-else");
    const koji = new KojiClient(loginOptions(hub));
    const error = await rejection(koji.login());
    assert.ok(error instanceof KojiFault && error.is("AuthError"));
    assert.ok(!koji.loggedIn);
    koji.close();
  });

  test("anonymous calls verify the hub with login_args.serverca, also after close()", async () => {
    const hub = await loginHub(true);
    const koji = new KojiClient({
      server: hub.url,
      retry: fastRetry,
      login_args: { serverca: tlsFixture("ca.pem") },
    });
    assert.equal(await koji.call("getAPIVersion"), 1);
    koji.close();
    const calls = [1, 2].map((id) => ({ method: "getTaskInfo", args: [id] }));
    assert.deepEqual(await koji.multiCall(calls), [1, 2]);
    assert.deepEqual(
      hub.requests.map((r) => [r.method, r.clientCertCn, r.headers["koji-session-id"]]),
      [
        ["getAPIVersion", null, undefined],
        ["multiCall", null, undefined],
      ],
    );
    koji.close();
  });

  test("an untrusted hub certificate is not retried", async () => {
    const hub = await loginHub(true);
    const koji = new KojiClient({ server: hub.url, retry: { ...fastRetry, max_retries: 5 } });
    const error = await rejection(koji.call("getAPIVersion"));
    assert.ok(error instanceof KojiConnectionError && !error.retryable);
    assert.equal(hub.connections, 1);
    koji.close();
  });

  test("logout of an anonymous client does nothing; unsupported login methods are refused", async () => {
    const hub = await scriptedHub([{ value: 1 }]);
    await client(hub).logout();
    await client(hub).login();
    assert.equal(hub.requests.length, 0);
    await assert.rejects(
      client(hub, {}, { login_method: "gssapi_login" }).login(),
      /not supported/,
    );
    await assert.rejects(client(hub, {}, { login_method: "ssl_login" }).login(), /login_args.cert/);
  });

  test("logout against a hub before 1.31 retries without arguments", async () => {
    const hub = await startTestHub(
      (request) => {
        if (request.method === "sslLogin") return sessionAnswer(true);
        if (request.method === "logout" && request.params.length > 0) {
          return { fault: [1019, "logout() got an unexpected keyword argument 'session_id'"] };
        }
        return { value: null };
      },
      { tls: true },
    );
    hubs.push(hub);
    const koji = new KojiClient(loginOptions(hub));
    await koji.login();
    await koji.logout();
    assert.deepEqual(
      hub.requests.slice(1).map((r) => r.params.length),
      [1, 0],
    );
    assert.ok(!koji.loggedIn);
    koji.close();
  });
});
