// The group form and the add-packages form (spec 08 §6.1–6.3): reading the submitted fields,
// splitting lists, checking names, and the spec's messages. Pure: the routes add the CSRF
// message, flash the errors and act on the parsed values.

/** Package, user and group names (spec 08 §6.1). */
const NAME = /^[a-zA-Z0-9.+_-]+$/;
/** What the add-packages form's `group` field may hold: empty, `name` or `namespace/name`. */
const GROUP_REFERENCE = /^(?:(?:([a-zA-Z0-9.+_-]+)\/)?([a-zA-Z0-9.+_-]+))?$/;
/** List fields are split on runs of spaces, tabs, newlines, CRs and commas. */
const LIST_SEPARATORS = /[ \t\n\r,]+/;

/**
 * The most names one list field may hold: every name is a query parameter and perhaps an
 * audit entry, so a pasted list of 100,000 names gets a message instead of a long stall.
 */
export const MAX_PACKAGES = 2000;
export const MAX_OWNERS = 100;

/**
 * The body limit of the routes taking these forms: room for 100,000 long names, so that a
 * pasted list too long gets the message above, not the server's 413 page.
 */
export const LIST_FORM_BODY_LIMIT = 4 * 1024 * 1024;

/** A submitted form as the body parser gives it: values are strings or arrays of them. */
export type SubmittedForm = Record<string, unknown>;

/** A request body as a submitted form; anything else (no body, JSON) is an empty form. */
export function submittedForm(body: unknown): SubmittedForm {
  return typeof body === "object" && body !== null ? (body as SubmittedForm) : {};
}

/**
 * The trimmed text of a form field: the first value when it was given several times, "" when
 * it is missing or not text. Only the form's own keys count (`__proto__` is just a name).
 */
export function formText(form: SubmittedForm, field: string): string {
  if (!Object.hasOwn(form, field)) return "";
  const value = form[field];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" ? first.trim() : "";
}

/** The non-empty items of a list field. */
export function splitList(text: string): string[] {
  return text.split(LIST_SEPARATORS).filter((item) => item !== "");
}

/** The single-line rendering of a list field. */
export function joinList(items: string[]): string {
  return items.join(", ");
}

export function isValidName(name: string): boolean {
  return NAME.test(name);
}

/** The first message that applies to a list field, or undefined when it is fine. */
function listProblem(
  items: string[],
  limit: number,
  messages: { empty: string; tooMany: string; invalid: string },
): string | undefined {
  if (items.length === 0) return messages.empty;
  if (items.length > limit) return messages.tooMany;
  if (!items.every(isValidName)) return messages.invalid;
  return undefined;
}

export interface GroupFormValues {
  name: string;
  packages: string[];
  owners: string[];
}

export interface Parsed<T> {
  values: T;
  /** The spec's messages in field order; empty when the form is valid. */
  errors: string[];
}

/** The create/edit group form (spec 08 §6.2). */
export function parseGroupForm(form: SubmittedForm): Parsed<GroupFormValues> {
  const values: GroupFormValues = {
    name: formText(form, "name"),
    packages: splitList(formText(form, "packages")),
    owners: splitList(formText(form, "owners")),
  };
  const errors = [
    isValidName(values.name) ? undefined : "Invalid group name",
    listProblem(values.packages, MAX_PACKAGES, {
      empty: "Empty group not allowed",
      tooMany: `Too many packages (at most ${MAX_PACKAGES})`,
      invalid: "Invalid package list",
    }),
    listProblem(values.owners, MAX_OWNERS, {
      empty: "Group must have an owner",
      tooMany: `Too many owners (at most ${MAX_OWNERS})`,
      invalid: "Invalid owner list",
    }),
  ];
  return { values, errors: errors.filter((error) => error !== undefined) };
}

export interface GroupReference {
  namespace: string | null;
  name: string;
}

export interface AddPackagesValues {
  packages: string[];
  collection: string;
  /** The group to add the packages to, if one was chosen. */
  group: GroupReference | undefined;
  /** Where to go afterwards; "" for the front page. */
  next: string;
}

/** The add-packages form (spec 08 §6.3). */
export function parseAddPackagesForm(form: SubmittedForm): Parsed<AddPackagesValues> {
  const packages = splitList(formText(form, "packages"));
  const groupMatch = GROUP_REFERENCE.exec(formText(form, "group"));
  const groupName = groupMatch?.[2];
  const values: AddPackagesValues = {
    packages,
    collection: formText(form, "collection"),
    group:
      groupName === undefined ? undefined : { namespace: groupMatch?.[1] ?? null, name: groupName },
    next: formText(form, "next"),
  };
  const errors = [
    listProblem(packages, MAX_PACKAGES, {
      empty: "No packages given",
      tooMany: `Too many packages (at most ${MAX_PACKAGES})`,
      invalid: "Invalid package list",
    }),
    groupMatch === null ? "Invalid group" : undefined,
  ];
  return { values, errors: errors.filter((error) => error !== undefined) };
}

/** The most names a flash message lists: flashes live in the session cookie (4 KB at most). */
export const FLASHED_NAMES = 20;

/** `a,b,c` as the spec's flashes list names, the rest of a long list counted instead. */
export function flashedNames(names: string[]): string {
  const shown = names.slice(0, FLASHED_NAMES).join(",");
  const rest = names.length - FLASHED_NAMES;
  return rest > 0 ? `${shown} and ${rest} more` : shown;
}

/** The one flash a failed form gets (spec 08 §6.1). */
export function validationMessage(errors: string[]): string {
  return `Validation errors: ${errors.join(", ")}`;
}
