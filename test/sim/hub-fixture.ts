// A scenario mirroring the Fedora data of the recorded Koji answers (contracts/recorded/):
// same tag, target, build and host names and ids where the recordings show them.

import { KojiFault } from "@koschei/koji-protocol/faults.js";
import { decodeResponse, encodeCall } from "@koschei/koji-protocol/xmlrpc-client.js";
import { kwargs, type XmlRpcValue } from "@koschei/koji-protocol/xmlrpc.js";
import { parseScenario, type Scenario } from "@koschei/koji-sim/scenario.js";

export function recordedWorldScenario(): Scenario {
  return parseScenario(
    {
      name: "recorded-world",
      startTime: "2018-04-05T12:00:00Z",
      hosts: [
        {
          id: 60,
          name: "buildvm-02.phx2.fedoraproject.org",
          arches: ["i386", "x86_64"],
          capacity: 4,
        },
        {
          id: 62,
          name: "buildvm-04.phx2.fedoraproject.org",
          arches: ["i386", "x86_64"],
          capacity: 4,
          taskLoad: 1.5,
        },
        {
          id: 239,
          name: "buildvm-ppc64le-01.ppc.fedoraproject.org",
          arches: ["ppc64le"],
          capacity: 2,
        },
        {
          id: 323,
          name: "buildvm-s390x-08.s390.fedoraproject.org",
          arches: ["s390x"],
          capacity: 4,
        },
        { id: 340, name: "buildvm-ppc64-16.ppc.fedoraproject.org", arches: ["ppc64"], capacity: 2 },
        {
          id: 400,
          name: "buildvm-armv7-01.arm.fedoraproject.org",
          arches: ["armhfp"],
          capacity: 2,
        },
        {
          id: 410,
          name: "buildvm-aarch64-01.arm.fedoraproject.org",
          arches: ["aarch64"],
          capacity: 2,
        },
      ],
      tags: [
        { id: 335, name: "f25" },
        { id: 3418, name: "f29", parents: ["f25"] },
        {
          id: 3428,
          name: "f29-build",
          parents: ["f29"],
          arches: ["armv7hl", "i686", "x86_64", "aarch64", "ppc64", "ppc64le", "s390x"],
          groups: [
            {
              name: "build",
              packages: [{ package: "bash" }, { package: "rpm-build" }, { package: "tar" }],
            },
          ],
        },
        { id: 3430, name: "f29-pending" },
        { id: 1928, name: "f28-build", arches: ["x86_64"] },
        { id: 1918, name: "f28-updates-candidate" },
      ],
      targets: [
        { id: 2032, name: "f29", buildTag: "f29-build", destTag: "f29" },
        { id: 1291, name: "f28", buildTag: "f28-build", destTag: "f28-updates-candidate" },
      ],
      builds: [
        {
          id: 548392,
          name: "eclipse",
          epoch: 1,
          version: "4.4.0",
          release: "10.fc22",
          owner: "rgrunber",
          tags: ["f25"],
          srpm: { buildRequires: ["maven-local", "java-devel >= 1:1.8"] },
          rpms: [{ name: "eclipse-platform", arch: "x86_64", requires: ["java >= 1:1.8"] }],
        },
        {
          id: 1046486,
          name: "rnv",
          version: "1.7.11",
          release: "15.fc28",
          owner: "msimacek",
          tags: ["f29"],
          srpm: { buildRequires: ["expat-devel", "gcc"] },
          rpms: [{ name: "rnv", arch: "x86_64", requires: ["libexpat.so.1()(64bit)"] }],
        },
        {
          id: 1072874,
          name: "maven",
          epoch: 1,
          version: "3.5.3",
          release: "2.fc29",
          owner: "msimacek",
          tags: ["f29"],
          srpm: { buildArchs: ["noarch", "noarch"], buildRequires: ["maven-local"] },
          rpms: [{ name: "maven", arch: "noarch", provides: ["mvn = 3.5.3"] }],
        },
        {
          id: 1000001,
          name: "bash",
          version: "4.4.19",
          release: "2.fc29",
          tags: ["f29"],
          rpms: [{ name: "bash", arch: "x86_64", provides: ["/bin/sh"] }],
        },
        {
          id: 1000002,
          name: "expat",
          version: "2.2.5",
          release: "3.fc29",
          tags: ["f29"],
          rpms: [
            { name: "expat", arch: "x86_64", provides: ["libexpat.so.1()(64bit)"] },
            { name: "expat-devel", arch: "x86_64", requires: ["expat = 2.2.5-3.fc29"] },
          ],
        },
      ],
      repos: [
        { id: 888027, tag: "f29-build" },
        { id: 880001, tag: "f28-build" },
      ],
      taskRules: [
        { package: "rnv", arch: "i386", fail: true, durationSeconds: 300 },
        { package: "*", durationSeconds: 600 },
      ],
    },
    "recorded-world",
  );
}

