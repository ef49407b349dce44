// What the user-rebuild pages decide without I/O (spec 11 §2.2, §2.6): who may create and edit
// requests, the forms read from submitted bodies, the Copr links of a rebuild, the colour of an
// executed rebuild's row, the queue order after "move to top" or "remove", and which states a
// request may be cancelled or rescheduled from.
import type { CoprConfig } from "../../../config/index.js";
import type { RebuildRequestState } from "../../../db/index.js";
import { formText, type Parsed, type SubmittedForm } from "../../../frontend/group-forms.js";
import { parseInt32 } from "../../../frontend/package-edit.js";
import { BuildState } from "../../../model/states.js";

interface Viewer {
  id: number;
  admin: boolean;
}

/** Logged in and, when `copr.require_admin` says so, an admin. */
export function mayCreateRequest(
  user: Viewer | undefined,
  config: Pick<CoprConfig, "require_admin">,
): boolean {
  return user !== undefined && (!config.require_admin || user.admin);
}

/** Logged in and the requester or an admin. */
export function mayEditRequest(user: Viewer | undefined, request: { user_id: number }): boolean {
  return user !== undefined && (user.admin || user.id === request.user_id);
}

/** A request's text form, used in the audit log. */
export function requestName(requestId: number): string {
  return `copr-request-${requestId}`;
}

/** The Copr project Koschei rebuilds a package of a request in (`k-12-345`). */
export function coprProjectName(prefix: string, requestId: number, packageId: number): string {
  return `${prefix}-${requestId}-${packageId}`;
}

/** A rebuild's Copr build page; the configured URL's trailing slashes are not doubled. */
export function coprBuildUrl(
  config: Pick<CoprConfig, "frontend_url" | "copr_owner">,
  projectName: string,
  buildId: number,
): string {
  const base = config.frontend_url.replace(/\/+$/, "");
  return `${base}/coprs/${config.copr_owner}/${projectName}/build/${buildId}`;
}

/** The fields `copr.build_log_url` may name. */
export interface BuildLogFields {
  copr_owner: string;
  copr_name: string;
  copr_chroot: string;
  build_id: number;
  package_name: string;
}

/**
 * `copr.build_log_url` filled in as Python's str.format does for the forms it uses: `{name}`,
 * `{name:08d}` (zero-padded to 8 digits), `{{` and `}}` for braces. An unknown field stays as
 * written, so a misspelt template shows itself in the link instead of failing the page.
 */
export function buildLogUrl(template: string, fields: BuildLogFields): string {
  return template.replace(
    /\{\{|\}\}|\{(\w+)(?::(0?)(\d+)d)?\}/g,
    (whole, name: string | undefined, zero: string | undefined, width: string | undefined) => {
      if (whole === "{{") return "{";
      if (whole === "}}") return "}";
      if (name === undefined || !Object.hasOwn(fields, name)) return whole;
      const text = String(fields[name as keyof BuildLogFields]);
      if (width === undefined) return text;
      return text.padStart(Number(width), zero === "0" ? "0" : " ");
    },
  );
}

/** The row class of an executed rebuild: how its state compares with the package's before. */
export function rebuildRowClass(prevState: number, state: number | null): string | undefined {
  const { complete, failed } = BuildState;
  if (prevState === complete && state === complete) return "kk-copr-rebuild-ok";
  if (prevState === failed && state === complete) return "kk-copr-rebuild-fixed";
  if (prevState === complete && state === failed) return "kk-copr-rebuild-broken";
  if (prevState === failed && state === failed) return "kk-copr-rebuild-failing";
  return undefined; // still running
}

/** A queued rebuild beyond the request's count is not going to be submitted. */
export function isUnschedulable(order: number, scheduleCount: number | null): boolean {
  return order >= (scheduleCount ?? 0);
}

/** Longest copr_name field accepted: Copr's own names are far shorter. */
const MAX_COPR_NAME = 200;
const MAX_DESCRIPTION = 5000;
/** What a text column cannot hold (NUL) or a page should not show; tabs and newlines are fine. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** The largest count the database holds. */
const MAX_SCHEDULE_COUNT = 2 ** 31 - 1;
/** Copr's project and user names: letters, digits, `-`, `_`, `.`; groups are `@name`. */
const COPR_OWNER = /^@?[A-Za-z0-9_.-]+$/;
const COPR_PROJECT = /^[A-Za-z0-9_.-]+$/;

/** Copr refuses projects named by digits alone; names of dots alone are paths, not projects. */
function isCoprName(name: string, pattern: RegExp): boolean {
  const bare = name.replace(/^@/, "");
  return pattern.test(name) && !/^\d+$/.test(bare) && !/^\.+$/.test(bare);
}

/**
 * `copr:<owner>/<name>` for what the user typed: `owner/name`, or `name` for a project of the
 * user's own. Undefined when it is no Copr project name, so nothing else reaches the resolver.
 */
export function repoSource(coprName: string, userName: string): string | undefined {
  const parts = coprName.includes("/") ? coprName.split("/") : [userName, coprName];
  if (parts.length !== 2) return undefined;
  const [owner, project] = parts as [string, string];
  if (!isCoprName(owner, COPR_OWNER) || !isCoprName(project, COPR_PROJECT)) return undefined;
  return `copr:${owner}/${project}`;
}

