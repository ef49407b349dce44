// Deterministic pseudo-random version strings for checking one rpmvercmp implementation
// against another (rpm itself, the SQL function). Pairs are often near-equal so that the
// comparison is decided deep inside the strings, where the interesting rules live.

import { pick, seededRandom } from "./seeded-random.js";

export type VersionPair = readonly [string, string];

// Separators include characters rpm ignores (`_`, `+`, a non-ASCII letter) as well as the
// meaningful `~` and `^`. No `-` or `:`: rpm's Lua rpm.vercmp, the oracle, reads those as
// E:V-R delimiters.
const SEPARATORS = [".", ".", ".", "_", "+", "~", "^", "α"];
const LETTERS = "abcfgprtxzABZ";

function randomPiece(random: () => number): string {
  const length = 1 + Math.floor(random() * 3);
  const roll = random();
  if (roll < 0.45) {
    const digits = Array.from({ length }, () => pick(random, "0123456789".split(""))).join("");
    return random() < 0.15 ? `0${digits}` : digits;
  }
  if (roll < 0.7) return Array.from({ length }, () => pick(random, LETTERS.split(""))).join("");
  return pick(random, SEPARATORS);
}

function randomPieces(random: () => number): string[] {
  const count = 1 + Math.floor(random() * 6);
  return Array.from({ length: count }, () => randomPiece(random));
}

/** Changes, inserts or deletes one piece, so the result usually shares a prefix. */
function mutate(pieces: string[], random: () => number): string[] {
  const copy = [...pieces];
  const at = Math.floor(random() * (copy.length + 1));
  const roll = random();
  if (roll < 0.4 && at < copy.length) copy[at] = randomPiece(random);
  else if (roll < 0.7 || copy.length < 2) copy.splice(at, 0, randomPiece(random));
  else copy.splice(Math.min(at, copy.length - 1), 1);
  return copy;
}

export function randomVersionPairs(seed: number, count: number): VersionPair[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (): VersionPair => {
    const a = randomPieces(random);
    const b = random() < 0.7 ? mutate(a, random) : randomPieces(random);
    return [a.join(""), b.join("")];
  });
}
