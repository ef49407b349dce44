// Misbehaviour of the simulated API for testing clients: slow answers, error statuses, answers
// of the wrong shape, a server that is down, one that never answers, one that never stops.

export type FaultMode =
  /** The connection is closed without an answer. */
  | "down"
  /** The request is read and never answered. */
  | "hang"
  /** An answer whose body never ends. */
  | "endless";

export interface FaultSettings {
  /** Wait this long before answering (or before misbehaving). */
  delayMs?: number;
  mode?: FaultMode;
  /** Answer this HTTP status (500, 503, 429, …) instead of the real answer. */
  status?: number;
  /** Answer this JSON (with `status`, else 200) instead of the real answer. */
  answer?: unknown;
  /** Only for calls whose path starts with this (e.g. "/api_3/build/"); default every call. */
  path?: string;
  /** For this many calls, then the API behaves again; default until cleared. */
  count?: number;
}

/** The longest delay accepted: clients' time limits are tested in minutes, not days. */
export const MAX_FAULT_DELAY_MS = 600_000;

export class FaultError extends Error {}

/** Checks settings given as JSON (the control interface). */
export function checkFaultSettings(input: Record<string, unknown>): FaultSettings {
  const known = new Set(["delayMs", "mode", "status", "answer", "path", "count"]);
  for (const key of Object.keys(input))
    if (!known.has(key)) throw new FaultError(`unknown fault setting '${key}'`);
  const settings: FaultSettings = {};
  const { delayMs, mode, status, answer, path, count } = input;
  if (delayMs !== undefined) {
    if (
      !Number.isInteger(delayMs) ||
      (delayMs as number) < 0 ||
      (delayMs as number) > MAX_FAULT_DELAY_MS
    )
      throw new FaultError(`delayMs must be a whole number from 0 to ${MAX_FAULT_DELAY_MS}`);
    settings.delayMs = delayMs as number;
  }
  if (mode !== undefined && mode !== null) {
    if (mode !== "down" && mode !== "hang" && mode !== "endless")
      throw new FaultError(`mode must be "down", "hang" or "endless"`);
    settings.mode = mode;
  }
  if (status !== undefined) {
    if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599)
      throw new FaultError("status must be an HTTP status from 200 to 599");
    settings.status = status as number;
  }
  if (answer !== undefined) settings.answer = answer;
  if (path !== undefined) {
    if (typeof path !== "string" || !path.startsWith("/"))
      throw new FaultError("path must be a URL path starting with /");
    settings.path = path;
  }
  if (count !== undefined) {
    if (!Number.isInteger(count) || (count as number) < 1)
      throw new FaultError("count must be a positive whole number");
    settings.count = count as number;
  }
  return settings;
}

/** The current fault, applied to API calls until cleared or its count runs out. */
export class Faults {
  private current: (FaultSettings & { remaining: number }) | null = null;

  set(settings: FaultSettings | null): void {
    this.current = settings ? { ...settings, remaining: settings.count ?? Infinity } : null;
  }

  get(): FaultSettings | null {
    if (!this.current) return null;
    const settings: FaultSettings & { remaining?: number } = { ...this.current };
    delete settings.remaining;
    return settings;
  }

  /** The fault for a call of `path`, counting it as used. */
  take(path: string): FaultSettings | null {
    const fault = this.current;
    if (!fault || (fault.path !== undefined && !path.startsWith(fault.path))) return null;
    if (--fault.remaining <= 0) this.current = null;
    return fault;
  }
}
