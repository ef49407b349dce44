// `koschei backend` as a process: exit codes, stopping on SIGTERM during a pass, the memory
// limit. Test services come from fixtures/backend-process.ts; `bin/koschei` has the product's.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";

const fixture = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "backend-process.js");
let configDir: string;

before(() => {
  configDir = mkdtempSync(join(tmpdir(), "koschei-backend-process-"));
});
after(() => rmSync(configDir, { recursive: true, force: true }));

function env(configFile = ""): NodeJS.ProcessEnv {
  writeFileSync(join(configDir, "config-backend.yaml"), configFile);
  return { ...process.env, KOSCHEI_CONFIG_DIR: configDir, HOME: configDir, WATCHDOG_PATH: "" };
}

function runFixture(args: string[], configFile = "") {
  return spawnSync(process.execPath, [fixture, "backend", ...args], {
    env: env(configFile),
    encoding: "utf8",
  });
}

describe("exit codes", () => {
  test("--once runs one pass and exits 0", () => {
    const result = runFixture(["quick", "--once"]);
    assert.equal(result.stdout, "quick pass\n");
    assert.equal(result.status, 0);
  });

  test("an unknown service is refused with 2, listing the known ones", () => {
    const result = runFixture(["quick", "nosuch"]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^koschei backend: No such service: nosuch\. Services:\n {2}slow /);
    assert.match(result.stderr, /\n {2}quick {12}a pass that only says so\n$/);
  });

  test("no service named: usage error 2", () => {
    const result = runFixture([]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /name a service to run/);
  });

  test("the product's registry: an unknown name is refused, listing the services", () => {
    const koschei = join(process.cwd(), "bin", "koschei");
    const result = spawnSync(process.execPath, [koschei, "backend", "polling", "nosuch"], {
      env: env(),
      encoding: "utf8",
    });
    assert.equal(result.status, 2);
    assert.match(
      result.stderr,
      /^koschei backend: No such service: nosuch\. Services:\n {2}polling /,
    );
    assert.match(result.stderr, /\n {2}scheduler +\S/);
  });

  test("memory above services.<name>.memory_limit after a pass: exit 3", () => {
    const result = runFixture(["quick"], "services:\n  polling:\n    memory_limit: 1\n");
    assert.equal(result.stdout, "quick pass\n");
    assert.equal(result.status, 3);
    assert.match(result.stderr, /Memory limit reached - resident: \d+ KiB/);
  });
});

describe("signals", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`${signal} during a pass lets the pass finish, then exits 0`, async () => {
      const child = spawn(process.execPath, [fixture, "backend", "slow"], { env: env() });
      let stdout = "";
      child.stdout.setEncoding("utf8");
      const started = new Promise<void>((resolve) =>
        child.stdout.on("data", (chunk: string) => {
          stdout += chunk;
          if (stdout.includes("pass started\n")) resolve();
        }),
      );
      const exited = once(child, "exit");
      await started;
      child.kill(signal);
      const [code] = await exited;
      assert.equal(stdout, "pass started\npass finished\n");
      assert.equal(code, 0);
    });
  }
});
