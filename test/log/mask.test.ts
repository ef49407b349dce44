import assert from "node:assert/strict";
import { test } from "node:test";
import { maskPasswords } from "../../src/log/mask.js";

test("the password of every URL in a text is replaced, the user name kept", () => {
  assert.equal(
    maskPasswords("GET https://alice:s3cr%40t@repo.example/x failed; see http://bob:pw@h:8080/"),
    "GET https://alice:***@repo.example/x failed; see http://bob:***@h:8080/",
  );
  assert.equal(
    maskPasswords("postgresql://koschei:p@ss@db/koschei"),
    "postgresql://koschei:***@db/koschei",
    "an unencoded '@' in the password is masked up to the authority's last '@'",
  );
});

test("URLs without a password and plain text are unchanged", () => {
  for (const text of [
    "http://token@host/path",
    "https://host:8443/a:b@c",
    "http://host/?q=a:b@c",
    "no url: here@all",
  ]) {
    assert.equal(maskPasswords(text), text);
  }
});
