// The binary form of `build.dependency_keys` (spec 01 §2.23): a build's dependency ids, sorted,
// delta-encoded as big-endian 32-bit words and zlib-compressed.
import { deflateSync, inflateSync } from "node:zlib";

const WORD_BYTES = 4;
const MAX_WORD = 0xffff_ffff;

/** Encodes dependency ids (any order, each a positive integer, no duplicates). */
export function encodeDependencyKeys(ids: readonly number[]): Uint8Array {
  const sorted = [...ids].sort((a, b) => a - b);
  const words = Buffer.alloc(sorted.length * WORD_BYTES);
  let previous = 0;
  sorted.forEach((id, index) => {
    const delta = id - previous;
    if (!Number.isSafeInteger(id) || delta <= 0 || delta > MAX_WORD) {
      throw new Error(`dependency ids must be distinct positive integers, got ${id}`);
    }
    words.writeUInt32BE(delta, index * WORD_BYTES);
    previous = id;
  });
  return new Uint8Array(deflateSync(words));
}

/** The ids stored by `encodeDependencyKeys`, in ascending order. */
export function decodeDependencyKeys(keys: Uint8Array): number[] {
  const words = inflateSync(keys);
  if (words.length % WORD_BYTES !== 0) {
    throw new Error(`dependency keys of ${words.length} bytes are not 32-bit words`);
  }
  const ids: number[] = [];
  let previous = 0;
  for (let offset = 0; offset < words.length; offset += WORD_BYTES) {
    previous += words.readUInt32BE(offset);
    ids.push(previous);
  }
  return ids;
}