export interface NewRequestValues {
  collection: string;
  /** `copr:<owner>/<name>`; "" when the name is refused. */
  repoSource: string;
  /** Null when left empty. */
  description: string | null;
  scheduleCount: number;
}

/** The new-request form (spec 11 §2.2) of the user `userName`. */
export function parseNewRequestForm(
  form: SubmittedForm,
  userName: string,
): Parsed<NewRequestValues> {
  const coprName = formText(form, "copr_name");
  const source = repoSource(coprName, userName);
  const description = formText(form, "description");
  const countText = formText(form, "schedule_count");
  const scheduleCount = /^\d+$/.test(countText) ? parseInt32(countText) : undefined;
  const errors = [
    coprName === "" ? "Copr repo name is required" : undefined,
    coprName.length > MAX_COPR_NAME
      ? `Copr repo name too long (at most ${MAX_COPR_NAME} characters)`
      : coprName !== "" && source === undefined
        ? "Invalid copr repo name (owner/name of letters, digits, - _ and ., the owner may be a @group)"
        : undefined,
    description.length > MAX_DESCRIPTION
      ? `Description too long (at most ${MAX_DESCRIPTION} characters)`
      : CONTROL_CHARACTER.test(description)
        ? "Description may not contain control characters"
        : undefined,
    scheduleCount === undefined
      ? `Max scheduled builds must be a whole number from 0 to ${MAX_SCHEDULE_COUNT}`
      : undefined,
  ];
  return {
    values: {
      collection: formText(form, "collection"),
      repoSource: source ?? "",
      description: description === "" ? null : description,
      scheduleCount: scheduleCount ?? 0,
    },
    errors: errors.filter((error) => error !== undefined),
  };
}

export type RebuildAction = "move-top" | "remove";

export interface EditRebuildValues {
  requestId: number;
  packageId: number;
  action: RebuildAction;
}

/** The queue form's fields, or undefined when one is missing or no id (a 400). */
export function parseEditRebuildForm(form: SubmittedForm): EditRebuildValues | undefined {
  const id = (field: string) => {
    const text = formText(form, field);
    return /^\d+$/.test(text) ? parseInt32(text) : undefined;
  };
  const requestId = id("request_id");
  const packageId = id("package_id");
  const action = formText(form, "action");
  if (requestId === undefined || packageId === undefined) return undefined;
  if (action !== "move-top" && action !== "remove") return undefined;
  return { requestId, packageId, action };
}

export interface QueuedOrder {
  packageId: number;
  order: number;
  /** Not submitted to Copr yet (state NULL). */
  queued: boolean;
}

export interface QueueEdit {
  /** New orders of the rebuilds whose order changes. */
  orders: { packageId: number; order: number }[];
  /** The rebuild to delete. */
  removed?: number;
}

/**
 * The queue after an action on the rebuild `packageId` of `rebuilds` (spec 11 §2.2):
 * - move-top: the queued rebuilds ahead of it move down one place, and it goes just before
 *   the first queued one (the request's count is raised by one elsewhere);
 * - remove: every rebuild after it, whatever its state, moves up one place.
 */
export function editQueue(
  action: RebuildAction,
  packageId: number,
  rebuilds: readonly QueuedOrder[],
): QueueEdit {
  const target = rebuilds.find((rebuild) => rebuild.packageId === packageId);
  if (target === undefined) throw new Error(`rebuild of package ${packageId} not in the queue`);
  const others = rebuilds.filter((rebuild) => rebuild !== target);
  if (action === "remove") {
    return {
      orders: others
        .filter((rebuild) => rebuild.order > target.order)
        .map((rebuild) => ({ packageId: rebuild.packageId, order: rebuild.order - 1 })),
      removed: packageId,
    };
  }
  const ahead = others.filter((rebuild) => rebuild.queued && rebuild.order < target.order);
  const shifted = ahead.map((rebuild) => ({
    packageId: rebuild.packageId,
    order: rebuild.order + 1,
  }));
  // The smallest queued order after the shift: the others behind it cannot be smaller.
  const first = shifted.reduce((least, rebuild) => Math.min(least, rebuild.order), target.order);
  return { orders: [...shifted, { packageId, order: first - 1 }] };
}

/** The count after a move to the top: one more build, unless the count has no room left. */
export function raisedScheduleCount(scheduleCount: number | null): number {
  return Math.min((scheduleCount ?? 0) + 1, MAX_SCHEDULE_COUNT);
}

/** States a request may be cancelled from: the resolver or scheduler still has work on it. */
export const CANCELLABLE_STATES: readonly RebuildRequestState[] = [
  "new",
  "in progress",
  "scheduled",
];

/** States a request may be rescheduled from: no service is working on it now. */
export const RESCHEDULABLE_STATES: readonly RebuildRequestState[] = [
  "scheduled",
  "finished",
  "failed",
];

/**
 * Where a rescheduled request goes: with a queue or resolution changes it is resolved and
 * goes back to the scheduler; without, its resolution failed or found nothing, and it is
 * resolved again.
 */
export function rescheduledState(resolved: boolean): RebuildRequestState {
  return resolved ? "in progress" : "new";
}