/** One XML-RPC call over HTTP without the Koji client: the decoded value or fault and the XML. */
export async function rawCall(
  url: string,
  method: string,
  params: XmlRpcValue[],
  headers: Record<string, string> = {},
): Promise<{ value?: XmlRpcValue; fault?: KojiFault; xml: string; response: Response }> {
  const response = await fetch(url, { method: "POST", body: encodeCall(method, params), headers });
  const xml = await response.text();
  try {
    return { value: decodeResponse(xml), xml, response };
  } catch (error) {
    if (error instanceof KojiFault) return { fault: error, xml, response };
    throw error;
  }
}

/** Session headers for a login result, with the given call number. */
export function sessionHeaders(login: unknown, callnum: number): Record<string, string> {
  const sinfo = login as { "session-id": number; "session-key": string };
  return {
    "Koji-Session-Id": String(sinfo["session-id"]),
    "Koji-Session-Key": sinfo["session-key"],
    "Koji-Session-Callnum": String(callnum),
  };
}

/**
 * A small world for build tests: "app" build-requires libfoo-devel, and its builds fail on
 * x86_64 once the repo has libfoo >= 2.
 */
export function distScenario(): Scenario {
  const libfoo = (version: string) => [
    { name: "libfoo", arch: "x86_64", provides: [`libfoo.so.${version[0]}()(64bit)`] },
    { name: "libfoo-devel", arch: "x86_64", requires: [`libfoo = ${version}-1`] },
  ];
  return parseScenario(
    {
      name: "dist",
      startTime: "2025-01-01T00:00:00Z",
      hosts: [
        { name: "builder-1", arches: ["x86_64", "i386"], capacity: 4 },
        { name: "builder-2", arches: ["x86_64"], capacity: 2, taskLoad: 1.5 },
      ],
      tags: [
        { name: "dist" },
        {
          name: "dist-build",
          parents: ["dist"],
          arches: ["x86_64", "i686"],
          groups: [{ name: "build", packages: [{ package: "bash" }] }],
        },
      ],
      targets: [{ name: "dist", buildTag: "dist-build", destTag: "dist" }],
      builds: [
        {
          name: "bash",
          version: "5.2",
          release: "1",
          tags: ["dist"],
          rpms: [{ name: "bash", arch: "x86_64" }],
        },
        { name: "libfoo", version: "1.0", release: "1", tags: ["dist"], rpms: libfoo("1.0") },
        {
          name: "app",
          version: "1.0",
          release: "1",
          tags: ["dist"],
          srpm: { buildRequires: ["libfoo-devel >= 1.0", "(bash or zsh)"], excludeArch: ["i686"] },
          rpms: [{ name: "app", arch: "x86_64", requires: ["libfoo.so.1()(64bit)"] }],
        },
      ],
      taskRules: [
        {
          package: "app",
          arch: "x86_64",
          repoHas: "libfoo >= 2",
          fail: true,
          durationSeconds: 120,
        },
        { package: "*", durationSeconds: 100 },
      ],
    },
    "dist",
  );
}

export const APP_SRC = "../packages/app/1.0/1/src/app-1.0-1.src.rpm";

/** A logged-in XML-RPC session against a simulator (callnum counted like koji's client). */
export class TestSession {
  private callnum = 0;
  private constructor(
    readonly hubUrl: string,
    public login: unknown,
  ) {}

  static async open(hubUrl: string): Promise<TestSession> {
    const answer = await rawCall(`${hubUrl}/ssllogin`, "sslLogin", [kwargs({ proxyuser: null })]);
    if (answer.fault) throw answer.fault;
    return new TestSession(hubUrl, answer.value!);
  }

  /** Calls a method; kwargs become the trailing `__starstar` struct. */
  call(method: string, args: XmlRpcValue[] = [], kw: Record<string, XmlRpcValue> = {}) {
    const params = Object.keys(kw).length ? [...args, kwargs(kw)] : args;
    return rawCall(this.hubUrl, method, params, sessionHeaders(this.login, ++this.callnum));
  }

  /** The value of a call that must succeed. */
  async value<T = XmlRpcValue>(
    method: string,
    args: XmlRpcValue[] = [],
    kw: Record<string, XmlRpcValue> = {},
  ): Promise<T> {
    const answer = await this.call(method, args, kw);
    if (answer.fault) throw answer.fault;
    return answer.value as T;
  }
}

/** POSTs (or GETs, without a body) a control endpoint; returns status and JSON. */
export async function control(
  simUrl: string,
  path: string,
  body?: unknown,
  method = body === undefined ? "GET" : "POST",
) {
  const response = await fetch(`${simUrl}/control${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
