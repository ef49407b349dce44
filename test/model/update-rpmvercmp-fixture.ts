// Regenerates the "generated" part of test/fixtures/rpmvercmp-cases.json by asking the
// installed rpm (rpm.vercmp through its Lua interpreter), and checks that rpm agrees with
// the recorded cases and oddities. A development tool, not a test:
//   npx tsc -p . && node dist/test/model/update-rpmvercmp-fixture.js
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  loadRpmvercmpFixture,
  RPMVERCMP_FIXTURE_URL,
  type VersionComparisonCase,
} from "./rpmvercmp-fixture.js";
import { randomVersionPairs, type VersionPair } from "./version-samples.js";

const GENERATED_SEED = 20240611;
const GENERATED_COUNT = 400;

/** One rpm process for all pairs: a Lua script printing one result per line. */
function askRpm(pairs: readonly VersionPair[]): number[] {
  const dir = mkdtempSync(join(tmpdir(), "rpmvercmp-"));
  try {
    const script = join(dir, "compare.lua");
    // JSON string literals are valid Lua string literals for these characters.
    const lines = pairs.map(
      ([a, b]) => `print(rpm.vercmp(${JSON.stringify(a)}, ${JSON.stringify(b)}) .. "\\n")`,
    );
    writeFileSync(script, lines.join("\n"));
    const output = execFileSync("rpm", ["--eval", `%{lua: dofile(${JSON.stringify(script)})}`], {
      encoding: "utf8",
    });
    const results = output
      .split(/\s+/)
      .filter((word) => word !== "")
      .map(Number);
    if (results.length !== pairs.length) throw new Error("rpm gave an unexpected answer count");
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function asCase([a, b]: VersionPair, result: number): VersionComparisonCase {
  if (result !== -1 && result !== 0 && result !== 1) throw new Error(`rpm said ${result}`);
  return { a, b, expected: result };
}

const fixture = loadRpmvercmpFixture();
const recorded = [...fixture.cases, ...fixture.oddities];
const recordedAnswers = askRpm(recorded.map((c): VersionPair => [c.a, c.b]));
const disagreements = recorded.filter((c, i) => recordedAnswers[i] !== c.expected);
if (disagreements.length > 0) {
  throw new Error(`rpm disagrees with recorded cases: ${JSON.stringify(disagreements)}`);
}
const pairs = randomVersionPairs(GENERATED_SEED, GENERATED_COUNT);
const generated = askRpm(pairs).map((result, i) => asCase(pairs[i]!, result));
writeFileSync(RPMVERCMP_FIXTURE_URL, `${JSON.stringify({ ...fixture, generated }, null, 2)}\n`);
console.log(`checked ${recorded.length} recorded cases, wrote ${generated.length} generated`);
