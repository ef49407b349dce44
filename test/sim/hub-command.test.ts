// `koschei sim-koji` as a process: starts on the bundled demo scenario, answers XML-RPC, stops
// cleanly on SIGTERM; bad options give one line and exit code 2.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { rawCall } from "./hub-fixture.js";

const BIN = fileURLToPath(new URL("../../../bin/koschei", import.meta.url));

test("runs the bundled demo scenario until SIGTERM", async () => {
  const child = spawn(
    process.execPath,
    [BIN, "sim-koji", "--listen", "127.0.0.1:0", "--speed", "0"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.setEncoding("utf8");
  for await (const chunk of child.stdout) {
    output += chunk;
    if (output.includes("control")) break;
  }
  const hubUrl = /at (http:\/\/\S+\/kojihub)/.exec(output)?.[1];
  assert.ok(hubUrl, output);
  assert.match(output, /scenario demo/);
  const targets = await rawCall(hubUrl, "getBuildTargets", []);
  assert.ok(Array.isArray(targets.value) && targets.value.length > 0);
  child.kill("SIGTERM");
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
});

test("/dev/zero as a scenario fails at once as too large, not by filling the memory", () => {
  const result = spawnSync(
    process.execPath,
    [BIN, "sim-koji", "--listen", "127.0.0.1:0", "--scenario", "/dev/zero"],
    { encoding: "utf8" },
  );
  assert.equal(result.status, 1);
  assert.equal(result.stderr, "koschei sim-koji: /dev/zero: too large (more than 256 MiB)\n");
});

test("bad options are one line and exit code 2", () => {
  for (const args of [
    ["--speed", "0"],
    ["--listen", "nowhere"],
    ["--listen", "127.0.0.1:0", "--speed", "fast"],
    ["--listen", "127.0.0.1:0", "--tls-cert", "x.pem"],
  ]) {
    const result = spawnSync(process.execPath, [BIN, "sim-koji", ...args], { encoding: "utf8" });
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  }
});
