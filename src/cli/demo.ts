// `koschei demo`: Koschei at work within a minute, with nothing installed beforehand. One
// process holds the embedded PGlite database, the Koji hub simulator on the bundled scenario
// in fast simulated time, every backend service at short intervals and the web frontend with
// the demo login. The simulated world keeps moving (new versions of dependencies, now and then
// a broken one, and the repos regenerated), so dependency changes, rebuilds and unresolved
// packages appear on their own. A composition root: with sim-command.ts the only product code
// that imports the simulator.
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import pino from "pino";
import { loadScenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { SimClock, SimState } from "@koschei/koji-sim/state.js";
import { WorldMover } from "@koschei/koji-sim/world-mover.js";
import { onKojiMessages } from "@koschei/koji-sim/messages.js";
import { amqpEnvelope } from "@koschei/koji-protocol/messages.js";
import { adminEnvironment, runAdminCommand, type AdminCommand } from "../admin/admin-command.js";
import { createCollectionCommand } from "../admin/collections.js";
import { addPkgCommand } from "../admin/packages.js";
import { serviceSessions } from "../backend/command.js";
import { prettyDestination } from "../backend/log-format.js";
import { backendServices } from "../backend/registry.js";
import { runServices } from "../backend/runner.js";
import { assembleConfig, loadConfig, type KoscheiConfig } from "../config/index.js";
import { migrate, openDatabase, type Database } from "../db/index.js";
import { createFrontend, parseListen } from "../frontend/server.js";
import type { Logger } from "../log/logger.js";
import { inProcessWatcher } from "./demo-watcher.js";
import {
  flagOption,
  intOption,
  parseArgs,
  stringOption,
  UsageError,
  type Command,
} from "./command.js";

/** Marks a data directory as the demo's: only such a directory is ever reset. */
const MARKER = ".koschei-demo";
const COLLECTION = "f99";
const BUILD_TAG = "f99-build";
/** The simulator's messages carry Fedora's topic prefix, which `fedmsg.topic` expects. */
const TOPIC_PREFIX = "org.fedoraproject.prod";
/** Simulated seconds per real second: a 10-minute scratch build takes 20 s. */
const DEFAULT_SPEED = 30;
/** Real seconds between two moves of the world, and between two saves of the simulator. */
const MOVE_INTERVAL_S = 45;
const SAVE_INTERVAL_S = 30;

interface DemoPaths {
  root: string;
  database: string;
  cache: string;
  simulator: string;
  secret: string;
  certificate: string;
}

function demoPaths(root: string): DemoPaths {
  return {
    root,
    database: join(root, "pglite"),
    cache: join(root, "cache"),
    simulator: join(root, "koji-sim.snapshot"),
    secret: join(root, "session-secret"),
    certificate: join(root, "koji-client.pem"),
  };
}

/**
 * Creates the data directory, or checks that it is the demo's; `reset` empties a demo
 * directory first. A directory that holds anything else is refused, never touched.
 */
export function prepareDataDirectory(root: string, reset: boolean): DemoPaths {
  const paths = demoPaths(root);
  mkdirSync(root, { recursive: true });
  const entries = readdirSync(root);
  if (entries.length > 0 && !entries.includes(MARKER)) {
    throw new Error(
      `${root} is not empty and is not a demo data directory (no ${MARKER} file); give a new or empty directory`,
    );
  }
  if (reset) {
    for (const entry of entries) rmSync(join(root, entry), { recursive: true, force: true });
  }
  writeFileSync(join(root, MARKER), "Data of `koschei demo`; `koschei demo --reset` empties it.\n");
  if (!existsSync(paths.secret))
    writeFileSync(paths.secret, randomBytes(32).toString("hex"), { mode: 0o600 });
  // Over plain HTTP the simulator logs the client in without reading a certificate.
  if (!existsSync(paths.certificate))
    writeFileSync(paths.certificate, "not read over plain HTTP\n");
  return paths;
}

/** The demo's configuration: the built-in defaults and the operator's files, then ours. */
export function demoConfig(base: KoscheiConfig, paths: DemoPaths, sim: Simulator): KoscheiConfig {
  const every = (interval: number) => ({ interval });
  return assembleConfig(base, [
    {
      source: "koschei demo",
      values: {
        db_url: null,
        database_config: { database: null },
        directories: { statedir: paths.root, cachedir: paths.cache },
        koji_config: {
          server: sim.hubUrl,
          topurl: sim.topurl,
          weburl: `${sim.url}/koji`,
          login_method: "ssl_login",
          login_args: { cert: paths.certificate },
          max_builds: 8,
          load_threshold: 1,
        },
        secondary_koji_config: {},
        services: {
          polling: every(10),
          scheduler: every(3),
          "repo-resolver": every(3),
          "build-resolver": every(3),
          publisher: every(2),
        },
        flask: { SECRET_KEY: readFileSync(paths.secret, "utf8").trim() },
        frontend: { auth: { demo_login: true } },
      },
    },
  ]);
}

/** Runs an admin command in the demo's process, as `koschei-admin` would. */
async function admin(
  config: KoscheiConfig,
  database: Database,
  command: AdminCommand,
  argv: string[],
  log: Logger,
): Promise<void> {
  const { env, close } = adminEnvironment(config, database, {
    userName: "demo",
    readStdin: () => "",
    print: (line) => log.debug(line),
  });
  try {
    await runAdminCommand(command, env, parseArgs(command, argv));
  } finally {
    await close();
  }
}

/** On the first start: the collection and every package of the simulated tag, tracked. */
async function setUpCollection(
  config: KoscheiConfig,
  database: Database,
  sim: Simulator,
  log: Logger,
) {
  const existing = await database.db.selectFrom("collection").select("id").executeTakeFirst();
  if (existing) return;
  await admin(
    config,
    database,
    createCollectionCommand,
    [
      COLLECTION,
      "-d",
      "Fedora 99 (simulated)",
      "-t",
      COLLECTION,
      // Real builds are those tagged into the destination tag (the default is the build tag).
      "--dest-tag",
      COLLECTION,
      "--bugzilla-product",
      "Fedora",
      "--bugzilla-version",
      "99",
    ],
    log,
  );
  // The package list comes from Koji through the polling service, as in production.
  const polling = backendServices.filter((service) => service.name === "polling");
  const sessions = serviceSessions(config, log, database);
  try {
    const code = await runServices({
      services: polling,
      config,
      log,
      events: sessions.events,
      session: sessions.open,
      once: true,
    });
    if (code !== 0) throw new Error("the first polling pass failed; see the log above");
  } finally {
    await sessions.close();
  }
  const names = [
    ...new Set(
      sim.state
        .taggedBuilds(sim.state.tagByName(COLLECTION), { inherit: true, latest: true })
        .map(({ build }) => build.name),
    ),
  ].sort();
  await admin(config, database, addPkgCommand, ["-c", COLLECTION, ...names], log);
  log.info(`collection ${COLLECTION} created with ${names.length} tracked packages`);
}

function saveSimulator(sim: Simulator, path: string): void {
  const partial = `${path}.partial`;
  writeFileSync(partial, sim.state.snapshot());
  renameSync(partial, path);
}

/** Logs on standard error (readable lines on a terminal); the URL alone goes to standard output. */
function demoLogger(): Logger {
  return process.stderr.isTTY
    ? pino({ level: "info" }, prettyDestination(process.stderr))
    : pino({ level: "info" }, pino.destination(2));
}

export const demoCommand: Command = {
  name: "demo",
  summary:
    "run Koschei on a simulated Koji with every service and the web interface in one process",
  description:
    "Starts, in this process: the embedded PGlite database and a Koji hub simulator on the bundled " +
    "scenario (300 packages of collection f99) in fast simulated time, every backend service at " +
    "short intervals, and the web frontend with a password-less demo login; prints the URL. The " +
    "simulated world keeps moving: every 45 s a new version of a build dependency is tagged " +
    "(now and then a broken one, fixed by the next move) and the repo regenerated. State, " +
    "the simulator's included, is kept in the data directory (default <directories.statedir>/demo) " +
    "across restarts; --reset starts clean. Ctrl-C stops everything.",
  options: [
    {
      name: "listen",
      value: "HOST:PORT",
      help: "address of the web interface (default 127.0.0.1:8080; port 0 picks one)",
    },
    {
      name: "data-dir",
      value: "DIR",
      help: "where the demo keeps its database and simulator state",
    },
    { name: "reset", help: "empty the data directory first" },
    {
      name: "speed",
      value: "N",
      help: `simulated seconds per real second (default ${DEFAULT_SPEED})`,
    },
  ],
  async run(args) {
    const listen = parseListen(stringOption(args, "listen") ?? "127.0.0.1:8080");
    const speed = intOption(args, "speed", DEFAULT_SPEED);
    if (speed < 1 || speed > 3600) throw new UsageError("--speed must be between 1 and 3600");
    const base = loadConfig("frontend");
    const root = resolve(stringOption(args, "data-dir") ?? join(base.directories.statedir, "demo"));
    const paths = prepareDataDirectory(root, flagOption(args, "reset"));
    const log = demoLogger();

    const scenario = loadScenario();
    const restored = existsSync(paths.simulator)
      ? SimState.restore(readFileSync(paths.simulator))
      : undefined;
    // A new world starts now, so that its builds' ages look like a real distribution's.
    const start = restored?.time ?? Math.floor(Date.now() / 1000);
    if (!restored) scenario.startTime = new Date(start * 1000).toISOString();
    const sim = await startSimulator({
      listen: "127.0.0.1:0",
      scenario,
      state: restored,
      clock: new SimClock(start, speed),
      plainLoginUser: "koschei",
      onError: (error) => log.warn({ err: error }, "Koji simulator"),
    });
    const config = demoConfig(base, paths, sim);
    const database = await openDatabase(
      { kind: "pglite", dataDir: paths.database },
      { logger: log },
    );
    // Ctrl-C at any moment, set-up included, stops everything cleanly.
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const timers: NodeJS.Timeout[] = [];
    const cleanups: (() => void)[] = [];
    const sessions = serviceSessions(config, log, database);
    let app: Awaited<ReturnType<typeof createFrontend>> | undefined;
    let runner: Promise<unknown> = Promise.resolve();
    try {
      await migrate(database);
      await setUpCollection(config, database, sim, log);
      // Koji's messages go from the simulator straight to the watcher, as if through a broker.
      const watcher = inProcessWatcher();
      const stopMessages = onKojiMessages(
        sim.state,
        { baseUrl: sim.url, topurl: sim.topurl },
        (message) => {
          const envelope = amqpEnvelope(message, TOPIC_PREFIX, new Date());
          watcher.deliver({
            id: envelope.properties.messageId,
            topic: envelope.routingKey,
            body: JSON.parse(envelope.content.toString("utf8")) as Record<string, unknown>,
            headers: envelope.properties.headers,
            redelivered: false,
          });
        },
      );
      cleanups.push(stopMessages, () => void watcher.wake.close());
      runner = runServices({
        services: backendServices.map((service) =>
          service.name === "watcher" ? watcher.service : service,
        ),
        wake: watcher.wake,
        config,
        log,
        events: sessions.events,
        session: sessions.open,
        stop: stop.signal,
      });
      app = await createFrontend({ database, config, logger: log });
      const address = await app.listen(listen);
      process.stdout.write(
        `Koschei demo: ${address}  (Koji simulator: ${sim.url}; Ctrl-C stops)\n`,
      );

      const mover = new WorldMover(sim.state, COLLECTION, BUILD_TAG);
      const move = (breakChance?: number) => {
        const done = mover.step({ breakChance });
        log.info(`simulated Koji: ${done.kind} ${done.nvr}, new repo ${done.repoId}`);
      };
      // A first broken dependency right away, so that unresolved packages show within a minute.
      if (!restored) move(1);
      timers.push(setInterval(() => move(), MOVE_INTERVAL_S * 1000));
      timers.push(setInterval(() => saveSimulator(sim, paths.simulator), SAVE_INTERVAL_S * 1000));
      if (!stop.signal.aborted) {
        await new Promise<void>((done) => {
          stop.signal.addEventListener("abort", () => done());
          void runner.finally(done);
        });
      }
      log.info("stopping the demo");
    } finally {
      for (const timer of timers) clearInterval(timer);
      for (const cleanup of cleanups) cleanup();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      stop.abort();
      await runner;
      await app?.close();
      // The services log out of Koji before the simulator goes.
      await sessions.close();
      saveSimulator(sim, paths.simulator);
      await sim.close();
      await database.close();
    }
  },
};
