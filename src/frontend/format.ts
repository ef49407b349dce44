// The formatting filters of the pages (spec 08 §3.3): dates, humanized times and durations,
// thousands separators, per-ten-thousand shares and EVR text. Pure functions; times are shown
// in UTC (the database stores timestamptz, README difference 3).

const pad = (value: number, width = 2): string => String(value).padStart(width, "0");

/** `YYYY-MM-DD HH:MM:SS` in UTC; an empty string for null. */
export function formatDate(date: Date | null | undefined): string {
  if (date === null || date === undefined) return "";
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  );
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

function plural(count: number, one: string, unit: string): string {
  return count === 1 ? one : `${count} ${unit}s`;
}

/**
 * A duration in words, as humanize's naturaldelta: `a moment`, `5 seconds`, `a minute`,
 * `3 hours`, `a day`, `4 days`, `2 months`, `a year`, `1 year, 3 months`, `4 years`.
 */
export function naturalDelta(seconds: number): string {
  const s = Math.floor(Math.abs(seconds));
  const days = Math.floor(s / DAY);
  if (days === 0) {
    if (s === 0) return "a moment";
    if (s === 1) return "a second";
    if (s < MINUTE) return `${s} seconds`;
    if (s < 2 * MINUTE) return "a minute";
    if (s < HOUR) return `${Math.floor(s / MINUTE)} minutes`;
    if (s < 2 * HOUR) return "an hour";
    return `${Math.floor(s / HOUR)} hours`;
  }
  const years = Math.floor(s / YEAR);
  if (years === 0) {
    if (days === 1) return "a day";
    const months = Math.floor(days / 30);
    if (months === 0) return `${days} days`;
    return plural(months, "a month", "month");
  }
  const restMonths = Math.floor((days % 365) / 30);
  if (years === 1) {
    if (restMonths === 0) return "a year";
    return `1 year, ${plural(restMonths, "1 month", "month")}`;
  }
  return `${years} years`;
}

/** A moment relative to `now`: `now`, `3 days ago`, `in 5 minutes`. */
export function naturalTime(date: Date | null | undefined, now: Date = new Date()): string {
  if (date === null || date === undefined) return "";
  const seconds = (now.getTime() - date.getTime()) / 1000;
  const delta = naturalDelta(seconds);
  if (delta === "a moment") return "now";
  return seconds >= 0 ? `${delta} ago` : `in ${delta}`;
}

/** An interval in seconds as PostgreSQL prints it: `1 day 02:03:04`, `00:00:18`. */
export function intervalText(seconds: number): string {
  const s = Math.round(seconds);
  const days = Math.floor(s / DAY);
  const rest = s % DAY;
  const time = `${pad(Math.floor(rest / HOUR))}:${pad(Math.floor((rest % HOUR) / MINUTE))}:${pad(rest % MINUTE)}`;
  if (days === 0) return time;
  return `${days} ${days === 1 ? "day" : "days"} ${time}`;
}

/** Thousands separators: 1234567 → `1,234,567`. */
export function intcomma(value: number | bigint | string): string {
  const text = String(value);
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  if (!match) return text;
  return match[1]! + match[2]!.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (match[3] ?? "");
}

/** A share as per ten thousand with 4 decimals: 0.1825 → `1825.0000 ‱`; null → `None`. */
export function percentage(value: number | null | undefined): string {
  if (value === null || value === undefined) return "None";
  return `${(value * 10000).toFixed(4)}\u00a0‱`;
}

/** Releases longer than this are shortened in EVR text. */
const RELEASE_MAX = 16;
const RELEASE_KEEP = 13;

export interface Evr {
  epoch: number | null;
  version: string | null;
  release: string | null;
}

/** `E:V-R`, the epoch omitted when null or 0, a release over 16 characters cut to 13 + `...`. */
export function evrText(evr: Evr): string {
  const release =
    evr.release !== null && evr.release.length > RELEASE_MAX
      ? `${evr.release.slice(0, RELEASE_KEEP)}...`
      : (evr.release ?? "");
  const epoch = evr.epoch ? `${evr.epoch}:` : "";
  return `${epoch}${evr.version ?? ""}-${release}`;
}
