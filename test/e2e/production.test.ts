// End to end with the components of a production deployment (issue #13 item 2): PostgreSQL
// set up by `koschei-admin create-db`, RabbitMQ, the Koji simulator over HTTP and AMQP, each
// backend service and the frontend as a process of its own from the built bins. The loop of
// the demo is driven from outside — koschei-admin, the simulator's control API — and watched
// through the JSON API, the package page and the database: packages resolved, a scratch build
// the scheduler submitted seen to finish through the watcher (polling runs once, at start), a
// newer dependency showing as an unapplied change. Then the repo-resolver is stopped in the
// middle of a pass (a Koji call held by the simulator), the scheduler in the middle of a build
// submission and the watcher while Koji's messages keep coming, and each is started again:
// every package has one resolution entry per outcome, every Koji task one build row,
// every finished task is recorded finished, and every koschei.* message arrives once.
//
// The tests continue from each other's state.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { KojiApi } from "../../src/koji/api.js";
import { KojiClient } from "../../src/koji/client.js";
import {
  COLLECTION,
  FIRST_REPO,
  ON_A,
  ON_G,
  PACKAGES,
  ProductionWorld,
  waitFor,
  type Component,
} from "./production-world.js";

const RUNNING = 2;
const COMPLETE = 3;
const SERVICES = [
  "polling",
  "watcher",
  "publisher",
  "repo-resolver",
  "build-resolver",
  "scheduler",
] as const;
type ServiceName = (typeof SERVICES)[number];

interface ApiPackage {
  name: string;
  collection: string;
  state: string;
  last_complete_build: { task_id: number } | null;
}

