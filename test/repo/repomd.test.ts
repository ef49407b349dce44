import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  checksumTypeFromName,
  findRepomdData,
  parseRepomd,
} from "@koschei/koji-protocol/repomd.js";
import { sharedPath } from "../support/shared.js";

const SHA256 = "5750be404f4d42006c04cf03e6869916624fd041820241a0801590491911a9c0";

test("parses the benchmark repo's repomd.xml", () => {
  const xml = readFileSync(sharedPath("bench/edge/repo/repodata/repomd.xml"), "utf8");
  const repomd = parseRepomd(xml);
  assert.equal(repomd.revision, "1700000000");
  assert.deepEqual(
    repomd.data.map((d) => d.type),
    ["primary", "filelists", "other", "group", "group_gz"],
  );
  assert.deepEqual(findRepomdData(repomd, "primary"), {
    type: "primary",
    href: "repodata/primary.xml.gz",
    checksum: { type: "sha256", value: SHA256 },
    openChecksum: {
      type: "sha256",
      value: "c97d8af25ebbc201786a0ae1c3dd85eacfe512ddb800ef65db64269873a62efd",
    },
    size: 6951,
    openSize: 69455,
    timestamp: 1700000000,
  });
  const group = findRepomdData(repomd, "group");
  assert.equal(group?.href, "repodata/comps.xml");
  assert.equal(group?.openChecksum, undefined);
  assert.equal(findRepomdData(repomd, "updateinfo"), undefined);
});

test("accepts namespace prefixes, single quotes, comments, entities, sha and xml:base", () => {
  const repomd = parseRepomd(`<?xml version='1.0'?>
    <!-- <data type="bogus"></data> -->
    <r:repomd xmlns:r="http://linux.duke.edu/metadata/repo">
      <r:data type='primary'>
        <r:checksum type='sha'>${"AB".repeat(20)}</r:checksum>
        <r:location xml:base='http://mirror.test/f29/' href='repodata/a&amp;b-primary.xml.gz'/>
        <r:timestamp>1700000000.25</r:timestamp>
      </r:data>
    </r:repomd>`);
  assert.deepEqual(repomd, {
    data: [
      {
        type: "primary",
        href: "repodata/a&b-primary.xml.gz",
        base: "http://mirror.test/f29/",
        checksum: { type: "sha1", value: "ab".repeat(20) },
        timestamp: 1700000000,
      },
    ],
  });
});

test("maps every supported checksum name", () => {
  assert.equal(checksumTypeFromName("sha"), "sha1");
  assert.equal(checksumTypeFromName("SHA256"), "sha256");
  for (const name of ["md5", "sha1", "sha512"]) assert.equal(checksumTypeFromName(name), name);
  assert.throws(() => checksumTypeFromName("crc32"), /unsupported checksum type "crc32"/);
});

test("rejects malformed documents with a message naming the problem", () => {
  const entry = (body: string) => `<repomd><data type="primary">${body}</data></repomd>`;
  const location = `<location href="repodata/p.xml.gz"/>`;
  const checksum = `<checksum type="sha256">${SHA256}</checksum>`;
  assert.throws(() => parseRepomd("<html></html>"), /no <repomd> element/);
  assert.throws(() => parseRepomd(entry(checksum)), /<data type="primary"> has no <location/);
  assert.throws(() => parseRepomd(entry(location)), /has no <checksum>/);
  assert.throws(
    () => parseRepomd(entry(`${location}<checksum type="md5">${SHA256}</checksum>`)),
    /is not a md5 hex digest/,
  );
  assert.throws(
    () => parseRepomd(entry(`${location}${checksum}<size>big</size>`)),
    /<size> "big" is not a number/,
  );
  assert.throws(() => parseRepomd(`<repomd><data>${location}</data></repomd>`), /without a type/);
});
