// CSRF tokens (spec 10 §1.5): a random secret kept in the session, and in each form a
// timestamped HMAC of it keyed by the configured secret, valid for an hour. Every
// state-changing form handler checks it; the messages are the spec's.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Session } from "./session.js";

export const CSRF_FIELD = "csrf_token";
const VALIDITY_SECONDS = 3600;

export function csrfToken(session: Session, secret: string, now = Date.now()): string {
  let raw = session.get("csrf");
  if (raw === undefined) {
    raw = randomBytes(20).toString("hex");
    session.set("csrf", raw);
  }
  const timestamp = Math.floor(now / 1000).toString(36);
  return `${timestamp}.${sign(secret, raw, timestamp)}`;
}

/** undefined when the submitted token is valid, else the spec's message for what is wrong. */
export function csrfProblem(
  session: Session,
  secret: string,
  submitted: unknown,
  now = Date.now(),
): string | undefined {
  if (typeof submitted !== "string" || submitted === "") return "The CSRF token is missing.";
  const raw = session.get("csrf");
  if (raw === undefined) return "The CSRF session token is missing.";
  const [timestamp, signature, ...rest] = submitted.split(".");
  if (timestamp === undefined || signature === undefined || rest.length > 0) {
    return "The CSRF token is invalid.";
  }
  const issued = parseInt(timestamp, 36);
  if (!Number.isFinite(issued)) return "The CSRF token is invalid.";
  const expected = Buffer.from(sign(secret, raw, timestamp));
  const actual = Buffer.from(signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return "The CSRF tokens do not match.";
  }
  if (Math.floor(now / 1000) - issued > VALIDITY_SECONDS) return "The CSRF token has expired.";
  return undefined;
}

function sign(secret: string, raw: string, timestamp: string): string {
  return createHmac("sha256", secret).update(`${raw}.${timestamp}`).digest("base64url");
}
