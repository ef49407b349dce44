// `koji-sim scenario` (Koschei: `koschei sim-scenario`): writes a hub simulator scenario generated from an rpm-md repository,
// an srpms.jsonl and a build-group.json (the format of /work/shared/bench/).

import { writeFile } from "node:fs/promises";
import { positiveIntOption, SimUsageError, type SimCommand, type SimOptionValues } from "./cli.js";
import {
  defaultFromRepoOptions,
  readRepoSources,
  scenarioFromSources,
  type FromRepoOptions,
} from "./from-repo.js";
import { readJsonFile } from "./bounded-read.js";
import { parseScenario, type ScenarioFile } from "./scenario.js";

export const scenarioCommand: SimCommand = {
  name: "scenario",
  summary: "generate a Koji hub simulator scenario from an rpm-md repo and srpms.jsonl",
  description: `
Every source package of srpms.jsonl becomes a build carrying its BuildRequires and the
binaries whose rpm:sourcerpm names it, tagged into the target's destination tag; the build
tag "<target>-build" inherits it and holds the build group. With --limit, only N source
packages are taken, chosen at random (--seed) among those whose BuildRequires and runtime
dependencies can be closed within the sample; other sources then contribute just the
binaries needed, tagged into the build tag only. The scenario format is described in
the README and scenario.schema.json of @koschei/koji-sim.`,
  options: [
    { name: "repo", value: "DIR", help: "rpm-md repository (the directory holding repodata/)" },
    { name: "srpms", value: "FILE", help: "source packages, one JSON object a line" },
    { name: "build-group", value: "FILE", help: "JSON array of the build group's package names" },
    {
      name: "output",
      short: "o",
      value: "FILE",
      help: "where to write the scenario (default: stdout)",
    },
    { name: "name", value: "NAME", help: `scenario name (default ${defaultFromRepoOptions.name})` },
    { name: "description", value: "TEXT", help: "scenario description" },
    {
      name: "target",
      value: "NAME",
      help: `build target (default ${defaultFromRepoOptions.target})`,
    },
    {
      name: "start-time",
      value: "ISO",
      help: "simulated clock start (default 2025-01-01T00:00:00Z)",
    },
    { name: "hosts", value: "N", help: `builder hosts (default ${defaultFromRepoOptions.hosts})` },
    { name: "limit", value: "N", help: "take N source packages as a dependency-closed sample" },
    {
      name: "seed",
      value: "N",
      help: `random seed of the sample (default ${defaultFromRepoOptions.seed})`,
    },
    { name: "task-rules", value: "FILE", help: "JSON array of task rules to include" },
    { name: "task-duration", value: "SECONDS", help: "default task duration (default 1800)" },
  ],
  async run(values: SimOptionValues) {
    const repoDir = requiredOption(values, "repo");
    const srpmsPath = requiredOption(values, "srpms");
    const options = generationOptions(values);
    const taskRulesPath = values["task-rules"];
    const taskRules = taskRulesPath ? readJsonArray(taskRulesPath) : undefined;
    const sources = await readRepoSources({
      repoDir,
      srpmsPath,
      buildGroupPath: values["build-group"],
    });
    const scenario: ScenarioFile = scenarioFromSources(sources, options);
    if (taskRules) scenario.taskRules = taskRules as ScenarioFile["taskRules"];
    const taskDuration = positiveIntOption(values, "task-duration");
    if (taskDuration !== undefined) scenario.defaultTaskDurationSeconds = taskDuration;
    // Generated scenarios must load: check with the loader itself before writing.
    const loaded = parseScenario(structuredClone(scenario), "generated scenario");
    const text = formatScenarioFile(scenario);
    const output = values.output;
    if (output) await writeFile(output, text);
    else process.stdout.write(text);
    const tracked = new Set(loaded.targets.map((target) => target.destTag));
    const complete = loaded.builds.filter((b) => b.tags.some((tag) => tracked.has(tag))).length;
    const rpms = loaded.builds.reduce((sum, build) => sum + build.rpms.length, 0);
    process.stderr.write(
      `${output ?? "stdout"}: ${loaded.builds.length} builds (${complete} in destination tags), ${rpms} binary RPMs\n`,
    );
  },
};

function requiredOption(values: SimOptionValues, name: string): string {
  const value = values[name];
  if (value === undefined) throw new SimUsageError(`--${name} is required`);
  return value;
}

function generationOptions(values: SimOptionValues): FromRepoOptions {
  const startTime = values["start-time"] ?? defaultFromRepoOptions.startTime;
  if (Number.isNaN(Date.parse(startTime))) {
    throw new SimUsageError(`--start-time must be an ISO 8601 timestamp, not '${startTime}'`);
  }
  const limit = positiveIntOption(values, "limit");
  return {
    name: values.name ?? defaultFromRepoOptions.name,
    description: values.description,
    target: values.target ?? defaultFromRepoOptions.target,
    startTime,
    hosts: positiveIntOption(values, "hosts", defaultFromRepoOptions.hosts),
    limit,
    seed: positiveIntOption(values, "seed", defaultFromRepoOptions.seed),
  };
}

function readJsonArray(path: string): unknown[] {
  const json = readJsonFile(path);
  if (!Array.isArray(json)) throw new Error(`${path}: expected a JSON array`);
  return json;
}

/**
 * JSON with one line per element of the top-level arrays (one build a line): readable in a
 * diff, and far smaller than fully indented JSON.
 */
function formatScenarioFile(scenario: ScenarioFile): string {
  const members = Object.entries(scenario).map(([key, value]) => {
    const name = JSON.stringify(key);
    if (!Array.isArray(value) || value.length === 0) return `  ${name}: ${JSON.stringify(value)}`;
    const items = value.map((item) => `    ${JSON.stringify(item)}`).join(",\n");
    return `  ${name}: [\n${items}\n  ]`;
  });
  return `{\n${members.join(",\n")}\n}\n`;
}
