// Where two versions of a dependency first differ (spec 08 §3.11): the EVR texts are split into
// components at `-`, `.`, `_` and `~`, and the first component that differs is highlighted on
// both sides, so that a reader sees at once what moved.

/** An EVR text cut around its highlighted component; `highlighted` is empty when none. */
export interface EvrParts {
  before: string;
  highlighted: string;
  after: string;
}

const SEPARATOR = /([-._~])/;

/** Components at even indexes, the separators between them at odd ones. */
function tokens(evr: string): string[] {
  return evr.split(SEPARATOR);
}

function components(evrTokens: string[]): string[] {
  return evrTokens.filter((_token, index) => index % 2 === 0);
}

/** The index of the first component that differs, or undefined when all agree. */
function firstDifference(a: string[], b: string[]): number | undefined {
  const length = Math.max(a.length, b.length);
  for (let index = 0; index < length; index++) if (a[index] !== b[index]) return index;
  return undefined;
}

function cut(evrTokens: string[], component: number | undefined): EvrParts {
  const at = component === undefined ? -1 : component * 2;
  if (at < 0 || at >= evrTokens.length) {
    return { before: evrTokens.join(""), highlighted: "", after: "" };
  }
  return {
    before: evrTokens.slice(0, at).join(""),
    highlighted: evrTokens[at]!,
    after: evrTokens.slice(at + 1).join(""),
  };
}

/**
 * Both EVR texts cut around their first differing component; a side that is missing (an added
 * or removed dependency) stays null and nothing is highlighted on the other.
 */
export function evrDiff(
  previous: string | null,
  current: string | null,
): { previous: EvrParts | null; current: EvrParts | null } {
  if (previous === null || current === null) {
    const whole = (text: string | null) =>
      text === null ? null : { before: text, highlighted: "", after: "" };
    return { previous: whole(previous), current: whole(current) };
  }
  const previousTokens = tokens(previous);
  const currentTokens = tokens(current);
  const index = firstDifference(components(previousTokens), components(currentTokens));
  return { previous: cut(previousTokens, index), current: cut(currentTokens, index) };
}
