// The deployment files of deploy/: every command they run exists and parses its options with
// the CLI's own parser (and the built bin answers its --help), every registered backend
// service is deployed by each of them, the YAML parses, the example configurations validate,
// and the reverse proxies pass the identity header on /login only.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { adminCommands } from "../../src/admin/commands.js";
import { backendServices, findServices } from "../../src/backend/registry.js";
import { withPluginServices } from "../../src/plugins/backend.js";
import { knownPlugins } from "../../src/plugins/registry.js";
import { parseArgs, stringOption, type CommandEntry } from "../../src/cli/command.js";
import { koscheiCommands } from "../../src/cli/commands.js";
import { builtInDefaults } from "../../src/config/defaults.js";
import { assembleConfig } from "../../src/config/load.js";
import type { Mapping } from "../../src/config/merge.js";
import { loadMessagingConfig } from "../../src/messaging/config.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const deploy = join(root, "deploy");
const read = (path: string) => readFileSync(join(deploy, path), "utf8");

/** A command line one of the files runs, and where it comes from. */
interface Invocation {
  source: string;
  argv: string[];
}

/** The image's entry point: `koschei …` and `koschei-admin …` as given, anything else is `koschei …`. */
function throughEntrypoint(args: string[]): string[] {
  const [first] = args;
  return first === "koschei" || first === "koschei-admin" ? args : ["koschei", ...args];
}

function containerfileInvocations(): Invocation[] {
  const text = read("Containerfile").replace(/\\\n/g, " ");
  const instruction = (name: string) =>
    text
      .split("\n")
      .filter((line) => line.startsWith(`${name} `))
      .map((line) => JSON.parse(line.slice(name.length + 1)) as string[]);
  const [entrypoint] = instruction("ENTRYPOINT");
  assert.deepEqual(entrypoint, ["/usr/local/bin/koschei-entrypoint"]);
  const invocations = instruction("CMD").map((cmd) => ({
    source: "Containerfile CMD",
    argv: throughEntrypoint(cmd),
  }));
  // RUN lines that call Koschei's programs (none today, but they would be checked).
  for (const line of text.split("\n").filter((line) => line.startsWith("RUN "))) {
    for (const part of line.slice(4).split(/&&|;/)) {
      const words = part.trim().split(/\s+/);
      if (words[0] === "koschei" || words[0] === "koschei-admin") {
        invocations.push({ source: "Containerfile RUN", argv: words });
      }
    }
  }
  return invocations;
}

function composeFile(): Mapping {
  return parse(read("compose.yaml"), { merge: true }) as Mapping;
}

function composeInvocations(): Invocation[] {
  const services = composeFile().services as Record<string, Mapping>;
  return Object.entries(services)
    .filter(([, service]) => service.image === "localhost/koschei:latest")
    .map(([name, service]) => ({
      source: `compose.yaml service ${name}`,
      argv: throughEntrypoint(service.command as string[]),
    }));
}

function manifests(): { file: string; document: Mapping }[] {
  return readdirSync(join(deploy, "openshift"))
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(read(`openshift/${file}`)).map((document) => {
        assert.deepEqual(document.errors, [], file);
        return { file, document: document.toJS() as Mapping };
      }),
    );
}

interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  resources?: { requests?: Mapping; limits?: Mapping };
}

function podContainers(document: Mapping): ContainerSpec[] {
  const spec = document.spec as Mapping | undefined;
  const template = spec?.template as Mapping | undefined;
  const podSpec = template?.spec as Mapping | undefined;
  return (podSpec?.containers as ContainerSpec[] | undefined) ?? [];
}

function manifestInvocations(): Invocation[] {
  return manifests().flatMap(({ file, document }) =>
    podContainers(document)
      .filter((container) => container.image === "koschei")
      .map((container) => ({
        source: `openshift/${file} ${container.name}`,
        argv: container.command
          ? [...container.command, ...(container.args ?? [])]
          : throughEntrypoint(container.args ?? []),
      })),
  );
}

const unitFiles = () =>
  readdirSync(join(deploy, "systemd"))
    .filter((file) => file.endsWith(".service"))
    .sort();

