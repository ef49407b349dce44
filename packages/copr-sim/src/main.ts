// `copr-sim --listen HOST:PORT [--amqp URL] …`: the simulator as a program of its own.
import { parseArgs } from "node:util";
import { DEFAULT_BUILD_END_TOPIC } from "./messages.js";
import { DEFAULT_USER, startCoprSim, type CoprSimOptions } from "./server.js";
import { DEFAULT_TIMING, MAX_PHASE_MS, type SimUser } from "./state.js";

const PROGRAM = "copr-sim";

export function helpText(): string {
  return [
    `Usage: ${PROGRAM} --listen HOST:PORT [options]`,
    "",
    "A Copr simulator: the parts of Copr's REST API v3 Koschei's copr plugin uses (projects,",
    "project chroots, builds from SRPM URLs whose state moves pending → running → succeeded or",
    "failed) and Copr's copr.build.end message over AMQP, with a control interface for tests",
    "under /control. Point a copr client's copr_url at http://HOST:PORT.",
    "",
    "Options:",
    "  --listen HOST:PORT     where to listen (port 0 picks a free one)",
    "  --amqp URL             publish copr.build.end to this RabbitMQ (amq.topic)",
    `  --topic TOPIC          routing key of copr.build.end (default ${DEFAULT_BUILD_END_TOPIC})`,
    "  --no-publish           send copr.build.end only when /control asks, not when builds end",
    "  --user NAME:LOGIN:TOKEN  an API user (repeatable); default",
    `                         ${DEFAULT_USER.username}:${DEFAULT_USER.login}:${DEFAULT_USER.token}`,
    `  --pending-ms N         how long builds stay pending (default ${DEFAULT_TIMING.pendingMs})`,
    `  --running-ms N         how long builds then run (default ${DEFAULT_TIMING.runningMs})`,
    "  --results-url URL      base of the chroot repositories of created projects",
    "                         (default http://HOST:PORT/results)",
    "  -h, --help             show this help",
    "",
    "Control (JSON): GET /control, POST /control/projects {ownername, projectname, chroot_repos},",
    "POST /control/builds/ID/finish {state}, POST /control/builds/ID/outcome {state},",
    "POST /control/outcomes {defaultOutcome, failingPackages}, POST /control/timing",
    "{pendingMs, runningMs, auto}, POST /control/faults {delayMs, status, mode: down|hang|endless,",
    "answer, path, count}, DELETE /control/faults, GET /control/calls, GET /control/messages,",
    "POST /control/builds/ID/publish {topic}, POST /control/messages {topic, publishBuildEnd}.",
    "",
  ].join("\n");
}

class UsageError extends Error {}

function phase(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > MAX_PHASE_MS)
    throw new UsageError(`--${name} must be a whole number of milliseconds up to ${MAX_PHASE_MS}`);
  return value;
}

function parseUser(text: string): SimUser {
  const [username, login, ...token] = text.split(":");
  if (!username || !login || token.length === 0 || token.join(":") === "")
    throw new UsageError(`--user must be NAME:LOGIN:TOKEN, not '${text}'`);
  return { username, login, token: token.join(":") };
}

export function parseCommandLine(argv: string[]): CoprSimOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: "string" },
        amqp: { type: "string" },
        topic: { type: "string" },
        "no-publish": { type: "boolean" },
        user: { type: "string", multiple: true },
        "pending-ms": { type: "string" },
        "running-ms": { type: "string" },
        "results-url": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  if (!values.listen) throw new UsageError("--listen HOST:PORT is required");
  const pendingMs = phase(values["pending-ms"], "pending-ms");
  const runningMs = phase(values["running-ms"], "running-ms");
  return {
    listen: values.listen,
    amqpUrl: values.amqp,
    buildEndTopic: values.topic,
    publishBuildEnd: !values["no-publish"],
    users: values.user?.map(parseUser),
    resultsUrl: values["results-url"],
    timing: {
      ...(pendingMs !== undefined ? { pendingMs } : {}),
      ...(runningMs !== undefined ? { runningMs } : {}),
    },
  };
}

/** Runs the simulator until SIGINT or SIGTERM; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let options: CoprSimOptions | "help";
  try {
    options = parseCommandLine(argv);
  } catch (error) {
    process.stderr.write(`${PROGRAM}: ${(error as Error).message} (see '${PROGRAM} --help')\n`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(helpText());
    return 0;
  }
  let sim;
  try {
    sim = await startCoprSim({
      ...options,
      onError: (error) => process.stderr.write(`${PROGRAM}: ${error.message}\n`),
    });
  } catch (error) {
    process.stderr.write(`${PROGRAM}: ${(error as Error).message}\n`);
    return 1;
  }
  const users = [...sim.state.users.values()].map((u) => `${u.username} (login ${u.login})`);
  process.stdout.write(
    `${PROGRAM}: Copr API at ${sim.apiUrl}, control at ${sim.url}/control; users: ` +
      `${users.join(", ")}${sim.amqpConnected ? `; copr.build.end to ${sim.buildEndTopic}` : ""}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await sim.close();
  return 0;
}
