// fedora-messaging's wire format as the protocol package produces it, against the contract's
// example frame (contracts/fedora-messaging.md §2) and Python's json.dumps.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  amqpEnvelope,
  KOSCHEI_SCHEMA_PACKAGE,
  KoscheiTopic,
  pythonJson,
  routingKey,
  Severity,
  type PackageStateChangeBody,
} from "@koschei/koji-protocol/messages.js";

test("a package state change is framed exactly as the contract's example", () => {
  const body: PackageStateChangeBody = {
    name: "rnv",
    old: "failing",
    new: "ok",
    koji_instance: "primary",
    repo: "f25",
    collection: "f25",
    collection_name: "Fedora Rawhide",
    groups: ["c", "foo/xml"],
  };
  const envelope = amqpEnvelope(
    {
      topic: KoscheiTopic.packageStateChange,
      schema: KoscheiTopic.packageStateChange,
      schemaPackage: KOSCHEI_SCHEMA_PACKAGE,
      severity: Severity.INFO,
      packages: ["rnv"],
      groups: ["c", "foo/xml"],
      body,
    },
    "org.fedoraproject.prod",
    new Date("2024-06-04T10:42:09.123Z"),
    "3c9b5f0e-8f3a-4d5e-9b1c-2a7d7c2f4e11",
  );
  assert.equal(envelope.routingKey, "org.fedoraproject.prod.koschei.package.state.change");
  assert.deepEqual(envelope.properties, {
    contentType: "application/json",
    contentEncoding: "utf-8",
    deliveryMode: 2,
    messageId: "3c9b5f0e-8f3a-4d5e-9b1c-2a7d7c2f4e11",
    headers: {
      fedora_messaging_schema: "koschei.package.state.change",
      fedora_messaging_schema_package: "koschei_messages",
      fedora_messaging_severity: 20,
      "sent-at": "2024-06-04T10:42:09+00:00",
      priority: 0,
      fedora_messaging_rpm_rnv: true,
      fedora_messaging_group_c: true,
      "fedora_messaging_group_foo/xml": true,
    },
  });
  assert.equal(
    envelope.content.toString("utf8"),
    '{"name": "rnv", "old": "failing", "new": "ok", "koji_instance": "primary", "repo": "f25", ' +
      '"collection": "f25", "collection_name": "Fedora Rawhide", "groups": ["c", "foo/xml"]}',
  );
});

test("a priority is both the AMQP property and the header", () => {
  const envelope = amqpEnvelope(
    { topic: "buildsys.tag", schema: "s", schemaPackage: "p", severity: 10, priority: 2, body: {} },
    "",
    new Date(0),
  );
  assert.equal(envelope.routingKey, "buildsys.tag");
  assert.equal(envelope.properties.priority, 2);
  assert.equal(envelope.properties.headers.priority, 2);
  assert.match(envelope.properties.messageId, /^[0-9a-f-]{36}$/);
});

test("routing keys drop the prefix's trailing dots", () => {
  assert.equal(
    routingKey("org.fedoraproject.stg..", "koschei.x"),
    "org.fedoraproject.stg.koschei.x",
  );
});

test("bodies are encoded as Python's json.dumps would", () => {
  // Python 3: json.dumps({"a": [1, 2.5, None, True], "é": "x\x7f\u00e9\U0001F600", "n": {}})
  assert.equal(
    pythonJson({ a: [1, 2.5, null, true], é: "x\u007f\u00e9\u{1f600}", n: {}, skipped: undefined }),
    '{"a": [1, 2.5, null, true], "\\u00e9": "x\\u007f\\u00e9\\ud83d\\ude00", "n": {}}',
  );
  assert.equal(pythonJson({ when: new Date(0) }), '{"when": "1970-01-01T00:00:00.000Z"}');
});
