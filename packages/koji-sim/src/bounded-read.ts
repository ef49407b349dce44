// Input files (scenarios, task rules, srpms.jsonl, build groups) are read with a size limit, so
// that /dev/zero or a never-ending FIFO fails at once instead of filling the memory. stat's size
// says nothing about devices and pipes: the limit holds on what is actually read.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/**
 * The largest input file read: 8 times the 31 MB scenario of the whole Debian set, and well
 * below V8's longest string (512 MiB).
 */
export const MAX_INPUT_FILE_BYTES = 256 * 1024 * 1024;

const CHUNK_BYTES = 1024 * 1024;

/** An input file over the limit; the message is "FILE: too large (…)". */
export class FileTooLargeError extends Error {
  /** The message without the path. */
  readonly reason: string;

  constructor(path: string, maxBytes: number) {
    const reason = `too large (more than ${describeBytes(maxBytes)})`;
    super(`${path}: ${reason}`);
    this.name = "FileTooLargeError";
    this.reason = reason;
  }
}

function describeBytes(bytes: number): string {
  const mebibytes = bytes / (1024 * 1024);
  return Number.isInteger(mebibytes) ? `${mebibytes} MiB` : `${bytes} bytes`;
}

/** The file's text (UTF-8); FileTooLargeError beyond `maxBytes`, the fs error when unreadable. */
export function readTextFileBounded(path: string, maxBytes = MAX_INPUT_FILE_BYTES): string {
  const fd = openSync(path, "r");
  try {
    const stats = fstatSync(fd);
    if (stats.isFile() && stats.size > maxBytes) {
      throw new FileTooLargeError(path, maxBytes);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // One byte more than allowed tells a file of exactly maxBytes from a longer one.
      const room = maxBytes + 1 - total;
      if (room === 0) throw new FileTooLargeError(path, maxBytes);
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, room));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
    }
    return Buffer.concat(chunks, total).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** A JSON file's value; errors name the file. */
export function readJsonFile(path: string): unknown {
  const text = readTextFileBounded(path);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not JSON: ${(error as Error).message}`);
  }
}
