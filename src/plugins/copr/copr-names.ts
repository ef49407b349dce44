// What the copr backend derives from a rebuild request without I/O (spec 11 §2.1, §2.4, §2.5,
// §2.7): the request's cache directory and comps file, the texts of its Copr projects, the
// rebuild state a Copr build state means, and what a Copr build-end message asks for.
import { join } from "node:path";
import type { CoprConfig } from "../../config/index.js";
import { dedent } from "../../frontend/package-links.js";
import { BuildState } from "../../model/states.js";
import { requestName } from "./frontend/rebuild-logic.js";

/** `<cachedir>/user_repos/copr-request-<id>`: the request's Copr repo and comps file. */
export function requestCacheDir(cachedir: string, requestId: number): string {
  return join(cachedir, "user_repos", requestName(requestId));
}

/** The comps file the request's Copr projects get (the baseline Koji repo's). */
export function requestCompsPath(cachedir: string, requestId: number): string {
  return join(requestCacheDir(cachedir, requestId), "comps.xml");
}

/**
 * `copr.description` or `copr.instructions` for a request, as the original formats them:
 * dedented and stripped, `{request_id}` replaced and `{{`, `}}` unescaped (str.format). Any
 * other field stays as written, so a misspelt template shows itself instead of failing.
 */
export function requestText(template: string, requestId: number): string {
  return dedent(template).replace(/\{\{|\}\}|\{request_id\}/g, (field) => {
    if (field === "{{") return "{";
    if (field === "}}") return "}";
    return String(requestId);
  });
}

/**
 * The rebuild state a Copr build state means: `succeeded` complete, `failed` failed; null for
 * every other state (not finished yet, or one Koschei never causes: forked, canceled, skipped).
 */
export function rebuildStateOf(coprState: string): number | null {
  if (coprState === "succeeded") return BuildState.complete;
  if (coprState === "failed") return BuildState.failed;
  return null;
}

/** What a message the watcher received means to the copr plugin. */
export type CoprMessage =
  /** A build of Koschei's Copr owner ended: refresh the rebuild of that Copr build. */
  | { kind: "build-end"; buildId: number }
  /** Not a Copr build-end message, or a build of another Copr user: nothing to do. */
  | { kind: "unrelated" }
  /** A build-end message Koschei cannot read. */
  | { kind: "malformed"; reason: string };

/**
 * Reads a message as §2.5 does: topic `copr.fedmsg_topic`, body `user` the Copr owner, body
 * `build` the build id (an integer, or a string Python's int() accepts).
 */
export function readCoprMessage(
  message: { topic: string; body: unknown },
  config: Pick<CoprConfig, "fedmsg_topic" | "copr_owner">,
): CoprMessage {
  if (message.topic !== config.fedmsg_topic) return { kind: "unrelated" };
  const { body } = message;
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { kind: "malformed", reason: "the body is not an object" };
  }
  const { user, build } = body as Record<string, unknown>;
  if (user !== config.copr_owner) return { kind: "unrelated" };
  const buildId = integerOf(build);
  if (buildId === null) {
    return { kind: "malformed", reason: `build ${JSON.stringify(build)} is not a build id` };
  }
  return { kind: "build-end", buildId };
}

/** An integer as Python's int() reads it from a number or a string; null for anything else. */
function integerOf(value: unknown): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : null;
  if (typeof value !== "string" || !/^\s*[+-]?\d+\s*$/.test(value)) return null;
  const number = Number(value.trim());
  return Number.isSafeInteger(number) ? number : null;
}