/** `Key=value` lines of a unit file (comments and sections left out). */
function unitSettings(file: string): [string, string][] {
  return read(`systemd/${file}`)
    .split("\n")
    .filter((line) => /^[A-Za-z]+=/.test(line))
    .map((line) => {
      const eq = line.indexOf("=");
      return [line.slice(0, eq), line.slice(eq + 1)];
    });
}

function systemdInvocations(): Invocation[] {
  return unitFiles().flatMap((file) =>
    unitSettings(file)
      .filter(([key]) => key === "ExecStart")
      .map(([, value]) => {
        const [executable, ...args] = value.replace(/^[-@:+!]+/, "").split(/\s+/);
        return { source: `systemd/${file}`, argv: [basename(executable!), ...args] };
      }),
  );
}

const allInvocations = () => [
  ...containerfileInvocations(),
  ...composeInvocations(),
  ...manifestInvocations(),
  ...systemdInvocations(),
];

const programs: Record<string, CommandEntry[]> = {
  koschei: koscheiCommands,
  "koschei-admin": adminCommands,
};

/** Checks a command line with the program's own parser; returns the backend services it runs. */
async function checkInvocation({ source, argv }: Invocation): Promise<string[]> {
  const [program, name, ...rest] = argv;
  const entries = programs[program!];
  assert.ok(entries, `${source}: runs ${program}, which is neither koschei nor koschei-admin`);
  const entry = entries.find((candidate) => candidate.name === name);
  assert.ok(entry, `${source}: ${program} has no command '${name}'`);
  const command = await entry.load();
  const args = parseArgs(command, rest);
  const listen = stringOption(args, "listen");
  if (listen !== undefined) {
    // Imported here: the frontend's modules load only for the commands that need them.
    const { parseListen } = await import("../../src/frontend/server.js");
    parseListen(listen);
  }
  if (program === "koschei" && name === "backend") {
    const lookup = findServices(await everyService(), args.positionals);
    assert.ok("found" in lookup, `${source}: unknown service ${JSON.stringify(lookup)}`);
    return args.positionals;
  }
  return [];
}

/** The core services and those of every plugin this product has. */
async function everyService() {
  const plugins = await Promise.all(knownPlugins.map((entry) => entry.load()));
  return withPluginServices(backendServices, plugins);
}

function exampleConfigs(): { source: string; values: Mapping }[] {
  const files = readdirSync(join(deploy, "config"))
    .filter((file) => file.endsWith(".yaml"))
    .map((file) => ({
      source: `config/${file}`,
      values: parse(read(`config/${file}`)) as Mapping,
    }));
  for (const { file, document } of manifests()) {
    const data = { ...(document.data as Mapping), ...(document.stringData as Mapping) };
    for (const [key, text] of Object.entries(data)) {
      if (key.endsWith(".yaml")) {
        files.push({
          source: `openshift/${file} ${key}`,
          values: parse(text as string) as Mapping,
        });
      }
    }
  }
  return files;
}

const defaults = () =>
  builtInDefaults({
    configDir: "/etc/koschei",
    dataDir: "/opt/koschei",
    cacheDir: "/var/cache/koschei",
    stateDir: "/var/lib/koschei",
    version: "0",
  });

