// `koji-sim hub` (Koschei: `koschei sim-koji`): runs the Koji hub simulator until interrupted.

import { readFileSync } from "node:fs";
import { SimUsageError, type SimCommand } from "./cli.js";
import { loadScenario } from "./scenario.js";
import { startSimulator, type TlsOptions } from "./server.js";
import { SimClock } from "./state.js";

function readPem(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new SimUsageError(`--${option}: cannot read ${path}: ${(error as Error).message}`);
  }
}

function tlsOptions(cert?: string, key?: string, ca?: string): TlsOptions | undefined {
  const given = [cert, key, ca].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (given !== 3) throw new SimUsageError("--tls-cert, --tls-key and --tls-ca go together");
  return {
    cert: readPem(cert!, "tls-cert"),
    key: readPem(key!, "tls-key"),
    ca: readPem(ca!, "tls-ca"),
  };
}

export const simKojiCommand: SimCommand = {
  name: "hub",
  summary: "run a simulated Koji hub (XML-RPC, topurl files, scratch builds, messages)",
  description: `
Serves the XML-RPC hub at /kojihub, the topurl at /kojifiles and the control interface at
/control (see the README of @koschei/koji-sim). Simulated time runs --speed simulated seconds per real
second; POST /control/advance moves it on at once. Without TLS options the hub speaks plain
HTTP and sslLogin logs in as --login-user; with them it serves HTTPS and takes the user
from the client certificate's CN.`,
  options: [
    { name: "listen", value: "HOST:PORT", help: "address to listen on (required)" },
    { name: "scenario", value: "FILE", help: "scenario JSON (default: the bundled demo)" },
    { name: "amqp", value: "URL", help: "publish buildsys.* messages to this RabbitMQ" },
    {
      name: "topic-prefix",
      value: "PREFIX",
      help: "prefix of message topics (default org.fedoraproject.prod)",
    },
    {
      name: "speed",
      value: "FACTOR",
      help: "simulated seconds per real second (default 1; 0 = only /control/advance)",
    },
    {
      name: "login-user",
      value: "NAME",
      help: "user of sslLogin over plain HTTP (default koschei)",
    },
    { name: "tls-cert", value: "FILE", help: "PEM server certificate (serves HTTPS)" },
    { name: "tls-key", value: "FILE", help: "PEM server key" },
    { name: "tls-ca", value: "FILE", help: "PEM CA bundle for client certificates" },
  ],
  async run(values) {
    const listen = values.listen;
    if (!listen) throw new SimUsageError("--listen HOST:PORT is required");
    if (!/^.+:\d+$/.test(listen))
      throw new SimUsageError(`--listen must be HOST:PORT, not '${listen}'`);
    const speedText = values.speed ?? "1";
    const speed = Number(speedText);
    if (!/^\d+(\.\d+)?$/.test(speedText) || !Number.isFinite(speed)) {
      throw new SimUsageError(`--speed must be a number >= 0, not '${speedText}'`);
    }
    const tls = tlsOptions(values["tls-cert"], values["tls-key"], values["tls-ca"]);
    const scenario = loadScenario(values.scenario);
    const clock = new SimClock(Date.parse(scenario.startTime) / 1000, speed);
    const simulator = await startSimulator({
      listen,
      scenario,
      clock,
      tls,
      plainLoginUser: values["login-user"] ?? "koschei",
      amqpUrl: values.amqp,
      topicPrefix: values["topic-prefix"],
      onError: (error) => process.stderr.write(`sim-koji: ${error.message}\n`),
    });
    process.stdout.write(
      `Koji simulator (scenario ${scenario.name}) at ${simulator.hubUrl}\n` +
        `topurl ${simulator.topurl}, control ${simulator.url}/control\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    await simulator.close();
  },
};
