// The recorded Koji answers of contracts/recorded/ (see its README.md): one JSON array of
// {method, args, kwargs, result | fault} per file.

import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import type { XmlRpcValue } from "@koschei/koji-protocol/xmlrpc.js";
import { sharedPath } from "../support/shared.js";

export interface RecordedCall {
  method: string;
  args: XmlRpcValue[];
  kwargs: Record<string, XmlRpcValue>;
  result?: XmlRpcValue;
  fault?: { faultCode: number; faultString: string };
}

export interface RecordedFile {
  /** Path relative to the recorded directory, e.g. "BackendTest/test_cancel.json". */
  name: string;
  calls: RecordedCall[];
}

const RECORDED_DIR = sharedPath("contracts", "recorded");

/** Every recorded file holding calls (the bare-result payloads are left out). */
export function recordedFiles(): RecordedFile[] {
  const files: RecordedFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".json")) {
        const content: unknown = JSON.parse(readFileSync(path, "utf8"));
        if (Array.isArray(content)) {
          files.push({ name: relative(RECORDED_DIR, path), calls: content as RecordedCall[] });
        }
      }
    }
  };
  walk(RECORDED_DIR);
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

/** The calls of one recorded file, e.g. recorded("koji_load_all.json"). */
export function recorded(name: string): RecordedCall[] {
  return JSON.parse(readFileSync(join(RECORDED_DIR, name), "utf8")) as RecordedCall[];
}

/** The result of the first recorded call of `method` in a file. */
export function recordedResult(name: string, method: string, index = 0): XmlRpcValue {
  const call = recorded(name).filter((c) => c.method === method)[index];
  if (!call || !("result" in call)) throw new Error(`${name}: no result #${index} of ${method}`);
  return call.result!;
}
