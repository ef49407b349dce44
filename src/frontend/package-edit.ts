// The edit-package form (spec 08 §6.4, §6.5) read from a submitted body, without I/O: which
// attributes were submitted and their values, which group checkboxes changed, and the
// validation messages. A field that was not submitted leaves the stored value alone; this
// includes an absent arch_override (the original cleared it: spec README, difference 7).

/** A form body as @fastify/formbody parses it: a key given twice holds an array. */
export type FormBody = Record<string, unknown>;

/** The attributes to set; a missing key means "not submitted, unchanged". */
export interface PackageAttributeEdit {
  tracked?: boolean;
  manual_priority?: number;
  /** Entries joined by one space, or null for no override. */
  arch_override?: string | null;
  skip_resolution?: boolean;
}

/** One group checkbox of the membership form. */
export interface GroupCheckbox {
  /** The group id of `group-prev-<id>`; null when it is no valid id (an unknown group). */
  groupId: number | null;
  /** Whether the package was in the group when the form was rendered. */
  wasMember: boolean;
  checked: boolean;
}

/** The submitted texts, to show the form again as it was sent when it is refused. */
export interface SubmittedPackageEdit {
  tracked?: boolean;
  manual_priority?: string;
  arch_override?: string;
  skip_resolution?: boolean;
}

export interface ParsedPackageEdit {
  /** The hidden collection_id; undefined when missing or not an integer. */
  collectionId: number | undefined;
  attributes: PackageAttributeEdit;
  groups: GroupCheckbox[];
  submitted: SubmittedPackageEdit;
  /** Validation messages in field order; empty when the form is valid. */
  errors: string[];
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INTEGER_TEXT = /^[+-]?\d+$/;
const LIST_SEPARATORS = /[\s,]+/;
const GROUP_PREV_KEY = /^group-prev-(.*)$/;

export const INVALID_INTEGER_MESSAGE = "Not a valid integer value.";
export const PRIORITY_RANGE_MESSAGE = `Manual priority must be between ${INT32_MIN} and ${INT32_MAX}.`;
export const UNRECOGNIZED_ARCH_MESSAGE = "Unrecognized arch in arch_override";

/** The first value of a form field, or undefined when absent. */
function fieldText(form: FormBody, key: string): string | undefined {
  if (!Object.hasOwn(form, key)) return undefined;
  const value = form[key];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" ? first : undefined;
}

/** A checkbox is checked when it was sent with any value but `false` or nothing. */
function isChecked(form: FormBody, key: string): boolean {
  const value = fieldText(form, key);
  return value !== undefined && value !== "" && value !== "false";
}

/** An integer in PostgreSQL's integer range, or undefined. */
export function parseInt32(text: string): number | undefined {
  const trimmed = text.trim();
  if (!INTEGER_TEXT.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return value >= INT32_MIN && value <= INT32_MAX ? value : undefined;
}

/** A list field's entries: split on runs of whitespace and commas (spec 08 §6.1). */
export function listEntries(text: string): string[] {
  return text.split(LIST_SEPARATORS).filter((entry) => entry !== "");
}

/** The stored arch override as the form shows it: entries joined by `, `. */
export function archOverrideFormText(stored: string | null): string {
  return stored === null ? "" : listEntries(stored).join(", ");
}

/** Each entry is a build arch, optionally prefixed by `^` (build on all but it). */
function validArchOverride(entries: string[], buildArches: readonly string[]): boolean {
  return entries.every((entry) => buildArches.includes(entry.replace(/^\^/, "")));
}

/** Checkbox fields come with a hidden `<field>__present`; without it they are not submitted. */
function checkbox(form: FormBody, field: string): boolean | undefined {
  return Object.hasOwn(form, `${field}__present`) ? isChecked(form, field) : undefined;
}

export function parsePackageEditForm(
  form: FormBody,
  buildArches: readonly string[],
): ParsedPackageEdit {
  const attributes: PackageAttributeEdit = {};
  const submitted: SubmittedPackageEdit = {};
  const errors: string[] = [];
  const collectionText = fieldText(form, "collection_id");
  const collectionId = collectionText === undefined ? undefined : parseInt32(collectionText);

  const tracked = checkbox(form, "tracked");
  if (tracked !== undefined) attributes.tracked = submitted.tracked = tracked;

  const priorityText = fieldText(form, "manual_priority")?.trim();
  if (priorityText !== undefined && priorityText !== "") {
    submitted.manual_priority = priorityText;
    const value = parseInt32(priorityText);
    if (value !== undefined) attributes.manual_priority = value;
    else
      errors.push(
        INTEGER_TEXT.test(priorityText) ? PRIORITY_RANGE_MESSAGE : INVALID_INTEGER_MESSAGE,
      );
  }

  const archText = fieldText(form, "arch_override");
  if (archText !== undefined) {
    submitted.arch_override = archText;
    const entries = listEntries(archText);
    if (validArchOverride(entries, buildArches)) {
      attributes.arch_override = entries.length === 0 ? null : entries.join(" ");
    } else {
      errors.push(UNRECOGNIZED_ARCH_MESSAGE);
    }
  }

  const skipResolution = checkbox(form, "skip_resolution");
  if (skipResolution !== undefined) {
    attributes.skip_resolution = submitted.skip_resolution = skipResolution;
  }

  const groups: GroupCheckbox[] = [];
  for (const key of Object.keys(form)) {
    const match = GROUP_PREV_KEY.exec(key);
    if (match === null) continue;
    const rawId = match[1]!;
    const id = parseInt32(rawId);
    groups.push({
      groupId: id !== undefined && String(id) === rawId ? id : null,
      wasMember: fieldText(form, key) === "true",
      checked: isChecked(form, `group-${rawId}`),
    });
  }
  return { collectionId, attributes, groups, submitted, errors };
}

/** The groups whose checkbox changed: the package is to be added to or removed from them. */
export function changedGroups(groups: GroupCheckbox[]): GroupCheckbox[] {
  return groups.filter((group) => group.checked !== group.wasMember);
}
