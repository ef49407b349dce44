// `koschei-admin resolve`: resolves the BuildRequires of source packages (JSON lines) against
// rpm-md repositories and prints one JSON line of results per input line, in input order.

import { once } from "node:events";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve as resolvePath } from "node:path";
import { createInterface } from "node:readline";
import { intOption, listOption, stringOption, UsageError, type Command, type ParsedArgs } from "../cli/command.js";
import { loadConfig, type KoscheiConfig } from "../config/index.js";
import { parseSourceLine, type SourceLine } from "../depsolve/source-lines.js";
import { openResolverPool, type ResolveRequest } from "../depsolve/resolver-pool.js";
import { RepoCache, type LocalRepo } from "../repo/repo-cache.js";
import { availableParallelism } from "node:os";

/** The comps group used when neither --build-group nor --build-group-file is given. */
const DEFAULT_BUILD_GROUP = "build";

export const resolveCommand: Command = {
  name: "resolve",
  summary: "resolve the BuildRequires of source packages (JSON lines) against rpm-md repos",
  description: `
Reads one JSON object per line, {"name","epoch","version","release","buildrequires":[...]}
(an optional "group":[...] replaces the build group for that line), and prints one line per
input, in input order: {"name","resolved","problems":[...],"installs":[...]} with installs
sorted by name then arch, or null when unresolved. Without --build-group(-file) the build group
is the repos' comps group "${DEFAULT_BUILD_GROUP}", if any.`,
  options: [
    {
      name: "repo",
      value: "PATH_OR_URL",
      help: "repository (directory containing repodata/, or http(s) URL)",
      repeatable: true,
    },
    { name: "arch", value: "ARCH", help: "architecture (default: dependency.resolve_for_arch)" },
    { name: "build-group", value: "A,B,C", help: "build group as comma-separated names" },
    { name: "build-group-file", value: "FILE", help: "build group as a JSON list of names" },
    { name: "srpms", value: "FILE", help: "source packages, JSON lines ('-' for stdin)" },
    { name: "jobs", short: "j", value: "N", help: "resolver threads (default: number of cores)" },
  ],
  run: runResolve,
};

async function runResolve(args: ParsedArgs): Promise<number> {
  const repoArgs = listOption(args, "repo");
  if (repoArgs.length === 0) throw new UsageError("at least one --repo is required");
  const srpms = stringOption(args, "srpms");
  if (srpms === undefined) throw new UsageError("--srpms is required");
  const jobs = intOption(args, "jobs", availableParallelism());
  const explicitGroup = readBuildGroupOption(args);
  const config = loadConfig("admin");
  const arch = stringOption(args, "arch") ?? config.dependency.resolve_for_arch;
  const input = srpms === "-" ? process.stdin : openInput(srpms);

  const acquired: LocalRepo[] = [];
  try {
    const repoDirs: string[] = [];
    let repoCache: RepoCache | undefined;
    for (const repo of repoArgs) {
      if (/^https?:\/\//.test(repo)) {
        repoCache ??= new RepoCache({
          cacheDir: config.directories.cachedir,
          capacity: config.dependency.cache_l2_capacity,
        });
        const local = await repoCache.acquire(repo);
        acquired.push(local);
        repoDirs.push(local.dir);
      } else {
        repoDirs.push(localRepoDir(repo));
      }
    }
    const pool = await openResolverPool({
      arch,
      repos: repoDirs,
      cacheDir: solvCacheDir(config),
      ignoreWeakDeps: config.dependency.ignore_weak_deps,
      workers: jobs,
    });
    try {
      const buildGroup = explicitGroup ?? pool.compsGroups[DEFAULT_BUILD_GROUP] ?? [];
      const names: string[] = [];
      const requests = toRequests(readSourceLines(input), buildGroup, names);
      await writeLines(
        (async function* () {
          for await (const resolution of pool.resolveAll(requests)) {
            const name = names.shift()!;
            yield (
              `{"name":${JSON.stringify(name)},"resolved":${resolution.resolved},` +
              `"problems":${JSON.stringify(resolution.problems)},` +
              `"installs":${resolution.installsJson ?? "null"}}\n`
            );
          }
        })(),
      );
    } finally {
      await pool.close();
    }
  } finally {
    for (const local of acquired) local.release();
  }
  return 0;
}

function readBuildGroupOption(args: ParsedArgs): string[] | undefined {
  const names = stringOption(args, "build-group");
  const file = stringOption(args, "build-group-file");
  if (names !== undefined && file !== undefined) {
    throw new UsageError("give --build-group or --build-group-file, not both");
  }
  if (names !== undefined) {
    return names
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "");
  }
  if (file === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`build group file ${file}: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((name) => typeof name === "string")) {
    throw new Error(`build group file ${file}: expected a JSON list of names`);
  }
  return parsed as string[];
}

function openInput(path: string): NodeJS.ReadableStream {
  if (!existsSync(path)) throw new Error(`srpms file ${path}: no such file`);
  return createReadStream(path);
}

function localRepoDir(path: string): string {
  const dir = resolvePath(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`repo ${path}: no such directory`);
  }
  if (!existsSync(join(dir, "repodata", "repomd.xml"))) {
    throw new Error(`repo ${path}: no repodata/repomd.xml`);
  }
  return dir;
}

function solvCacheDir(config: KoscheiConfig): string {
  return join(config.directories.cachedir, "solv");
}

async function* readSourceLines(input: NodeJS.ReadableStream): AsyncGenerator<SourceLine> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === "") continue;
    yield parseSourceLine(line, lineNumber);
  }
}

async function* toRequests(
  lines: AsyncIterable<SourceLine>,
  buildGroup: string[],
  names: string[],
): AsyncGenerator<ResolveRequest> {
  for await (const line of lines) {
    names.push(line.source.name);
    yield {
      source: line.source,
      buildRequires: line.buildRequires,
      buildGroup: line.group ?? buildGroup,
    };
  }
}

/**
 * Writes to stdout in chunks, waiting whenever stdout's buffer is full. When the reader goes
 * away (`… | head`), resolving stops quietly, as a Unix filter does; other write errors throw.
 */
async function writeLines(lines: AsyncIterable<string>): Promise<void> {
  const chunkSize = 64 * 1024;
  let failure: NodeJS.ErrnoException | undefined;
  const onError = (error: NodeJS.ErrnoException) => (failure = error);
  process.stdout.on("error", onError);
  const write = async (text: string) => {
    // A rejected wait means stdout failed; onError has recorded why.
    if (!process.stdout.write(text)) await once(process.stdout, "drain").catch(() => undefined);
  };
  try {
    let chunk = "";
    for await (const line of lines) {
      if (failure) break;
      chunk += line;
      if (chunk.length >= chunkSize) {
        await write(chunk);
        chunk = "";
      }
    }
    if (chunk && !failure) await write(chunk);
  } finally {
    process.stdout.off("error", onError);
  }
  if (failure && failure.code !== "EPIPE") throw failure;
}
