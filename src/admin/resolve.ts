// `koschei-admin resolve`: resolves the BuildRequires of source packages (JSON lines) against
// rpm-md repositories and prints one JSON line of results per input line, in input order.

import { once } from "node:events";
import { closeSync, createReadStream, openSync, readSync, statSync } from "node:fs";
import {
  intOption,
  listOption,
  stringOption,
  UsageError,
  type Command,
  type ParsedArgs,
} from "../cli/command.js";
import { loadConfig } from "../config/index.js";
import {
  DEFAULT_BUILD_GROUP,
  openResolution,
  type ResolutionOptions,
} from "../depsolve/resolution.js";
import { MAX_RESOLVER_WORKERS, type ResolveRequest } from "../depsolve/resolver-pool.js";
import { readSourceLines, type SourceLine } from "../depsolve/source-lines.js";
import { createLogger } from "../log/logger.js";
import { RepoError } from "../repo/errors.js";
import { locateRepo, repoCacheSettings } from "../repo/repo-cache.js";

/** A build group file is a list of names: anything larger is a mistake (/dev/zero, a log). */
const MAX_BUILD_GROUP_FILE_BYTES = 1024 * 1024;

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
      help: "repository: a directory containing repodata/, or an http(s):// or file:// URL",
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
  const repos = listOption(args, "repo");
  if (repos.length === 0) throw new UsageError("at least one --repo is required");
  for (const repo of repos) checkRepoOption(repo);
  const srpms = stringOption(args, "srpms");
  if (srpms === undefined) throw new UsageError("--srpms is required");
  const jobs = intOption(args, "jobs");
  if (jobs !== undefined && jobs > MAX_RESOLVER_WORKERS) {
    throw new UsageError(`--jobs must be from 1 to ${MAX_RESOLVER_WORKERS}, not ${jobs}`);
  }
  const buildGroup = readBuildGroupOption(args);
  const config = loadConfig("admin");
  const input = srpms === "-" ? process.stdin : openInput(srpms);
  // Closing our output stops the resolution, which the error then reports.
  const outputClosed = new AbortController();
  const session = await openResolution({
    repos,
    arch: stringOption(args, "arch") ?? config.dependency.resolve_for_arch,
    buildGroup: buildGroup && { packages: buildGroup },
    cacheDir: config.directories.cachedir,
    repoCacheSettings: repoCacheSettings(config.dependency),
    workers: jobs,
    ignoreWeakDeps: config.dependency.ignore_weak_deps,
    logger: createLogger({ name: "koschei-admin" }),
  } satisfies ResolutionOptions);
  try {
    const names: string[] = [];
    const requests = toRequests(readSourceLines(input), session.buildGroup, names);
    const resolutions = session.pool.resolveAll(requests, { signal: outputClosed.signal });
    await writeLines(
      (async function* () {
        for await (const resolution of resolutions) {
          const name = names.shift()!;
          yield (
            `{"name":${JSON.stringify(name)},"resolved":${resolution.resolved},` +
            `"problems":${JSON.stringify(resolution.problems)},` +
            `"installs":${resolution.installsJson ?? "null"}}\n`
          );
        }
      })(),
      outputClosed,
    );
  } finally {
    await session.release();
  }
  return 0;
}

/** A malformed or unsupported --repo URL is a usage error naming the option and the value. */
function checkRepoOption(repo: string): void {
  try {
    locateRepo(repo);
  } catch (error) {
    if (error instanceof RepoError) throw new UsageError(`--repo ${error.message}`);
    throw error;
  }
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
    parsed = JSON.parse(readSmallFile(file, MAX_BUILD_GROUP_FILE_BYTES).toString("utf8"));
  } catch (error) {
    throw new Error(`build group file ${file}: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((name) => typeof name === "string")) {
    throw new Error(`build group file ${file}: expected a JSON list of names`);
  }
  return parsed as string[];
}

/** The whole file, refused beyond `maxBytes` (read, not stat'ed: /dev/zero has size 0). */
function readSmallFile(path: string, maxBytes: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let read; length < buffer.length; length += read) {
      read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
    }
    if (length > maxBytes) throw new Error(`too large (more than ${maxBytes} bytes)`);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

function openInput(path: string): NodeJS.ReadableStream {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    throw new Error(`srpms file ${path}: no such file`);
  }
  if (isDirectory) throw new Error(`srpms file ${path}: is a directory, not a JSON-lines file`);
  return createReadStream(path);
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
 * Writes to stdout in chunks, waiting whenever stdout's buffer is full. Output that cannot be
 * written (its reader went away, as with `| head`, or a full disk) is an error: the results
 * would be lost unnoticed otherwise. `stop` is aborted at once, so no more work is done.
 */
async function writeLines(lines: AsyncIterable<string>, stop: AbortController): Promise<void> {
  const chunkSize = 64 * 1024;
  let failure: NodeJS.ErrnoException | undefined;
  const onError = (error: NodeJS.ErrnoException) => {
    failure ??= error;
    stop.abort(error);
  };
  process.stdout.on("error", onError);
  const write = async (text: string) => {
    // A destroyed stdout never drains; a rejected wait means it failed (onError knows why).
    if (failure) return;
    if (!process.stdout.write(text)) await once(process.stdout, "drain").catch(() => undefined);
  };
  let written = 0;
  try {
    let chunk = "";
    for await (const line of lines) {
      chunk += line;
      written++;
      if (chunk.length >= chunkSize) {
        await write(chunk);
        chunk = "";
      }
    }
    if (chunk) await write(chunk);
  } catch (error) {
    if (!failure) throw error; // else the iteration stopped with stdout's error, reported below
  } finally {
    // After a failure later writes fail too: keep listening so that those errors are not fatal.
    if (!failure) process.stdout.off("error", onError);
  }
  if (failure) {
    const reason = failure.code === "EPIPE" ? "its reader closed it" : failure.message;
    throw new Error(
      `cannot write to standard output (${reason}); stopped after resolving ${written} packages`,
    );
  }
}