describe(
  "a production deployment: every component a process of its own",
  { timeout: 600_000 },
  () => {
    let world: ProductionWorld;
    let koji: KojiApi;
    let frontendUrl: string;
    let frontend: Component;
    const services = new Map<ServiceName, Component>();
    /** Every process that was stopped, with its exit code. */
    const stopped: { component: Component; code: number | null }[] = [];
    let secondRepo: number;
    let thirdRepo: number;

    before(async () => {
      world = await ProductionWorld.start();
      koji = new KojiApi(new KojiClient({ server: world.sim.hubUrl, topurl: world.sim.topurl }));
    });
    after(async () => {
      koji?.client.close();
      await world?.close();
    });

    function start(name: ServiceName): Component {
      const component = world.backend([name]);
      services.set(name, component);
      return component;
    }

    async function stop(name: ServiceName): Promise<void> {
      const component = services.get(name)!;
      const code = await component.stop();
      stopped.push({ component, code });
      assert.equal(code, 0, `${component.name} exits 0 on SIGTERM: ${component.tail()}`);
    }

    /** The steps continue from each other's state: after a failed one, the rest are skipped. */
    let failed = false;
    function step(name: string, body: () => Promise<void>): void {
      test(name, async (t) => {
        if (failed) return t.skip("an earlier step failed");
        try {
          await body();
        } catch (error) {
          failed = true;
          t.diagnostic(world.report());
          throw error;
        }
      });
    }

    async function api(query = `collection=${COLLECTION}`): Promise<ApiPackage[]> {
      const response = await fetch(`${frontendUrl}/api/v1/packages?${query}`, {
        signal: AbortSignal.timeout(30_000),
      });
      assert.equal(response.status, 200);
      // The tracked packages (the build tag's binary builds are listed as untracked).
      const rows = (await response.json()) as ApiPackage[];
      return rows.filter((row) => PACKAGES.includes(row.name));
    }

    async function page(path: string): Promise<string> {
      const response = await fetch(`${frontendUrl}${path}`, {
        signal: AbortSignal.timeout(30_000),
      });
      assert.equal(response.status, 200, path);
      return response.text();
    }

    /** The passes the polling process has started. */
    function pollingPasses(): number {
      const polling = services.get("polling")!;
      return polling.lines.filter((line) => line.msg === "Polling running Koji tasks...").length;
    }

    async function collection() {
      return world.db
        .selectFrom("collection")
        .select(["id", "latest_repo_id", "latest_repo_resolved"])
        .where("name", "=", COLLECTION)
        .executeTakeFirstOrThrow();
    }

    async function packages() {
      return world.db
        .selectFrom("package")
        .select(["id", "name", "resolved", "last_build_id", "manual_priority"])
        .where("name", "in", PACKAGES)
        .orderBy("name")
        .execute();
    }

    /** Scratch builds: package name, task id, state, finished; oldest first. */
    async function scratchBuilds() {
      return world.db
        .selectFrom("build")
        .innerJoin("package", "package.id", "build.package_id")
        .select(["package.name", "build.id", "build.task_id", "build.state", "build.finished"])
        .where("build.real", "=", false)
        .orderBy("build.id")
        .execute();
    }

    /** Koji's top-level scratch build tasks, oldest first. */
    async function kojiScratchTasks() {
      const tasks = await koji.listTasks(
        { method: "build", parent: null, decode: true },
        { order: "id" },
      );
      return tasks
        .filter((task) => (task.request?.[2] as { scratch?: boolean } | undefined)?.scratch)
        .map((task) => ({
          id: task.id,
          name: /\/packages\/([^/]+)\//.exec(String(task.request?.[0]))?.[1],
          completion_ts: task.completion_ts,
          state: task.state,
        }));
    }

    step(
      "koschei-admin creates the schema and the collection; the services and the API show every package resolved",
      async () => {
        await world.admin(["create-db"]);
        assert.equal(
          await world.admin([
            "create-collection",
            COLLECTION,
            "-d",
            "Fedora 31",
            "-t",
            COLLECTION,
            "--poll-untracked",
            "false",
          ]),
          `Collection ${COLLECTION} created\n`,
        );
        // Polling lists the packages of the collection; an operator then tracks them.
        const once = world.backend(["polling", "--once"]);
        assert.equal(await once.finished(), 0, once.tail());
        // The build tag's binary builds (A, B, …) are in the collection too, never tracked.
        assert.equal((await packages()).length, PACKAGES.length);
        await world.admin(["add-pkg", "-c", COLLECTION, ...PACKAGES]);

        for (const name of SERVICES) start(name);
        ({ component: frontend, url: frontendUrl } = await world.frontend());

        const rows = await waitFor("every package resolved and ok in the API", async () => {
          const listed = await api();
          const resolved = (await packages()).every((pkg) => pkg.resolved === true);
          return (
            resolved &&
            listed.length === PACKAGES.length &&
            listed.every((row) => row.state === "ok" && row.last_complete_build !== null) &&
            listed
          );
        });
        assert.deepEqual(
          rows.map((row) => [row.name, row.collection]),
          PACKAGES.map((name) => [name, COLLECTION]),
        );
        assert.deepEqual(await collection(), {
          id: (await collection()).id,
          latest_repo_id: FIRST_REPO,
          latest_repo_resolved: true,
        });
      },
    );

    step(
      "a scratch build the scheduler submits is seen to finish through the watcher, with no polling pass",
      async () => {
        const [realTask] = (await api(`name=pkg01`)).map((row) => row.last_complete_build!.task_id);
        await world.admin(["set-priority", "--collection", COLLECTION, "pkg01", "3000"]);
        const [submitted] = await waitFor("pkg01's scratch build", async () => {
          const builds = await scratchBuilds();
          return builds.length > 0 && builds;
        });
        assert.equal(submitted!.name, "pkg01");
        const [row] = await waitFor("the API to show pkg01's scratch build finished", async () => {
          const listed = await api(`name=pkg01`);
          return listed[0]?.last_complete_build?.task_id === submitted!.task_id && listed;
        });
        assert.notEqual(submitted!.task_id, realTask);
        assert.equal(row!.state, "ok");
        const [recorded] = await scratchBuilds();
        assert.equal(recorded!.state, COMPLETE);
        // Polling ran its one pass at start, before the build: the watcher recorded the end.
        assert.equal(pollingPasses(), 1);
        assert.ok(services.get("watcher")!.running);
      },
    );

    step(
      "a newer dependency tagged and the repo regenerated: the package page shows the unapplied change",
      async () => {
        await world.tagBuild({ name: "A", evr: "0:2-1", requires: ["B"] });
        secondRepo = await world.regenRepo();
        await waitFor("the repo-resolver to resolve the new repo", async () => {
          const { latest_repo_id } = await collection();
          return latest_repo_id === secondRepo;
        });
        for (const name of ["pkg01", "pkg03"]) {
          const html = await page(`/package/${name}?collection=${COLLECTION}`);
          assert.match(html, /Dependency changes since last build/);
          assert.match(html, /A was upgraded to higher version/, name);
          assert.match(
            html,
            /\/affected-by\/A\?epoch1=0&(amp;)?version1=1&(amp;)?release1=1&(amp;)?epoch2=0&(amp;)?version2=2&(amp;)?release2=1/,
            name,
          );
        }
        const unchanged = await page(`/package/pkg02?collection=${COLLECTION}`);
        assert.match(unchanged, /No dependency changes/);
        assert.doesNotMatch(unchanged, /A was upgraded/);
        const listed = await api();
        assert.ok(
          listed.every((row) => row.state === "ok"),
          JSON.stringify(listed),
        );
      },
    );

    step(
      "the repo-resolver stopped mid-pass, then the scheduler mid-submission and the watcher while messages flow, all started again",
      async () => {
        // --- The repo-resolver. The build-resolver has nothing left to do (it would take the
        // held call), and the simulator holds the repo-resolver's repoInfo calls.
        await waitFor("the build-resolver to be idle", async () => {
          const pending = await world.db
            .selectFrom("build")
            .select("id")
            .where("deps_resolved", "is", null)
            .where("state", "!=", RUNNING)
            .execute();
          return pending.length === 0;
        });
        await world.control("/faults", { method: "repoInfo", count: 2, delayMs: 5000 });
        // H 2 needs what no repo has: every package on G becomes unresolved.
        await world.tagBuild({ name: "H", evr: "0:2-1", requires: ["libmissing"] });
        thirdRepo = await world.regenRepo();
        const resolver = services.get("repo-resolver")!;
        await resolver.waitForLog(new RegExp(`^Generating new repo \\(repo_id=${thirdRepo},`));
        await stop("repo-resolver");
        const midPass = await packages();
        const unresolvedMidPass = midPass
          .filter((pkg) => pkg.resolved === false)
          .map((p) => p.name);
        assert.equal((await collection()).latest_repo_id, secondRepo, "the pass did not finish");
        assert.ok(
          unresolvedMidPass.length > 0 && unresolvedMidPass.length < ON_G.length,
          `some packages persisted, not all: ${unresolvedMidPass.join(" ")}`,
        );
        // The publisher is down meanwhile: the restarted pass's messages wait in the outbox.
        await stop("publisher");
        start("repo-resolver");
        await waitFor("the third repo resolved after the restart", async () => {
          const { latest_repo_id } = await collection();
          return latest_repo_id === thirdRepo;
        });
        start("publisher");
        await fetch(`${world.sim.url}/control/faults`, { method: "DELETE" });
        const afterPass = await packages();
        assert.deepEqual(
          afterPass.filter((pkg) => pkg.resolved === false).map((pkg) => pkg.name),
          ON_G,
        );

        // --- The scheduler, stopped while Koji holds its build call.
        const rebuilt = ON_A.slice(2, 8);
        await world.control("/faults", { method: "build", count: 1, delayMs: 4000 });
        await world.admin(["set-priority", "--collection", COLLECTION, ...rebuilt, "3000"]);
        await waitFor(
          "the scheduler's build call to be held",
          async () => ((await world.control("/faults")) as unknown as unknown[]).length === 0,
        );
        await stop("scheduler");
        // The submission in progress at SIGTERM was finished and recorded by the stopping process.
        const messages = stopped.at(-1)!.component.lines.map((line) => line.msg);
        const sigterm = messages.findIndex((msg) => msg.startsWith("SIGTERM received"));
        const scheduling = messages
          .slice(0, sigterm)
          .filter((msg) => msg.startsWith("Scheduling build for "))
          .at(-1);
        const held = /^Scheduling build for (\S+) in/.exec(scheduling ?? "")?.[1];
        assert.ok(held !== undefined && rebuilt.includes(held), JSON.stringify(messages));
        assert.equal(
          (await scratchBuilds()).filter((build) => build.name === held).length,
          1,
          `${held}'s build, submitted while the scheduler stopped, is recorded`,
        );
        start("scheduler");

        // --- The watcher, stopped while builds run; Koji's messages wait in its queue.
        await waitFor("two of the new scratch builds", async () => {
          const builds = (await scratchBuilds()).filter((build) => rebuilt.includes(build.name));
          return builds.length >= 2;
        });
        await stop("watcher");
        await waitFor("Koji's messages to queue up for the stopped watcher", async () => {
          return (await world.watcherQueueDepth()) > 0;
        });
        start("watcher");

        // --- The build-resolver, once the restarted watcher has recorded a build's end.
        await waitFor("a new scratch build recorded finished", async () => {
          const builds = (await scratchBuilds()).filter((build) => rebuilt.includes(build.name));
          return builds.some((build) => build.state === COMPLETE);
        });
        await stop("build-resolver");
        start("build-resolver");

        await waitFor("every raised package built once and recorded finished", async () => {
          const builds = (await scratchBuilds()).filter((build) => rebuilt.includes(build.name));
          return (
            builds.length === rebuilt.length &&
            builds.every((build) => build.state === COMPLETE) &&
            (await packages()).every((pkg) => pkg.manual_priority === 0)
          );
        });
        assert.equal(pollingPasses(), 1, "the watcher recorded every end, not polling");
      },
    );

    step("nothing lost, nothing duplicated", async () => {
      // Builds: each Koji scratch task is one build row, finished as Koji says.
      const kojiTasks = await waitFor("Koji's scratch tasks to end", async () => {
        const tasks = await kojiScratchTasks();
        return tasks.every((task) => task.completion_ts !== null) && tasks;
      });
      const builds = await scratchBuilds();
      assert.deepEqual(
        builds.map((build) => [build.name, build.task_id, build.state]),
        kojiTasks.map((task) => [task.name, task.id, COMPLETE]),
      );
      for (const build of builds) {
        const task = kojiTasks.find((t) => t.id === build.task_id)!;
        assert.deepEqual(build.finished, new Date(task.completion_ts! * 1000), build.name);
      }
      assert.deepEqual(
        builds.map((build) => build.name),
        ["pkg01", ...ON_A.slice(2, 8)],
        "one scratch build per raised package",
      );
      // The build-resolver stored each finished build's dependencies and applied changes once.
      await waitFor("the build-resolver to process every finished build", async () => {
        const pending = await world.db
          .selectFrom("build")
          .select("id")
          .where("deps_resolved", "is", null)
          .execute();
        return pending.length === 0;
      });
      const unresolvedBuilds = await world.db
        .selectFrom("build")
        .select("id")
        .where("deps_resolved", "=", false)
        .execute();
      assert.deepEqual(unresolvedBuilds, []);
      const duplicateApplied = await world.db
        .selectFrom("applied_change")
        .select(["build_id", (eb) => eb.fn.countAll<number>().as("count")])
        .groupBy(["build_id", "prev_dep_id", "curr_dep_id"])
        .having((eb) => eb.fn.countAll(), ">", 1)
        .execute();
      assert.deepEqual(duplicateApplied, []);
      const duplicateTasks = await world.db
        .selectFrom("build")
        .select(["task_id", (eb) => eb.fn.countAll<number>().as("count")])
        .groupBy("task_id")
        .having((eb) => eb.fn.countAll(), ">", 1)
        .execute();
      assert.deepEqual(duplicateTasks, []);
      const archTasks = await world.db
        .selectFrom("koji_task")
        .select(["task_id", (eb) => eb.fn.countAll<number>().as("count")])
        .groupBy("task_id")
        .having((eb) => eb.fn.countAll(), ">", 1)
        .execute();
      assert.deepEqual(archTasks, []);

      // Resolution: one entry per outcome, whatever pass was interrupted.
      const ids = new Map((await packages()).map((pkg) => [pkg.name, pkg.id]));
      for (const name of PACKAGES) {
        const history = await world.db
          .selectFrom("resolution_change")
          .select(["id", "resolved"])
          .where("package_id", "=", ids.get(name)!)
          .orderBy("id")
          .execute();
        assert.deepEqual(
          history.map((entry) => entry.resolved),
          ON_G.includes(name) ? [true, false] : [true],
          name,
        );
        if (ON_G.includes(name)) {
          const problems = await world.db
            .selectFrom("resolution_problem")
            .select("problem")
            .where("resolution_id", "=", history[1]!.id)
            .execute();
          assert.ok(
            problems.length > 0 && problems.every((p) => /libmissing/.test(p.problem)),
            `${name}: ${JSON.stringify(problems)}`,
          );
        }
      }
      const duplicateChanges = await world.db
        .selectFrom("unapplied_change")
        .select(["package_id", (eb) => eb.fn.countAll<number>().as("count")])
        .groupBy(["package_id", "prev_dep_id", "curr_dep_id"])
        .having((eb) => eb.fn.countAll(), ">", 1)
        .execute();
      assert.deepEqual(duplicateChanges, []);

      // The API shows the outcome.
      const listed = await waitFor("the API to show the unresolved packages", async () => {
        const rows = await api();
        return rows.filter((row) => row.state === "unresolved").length === ON_G.length && rows;
      });
      assert.deepEqual(
        listed.map((row) => [row.name, row.state]),
        PACKAGES.map((name) => [name, ON_G.includes(name) ? "unresolved" : "ok"]),
      );

      // Messages: every outbox row published and received once.
      const outbox = await waitFor("the outbox published and received", async () => {
        const rows = await world.db
          .selectFrom("outbox")
          .select(["message_id", "topic", "published_at"])
          .orderBy("id")
          .execute();
        return (
          rows.every((row) => row.published_at !== null) &&
          world.received.length >= rows.length &&
          rows
        );
      });
      const receivedIds = world.received.map((message) => message.messageId);
      assert.equal(new Set(receivedIds).size, receivedIds.length, "no message twice");
      assert.deepEqual([...receivedIds].sort(), outbox.map((row) => row.message_id).sort());
      const packageMessages = world.received.filter((message) =>
        message.routingKey.endsWith(".koschei.package.state.change"),
      );
      assert.deepEqual(
        packageMessages
          .map((message) => [message.body.name, message.body.old, message.body.new])
          .sort(),
        ON_G.map((name) => [name, "ok", "unresolved"]),
      );
      const collectionMessages = world.received.filter((message) =>
        message.routingKey.endsWith(".koschei.collection.state.change"),
      );
      assert.ok(collectionMessages.length <= 1, JSON.stringify(collectionMessages));

      assert.equal(pollingPasses(), 1);

      // Every process stops cleanly; none logged an error.
      for (const name of SERVICES) await stop(name);
      const frontendCode = await frontend.stop();
      stopped.push({ component: frontend, code: frontendCode });
      assert.equal(frontendCode, 0, frontend.tail());
      for (const { component } of stopped) {
        assert.deepEqual(component.errors(), [], component.name);
      }
    });
  },
);
