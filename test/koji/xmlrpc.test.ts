import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { KojiFault, XmlRpcEncodeError, XmlRpcParseError } from "@koschei/koji-protocol/faults.js";
import {
  XmlRpcDateTime,
  kojiDoubleMember,
  kwargs,
  splitKwargs,
  type XmlRpcValue,
} from "@koschei/koji-protocol/xmlrpc.js";
import { decodeCall, encodeFault, encodeResponse } from "@koschei/koji-protocol/xmlrpc-server.js";
import { decodeResponse, encodeCall } from "@koschei/koji-protocol/xmlrpc-client.js";
import { recordedFiles } from "./recorded.js";

const response = (valueXml: string) =>
  `<?xml version='1.0'?><methodResponse><params><param>${valueXml}</param></params></methodResponse>`;

function roundTrip(value: XmlRpcValue): XmlRpcValue {
  return decodeResponse(encodeResponse(value));
}

function assertParseError(xml: string | Buffer, message?: RegExp): XmlRpcParseError {
  let caught: unknown;
  try {
    decodeResponse(xml);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof XmlRpcParseError, `expected XmlRpcParseError, got ${String(caught)}`);
  assert.ok(Number.isInteger(caught.position) && caught.position >= 0);
  if (message) assert.match(caught.message, message);
  return caught;
}

function decodeFault(xml: string): KojiFault {
  let caught: unknown;
  try {
    decodeResponse(xml);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof KojiFault, `expected KojiFault, got ${String(caught)}`);
  return caught;
}

describe("recorded Koji answers", () => {
  const files = recordedFiles();

  test("are all found", () => {
    assert.equal(files.length, 40);
  });

  for (const file of files) {
    test(`${file.name}: every answer and call survives encoding and decoding`, () => {
      for (const call of file.calls) {
        if (call.fault) {
          const fault = decodeFault(encodeFault(call.fault.faultCode, call.fault.faultString));
          assert.equal(fault.faultCode, call.fault.faultCode);
          assert.equal(fault.faultString, call.fault.faultString);
        } else {
          const xml = encodeResponse(call.result!, { doubleMember: kojiDoubleMember });
          assert.deepEqual(decodeResponse(xml), call.result, `${call.method} result`);
          assert.deepEqual(decodeResponse(Buffer.from(xml)), call.result);
        }
        const params = Object.keys(call.kwargs).length
          ? [...call.args, kwargs(call.kwargs)]
          : call.args;
        const decoded = decodeCall(encodeCall(call.method, params));
        assert.equal(decoded.method, call.method);
        assert.deepEqual(splitKwargs(decoded.params), { args: call.args, kwargs: call.kwargs });
      }
    });
  }
});

describe("Python's xmlrpc.client output (fixtures/python-xmlrpc.json)", () => {
  const cases = JSON.parse(
    readFileSync(
      new URL("../../../test/koji/fixtures/python-xmlrpc.json", import.meta.url),
      "utf8",
    ),
  ) as { name: string; kind: "response" | "fault" | "call"; value: XmlRpcValue; xml: string }[];

  for (const { name, kind, value, xml } of cases) {
    test(`${name}: decodes, and encodes byte for byte`, () => {
      if (kind === "response") {
        assert.deepEqual(decodeResponse(xml), value);
        assert.equal(encodeResponse(value, { doubleMember: kojiDoubleMember }), xml);
      } else if (kind === "fault") {
        const { faultCode, faultString } = value as { faultCode: number; faultString: string };
        const fault = decodeFault(xml);
        assert.deepEqual([fault.faultCode, fault.faultString], [faultCode, faultString]);
        assert.equal(encodeFault(faultCode, faultString), xml);
      } else {
        const { method, params } = value as { method: string; params: XmlRpcValue[] };
        assert.deepEqual(decodeCall(xml), { method, params });
        assert.equal(encodeCall(method, params), xml);
      }
    });
  }
});

