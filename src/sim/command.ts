// `koschei sim-koji`: runs the Koji hub simulator until interrupted.

import { readFileSync } from "node:fs";
import { UsageError, stringOption, type Command } from "../cli/command.js";
import { loadScenario } from "./scenario.js";
import { startSimulator, type TlsOptions } from "./server.js";
import { SimClock } from "./state.js";

function readPem(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`--${option}: cannot read ${path}: ${(error as Error).message}`);
  }
}

function tlsOptions(cert?: string, key?: string, ca?: string): TlsOptions | undefined {
  const given = [cert, key, ca].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (given !== 3) throw new UsageError("--tls-cert, --tls-key and --tls-ca go together");
  return {
    cert: readPem(cert!, "tls-cert"),
    key: readPem(key!, "tls-key"),
    ca: readPem(ca!, "tls-ca"),
  };
}

export const simKojiCommand: Command = {
  name: "sim-koji",
  summary: "run a simulated Koji hub (XML-RPC, topurl files, scratch builds, messages)",
  description: `
Serves the XML-RPC hub at /kojihub, the topurl at /kojifiles and the control interface at
/control (see src/sim/README.md). Simulated time runs --speed simulated seconds per real
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
  async run(args) {
    const listen = stringOption(args, "listen");
    if (!listen) throw new UsageError("--listen HOST:PORT is required");
    if (!/^.+:\d+$/.test(listen))
      throw new UsageError(`--listen must be HOST:PORT, not '${listen}'`);
    const speedText = stringOption(args, "speed") ?? "1";
    const speed = Number(speedText);
    if (!/^\d+(\.\d+)?$/.test(speedText) || !Number.isFinite(speed)) {
      throw new UsageError(`--speed must be a number >= 0, not '${speedText}'`);
    }
    const tls = tlsOptions(
      stringOption(args, "tls-cert"),
      stringOption(args, "tls-key"),
      stringOption(args, "tls-ca"),
    );
    const scenario = loadScenario(stringOption(args, "scenario"));
    const clock = new SimClock(Date.parse(scenario.startTime) / 1000, speed);
    const simulator = await startSimulator({
      listen,
      scenario,
      clock,
      tls,
      plainLoginUser: stringOption(args, "login-user") ?? "koschei",
      amqpUrl: stringOption(args, "amqp"),
      topicPrefix: stringOption(args, "topic-prefix"),
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
