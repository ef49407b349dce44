// What the browser and crawl tests share: a seeded site (two collections in a collection
// group, packages in every state, builds with Koji tasks, dependency changes, resolution
// problems, groups, users, statistics), Debian's chromium driven by playwright-core, and
// screenshots saved under test-artifacts/screenshots/ (git-ignored).
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { sql } from "kysely";
import { seedBuild, seedGroup, seedPackage, type SeedPackage } from "./package-seed.js";
import { insertCollection, type WebWorld } from "./web-world.js";

type Db = WebWorld["db"];

/** KOSCHEI_CHROMIUM, else Debian's chromium, else Fedora's. */
export const CHROMIUM =
  process.env.KOSCHEI_CHROMIUM ??
  ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((path) => existsSync(path)) ??
  "/usr/bin/chromium";
export const SCREENSHOT_DIR = join("test-artifacts", "screenshots");

/** Headless chromium without anything that would reach the network on its own. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
} as const;

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface SeededSite {
  collections: { f30: number; f29: number };
  packages: Record<string, SeedPackage>;
  /** The running build of xpp3 in f30, which an admin may cancel. */
  runningBuild: { id: number; taskId: number };
  /** The failed build of fop in f30, with applied dependency changes. */
  failedBuild: { id: number; taskId: number };
}

const HOUR = 3600_000;

/** Rows of `dependency`, by name and EVR; returns the id. */
async function dependency(
  db: Db,
  name: string,
  epoch: number | null,
  version: string,
  release: string,
): Promise<number> {
  const { id } = await db
    .insertInto("dependency")
    .values({ name, epoch, version, release, arch: "x86_64" })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

/** buildArch sub-tasks of a build, one per arch. */
async function kojiTasks(
  db: Db,
  build: { id: number; taskId: number; started: Date },
  states: Record<string, number>,
): Promise<void> {
  let offset = 0;
  for (const [arch, state] of Object.entries(states)) {
    await db
      .insertInto("koji_task")
      .values({
        build_id: build.id,
        task_id: build.taskId + ++offset,
        arch,
        state,
        started: build.started,
        finished: state === 1 ? null : new Date(build.started.getTime() + offset * 300_000),
      })
      .execute();
  }
}

/**
 * A small but complete site: what the crawl walks and what the browser scenarios act on.
 * Times are relative to now so that priorities and "… ago" texts look real.
 */
export async function seedSite(world: WebWorld): Promise<SeededSite> {
  const db = world.db;
  const now = Date.now();
  const f30 = await insertCollection(db, "f30", {
    display_name: "Fedora 30",
    order: 2,
    latest_repo_resolved: true,
  });
  const f29 = await insertCollection(db, "f29", {
    display_name: "Fedora 29",
    order: 1,
    latest_repo_resolved: true,
  });
  await db
    .updateTable("collection")
    .set({ bugzilla_product: "Fedora", bugzilla_version: "30" })
    .where("id", "=", f30)
    .execute();
  const { id: fedora } = await db
    .insertInto("collection_group")
    .values({ name: "fedora", display_name: "Fedora" })
    .returning("id")
    .executeTakeFirstOrThrow();
  await db
    .insertInto("collection_group_relation")
    .values([
      { group_id: fedora, collection_id: f30 },
      { group_id: fedora, collection_id: f29 },
    ])
    .execute();

  const packages: Record<string, SeedPackage> = {
    rnv: await seedPackage(db, "rnv", f30),
    fop: await seedPackage(db, "fop", f30, { dependency_priority: 256 }),
    xpp3: await seedPackage(db, "xpp3", f30),
    groovy: await seedPackage(db, "groovy", f30, { resolved: false }),
    maven: await seedPackage(db, "maven", f30, { resolved: null }),
    junit: await seedPackage(db, "junit", f30, { tracked: false }),
    eclipse: await seedPackage(db, "eclipse", f30, { blocked: true }),
    "rnv-f29": await seedPackage(db, "rnv", f29),
    "fop-f29": await seedPackage(db, "fop", f29),
  };
  const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR);

  const rnvBuild = await seedBuild(db, packages.rnv!, "complete", { started: at(30) });
  await kojiTasks(db, rnvBuild, { x86_64: 2, i386: 2 });
  await seedBuild(db, packages["rnv-f29"]!, "complete", { started: at(50) });
  await seedBuild(db, packages["fop-f29"]!, "complete", { started: at(52) });
  await seedBuild(db, packages.fop!, "complete", { started: at(200) });
  const fopBad = await seedBuild(db, packages.fop!, "failed", { started: at(20) });
  await kojiTasks(db, fopBad, { noarch: 5 });
  await seedBuild(db, packages.xpp3!, "complete", { started: at(100) });
  const xppRunning = await seedBuild(db, packages.xpp3!, "running", { started: at(1) });
  await kojiTasks(db, xppRunning, { x86_64: 1, armhfp: 0 });
  await seedBuild(db, packages.groovy!, "complete", { started: at(300) });
  await seedBuild(db, packages.junit!, "failed", { started: at(400) });

  // fop started failing after java moved from 1:11.0.1 to 1:11.0.2 (direct) and a distant
  // library was added; rnv has a change waiting for its next build.
  const javaOld = await dependency(db, "java-devel", 1, "11.0.1.13", "1.fc30");
  const javaNew = await dependency(db, "java-devel", 1, "11.0.2.7", "0.fc30");
  const xalan = await dependency(db, "xalan-j2", null, "2.7.1", "38.fc30");
  await db
    .insertInto("applied_change")
    .values([
      { build_id: fopBad.id, prev_dep_id: javaOld, curr_dep_id: javaNew, distance: 1 },
      { build_id: fopBad.id, prev_dep_id: null, curr_dep_id: xalan, distance: 3 },
    ])
    .execute();
  const glibcOld = await dependency(db, "glibc", null, "2.29", "1.fc30");
  const glibcNew = await dependency(db, "glibc", null, "2.29.9000", "1.fc31");
  await db
    .insertInto("unapplied_change")
    .values([
      { package_id: packages.rnv!.id, prev_dep_id: glibcOld, curr_dep_id: glibcNew, distance: 2 },
    ])
    .execute();

  const { id: resolution } = await db
    .insertInto("resolution_change")
    .values({ package_id: packages.groovy!.id, resolved: false, timestamp: at(5) })
    .returning("id")
    .executeTakeFirstOrThrow();
  await db
    .insertInto("resolution_problem")
    .values([
      { resolution_id: resolution, problem: "nothing provides antlr-tool needed by groovy" },
      { resolution_id: resolution, problem: "nothing provides <jline> >= 2.14" },
    ])
    .execute();

  await seedGroup(db, "java", ["fop", "xpp3", "maven"], { owners: ["carol"] });
  await seedGroup(db, "mine", ["rnv"], { namespace: "carol", owners: ["carol"] });
  await sql`SELECT refresh_stats()`.execute(db);

  return {
    collections: { f30, f29 },
    packages,
    runningBuild: { id: xppRunning.id, taskId: xppRunning.taskId },
    failedBuild: { id: fopBad.id, taskId: fopBad.taskId },
  };
}
