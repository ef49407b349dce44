import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  archOverrideFormText,
  changedGroups,
  INVALID_INTEGER_MESSAGE,
  parsePackageEditForm,
  PRIORITY_RANGE_MESSAGE,
  UNRECOGNIZED_ARCH_MESSAGE,
} from "../../src/frontend/package-edit.js";

const ARCHES = ["i386", "x86_64", "armhfp"];

describe("parsePackageEditForm", () => {
  it("reads the spec's edit: priority, arch override list and an unchecked checkbox", () => {
    const parsed = parsePackageEditForm(
      {
        collection_id: "1",
        manual_priority: "123",
        arch_override: "x86_64, i386",
        tracked__present: "1",
      },
      ARCHES,
    );
    assert.equal(parsed.collectionId, 1);
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.attributes, {
      tracked: false,
      manual_priority: 123,
      arch_override: "x86_64 i386",
    });
  });

  it("leaves out checkboxes without their presence marker and an absent arch override", () => {
    const parsed = parsePackageEditForm({ collection_id: "3", skip_resolution: "on" }, ARCHES);
    assert.deepEqual(parsed.attributes, {});
  });

  it("reads checked boxes: any value but false or nothing", () => {
    const form = { skip_resolution__present: "1", tracked__present: "1" };
    const on = parsePackageEditForm({ ...form, skip_resolution: "on", tracked: "y" }, ARCHES);
    assert.deepEqual(on.attributes, { skip_resolution: true, tracked: true });
    const off = parsePackageEditForm({ ...form, skip_resolution: "false", tracked: "" }, ARCHES);
    assert.deepEqual(off.attributes, { skip_resolution: false, tracked: false });
  });

  it("accepts excluded arches and clears the override with an empty field", () => {
    assert.equal(
      parsePackageEditForm({ arch_override: "^x86_64" }, ARCHES).attributes.arch_override,
      "^x86_64",
    );
    assert.equal(
      parsePackageEditForm({ arch_override: " , " }, ARCHES).attributes.arch_override,
      null,
    );
  });

  it("refuses unknown arches, non-integer and out-of-range priorities", () => {
    const parsed = parsePackageEditForm(
      { manual_priority: "12abc", arch_override: "asdf" },
      ARCHES,
    );
    assert.deepEqual(parsed.errors, [INVALID_INTEGER_MESSAGE, UNRECOGNIZED_ARCH_MESSAGE]);
    assert.deepEqual(parsed.attributes, {});
    assert.deepEqual(parsed.submitted, { manual_priority: "12abc", arch_override: "asdf" });
    assert.deepEqual(
      parsePackageEditForm({ manual_priority: "99999999999999999999" }, ARCHES).errors,
      [PRIORITY_RANGE_MESSAGE],
    );
    assert.equal(
      parsePackageEditForm({ manual_priority: "-2147483648" }, ARCHES).attributes.manual_priority,
      -(2 ** 31),
    );
    assert.deepEqual(parsePackageEditForm({ arch_override: "^" }, ARCHES).errors, [
      UNRECOGNIZED_ARCH_MESSAGE,
    ]);
  });

  it("treats an empty priority as not submitted and reads the first of repeated values", () => {
    assert.deepEqual(parsePackageEditForm({ manual_priority: "  " }, ARCHES).attributes, {});
    assert.equal(
      parsePackageEditForm({ manual_priority: ["5", "x"] }, ARCHES).attributes.manual_priority,
      5,
    );
  });

  it("gives no collection id for a missing or non-integer value", () => {
    assert.equal(parsePackageEditForm({}, ARCHES).collectionId, undefined);
    assert.equal(parsePackageEditForm({ collection_id: "f25" }, ARCHES).collectionId, undefined);
  });

  it("reads group checkbox pairs; an id that is no integer is unknown", () => {
    const parsed = parsePackageEditForm(
      {
        "group-prev-3": "true",
        "group-prev-4": "false",
        "group-4": "on",
        "group-prev-5": "true",
        "group-5": "on",
        "group-prev-x1": "false",
        "group-prev-007": "false",
      },
      ARCHES,
    );
    assert.deepEqual(parsed.groups, [
      { groupId: 3, wasMember: true, checked: false },
      { groupId: 4, wasMember: false, checked: true },
      { groupId: 5, wasMember: true, checked: true },
      { groupId: null, wasMember: false, checked: false },
      { groupId: null, wasMember: false, checked: false },
    ]);
    assert.deepEqual(
      changedGroups(parsed.groups).map((group) => group.groupId),
      [3, 4],
    );
  });

  it("shows a stored override as the form's comma list", () => {
    assert.equal(archOverrideFormText("x86_64 i386"), "x86_64, i386");
    assert.equal(archOverrideFormText(null), "");
  });
});
