// The formatting filters (spec 08 §3.3).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  evrText,
  formatDate,
  intcomma,
  intervalText,
  naturalDelta,
  naturalTime,
  percentage,
} from "../../src/frontend/format.js";

describe("formatting filters", () => {
  it("date: YYYY-MM-DD HH:MM:SS in UTC, empty for null", () => {
    assert.equal(formatDate(new Date("2016-01-02T03:04:05.678Z")), "2016-01-02 03:04:05");
    assert.equal(formatDate(new Date("0999-12-31T23:59:59Z")), "0999-12-31 23:59:59");
    assert.equal(formatDate(null), "");
    assert.equal(formatDate(undefined), "");
  });

  it("naturaldelta: humanized durations", () => {
    const cases: [number, string][] = [
      [0, "a moment"],
      [1, "a second"],
      [45, "45 seconds"],
      [60, "a minute"],
      [119, "a minute"],
      [150, "2 minutes"],
      [3600, "an hour"],
      [3 * 3600 + 5, "3 hours"],
      [86_400, "a day"],
      [3 * 86_400, "3 days"],
      [45 * 86_400, "a month"],
      [95 * 86_400, "3 months"],
      [365 * 86_400, "a year"],
      [400 * 86_400, "1 year, 1 month"],
      [460 * 86_400, "1 year, 3 months"],
      [3 * 365 * 86_400, "3 years"],
      [-90, "a minute"],
    ];
    for (const [seconds, text] of cases) assert.equal(naturalDelta(seconds), text, `${seconds}`);
  });

  it("naturaltime: relative to now, past and future", () => {
    const now = new Date("2026-05-10T12:00:00Z");
    assert.equal(naturalTime(new Date("2026-05-07T11:00:00Z"), now), "3 days ago");
    assert.equal(naturalTime(new Date("2026-05-10T12:00:00Z"), now), "now");
    assert.equal(naturalTime(new Date("2026-05-10T12:05:00Z"), now), "in 5 minutes");
    assert.equal(naturalTime(new Date("2026-05-10T11:00:00Z"), now), "an hour ago");
    assert.equal(naturalTime(null, now), "");
  });

  it("interval text as PostgreSQL prints it", () => {
    assert.equal(intervalText(18), "00:00:18");
    assert.equal(intervalText(933), "00:15:33");
    assert.equal(intervalText(86_400 + 2 * 3600 + 3 * 60 + 4), "1 day 02:03:04");
    assert.equal(intervalText(3 * 86_400), "3 days 00:00:00");
  });

  it("intcomma: thousands separators", () => {
    assert.equal(intcomma(0), "0");
    assert.equal(intcomma(999), "999");
    assert.equal(intcomma(1234), "1,234");
    assert.equal(intcomma(1234567), "1,234,567");
    assert.equal(intcomma(-1234567), "-1,234,567");
    assert.equal(intcomma("30000"), "30,000");
    assert.equal(intcomma(1234.5), "1,234.5");
    assert.equal(intcomma(12345678901234567890n), "12,345,678,901,234,567,890");
    assert.equal(intcomma("n/a"), "n/a");
  });

  it("percentage: per ten thousand with four decimals, None for null", () => {
    assert.equal(percentage(0.1825), "1825.0000\u00a0‱");
    assert.equal(percentage(0.00990099), "99.0099\u00a0‱");
    assert.equal(percentage(1), "10000.0000\u00a0‱");
    assert.equal(percentage(0), "0.0000\u00a0‱");
    assert.equal(percentage(null), "None");
  });

  it("EVR text: epoch only when set and not 0, long releases shortened", () => {
    assert.equal(evrText({ epoch: null, version: "1.2", release: "3.fc25" }), "1.2-3.fc25");
    assert.equal(evrText({ epoch: 0, version: "1.2", release: "3" }), "1.2-3");
    assert.equal(evrText({ epoch: 666, version: "0.7", release: "2" }), "666:0.7-2");
    // 16 characters stay, 17 are cut to 13 + "..."
    assert.equal(
      evrText({ epoch: null, version: "1", release: "0123456789abcdef" }),
      "1-0123456789abcdef",
    );
    assert.equal(
      evrText({ epoch: 1, version: "2", release: "1.20240101git0a1b2c3.fc41" }),
      "1:2-1.20240101git...",
    );
  });
});
