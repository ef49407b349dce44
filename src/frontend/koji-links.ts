// Links to Koji's web pages and files for builds (spec 08 §3.4). A real build of a collection in
// secondary mode lives on the secondary Koji; everything else on the primary one.
import type { KoscheiConfig } from "../config/index.js";

type KojiUrlConfig = Pick<KoscheiConfig, "koji_config" | "secondary_koji_config">;

export interface KojiInstanceUrls {
  /** Koji's web interface. */
  weburl: string;
  /** Koji's file server. */
  topurl: string;
}

/** The Koji instance a build's tasks and logs are on. */
export function buildKojiUrls(
  config: KojiUrlConfig,
  build: { real: boolean },
  collection: { secondary_mode: boolean },
): KojiInstanceUrls {
  const koji =
    build.real && collection.secondary_mode ? config.secondary_koji_config : config.koji_config;
  return { weburl: koji.weburl, topurl: koji.topurl };
}

/** The page of a Koji task (a build's or one of its arch sub-tasks). */
export function kojiTaskUrl(urls: KojiInstanceUrls, taskId: number): string {
  return `${urls.weburl}/taskinfo?taskID=${taskId}`;
}

/** The directory of a task's results; Koji spreads them over task id modulo 10000. */
export function kojiTaskResultsUrl(urls: KojiInstanceUrls, taskId: number): string {
  return `${urls.topurl}/work/tasks/${taskId % 10000}/${taskId}`;
}

export type KojiLogName = "build.log" | "root.log";

export const KOJI_LOG_NAMES: readonly KojiLogName[] = ["build.log", "root.log"];

export function kojiLogUrl(urls: KojiInstanceUrls, taskId: number, log: KojiLogName): string {
  return `${kojiTaskResultsUrl(urls, taskId)}/${log}`;
}

/** Koji's search for a real build `name-version-release`, on the collection's Koji. */
export function kojiRealBuildUrl(
  config: KojiUrlConfig,
  collection: { secondary_mode: boolean },
  build: { name: string; version: string; release: string },
): string {
  const weburl = collection.secondary_mode
    ? config.secondary_koji_config.weburl
    : config.koji_config.weburl;
  const terms = [build.name, build.version, build.release].map(encodeURIComponent).join("-");
  return `${weburl}/search?match=exact&type=build&terms=${terms}`;
}
