// The browser session: a JSON object in one signed, HttpOnly, SameSite cookie (spec 10 §1.5).
// It is signed, not encrypted: it holds only the user name, the CSRF secret, pending flash
// messages and an OpenID Connect login in progress — nothing a user may not read.
import type { FastifyReply, FastifyRequest } from "fastify";

export const SESSION_COOKIE = "session";
const MAX_FLASH_CHARACTERS = 300;
const MAX_FLASHES = 5;

export type FlashCategory = "success" | "danger" | "info";

export interface Flash {
  category: FlashCategory;
  message: string;
}

/** An OpenID Connect authorization request waiting for its callback. */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  next: string;
}

export interface SessionData {
  user?: string;
  csrf?: string;
  flashes?: Flash[];
  login?: PendingLogin;
}

/** The session of one request; `save` writes the cookie only when something changed. */
export class Session {
  private changed = false;

  private constructor(private data: SessionData) {}

  static read(request: FastifyRequest): Session {
    const raw = request.cookies[SESSION_COOKIE];
    if (raw === undefined) return new Session({});
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || unsigned.value === null) return new Session({});
    return new Session(parseSessionData(unsigned.value));
  }

  get<K extends keyof SessionData>(key: K): SessionData[K] {
    return this.data[key];
  }

  set<K extends keyof SessionData>(key: K, value: SessionData[K]): void {
    if (value === undefined) delete this.data[key];
    else this.data[key] = value;
    this.changed = true;
  }

  /**
   * Queues a message for the next page. Browsers drop cookies over about 4 KB (and with it the
   * login), so a message is cut to MAX_FLASH_CHARACTERS and only the last MAX_FLASHES are kept.
   */
  flash(category: FlashCategory, message: string): void {
    const text =
      message.length > MAX_FLASH_CHARACTERS
        ? `${message.slice(0, MAX_FLASH_CHARACTERS - 1)}…`
        : message;
    this.set(
      "flashes",
      [...(this.data.flashes ?? []), { category, message: text }].slice(-MAX_FLASHES),
    );
  }

  /** Whether flash messages wait to be shown (the page is then this visitor's own). */
  get hasFlashes(): boolean {
    return (this.data.flashes ?? []).length > 0;
  }

  /** The pending flash messages, removed from the session (they are shown once). */
  takeFlashes(): Flash[] {
    const flashes = this.data.flashes ?? [];
    if (flashes.length > 0) this.set("flashes", undefined);
    return flashes;
  }

  save(reply: FastifyReply, secure: boolean): void {
    if (!this.changed) return;
    reply.setCookie(SESSION_COOKIE, JSON.stringify(this.data), {
      signed: true,
      httpOnly: true,
      sameSite: "lax",
      secure,
      path: "/",
    });
  }
}

/** Only the known keys with the right types survive: a forged-but-signed cookie is impossible,
 * but an old cookie from another version must not break a page. */
function parseSessionData(text: string): SessionData {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof value !== "object" || value === null) return {};
  const record = value as Record<string, unknown>;
  const data: SessionData = {};
  if (typeof record.user === "string") data.user = record.user;
  if (typeof record.csrf === "string") data.csrf = record.csrf;
  if (Array.isArray(record.flashes)) {
    data.flashes = record.flashes.filter(
      (flash): flash is Flash =>
        typeof flash === "object" &&
        flash !== null &&
        ["success", "danger", "info"].includes((flash as Flash).category) &&
        typeof (flash as Flash).message === "string",
    );
  }
  const login = record.login as Partial<PendingLogin> | undefined;
  if (
    typeof login === "object" &&
    login !== null &&
    typeof login.state === "string" &&
    typeof login.nonce === "string" &&
    typeof login.codeVerifier === "string" &&
    typeof login.next === "string"
  ) {
    data.login = login as PendingLogin;
  }
  return data;
}
