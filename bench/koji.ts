// Koji client figures: XML-RPC decoding and encoding of large listTagged answers, and multicall
// throughput against an in-process hub on 127.0.0.1. Prints figures only.
// Run: npm run bench:koji

import http from "node:http";
import type { AddressInfo } from "node:net";
import { KojiClient } from "../src/koji/client.js";
import { decodeCall, encodeResponse } from "@koschei/koji-protocol/xmlrpc-server.js";
import { decodeResponse } from "@koschei/koji-protocol/xmlrpc-client.js";
import {
  kojiDoubleMember,
  type XmlRpcStruct,
  type XmlRpcValue,
} from "@koschei/koji-protocol/xmlrpc.js";

const RUNS = 5;

/** A listTagged row with a koji 1.35 hub's fields (koji-xmlrpc.md §10.8). */
function taggedBuild(i: number): XmlRpcStruct {
  const name = `package-${i.toString(36)}`;
  const version = `${1 + (i % 7)}.${i % 13}.${i % 29}`;
  const release = `${1 + (i % 5)}.fc41`;
  const time = `2024-11-${String(1 + (i % 28)).padStart(2, "0")} 23:18:22.${String(i % 1e6).padStart(6, "0")}+00:00`;
  return {
    tag_id: 3428,
    tag_name: "f41-build",
    id: 2_000_000 + i,
    build_id: 2_000_000 + i,
    version,
    release,
    epoch: i % 9 === 0 ? 1 : null,
    state: 1,
    completion_time: time,
    promotion_time: null,
    start_time: time,
    task_id: 120_000_000 + i,
    draft: false,
    owner_id: 1000 + (i % 800),
    owner_name: `packager${i % 800}`,
    promoter_id: null,
    promoter_name: null,
    creation_event_id: 100_000_000 + i,
    creation_time: time,
    volume_id: 0,
    volume_name: "DEFAULT",
    package_id: 30_000 + i,
    package_name: name,
    name,
    nvr: `${name}-${version}-${release}`,
    create_event: 100_000_100 + i,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const result = fn();
  return [result, performance.now() - start];
}

function codecRow(label: string, builds: number) {
  const rows = Array.from({ length: builds }, (_, i) => taggedBuild(i));
  const encodeTimes: number[] = [];
  let xml = "";
  for (let run = 0; run < RUNS; run++) {
    const [encoded, ms] = time(() => encodeResponse(rows));
    xml = encoded;
    encodeTimes.push(ms);
  }
  const bytes = Buffer.from(xml, "utf8");
  const decodeTimes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const [decoded, ms] = time(() => decodeResponse(bytes));
    if (!Array.isArray(decoded) || decoded.length !== builds) throw new Error("bad decode");
    decodeTimes.push(ms);
  }
  const mb = bytes.length / 1e6;
  const decodeMs = median(decodeTimes);
  return {
    answer: label,
    builds,
    "size MB": mb.toFixed(1),
    "decode ms (median)": decodeMs.toFixed(0),
    "decode MB/s": (mb / (decodeMs / 1000)).toFixed(0),
    "encode ms (median)": median(encodeTimes).toFixed(0),
  };
}

/** How many builds of taggedBuild() make about `megabytes` of XML. */
function buildsForSize(megabytes: number): number {
  const sample = 1000;
  const bytes = Buffer.byteLength(
    encodeResponse(Array.from({ length: sample }, (_, i) => taggedBuild(i))),
  );
  return Math.round(((megabytes * 1e6) / bytes) * sample);
}

function taskInfo(id: number): XmlRpcStruct {
  return {
    id,
    state: 2,
    create_time: "2025-02-20 21:27:08.893226+00:00",
    create_ts: 1740086828.893226,
    start_time: "2025-02-20 21:27:10.890105+00:00",
    start_ts: 1740086830.890105,
    completion_time: "2025-02-20 21:27:35.468623+00:00",
    completion_ts: 1740086855.468623,
    channel_id: 1,
    host_id: 1,
    parent: null,
    label: null,
    waiting: null,
    awaited: null,
    owner: 1,
    method: "build",
    arch: "noarch",
    priority: 50,
    weight: 0.2,
  };
}

/** A hub answering multiCall of getTaskInfo, as the polling service sends it. */
async function startHub(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const { params } = decodeCall(Buffer.concat(chunks));
      const calls = params[0] as { params: number[] }[];
      const answer: XmlRpcValue = calls.map((call) => [taskInfo(call.params[0]!)]);
      response.writeHead(200, { "Content-Type": "text/xml" });
      response.end(encodeResponse(answer, { doubleMember: kojiDoubleMember }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/kojihub`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function multicallRows() {
  const hub = await startHub();
  const rows = [];
  try {
    for (const [calls, chunk] of [
      [10_000, 100],
      [10_000, 1000],
    ] as const) {
      const client = new KojiClient({ server: hub.url, multicall_chunk_size: chunk });
      const requests = Array.from({ length: calls }, (_, i) => ({
        method: "getTaskInfo",
        args: [40_000_000 + i],
      }));
      await client.multiCall(requests.slice(0, chunk)); // warm up the connection
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const start = performance.now();
        const results = await client.multiCall(requests);
        times.push(performance.now() - start);
        if (results.length !== calls) throw new Error("bad multicall");
      }
      client.close();
      const ms = median(times);
      rows.push({
        calls,
        "chunk size": chunk,
        "HTTP requests": Math.ceil(calls / chunk),
        "ms (median)": ms.toFixed(0),
        "calls/s": Math.round(calls / (ms / 1000)),
      });
    }
  } finally {
    await hub.close();
  }
  return rows;
}

async function main() {
  console.log(`XML-RPC codec, listTagged answers (koji 1.35 fields; median of ${RUNS} runs)`);
  console.table([
    codecRow("1,000 builds", 1000),
    codecRow("~25 MB", buildsForSize(25)),
    codecRow("30,000 builds", 30_000),
  ]);
  console.log(`\nmultiCall(getTaskInfo) against an in-process hub (median of ${RUNS} runs)`);
  console.table(await multicallRows());
}

await main();
