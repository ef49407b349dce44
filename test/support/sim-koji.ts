// Koji client options for a test's own simulator. Over plain HTTP the simulator logs anyone in,
// but the client still reads the certificate file the login names: an empty one is written
// into the test's scratch directory.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KojiClientOptions } from "../../src/koji/client.js";

export function simKojiOptions(
  sim: { hubUrl: string; topurl: string },
  scratchDir: string,
  loginMethod: "ssl_login" | "logout",
  /** Seconds an answer may take (default: the client's). */
  timeout?: number,
): KojiClientOptions {
  const cert = join(scratchDir, "unused.pem");
  writeFileSync(cert, "");
  return {
    server: sim.hubUrl,
    topurl: sim.topurl,
    login_method: loginMethod,
    login_args: { cert },
    // One quick retry.
    retry: { retry_interval: 0, max_retries: 1, ...(timeout === undefined ? {} : { timeout }) },
  };
}
