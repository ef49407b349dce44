import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  flashedNames,
  formText,
  joinList,
  MAX_OWNERS,
  MAX_PACKAGES,
  parseAddPackagesForm,
  parseGroupForm,
  splitList,
  validationMessage,
} from "../../src/frontend/group-forms.js";

describe("list fields", () => {
  it("split on runs of spaces, tabs, newlines, CRs and commas, dropping empty items", () => {
    assert.deepEqual(splitList(" rnv,eclipse\r\n\tmaven ,, xpp3 "), [
      "rnv",
      "eclipse",
      "maven",
      "xpp3",
    ]);
    assert.deepEqual(splitList(" , \n"), []);
    assert.equal(joinList(["a", "b"]), "a, b");
  });
});

describe("form fields", () => {
  it("are the trimmed first value of the form's own keys", () => {
    const form = Object.create(null) as Record<string, unknown>;
    form.name = ["  foo ", "bar"];
    form.__proto__ = "x";
    form.number = 3;
    assert.equal(formText(form, "name"), "foo");
    assert.equal(formText(form, "__proto__"), "x");
    assert.equal(formText(form, "number"), "");
    assert.equal(formText({}, "constructor"), "");
    assert.equal(formText({}, "missing"), "");
  });
});

describe("the group form (spec 08 §6.2)", () => {
  it("accepts a name, packages and owners", () => {
    const parsed = parseGroupForm({
      name: " foo ",
      packages: "rnv,eclipse",
      owners: "jdoe user1",
    });
    assert.deepEqual(parsed, {
      values: { name: "foo", packages: ["rnv", "eclipse"], owners: ["jdoe", "user1"] },
      errors: [],
    });
  });

  it("gives the spec's messages in field order", () => {
    assert.deepEqual(parseGroupForm({}).errors, [
      "Invalid group name",
      "Empty group not allowed",
      "Group must have an owner",
    ]);
    assert.deepEqual(
      parseGroupForm({ name: "ns/foo", packages: "rnv <b>", owners: "jdoe a;b" }).errors,
      ["Invalid group name", "Invalid package list", "Invalid owner list"],
    );
    assert.deepEqual(parseGroupForm({ name: "a b", packages: "x", owners: "y" }).errors, [
      "Invalid group name",
    ]);
  });

  it("refuses a list longer than the limit with a message, quickly", () => {
    const many = Array.from({ length: 100_000 }, (_, i) => `pkg${i}`).join("\n");
    const started = Date.now();
    const parsed = parseGroupForm({ name: "foo", packages: many, owners: many });
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(parsed.errors, [
      `Too many packages (at most ${MAX_PACKAGES})`,
      `Too many owners (at most ${MAX_OWNERS})`,
    ]);
  });
});

describe("the add-packages form (spec 08 §6.3)", () => {
  it("reads packages, collection, an optional group and next", () => {
    assert.deepEqual(
      parseAddPackagesForm({ packages: "xpp3 rnv", collection: "f29", group: "", next: "" }),
      {
        values: { packages: ["xpp3", "rnv"], collection: "f29", group: undefined, next: "" },
        errors: [],
      },
    );
    assert.deepEqual(parseAddPackagesForm({ packages: "a", group: "foo" }).values.group, {
      namespace: null,
      name: "foo",
    });
    assert.deepEqual(parseAddPackagesForm({ packages: "a", group: "jdoe/foo" }).values.group, {
      namespace: "jdoe",
      name: "foo",
    });
  });

  it("gives the spec's messages", () => {
    assert.deepEqual(parseAddPackagesForm({}).errors, ["No packages given"]);
    assert.deepEqual(parseAddPackagesForm({ packages: "a/b", group: "a/b/c" }).errors, [
      "Invalid package list",
      "Invalid group",
    ]);
    assert.deepEqual(parseAddPackagesForm({ packages: "a", group: "/foo" }).errors, [
      "Invalid group",
    ]);
    const many = Array.from({ length: MAX_PACKAGES + 1 }, (_, i) => `p${i}`).join(",");
    assert.deepEqual(parseAddPackagesForm({ packages: many }).errors, [
      `Too many packages (at most ${MAX_PACKAGES})`,
    ]);
  });

  it("lists at most 20 names in a flash, counting the rest", () => {
    assert.equal(flashedNames(["a", "b"]), "a,b");
    const many = Array.from({ length: 25 }, (_, i) => `p${i}`);
    assert.equal(flashedNames(many), `${many.slice(0, 20).join(",")} and 5 more`);
    assert.equal(flashedNames([]), "");
  });

  it("joins messages into one validation flash", () => {
    assert.equal(
      validationMessage(["No packages given", "Invalid group"]),
      "Validation errors: No packages given, Invalid group",
    );
  });
});
