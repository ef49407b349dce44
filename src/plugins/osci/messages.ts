// The Fedora CI (OSCI 0.2.5) messages about a build group (spec 11 §4.3, contracts/
// fedora-messaging.md §7.3): topic, artifact and body, built from Koji's answers without any
// I/O, so that every field can be checked against the schemas.
import { createHash } from "node:crypto";
import { Severity, type FedoraMessage } from "@koschei/koji-protocol/messages.js";
import type { KojiTaggedBuild } from "@koschei/koji-protocol/koji-types.js";
import type { OsciConfig } from "../../config/index.js";

/** What a build group reports about a repo: a state it evaluated, or `aborted` for a replaced repo. */
export type ReportedState = "queued" | "running" | "passed" | "failed" | "aborted";

/** The last word of the topic, by state. */
export type MessageKind = "queued" | "running" | "complete" | "error";

const KIND_OF_STATE: Record<ReportedState, MessageKind> = {
  queued: "queued",
  running: "running",
  passed: "complete",
  failed: "complete",
  aborted: "error",
};

/** The messages are plain fedora-messaging ones: no schema class, no body validation. */
const BASE_MESSAGE_SCHEMA = "base.message";
const BASE_MESSAGE_SCHEMA_PACKAGE = "fedora_messaging";
const OSCI_VERSION = "0.2.5";
const ABORTED_REASON = "Test was aborted by Koschei";

/** The settings the messages take their fixed parts from. */
export interface MessageSettings {
  readonly osci: OsciConfig;
  /** Primary Koji's `topurl`. */
  readonly topurl: string;
  /** `dependency.repo_arch`. */
  readonly repoArch: string;
}

export interface OsciBuild {
  type: string;
  id: number;
  issuer: string;
  component: string;
  nvr: string;
  scratch: false;
}

export interface OsciArtifact {
  type: string;
  builds: OsciBuild[];
  repository: string;
  id: string;
}

export interface OsciBody {
  version: string;
  generated_at: string;
  contact: OsciConfig["contact"];
  pipeline: OsciConfig["pipeline"];
  test: OsciConfig["test"] & { result?: "passed" | "failed" };
  run: { url: string; log: string };
  artifact: OsciArtifact;
  system?: [];
  error?: { reason: string };
}

/** `ci.<namespace>.<build group artifact type>.test.<kind>`. */
export function osciTopic(osci: OsciConfig, state: ReportedState): string {
  return `ci.${osci.namespace}.${osci.build_group_artifact_type}.test.${KIND_OF_STATE[state]}`;
}

/**
 * `sha256:` and the SHA-256 of the build ids as decimal strings, sorted as strings (so "10"
 * before "9") and joined without a separator, as consumers of the original's messages know it.
 */
export function artifactId(buildIds: readonly number[]): string {
  const payload = buildIds
    .map(String)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .join("");
  return `sha256:${createHash("sha256").update(payload, "ascii").digest("hex")}`;
}

/** The build group as the repo `repoId` of tag `repoTagName` saw it, with the latest builds of the destination tag then. */
export function buildGroupArtifact(
  settings: MessageSettings,
  repo: { id: number; tagName: string },
  taggedBuilds: readonly Pick<KojiTaggedBuild, "id" | "owner_name" | "package_name" | "nvr">[],
): OsciArtifact {
  const builds = taggedBuilds.map((build): OsciBuild => ({
    type: settings.osci.build_artifact_type,
    id: build.id,
    issuer: build.owner_name,
    component: build.package_name,
    nvr: build.nvr,
    scratch: false,
  }));
  return {
    type: settings.osci.build_group_artifact_type,
    builds,
    repository: `${settings.topurl}/repos/${repo.tagName}/${repo.id}/${settings.repoArch}`,
    id: artifactId(builds.map((build) => build.id)),
  };
}

/** "2020-04-01T10:11:12.345Z": UTC, ISO 8601, Z suffix. */
function generatedAt(now: Date): string {
  return now.toISOString();
}

/** The body of the message reporting `state` about the artifact; the configuration is copied, never changed. */
export function osciBody(
  osci: OsciConfig,
  state: ReportedState,
  artifact: OsciArtifact,
  now: Date,
): OsciBody {
  const body: OsciBody = {
    version: OSCI_VERSION,
    generated_at: generatedAt(now),
    contact: { ...osci.contact },
    pipeline: { ...osci.pipeline },
    test: { ...osci.test },
    run: { url: "url", log: "log" },
    artifact,
  };
  if (state === "passed" || state === "failed") {
    body.test.result = state;
    body.system = [];
  }
  if (state === "aborted") body.error = { reason: ABORTED_REASON };
  return body;
}

/**
 * The message to publish about the artifact, or null when it has no builds (an empty group is
 * not reported).
 */
export function osciMessage(
  osci: OsciConfig,
  state: ReportedState,
  artifact: OsciArtifact,
  now: Date,
): FedoraMessage | null {
  if (artifact.builds.length === 0) return null;
  return {
    topic: osciTopic(osci, state),
    body: osciBody(osci, state, artifact, now),
    schema: BASE_MESSAGE_SCHEMA,
    schemaPackage: BASE_MESSAGE_SCHEMA_PACKAGE,
    severity: Severity.INFO,
  };
}
