// A process using a shared repo cache, driven by repo-cache-processes.test.ts: one JSON command
// per line on standard input, one JSON answer per line on standard output. Arguments: the cache
// directory and the capacity. It exits when its standard input ends.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { RepoCache, type LocalRepo } from "../../src/repo/repo-cache.js";

export type CacheCommand =
  | { op: "acquire"; url: string; key: string }
  /** Checks every downloaded file of a held repository against repomd.xml's checksums. */
  | { op: "verify"; key: string }
  /** Releases a held repository and waits for the clean-up that follows. */
  | { op: "release"; key: string };

export type CacheAnswer =
  { dir: string } | { verified: number } | { released: string } | { error: string };

const [cacheDir = "", capacity = ""] = process.argv.slice(2);
const cache = new RepoCache({ cacheDir, capacity: Number(capacity), retries: 0 });
const held = new Map<string, LocalRepo>();

async function run(command: CacheCommand): Promise<CacheAnswer> {
  if (command.op === "acquire") {
    const repo = await cache.acquire(command.url, command.key);
    held.set(command.key, repo);
    return { dir: repo.dir };
  }
  const repo = held.get(command.key);
  if (!repo) throw new Error(`${command.key} is not held`);
  if (command.op === "release") {
    repo.release();
    held.delete(command.key);
    await cache.close();
    return { released: command.key };
  }
  let verified = 0;
  for (const data of repo.repomd.data) {
    const path = repo.dataPath(data.type);
    if (!path) continue;
    const digest = createHash(data.checksum.type)
      .update(await readFile(path))
      .digest("hex");
    if (digest !== data.checksum.value) throw new Error(`${path}: checksum mismatch`);
    verified++;
  }
  return { verified };
}

for await (const line of createInterface({ input: process.stdin })) {
  const answer = await run(JSON.parse(line) as CacheCommand).catch((error: Error) => ({
    error: error.message,
  }));
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
await cache.close();
