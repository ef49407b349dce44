// Worker thread of files.ts: writes one repo's repodata away from the simulator's event loop,
// since a whole distribution's repo takes seconds during which the hub keeps answering.

import { parentPort, workerData } from "node:worker_threads";
import { generateRepodata, type RepoPackage, type RepodataOptions } from "./rpmmd.js";

const { packages, options } = workerData as { packages: RepoPackage[]; options: RepodataOptions };
parentPort!.postMessage(generateRepodata(packages, options));
