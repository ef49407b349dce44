// Readable log lines for terminals.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatLogRecord } from "../../src/backend/log-format.js";

const time = Date.parse("2026-01-02T03:04:05.678Z");

test("a record becomes time, level, service, message and its other fields", () => {
  assert.equal(
    formatLogRecord({
      level: 40,
      time,
      pid: 12,
      hostname: "h",
      service: "polling",
      msg: "polling pass failed (attempt 2); retrying in 10 s",
      attempt: 2,
      nextDelaySeconds: 10,
      tag: "f29",
    }),
    "03:04:05 WARN  polling: polling pass failed (attempt 2); retrying in 10 s attempt=2 nextDelaySeconds=10 tag=f29\n",
  );
});

test("an error's stack follows on the next line", () => {
  assert.equal(
    formatLogRecord({
      level: 50,
      time,
      msg: "Service x crashed.",
      err: { stack: "Error: boom\n    at f" },
    }),
    "03:04:05 ERROR Service x crashed.\n  Error: boom\n    at f\n",
  );
});
