// One resolver thread: loads the repos once (workerData: PoolOptions), then resolves the
// batches the ResolverPool sends it. Protocol types live in resolver-pool.ts.

import { parentPort, workerData } from "node:worker_threads";
import { serializeDepsolveError } from "./errors.js";
import { openPool, type DepsolvePool, type PoolOptions } from "./pool.js";
import type { FromWorker, Outcome, ToWorker } from "./resolver-pool.js";

const port = parentPort;
if (!port) throw new Error("worker.js runs only as a worker thread");

function send(message: FromWorker): void {
  port!.postMessage(message);
}

let pool: DepsolvePool | undefined;
try {
  pool = openPool(workerData as PoolOptions);
  send({ kind: "ready", repos: pool.repos, compsGroups: pool.compsGroups });
} catch (error) {
  send({ kind: "failed", error: serializeDepsolveError(error) });
}

let lastGroup: string[] = [];
port.on("message", (message: ToWorker) => {
  if (message.kind === "close") {
    pool?.close();
    port.close();
    return;
  }
  const outcomes = message.requests.map((request): Outcome => {
    lastGroup = request.buildGroup ?? lastGroup;
    try {
      const { resolved, problems, installsJson } = pool!.resolve(
        request.buildRequires,
        lastGroup,
        request.source,
      );
      return { resolution: { resolved, problems, installsJson } };
    } catch (error) {
      return { error: serializeDepsolveError(error) };
    }
  });
  send({ kind: "resolved", batch: message.batch, outcomes });
});
