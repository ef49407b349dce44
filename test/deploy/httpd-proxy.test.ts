// deploy/httpd/koschei.conf run by a real Apache httpd (skipped where httpd, its proxy modules,
// mod_auth_openidc or openssl is missing). The OpenID Connect provider is out of reach here,
// so the /login block's `AuthType openid-connect` is swapped for Basic authentication: what is
// checked is the file's own header handling — a client's X-Remote-User is dropped everywhere,
// and /login passes the authenticated user.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";

const confFile = fileURLToPath(new URL("../../../deploy/httpd/koschei.conf", import.meta.url));

const has = (program: string) => spawnSync("sh", ["-c", `command -v ${program}`]).status === 0;
const httpd = ["apache2", "httpd"].find(has);
const moduleDir = ["/usr/lib/apache2/modules", "/usr/lib64/httpd/modules", "/usr/lib/httpd/modules"]
  .filter((dir) => existsSync(join(dir, "mod_proxy_http.so")))
  .at(0);
const required = [
  "mpm_event",
  "authz_core",
  "authz_user",
  "authn_core",
  "authn_file",
  "auth_basic",
  "auth_openidc",
  "headers",
  "proxy",
  "proxy_http",
  "ssl",
  "socache_shmcb",
  "alias",
];
const skip =
  !httpd || !moduleDir || !has("openssl")
    ? "no httpd or openssl"
    : required.filter((name) => !existsSync(join(moduleDir, `mod_${name}.so`))).length > 0
      ? "httpd modules missing"
      : false;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, log: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) {
      throw new Error(`httpd exited: ${existsSync(log) ? readFileSync(log, "utf8") : ""}`);
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("httpd did not start listening");
}

function get(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: "127.0.0.1", port, path, headers, rejectUnauthorized: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("httpd reverse proxy example", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "koschei-httpd-"));
  let child: ChildProcess | undefined;
  let httpsPort = 0;
  const seen: (string | null)[] = [];
  const frontend = createServer((req, res) => {
    const user = (req.headers["x-remote-user"] as string | undefined) ?? null;
    seen.push(user);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ path: req.url, user }));
  });

  before(async () => {
    const frontendPort = await listen(frontend);
    httpsPort = await freePort();
    const httpPort = await freePort();
    const openssl = spawnSync("openssl", [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
      ...["-subj", "/CN=koschei.example.org"],
      ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
    ]);
    assert.equal(openssl.status, 0, String(openssl.stderr));
    const hash = spawnSync("openssl", ["passwd", "-apr1", "secret"], { encoding: "utf8" });
    writeFileSync(join(dir, "users"), `alice:${hash.stdout.trim()}\n`);
    const original = readFileSync(confFile, "utf8");
    const login = /<LocationMatch "\^\/login\$">[\s\S]*?<\/LocationMatch>/.exec(original)![0];
    const conf = original
      .replace(
        login,
        login.replace(
          "AuthType openid-connect",
          `AuthType Basic\n        AuthName koschei\n        AuthUserFile ${join(dir, "users")}`,
        ),
      )
      .replaceAll("127.0.0.1:8080", `127.0.0.1:${frontendPort}`)
      .replace("<VirtualHost *:80>", `<VirtualHost 127.0.0.1:${httpPort}>`)
      .replace("<VirtualHost *:443>", `<VirtualHost 127.0.0.1:${httpsPort}>`)
      .replace(/\/etc\/pki\/tls\/certs\/\S+/, join(dir, "cert.pem"))
      .replace(/\/etc\/pki\/tls\/private\/\S+/, join(dir, "key.pem"));
    writeFileSync(join(dir, "koschei.conf"), conf);
    const modules = [...required, "unixd"]
      .filter((name) => existsSync(join(moduleDir!, `mod_${name}.so`)))
      .map((name) => `LoadModule ${name}_module ${join(moduleDir!, `mod_${name}.so`)}`);
    const asRoot = process.getuid?.() === 0;
    const nobodyGroup = spawnSync("id", ["-gn", "nobody"], { encoding: "utf8" }).stdout.trim();
    writeFileSync(
      join(dir, "httpd.conf"),
      [
        `ServerRoot ${dir}`,
        `ServerName localhost`,
        `DefaultRuntimeDir ${dir}`,
        `PidFile ${join(dir, "httpd.pid")}`,
        `ErrorLog ${join(dir, "error.log")}`,
        `Listen 127.0.0.1:${httpPort}`,
        `Listen 127.0.0.1:${httpsPort}`,
        ...modules,
        ...(asRoot ? ["User nobody", `Group ${nobodyGroup}`] : []),
        `Include ${join(dir, "koschei.conf")}`,
        "",
      ].join("\n"),
    );
    // Under User nobody the workers must reach the password file.
    spawnSync("chmod", ["-R", "a+rX", dir]);
    child = spawn(httpd!, ["-f", join(dir, "httpd.conf"), "-D", "FOREGROUND"], {
      stdio: "ignore",
    });
    await waitForPort(httpsPort, child, join(dir, "error.log"));
  });

  after(async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await new Promise((resolve) => frontend.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

  it("drops a client's identity header on ordinary pages", async () => {
    const answer = await get(httpsPort, "/groups", { "x-remote-user": "mallory" });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { path: "/groups", user: null });
  });

  it("passes the authenticated user to /login, whatever the client sent", async () => {
    const answer = await get(httpsPort, "/login?next=%2Fgroups", {
      authorization: basic("alice", "secret"),
      "x-remote-user": "mallory",
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { path: "/login?next=%2Fgroups", user: "alice" });
  });

  it("does not let an unauthenticated /login reach the frontend", async () => {
    const before = seen.length;
    const answer = await get(httpsPort, "/login", {
      authorization: basic("alice", "wrong"),
      "x-remote-user": "mallory",
    });
    assert.equal(answer.status, 401);
    assert.equal(seen.length, before);
  });

  it("does not authenticate other paths that start with /login", async () => {
    const answer = await get(httpsPort, "/login/oidc/callback", {
      authorization: basic("alice", "secret"),
      "x-remote-user": "mallory",
    });
    assert.equal(JSON.parse(answer.body).user, null);
  });
});
