// deploy/nginx/koschei.conf run by a real nginx (skipped where nginx or openssl is missing):
// a client's X-Remote-User never reaches the frontend, /login gets the user the
// authentication service vouched for, and an anonymous /login is sent to sign in.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";

const confFile = fileURLToPath(new URL("../../../deploy/nginx/koschei.conf", import.meta.url));

const missing = ["nginx", "openssl"].filter(
  (program) => spawnSync("sh", ["-c", `command -v ${program}`]).status !== 0,
);

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
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${readFileSync(log, "utf8")}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("nginx did not start listening");
}

interface Answer {
  status: number;
  location?: string;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        headers: { host: "koschei.example.org", ...headers },
        rejectUnauthorized: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode!, location: res.headers.location, body }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("nginx reverse proxy example", { skip: missing.length > 0 && `no ${missing}` }, () => {
  const dir = mkdtempSync(join(tmpdir(), "koschei-nginx-"));
  let nginx: ChildProcess | undefined;
  let httpsPort = 0;
  // The frontend stand-in answers with what it received.
  const frontend = createServer((req: IncomingMessage, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ path: req.url, user: req.headers["x-remote-user"] ?? null }));
  });
  // The oauth2-proxy stand-in: a session cookie "ok" is user alice, anything else is 401.
  const auth = createServer((req, res) => {
    if (req.url === "/oauth2/auth" && req.headers.cookie === "session=ok") {
      res.setHeader("x-auth-request-preferred-username", "alice");
      res.statusCode = 202;
    } else {
      res.statusCode = 401;
    }
    res.end();
  });

  before(async () => {
    const frontendPort = await listen(frontend);
    const authPort = await listen(auth);
    httpsPort = await freePort();
    const httpPort = await freePort();
    const openssl = spawnSync("openssl", [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
      ...["-subj", "/CN=koschei.example.org"],
      ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
    ]);
    assert.equal(openssl.status, 0, String(openssl.stderr));
    const conf = readFileSync(confFile, "utf8")
      .replaceAll("127.0.0.1:8080", `127.0.0.1:${frontendPort}`)
      .replaceAll("127.0.0.1:4180", `127.0.0.1:${authPort}`)
      .replace(/^\s*listen \[::\].*$/gm, "")
      .replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${httpPort};`)
      .replace(/^(\s*)listen 443 /m, `$1listen 127.0.0.1:${httpsPort} `)
      .replace(/\/etc\/pki\/tls\/certs\/[^;]+/, join(dir, "cert.pem"))
      .replace(/\/etc\/pki\/tls\/private\/[^;]+/, join(dir, "key.pem"));
    writeFileSync(join(dir, "koschei.conf"), conf);
    const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
      .map((kind) => `${kind}_temp_path ${join(dir, kind)};`)
      .join(" ");
    writeFileSync(
      join(dir, "nginx.conf"),
      `pid ${join(dir, "nginx.pid")};\nerror_log ${join(dir, "error.log")};\n` +
        `events {}\nhttp { access_log off; ${temp} include ${join(dir, "koschei.conf")}; }\n`,
    );
    nginx = spawn(
      "nginx",
      ["-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf"), "-g", "daemon off;"],
      { stdio: "ignore" },
    );
    await waitForPort(httpsPort, nginx, join(dir, "error.log"));
  });

  after(async () => {
    if (nginx?.pid !== undefined && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx!.once("exit", resolve));
      nginx.kill("SIGQUIT");
      await exited;
    }
    await new Promise((resolve) => frontend.close(resolve));
    await new Promise((resolve) => auth.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("drops a client's identity header on ordinary pages", async () => {
    const answer = await get(httpsPort, "/package/bash?collection=f42", {
      "x-remote-user": "mallory",
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { path: "/package/bash?collection=f42", user: null });
  });

  it("passes the authenticated user to /login, whatever the client sent", async () => {
    const answer = await get(httpsPort, "/login?next=%2Fgroups", {
      cookie: "session=ok",
      "x-remote-user": "mallory",
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { path: "/login?next=%2Fgroups", user: "alice" });
  });

  it("sends an anonymous /login to sign in, without reaching the frontend", async () => {
    const answer = await get(httpsPort, "/login", { "x-remote-user": "mallory" });
    assert.equal(answer.status, 302);
    assert.match(
      answer.location ?? "",
      /\/oauth2\/start\?rd=https:\/\/koschei\.example\.org\/login$/,
    );
  });

  it("does not authenticate other paths that start with /login", async () => {
    const answer = await get(httpsPort, "/login/oidc/callback", {
      cookie: "session=ok",
      "x-remote-user": "mallory",
    });
    assert.equal(JSON.parse(answer.body).user, null);
  });
});