describe("deployment files", () => {
  it("find commands in every kind of file", () => {
    const sources = allInvocations().map(({ source }) => source.split(/[ /]/)[0]);
    for (const kind of ["Containerfile", "compose.yaml", "openshift", "systemd"]) {
      assert.ok(sources.includes(kind), `no command found in ${kind}`);
    }
  });

  it("run only commands that exist, with options their parser accepts", async () => {
    const invocations = allInvocations();
    assert.ok(invocations.length >= 20, `only ${invocations.length} commands found`);
    for (const invocation of invocations) await checkInvocation(invocation);
  });

  it("run every registered backend service, in compose, OpenShift and systemd", async () => {
    const core = backendServices.map((service) => service.name);
    const pluginServices = (await everyService()).map((service) => service.name).slice(core.length);
    for (const kind of [composeInvocations, manifestInvocations, systemdInvocations]) {
      const run = new Set<string>();
      for (const invocation of kind()) {
        for (const service of await checkInvocation(invocation)) run.add(service);
      }
      // Plugin services are offered where an operator may enable them; the core ones everywhere.
      const runCore = [...run].filter((service) => !pluginServices.includes(service));
      assert.deepEqual(runCore.sort(), [...core].sort(), kind.name);
      const commands = kind().map(({ argv }) => argv.slice(0, 2).join(" "));
      assert.ok(commands.includes("koschei frontend"), `${kind.name}: no frontend`);
      assert.ok(commands.includes("koschei-admin migrate"), `${kind.name}: no migration`);
    }
  });

  it("run commands the built bins know (--help exits 0)", () => {
    const distinct = new Map(
      allInvocations().map(({ argv }) => [argv.slice(0, 2).join(" "), argv.slice(0, 2)]),
    );
    for (const [program, name] of distinct.values()) {
      const bin = join(root, "bin", program!);
      const result = spawnSync(process.execPath, [bin, name!, "--help"], { encoding: "utf8" });
      assert.equal(result.status, 0, `${program} ${name} --help: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`^Usage: ${program} ${name} `));
    }
  });

  it("build the image from files that exist, with an executable entry point", () => {
    const text = read("Containerfile").replace(/\\\n/g, " ");
    const copies = text
      .split("\n")
      .filter((line) => line.startsWith("COPY ") && !line.includes("--from="))
      .flatMap((line) => line.slice(5).trim().split(/\s+/).slice(0, -1));
    assert.ok(copies.length > 5);
    for (const source of copies) assert.ok(existsSync(join(root, source)), `COPY ${source}`);
    accessSync(join(deploy, "entrypoint.sh"), constants.X_OK);
    assert.match(
      text,
      /^FROM registry\.fedoraproject\.org\/fedora:\$\{FEDORA_VERSION\} AS build$/m,
    );
    assert.match(text, /npm ci /);
    assert.match(text, /npm run build && npm prune --omit=dev/);
    assert.match(text, /^USER 1001$/m);
  });

  it("the entry point runs koschei, or koschei-admin when asked", () => {
    const dir = mkdtempSync(join(tmpdir(), "koschei-entrypoint-"));
    try {
      for (const program of ["koschei", "koschei-admin"]) {
        writeFileSync(join(dir, program), `#!/bin/sh\necho ${program} "$@"\n`, { mode: 0o755 });
      }
      const run = (...args: string[]) =>
        spawnSync("sh", [join(deploy, "entrypoint.sh"), ...args], {
          encoding: "utf8",
          env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
        }).stdout.trim();
      assert.equal(run("backend", "polling"), "koschei backend polling");
      assert.equal(run("koschei-admin", "migrate"), "koschei-admin migrate");
      assert.equal(run("koschei", "demo"), "koschei demo");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("compose: the services wait for the migration; resolvers keep their caches apart", () => {
    const services = composeFile().services as Record<string, Mapping>;
    for (const [name, service] of Object.entries(services)) {
      if (service.image !== "localhost/koschei:latest" || name === "migrate") continue;
      const dependsOn = service.depends_on as Record<string, { condition: string }>;
      assert.equal(dependsOn.migrate?.condition, "service_completed_successfully", name);
      assert.ok((service.volumes as string[]).includes("./config:/etc/koschei:ro,z"), name);
    }
    const cacheOf = (name: string) =>
      (services[name]!.volumes as string[]).find((volume) =>
        volume.endsWith(":/var/cache/koschei"),
      );
    assert.ok(cacheOf("repo-resolver") && cacheOf("build-resolver"));
    assert.notEqual(cacheOf("repo-resolver"), cacheOf("build-resolver"));
  });

  it("OpenShift: every Koschei container has requests and a memory limit; the resolvers share a pod", () => {
    const all = manifests();
    const kinds = all
      .filter(({ document }) => document.metadata !== undefined)
      .map(({ document }) => `${document.kind}/${(document.metadata as Mapping).name}`);
    for (const expected of [
      "Job/koschei-migrate",
      "StatefulSet/koschei-resolvers",
      "Deployment/koschei-frontend",
      "Service/koschei-frontend",
      "Route/koschei-frontend",
      "ConfigMap/koschei-config",
      "Secret/koschei-koji",
      "Secret/koschei-messaging",
      "Service/koschei-postgres",
      "Service/koschei-rabbitmq",
    ]) {
      assert.ok(kinds.includes(expected), `${expected} missing`);
    }
    for (const { document } of all) {
      for (const container of podContainers(document)) {
        assert.ok(container.resources?.requests?.cpu, `${container.name}: cpu request`);
        assert.ok(container.resources?.requests?.memory, `${container.name}: memory request`);
        assert.ok(container.resources?.limits?.memory, `${container.name}: memory limit`);
      }
    }
    const resolvers = all.find(({ document }) => document.kind === "StatefulSet")!.document;
    const podSpec = ((resolvers.spec as Mapping).template as Mapping).spec as Mapping;
    assert.equal(podSpec.shareProcessNamespace, true);
    const repoResolver = podContainers(resolvers).find((c) => c.name === "repo-resolver")!;
    assert.equal(repoResolver.resources?.limits?.memory, "3Gi");
    const kustomization = parse(read("openshift/kustomization.yaml")) as { resources: string[] };
    const files = readdirSync(join(deploy, "openshift")).filter(
      (file) => file.endsWith(".yaml") && file !== "kustomization.yaml",
    );
    assert.deepEqual([...kustomization.resources].sort(), files.sort());
  });

  it("example configurations pass Koschei's validation", () => {
    const configs = exampleConfigs();
    assert.ok(configs.length >= 5);
    for (const layer of configs) assembleConfig(defaults(), [layer]);
    const frontend = configs.filter(({ source }) => source.includes("config-frontend.yaml"));
    for (const { source, values } of frontend) {
      const auth = ((values.frontend as Mapping).auth as Mapping) ?? {};
      assert.equal(auth.user_header, "X-Remote-User", source);
      assert.equal((values.flask as Mapping).SECRET_KEY, "REPLACE_ME", source);
    }
  });

  it("fedora-messaging config.toml examples bind the watched topics", () => {
    const dir = mkdtempSync(join(tmpdir(), "koschei-deploy-toml-"));
    try {
      const secret = manifests().find(
        ({ document }) => (document.metadata as Mapping).name === "koschei-messaging",
      )!.document;
      const openshiftToml = join(dir, "koschei.toml");
      writeFileSync(openshiftToml, (secret.stringData as Mapping)["koschei.toml"] as string);
      for (const file of [join(deploy, "config/fedora-messaging.toml"), openshiftToml]) {
        const config = assembleConfig(defaults(), [
          { source: "test", values: { amqp: { config_file: file } } },
        ]);
        const messaging = loadMessagingConfig(config, {});
        assert.equal(messaging.queue.name, "koschei", file);
        assert.equal(messaging.queue.durable, true, file);
        const keys = messaging.bindings.flatMap((binding) => binding.routingKeys).sort();
        assert.deepEqual(
          keys,
          ["repo.done", "tag", "task.state.change"].map(
            (topic) => `org.fedoraproject.prod.buildsys.${topic}`,
          ),
          file,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("systemd: a hardened unit per service, the core ones wanted by koschei.target", () => {
    const target = read("systemd/koschei.target");
    const wanted = [...target.matchAll(/^Wants=(.*)$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    // A plugin's units are enabled by the operator who enables the plugin.
    const pluginUnits = unitFiles().filter((file) => file.startsWith("koschei-copr-"));
    assert.deepEqual(pluginUnits, [
      "koschei-copr-resolver.service",
      "koschei-copr-scheduler.service",
    ]);
    assert.deepEqual(
      wanted.sort(),
      unitFiles().filter((file) => !pluginUnits.includes(file)),
    );
    for (const file of unitFiles()) {
      const settings = new Map(unitSettings(file));
      assert.equal(settings.get("User"), "koschei", file);
      assert.equal(settings.get("ProtectSystem"), "strict", file);
      assert.equal(settings.get("NoNewPrivileges"), "yes", file);
      assert.equal(settings.get("PartOf"), "koschei.target", file);
      assert.ok(!settings.has("MemoryDenyWriteExecute"), `${file}: V8 needs W+X pages`);
      assert.equal(
        settings.get("SystemCallErrorNumber"),
        "EPERM",
        `${file}: killed by a filtered call`,
      );
      if (file === "koschei-migrate.service") {
        assert.equal(settings.get("Type"), "oneshot");
        continue;
      }
      assert.equal(settings.get("Restart"), "on-failure", file);
      assert.equal(settings.get("RestartPreventExitStatus"), "2", file);
      assert.match(settings.get("TimeoutStopSec") ?? "", /^\d+s$/, file);
      assert.equal(settings.get("CacheDirectory"), "koschei", file);
      assert.equal(settings.get("StateDirectory"), "koschei", file);
      assert.equal(settings.get("Requires"), "koschei-migrate.service", file);
    }
  });

  it("systemd-analyze verify accepts the units", (t) => {
    if (spawnSync("systemd-analyze", ["--version"]).status !== 0) {
      t.skip("systemd-analyze is not installed");
      return;
    }
    const unitDir = "/usr/lib/systemd/system";
    if (!existsSync(join(unitDir, "sysinit.target"))) {
      t.skip("no system units to verify against");
      return;
    }
    // A root with the units, the programs they run and the system's own units.
    const dir = mkdtempSync(join(tmpdir(), "koschei-systemd-"));
    try {
      mkdirSync(join(dir, "opt/koschei/bin"), { recursive: true });
      mkdirSync(join(dir, "etc/systemd/system"), { recursive: true });
      mkdirSync(join(dir, "usr/lib/systemd"), { recursive: true });
      cpSync(unitDir, join(dir, "usr/lib/systemd/system"), {
        recursive: true,
        verbatimSymlinks: true,
      });
      for (const program of ["koschei", "koschei-admin"]) {
        writeFileSync(join(dir, "opt/koschei/bin", program), "#!/bin/sh\n", { mode: 0o755 });
      }
      const units = [...unitFiles(), "koschei.target"].map((file) => {
        copyFileSync(join(deploy, "systemd", file), join(dir, "etc/systemd/system", file));
        return join(dir, "etc/systemd/system", file);
      });
      const result = spawnSync(
        "systemd-analyze",
        ["verify", "--man=no", `--root=${dir}`, ...units],
        {
          encoding: "utf8",
        },
      );
      assert.equal(result.status, 0, result.stderr);
      // The host's own units may draw warnings; ours must not.
      const ours = result.stderr.split("\n").filter((line) => line.includes("koschei"));
      assert.deepEqual(ours, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reverse proxies: the identity header is set on /login only and stripped from clients", () => {
    const nginx = read("nginx/koschei.conf");
    const sets = [...nginx.matchAll(/proxy_set_header X-Remote-User (.*);/g)].map((m) => m[1]);
    assert.deepEqual(
      sets.filter((value) => value !== '""'),
      ["$koschei_user"],
    );
    const login = /location = \/login \{([^}]*)\}/.exec(nginx)?.[1] ?? "";
    assert.match(login, /auth_request /);
    assert.match(login, /proxy_set_header X-Remote-User \$koschei_user;/);
    // The server-level blank comes before any location.
    assert.ok(
      nginx.indexOf('proxy_set_header X-Remote-User "";') < nginx.indexOf("\n    location "),
    );

    const httpd = read("httpd/koschei.conf");
    assert.match(httpd, /^\s*RequestHeader unset X-Remote-User early$/m);
    const httpdSets = [...httpd.matchAll(/^\s*RequestHeader set X-Remote-User .*$/gm)];
    assert.equal(httpdSets.length, 1);
    const location =
      /<LocationMatch "\^\/login\$">([\s\S]*?)<\/LocationMatch>/.exec(httpd)?.[1] ?? "";
    assert.match(location, /RequestHeader set X-Remote-User "expr=%\{REMOTE_USER\}"/);
    assert.match(location, /Require valid-user/);
  });
});