describe("value types", () => {
  test("scalars round-trip", () => {
    const values: XmlRpcValue[] = [
      null,
      true,
      false,
      0,
      -1,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 31,
      -(2 ** 31) - 1,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
      2n ** 53n + 1n,
      -(2n ** 63n),
      2n ** 63n - 1n,
      0.5,
      -1e-7,
      1.7976931348623157e308,
      "",
      "plain",
      " spaced \t\n",
      "a & b < c > d \"q\" 'a' ]]>",
      "carriage\r\nreturn\r",
      "controls \u0001\u0008\u000b\u001f",
      "unicode é ✓ 😀",
      new Uint8Array([]),
      new Uint8Array([0, 1, 2, 250, 251, 252, 253, 254, 255]),
      new XmlRpcDateTime("20240102T03:04:05"),
    ];
    for (const value of values) assert.deepEqual(roundTrip(value), value, String(value));
  });

  test("safe integers use <int> within 32 bits, <i8> beyond; doubles keep a fraction", () => {
    assert.match(encodeResponse(2 ** 31 - 1), /<int>2147483647<\/int>/);
    assert.match(encodeResponse(2 ** 31), /<i8>2147483648<\/i8>/);
    assert.match(encodeResponse(-(2 ** 31) - 1), /<i8>-2147483649<\/i8>/);
    assert.match(encodeResponse(2n ** 60n), /<i8>1152921504606846976<\/i8>/);
    assert.match(encodeResponse(5n), /<int>5<\/int>/);
    assert.match(encodeResponse(2.5), /<double>2.5<\/double>/);
    assert.match(encodeResponse(2 ** 60), /<double>1152921504606847000<\/double>/);
    const task = encodeResponse(
      { weight: 1, create_ts: 1522927082, id: 1 },
      {
        doubleMember: kojiDoubleMember,
      },
    );
    assert.match(task, /<name>weight<\/name>\n<value><double>1.0<\/double>/);
    assert.match(task, /<name>create_ts<\/name>\n<value><double>1522927082.0<\/double>/);
    assert.match(task, /<name>id<\/name>\n<value><int>1<\/int>/);
  });

  test("integers decode to numbers while safe, to bigint beyond 2^53", () => {
    assert.equal(decodeResponse(response("<value><i8>9007199254740991</i8></value>")), 2 ** 53 - 1);
    assert.equal(
      decodeResponse(response("<value><i8>9007199254740993</i8></value>")),
      9007199254740993n,
    );
    assert.equal(
      decodeResponse(response("<value><i8>-9223372036854775808</i8></value>")),
      -(2n ** 63n),
    );
    assert.equal(decodeResponse(response("<value><int>-0</int></value>")), 0);
    assert.equal(decodeResponse(response("<value><int> +42 </int></value>")), 42);
  });

  test("bigints beyond 64 bits cannot be sent", () => {
    assert.throws(() => encodeResponse(2n ** 63n), XmlRpcEncodeError);
    assert.throws(() => encodeCall("x", [-(2n ** 63n) - 1n]), XmlRpcEncodeError);
  });

  test("containers round-trip, nested and empty", () => {
    const value: XmlRpcValue = {
      list: [1, "two", [3, [4, {}]], [], null],
      nested: { a: { b: { c: [true, false] } } },
      empty: {},
      "odd key & <name>": "v",
      ["__proto__"]: { polluted: true },
    };
    const decoded = roundTrip(value) as Record<string, XmlRpcValue>;
    assert.deepEqual(decoded, value);
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.deepEqual(decoded["__proto__"], { polluted: true });
  });

  test("members named like Object.prototype's properties decode as plain own data", () => {
    const members = ["__proto__", "constructor", "toString", "hasOwnProperty", "__defineGetter__"]
      .map((name, i) => `<member><name>${name}</name><value><int>${i}</int></value></member>`)
      .join("");
    const decoded = decodeResponse(response(`<value><struct>${members}</struct></value>`));
    assert.ok(decoded !== null && typeof decoded === "object");
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.deepEqual(Object.entries(decoded), [
      ["__proto__", 0],
      ["constructor", 1],
      ["toString", 2],
      ["hasOwnProperty", 3],
      ["__defineGetter__", 4],
    ]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test("undefined struct members are left out", () => {
    const value = { a: 1, b: undefined } as unknown as XmlRpcValue;
    assert.deepEqual(roundTrip(value), { a: 1 });
  });

  test("dateTime.iso8601 keeps its text and converts to a Date", () => {
    const value = decodeResponse(
      response("<value><dateTime.iso8601>20180405T11:18:02</dateTime.iso8601></value>"),
    );
    assert.ok(value instanceof XmlRpcDateTime);
    assert.equal(value.iso, "20180405T11:18:02");
    assert.equal(value.toDate().toISOString(), "2018-04-05T11:18:02.000Z");
    assert.equal(
      new XmlRpcDateTime("2018-04-05T11:18:02+02:00").toDate().toISOString(),
      "2018-04-05T09:18:02.000Z",
    );
    assert.equal(
      XmlRpcDateTime.fromDate(new Date("2018-04-05T11:18:02Z")).iso,
      "20180405T11:18:02",
    );
    assert.throws(() => new XmlRpcDateTime("yesterday").toDate(), RangeError);
  });
});

describe("decoding accepts every spelling Koji and Python produce", () => {
  const cases: [string, XmlRpcValue][] = [
    ["<value><nil/></value>", null],
    ["<value><ex:nil/></value>", null],
    ["<value><nil></nil></value>", null],
    ["<value><ex:nil xmlns:ex='http://ws.apache.org/xmlrpc/namespaces/extensions'/></value>", null],
    ["<value><i4>7</i4></value>", 7],
    ["<value><int>7</int></value>", 7],
    ["<value><i8>7</i8></value>", 7],
    ["<value><ex:i8>3000000000</ex:i8></value>", 3000000000],
    ["<value><i1>7</i1></value>", 7],
    ["<value><biginteger>123456789012345678901</biginteger></value>", 123456789012345678901n],
    ["<value><double>2.0</double></value>", 2],
    ["<value><double>-1.5e-3</double></value>", -0.0015],
    ["<value><double>.5</double></value>", 0.5],
    ["<value><double>inf</double></value>", Infinity],
    ["<value><double>-Infinity</double></value>", -Infinity],
    ["<value><float>1</float></value>", 1],
    ["<value><boolean>1</boolean></value>", true],
    ["<value><boolean>0</boolean></value>", false],
    ["<value>untyped text</value>", "untyped text"],
    ["<value>  </value>", "  "],
    ["<value></value>", ""],
    ["<value/>", ""],
    ["<value><string/></value>", ""],
    ["<value><string></string></value>", ""],
    ["<value>\n  <string>x</string>\n</value>", "x"],
    ["<value><string>&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#x1F600;</string></value>", "&<>\"'AB😀"],
    ["<value><string>a<!-- comment -->b</string></value>", "ab"],
    ["<value><!-- c --><int>1</int></value>", 1],
    ["<value>a<!-- c -->b</value>", "ab"],
    ["<value><base64>\nAAEC\n/w==\n</base64></value>", new Uint8Array([0, 1, 2, 255])],
    ["<value><base64/></value>", new Uint8Array([])],
    ["<value><array><data/></array></value>", []],
    ["<value><array/></value>", []],
    ["<value><struct/></value>", {}],
    [
      "<value>\n<struct>\n  <member>\n <name>a</name> <value><int>1</int></value>\n</member>\n</struct>\n</value>",
      { a: 1 },
    ],
    ["<value><struct><member><name/><value>v</value></member></struct></value>", { "": "v" }],
    [
      "<value><struct><member><name>k</name><value>1</value></member><member><name>k</name><value>2</value></member></struct></value>",
      { k: "2" },
    ],
  ];
  for (const [valueXml, expected] of cases) {
    test(valueXml, () => assert.deepEqual(decodeResponse(response(valueXml)), expected));
  }

  test("prolog with encoding, BOM, doctype, comments, CRLF line ends, attributes", () => {
    const xml =
      '\ufeff<?xml version="1.0" encoding="UTF-8"?>\r\n<!DOCTYPE methodResponse>\r\n<!-- hi -->' +
      '<methodResponse xmlns:ex="x">\r\n<params>\r\n<param>\r\n' +
      "<value><string>line1\r\nline2\rline3</string></value>\r\n</param>\r\n</params>\r\n</methodResponse>\r\n";
    assert.equal(decodeResponse(xml), "line1\nline2\nline3");
    assert.equal(decodeResponse(Buffer.from(xml, "utf8")), "line1\nline2\nline3");
  });

  test("a call without params, and with several", () => {
    assert.deepEqual(
      decodeCall("<methodCall><methodName>getAPIVersion</methodName></methodCall>"),
      {
        method: "getAPIVersion",
        params: [],
      },
    );
    assert.deepEqual(
      decodeCall("<methodCall><methodName>x</methodName><params/></methodCall>").params,
      [],
    );
    assert.deepEqual(decodeCall(encodeCall("echo", [1, "a", null, [true]])), {
      method: "echo",
      params: [1, "a", null, [true]],
    });
  });
});

describe("faults", () => {
  test("map codes to Koji's classes and their hierarchy", () => {
    const build = decodeFault(encodeFault(1005, "error building package (arch i686)"));
    assert.equal(build.kojiClass, "BuildError");
    assert.ok(build.is("BuildError") && build.is("GenericError") && build.isKojiError);
    assert.ok(!build.is("AuthError"));

    const expired = decodeFault(encodeFault(1007, 'session "1" has expired'));
    assert.ok(expired.is("AuthExpired") && expired.is("AuthError") && expired.is("GenericError"));

    const lock = decodeFault(encodeFault(1001, "lock"));
    assert.ok(lock.is("LockError") && lock.is("GenericError"));
    assert.equal(decodeFault(encodeFault(1014, "server is offline")).kojiClass, "ServerOffline");
    assert.equal(decodeFault(encodeFault(1009, "unable to retry")).kojiClass, "RetryError");
    assert.equal(decodeFault(encodeFault(1019, "bad argument")).kojiClass, "ParameterError");
    assert.equal(decodeFault(encodeFault(1003, "tag")).kojiClass, "TagError");
    assert.equal(decodeFault(encodeFault(1004, "not allowed")).kojiClass, "ActionNotAllowed");
  });

  test("code 1 and unknown codes stay raw faults", () => {
    for (const code of [1, 999, 1337, 2000]) {
      const fault = decodeFault(encodeFault(code, "Traceback (most recent call last): …"));
      assert.equal(fault.kojiClass, null);
      assert.ok(!fault.isKojiError && !fault.is("GenericError"));
    }
  });

  test("a fault struct with extra members (multicall traceback) still decodes", () => {
    const xml =
      "<methodResponse><fault><value><struct>" +
      "<member><name>faultCode</name><value><int>1000</int></value></member>" +
      "<member><name>faultString</name><value><string>No such task: 5</string></value></member>" +
      "<member><name>traceback</name><value><array><data><value>t</value></data></array></value></member>" +
      "</struct></value></fault></methodResponse>";
    const fault = decodeFault(xml);
    assert.deepEqual(
      [fault.faultCode, fault.faultString, fault.kojiClass],
      [1000, "No such task: 5", "GenericError"],
    );
  });

  test("a fault without faultCode/faultString is malformed", () => {
    assertParseError(
      "<methodResponse><fault><value><struct><member><name>faultCode</name><value>x</value></member></struct></value></fault></methodResponse>",
      /faultCode/,
    );
  });
});

describe("malformed and truncated input", () => {
  const malformed: [string, string][] = [
    ["empty", ""],
    ["not XML", "hello"],
    ["wrong root", "<methodCall><methodName>x</methodName></methodCall>"],
    ["no params", "<methodResponse></methodResponse>"],
    ["two params", response("<value>a</value></param><param><value>b</value>")],
    ["unknown type", response("<value><thing>1</thing></value>")],
    ["bad int", response("<value><int>12a</int></value>")],
    ["empty int", response("<value><int></int></value>")],
    ["self-closed int", response("<value><int/></value>")],
    ["bad boolean", response("<value><boolean>true</boolean></value>")],
    ["bad double", response("<value><double>1.2.3</double></value>")],
    ["hex double", response("<value><double>0x10</double></value>")],
    ["text before type", response("<value>x<int>1</int></value>")],
    ["nil with content", response("<value><nil>x</nil></value>")],
    ["mismatched close", response("<value><string>x</int></value>")],
    ["unclosed value", response("<value><string>x</string>")],
    ["unknown entity", response("<value><string>&nbsp;</string></value>")],
    ["unterminated entity", response("<value><string>&amp</string></value>")],
    ["bad char ref", response("<value><string>&#xZZ;</string></value>")],
    ["surrogate char ref", response("<value><string>&#xD800;</string></value>")],
    ["char ref too large", response("<value><string>&#x110000;</string></value>")],
    ["CDATA", response("<value><string><![CDATA[x]]></string></value>")],
    [
      "member without value",
      response("<value><struct><member><name>a</name></member></struct></value>"),
    ],
    [
      "member without name",
      response("<value><struct><member><value>1</value></member></struct></value>"),
    ],
    ["array without data", response("<value><array><value>1</value></array></value>")],
    ["trailing garbage", response("<value>a</value>") + "<more/>"],
    ["unterminated comment", "<!-- never ends <methodResponse>"],
    ["unterminated tag", "<methodResponse"],
    ["bad self-closing", response("<value><nil/ ></value>")],
  ];
  for (const [name, xml] of malformed) {
    test(name, () => {
      assertParseError(xml);
    });
  }

  test("values nested beyond the limit are refused, not a stack overflow", () => {
    const depth = 5000;
    const xml = response(
      "<value><array><data>".repeat(depth) + "</data></array></value>".repeat(depth),
    );
    assertParseError(xml, /nested too deeply/);
  });

  test("every truncation of an answer is an error naming the end of input", () => {
    const calls = recordedFiles().find(
      (f) => f.name === "BackendTest/test_update_state.json",
    )!.calls;
    const xml = encodeResponse(
      calls.map((c) => c.result ?? null),
      { doubleMember: kojiDoubleMember },
    );
    const end = xml.lastIndexOf("</methodResponse>");
    for (let length = 0; length <= end; length++) {
      const error = assertParseError(xml.slice(0, length));
      assert.match(error.message, /end of input/, `truncated at ${length}: ${error.message}`);
    }
  });

  test("a truncated multi-byte character in a Buffer is still a parse error", () => {
    const bytes = Buffer.from(encodeResponse("😀😀"));
    assertParseError(bytes.subarray(0, bytes.indexOf("</string>") - 1));
  });
});

describe("keyword arguments", () => {
  test("kwargs adds the __starstar flag; splitKwargs takes it off", () => {
    assert.deepEqual(kwargs({ latest: true }), { latest: true, __starstar: true });
    assert.deepEqual(splitKwargs(["f29-build", kwargs({ latest: true, package: "rnv" })]), {
      args: ["f29-build"],
      kwargs: { latest: true, package: "rnv" },
    });
  });

  test("an old client's empty kwargs struct, and a truthy non-boolean flag", () => {
    assert.deepEqual(splitKwargs([1, { __starstar: true }]), { args: [1], kwargs: {} });
    assert.deepEqual(splitKwargs([1, { __starstar: 1, a: null }]), {
      args: [1],
      kwargs: { a: null },
    });
  });

  test("a keyword named __proto__ stays a keyword and leaves the prototype alone", () => {
    const call = `<methodCall><methodName>m</methodName><params><param><value><struct>
      <member><name>__proto__</name><value><struct><member><name>polluted</name>
      <value><boolean>1</boolean></value></member></struct></value></member>
      <member><name>__starstar</name><value><boolean>1</boolean></value></member>
      </struct></value></param></params></methodCall>`;
    const { kwargs: named } = splitKwargs(decodeCall(call).params);
    assert.equal(Object.getPrototypeOf(named), Object.prototype);
    assert.deepEqual(Object.entries(named), [["__proto__", { polluted: true }]]);
    assert.equal((named as Record<string, unknown>).polluted, undefined);
  });

  test("structs without the flag, or with a false flag, or not last, stay positional", () => {
    const opts = { scratch: true };
    assert.deepEqual(splitKwargs(["src", "f29", opts]), { args: ["src", "f29", opts], kwargs: {} });
    const off = { __starstar: false, a: 1 };
    assert.deepEqual(splitKwargs([off]), { args: [off], kwargs: {} });
    const early = kwargs({ a: 1 });
    assert.deepEqual(splitKwargs([early, 2]), { args: [early, 2], kwargs: {} });
    assert.deepEqual(splitKwargs([]), { args: [], kwargs: {} });
  });
});
