// `koschei-admin resolve` run as a real child process through ./bin/koschei-admin.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import {
  assertSameProblems,
  EDGE_BUILD_GROUP_FILE,
  EDGE_REPO,
  EDGE_SRPMS,
  edgeExpected,
  type ExpectedResolution,
} from "./edge-cases.js";

const bin = fileURLToPath(new URL("../../../bin/koschei-admin", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "koschei-resolve-command-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function resolveCommand(
  args: string[],
  stdin?: string,
  environment: NodeJS.ProcessEnv = {},
): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KOSCHEI_CONFIG_DIR: scratch, // holds no config file
    XDG_CACHE_HOME: join(scratch, "cache"),
    HOME: scratch,
    ...environment,
  };
  delete env.KOSCHEI_CONFIG;
  const child = spawn(process.execPath, [bin, "resolve", ...args], { env });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdin.end(stdin ?? "");
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

function outputLines(run: Run): ExpectedResolution[] {
  return run.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as ExpectedResolution);
}

function assertMatchesExpected(lines: ExpectedResolution[]): void {
  assert.equal(lines.length, edgeExpected.length);
  lines.forEach((line, index) => {
    const expected = edgeExpected[index]!;
    assert.equal(line.name, expected.name);
    assert.equal(line.resolved, expected.resolved, expected.name);
    assert.deepEqual(line.installs, expected.installs, expected.name);
    assertSameProblems(line.problems, expected.problems, expected.name);
  });
}

/** The edge cases and their build group as the command's input. */
const EDGE_INPUT_OPTIONS = ["--build-group-file", EDGE_BUILD_GROUP_FILE, "--srpms", EDGE_SRPMS];

