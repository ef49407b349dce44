// A Copr for tests: the simulator (@koschei/copr-sim) in-process on 127.0.0.1, and the copr
// client configuration file that points Koschei at it.
//
//   const copr = await startCoprSim({ timing: { auto: false } });
//   config.copr.config_path = copr.writeConfig(dir);   // [copr-cli] for copr.user
//   copr.sim.createProject({ ownername: "someone", name: "update", chroots: [],
//     chrootRepos: { "fedora-rawhide-x86_64": repoUrl } });
//   … copr.sim.finishBuild(id, "failed"), copr.sim.calls, copr.sim.setFaults({ status: 503 }) …
//   await copr.close();
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DEFAULT_USER,
  startCoprSim as startSimulator,
  type CoprSimOptions,
  type CoprSimulator,
} from "@koschei/copr-sim/server.js";
import type { SimUser } from "@koschei/copr-sim/state.js";
import { CoprClient } from "../../src/plugins/copr/copr-client.js";

export interface CoprWorld {
  /** copr_url: the simulated frontend (the API is <url>/api_3). */
  url: string;
  /** The simulator: its state, control methods, calls and messages. */
  sim: CoprSimulator;
  /** The API user the written configuration logs in as. */
  user: SimUser;
  /** Writes `<dir>/copr-config` ([copr-cli] login, username, token, copr_url); returns its path. */
  writeConfig(dir: string, user?: SimUser): string;
  close(): Promise<void>;
}

/** The INI text python-copr (and CoprClient.fromConfig) reads, for a plain-HTTP Copr. */
export function coprConfigText(url: string, user: SimUser): string {
  return [
    "[copr-cli]",
    `login = ${user.login}`,
    `username = ${user.username}`,
    `token = ${user.token}`,
    `copr_url = ${url}`,
    "# the simulator speaks plain HTTP",
    "encrypted = False",
    "",
  ].join("\n");
}

/** Starts the simulator on a free port of 127.0.0.1 (options as CoprSimOptions). */
export async function startCoprSim(options: CoprSimOptions = {}): Promise<CoprWorld> {
  const sim = await startSimulator({ listen: "127.0.0.1:0", ...options });
  const user = options.users?.[0] ?? { ...DEFAULT_USER };
  return {
    url: sim.url,
    sim,
    user,
    writeConfig(dir, as = user) {
      const path = join(dir, "copr-config");
      writeFileSync(path, coprConfigText(sim.url, as), { mode: 0o600 });
      return path;
    },
    close: () => sim.close(),
  };
}

/** Creates a project of Koschei's own, as copr-scheduler does, with the simulator's user. */
export async function createKoscheiProject(
  copr: CoprWorld,
  name: string,
  chroot = "custom-1-x86_64",
): Promise<void> {
  await new CoprClient({ url: copr.url, ...copr.user }).createProject("koschei", name, {
    chroots: [chroot],
    description: "",
    instructions: "",
    additionalRepos: [],
    unlistedOnHomePage: true,
    develMode: false,
    enableNet: false,
  });
}
