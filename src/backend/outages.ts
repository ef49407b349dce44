// Which errors mean "something the service depends on is down for now" (Koji, the network,
// the database), so that the failed pass is worth repeating later, rather than a defect that
// repeating cannot fix.
import { KojiConnectionError, KojiFault, XmlRpcParseError } from "@koschei/koji-protocol/faults.js";
import { JsonRequestError, ServiceUnavailableError } from "../net/json-request.js";
import { RepoUnavailableError } from "../repo/errors.js";

/** Socket errors of an unreachable or vanished peer. */
const NETWORK_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * PostgreSQL SQLSTATEs of a server that is unavailable or overloaded, or of a transaction
 * that lost a race and may simply be run again.
 */
const DATABASE_OUTAGE_STATES = [
  /^08/, // connection exception
  /^53/, // insufficient resources
  /^57P0[123]$/, // shutting down, crashed, starting up
  /^57014$/, // statement timeout
  /^40001$/, // serialization failure
  /^40P01$/, // deadlock
];

/** node-postgres reports a dropped or unobtainable connection without a SQLSTATE. */
const DATABASE_CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error/,
];

/**
 * Whether the error (or an error it was caused by) is an outage of Koji, a web service, the
 * network or the database.
 */
export function isOutage(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (isOutageItself(current)) return true;
  }
  return false;
}

function isOutageItself(error: Error): boolean {
  if (error instanceof KojiConnectionError) return error.retryable;
  if (error instanceof XmlRpcParseError) return true; // a proxy's error page instead of the hub
  if (error instanceof RepoUnavailableError) return true; // the repo server failed every retry
  // Web services of plugins (Copr, Pagure): no answer, or an answer saying "not now".
  if (error instanceof JsonRequestError) return error.retryable;
  if (error instanceof ServiceUnavailableError) return true;
  // ServerOffline, or a fault outside Koji's error classes: the hub itself failed (its
  // database, a traceback), not our request.
  if (error instanceof KojiFault) return error.is("ServerOffline") || !error.isKojiError;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    return (
      NETWORK_ERROR_CODES.has(code) || DATABASE_OUTAGE_STATES.some((state) => state.test(code))
    );
  }
  return DATABASE_CONNECTION_MESSAGES.some((message) => message.test(error.message));
}