describe("koschei-admin resolve", () => {
  test("prints the expected line for every edge case, in input order", async () => {
    const run = await resolveCommand(["--repo", EDGE_REPO, ...EDGE_INPUT_OPTIONS, "--jobs", "2"]);
    assert.equal(run.status, 0, run.stderr);
    assertMatchesExpected(outputLines(run));
    assert.equal(existsSync(join(scratch, "cache", "koschei", "solv")), true);
  });

  test("reads stdin, and takes the repo's comps group 'build' by default", async () => {
    const run = await resolveCommand(
      ["--repo", EDGE_REPO, "--srpms", "-", "--jobs", "1"],
      readFileSync(EDGE_SRPMS, "utf8"),
    );
    assert.equal(run.status, 0, run.stderr);
    assertMatchesExpected(outputLines(run));
  });

  test("fails, saying so, when its reader goes away, as in '| head'", async () => {
    const manyLines = readFileSync(EDGE_SRPMS, "utf8").repeat(200);
    const child = spawn(process.execPath, [bin, "resolve", "--repo", EDGE_REPO, "--srpms", "-"], {
      env: { ...process.env, XDG_CACHE_HOME: join(scratch, "cache") },
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.stdin.on("error", () => undefined).end(manyLines);
    const [firstChunk] = await once(child.stdout, "data");
    assert.ok(String(firstChunk).startsWith("{"));
    child.stdout.destroy();
    const [status] = await once(child, "close");
    assert.match(
      stderr,
      /^koschei-admin resolve: cannot write to standard output \(its reader closed it\); stopped after resolving \d+ packages\n$/,
    );
    assert.equal(status, 1);
  });

  test("--build-group lists names; empty buildrequires resolves the group alone", async () => {
    const line = { name: "solo", epoch: null, version: "1", release: "1", buildrequires: [] };
    const run = await resolveCommand(
      ["--repo", EDGE_REPO, "--build-group", "e-make, e-bash", "--arch", "x86_64", "--srpms", "-"],
      JSON.stringify(line) + "\n",
    );
    assert.equal(run.status, 0, run.stderr);
    const [result] = outputLines(run);
    assert.deepEqual(
      result!.installs!.map((i) => `${i.name}-${i.epoch}:${i.version}-${i.release}.${i.arch}`),
      [
        "e-bash-0:5.2.15-1.x86_64",
        "e-filesystem-0:3.18-1.noarch",
        "e-glibc-0:2.38-1.x86_64",
        "e-make-1:4.4.1-1.x86_64",
      ],
    );
  });

  test("bad input fails with one line naming the input line", async () => {
    const good = readFileSync(EDGE_SRPMS, "utf8").split("\n")[0]!;
    const cases: [string, RegExp][] = [
      [`${good}\n{"name": "x"`, /line 2: not valid JSON/],
      [`${good}\n\n{"name":"x","epoch":0,"version":"1","release":"1"}`, /line 3: "buildrequires"/],
      [`{"epoch":0,"version":"1","release":"1","buildrequires":[]}`, /line 1: "name"/],
    ];
    for (const [input, message] of cases) {
      const run = await resolveCommand(["--repo", EDGE_REPO, "--srpms", "-"], input);
      assert.notEqual(run.status, 0);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    }
  });

  test("a missing repo, srpms file or option is a one-line error", async () => {
    const missingRepo = await resolveCommand([
      "--repo",
      join(scratch, "none"),
      "--srpms",
      EDGE_SRPMS,
    ]);
    assert.notEqual(missingRepo.status, 0);
    assert.match(missingRepo.stderr, /repo .*none: no such directory/);
    const missingFile = await resolveCommand(["--repo", EDGE_REPO, "--srpms", join(scratch, "x")]);
    assert.match(missingFile.stderr, /srpms file .*x: no such file/);
    const noRepo = await resolveCommand(["--srpms", EDGE_SRPMS]);
    assert.equal(noRepo.status, 2);
    assert.match(noRepo.stderr, /at least one --repo is required/);
    const badArch = await resolveCommand(["--repo", EDGE_REPO, "--arch", "vax", "--srpms", "-"]);
    assert.match(badArch.stderr, /unknown architecture 'vax'/);
    const badGroupFile = join(scratch, "group.json");
    writeFileSync(badGroupFile, '{"not": "a list"}');
    const badGroup = await resolveCommand([
      "--repo",
      EDGE_REPO,
      "--build-group-file",
      badGroupFile,
      "--srpms",
      "-",
    ]);
    assert.match(badGroup.stderr, /expected a JSON list of names/);
  });

  test("bad option values are one-line errors naming the option and the value", async () => {
    const cases: [string[], number, string][] = [
      [["--repo", "http://[bad"], 2, "--repo http://[bad is not a valid URL"],
      [
        ["--repo", "ftp://x/"],
        2,
        "--repo ftp://x/: unsupported URL scheme (use http, https or file)",
      ],
      [["--repo", EDGE_REPO, "--jobs", "65"], 2, "--jobs must be from 1 to 64, not 65"],
      [["--repo", EDGE_REPO, "--jobs", "0"], 2, "--jobs must be a positive whole number, not '0'"],
      [
        ["--repo", EDGE_REPO, "--build-group-file", "/dev/zero"],
        1,
        "build group file /dev/zero: too large (more than 1048576 bytes)",
      ],
      [
        ["--repo", EDGE_REPO, "--srpms", scratch],
        1,
        `srpms file ${scratch}: is a directory, not a JSON-lines file`,
      ],
    ];
    for (const [args, status, message] of cases) {
      const run = await resolveCommand(args.includes("--srpms") ? args : [...args, "--srpms", "-"]);
      assert.equal(run.status, status, run.stderr);
      assert.equal(
        run.stderr.split("\n")[0],
        `koschei-admin resolve: ${message}` +
          (status === 2 ? " (see 'koschei-admin resolve --help')" : ""),
      );
    }
  });

  test("a file:// URL in any case is a local repo", async () => {
    const url = pathToFileURL(EDGE_REPO).href.replace("file:", "FILE:");
    const run = await resolveCommand(["--repo", url, ...EDGE_INPUT_OPTIONS]);
    assert.equal(run.status, 0, run.stderr);
    assertMatchesExpected(outputLines(run));
  });

  test("an empty directories.cachedir is refused, naming the key", async () => {
    const configDir = join(scratch, "empty-cachedir");
    mkdirSync(configDir);
    writeFileSync(join(configDir, "config.yaml"), 'directories:\n  cachedir: ""\n');
    const run = await resolveCommand(["--repo", EDGE_REPO, "--srpms", "-"], "", {
      KOSCHEI_CONFIG_DIR: configDir,
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /directories\.cachedir must be an absolute directory path, got ""/);
  });

  test("an unwritable cache: local repos resolve without it, with one warning", async () => {
    // sysfs refuses new directories even to root.
    const unwritable = { XDG_CACHE_HOME: "/sys/koschei-test-cache" };
    const run = await resolveCommand(["--repo", EDGE_REPO, ...EDGE_INPUT_OPTIONS], "", unwritable);
    assert.equal(run.status, 0, run.stderr);
    assertMatchesExpected(outputLines(run));
    const warnings = run.stderr
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      warnings.map(({ level, dir, msg }) => ({ level, dir, msg })),
      [
        {
          level: 40,
          dir: "/sys/koschei-test-cache/koschei/solv",
          msg: "the .solv cache directory is not writable; going without it",
        },
      ],
    );
  });

  describe("over HTTP", () => {
    let server: Server;
    let url: string;
    before(async () => {
      server = createServer((request, response) => {
        const path = normalize(decodeURIComponent(new URL(request.url!, "http://x").pathname));
        const file = join(EDGE_REPO, path);
        if (!file.startsWith(EDGE_REPO) || !existsSync(file)) {
          response.writeHead(404).end();
          return;
        }
        response.writeHead(200);
        createReadStream(file).pipe(response);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    test("an http repo is downloaded into the cache and resolved against", async () => {
      const run = await resolveCommand([
        "--repo",
        url.replace("http:", "HTTP:"),
        ...EDGE_INPUT_OPTIONS,
      ]);
      assert.equal(run.status, 0, run.stderr);
      assertMatchesExpected(outputLines(run));
    });

    test("a failing repo URL's password is not shown", async () => {
      const withSecret = `${url.replace("//", "//koschei:secret@")}missing/`;
      const run = await resolveCommand(["--repo", withSecret, "--srpms", "-"]);
      assert.equal(run.status, 1);
      assert.equal(
        run.stderr,
        `koschei-admin resolve: repository ${url.replace("//", "//koschei:***@")}missing/ does not exist ` +
          "(repodata/repomd.xml: HTTP 404); it may have been deleted\n",
      );
    });

    test("https against this plain HTTP server is a TLS error naming the URL", async () => {
      const tlsUrl = url.replace("http:", "https:");
      const run = await resolveCommand(["--repo", tlsUrl, "--srpms", "-"]);
      assert.equal(run.status, 1);
      assert.ok(
        run.stderr.startsWith(
          `koschei-admin resolve: GET ${tlsUrl}repodata/repomd.xml: the server does not speak TLS`,
        ),
        run.stderr,
      );
    });

    test("an unwritable cache is an error naming the errno for a downloaded repo", async () => {
      const run = await resolveCommand(["--repo", url, "--srpms", "-"], "", {
        XDG_CACHE_HOME: "/sys/koschei-test-cache",
      });
      assert.equal(run.status, 1);
      assert.equal(
        run.stderr,
        "koschei-admin resolve: EPERM: operation not permitted, mkdir '/sys/koschei-test-cache'\n",
      );
    });
  });
});
