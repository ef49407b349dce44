// `submit-build` (spec 07 §3.4): a Koji scratch build now, bypassing the scheduler's
// priorities, thresholds and load checks.
import { stringOption } from "../cli/command.js";
import {
  allowedBuildArches,
  fetchTagArches,
  packageToBuild,
  selectPackagesToBuild,
  submitScratchBuild,
  type PackageToBuild,
} from "../backend/build-submission.js";
import { adminCommand, kojiErrorMessage, type AdminTransaction } from "./admin-command.js";

/** Packages of those names in collections whose buildroot resolved. */
async function selectPackages(tx: AdminTransaction, names: string[], collection?: string) {
  let query = selectPackagesToBuild(tx.db)
    .where("package.name", "in", names)
    .where("collection.latest_repo_resolved", "=", true)
    .orderBy("collection.name")
    .orderBy("package.name");
  if (collection !== undefined) query = query.where("collection.name", "=", collection);
  return query.execute();
}

const ANONYMOUS_REFUSAL =
  "submit-build needs a logged-in Koji session, and this one is anonymous: set " +
  "koji_config.login_method to ssl_login and koji_config.login_args.cert to the client " +
  "certificate (a PEM file with its key)";

export const submitBuildCommand = adminCommand({
  name: "submit-build",
  summary: "submit Koji scratch builds of packages now",
  description:
    "Submits a scratch build of each named package, in every collection whose buildroot is " +
    "resolved (or only in COLL), whatever its priority and the Koji load; unknown names " +
    "are ignored. The arches are chosen as the scheduler chooses them. Needs a Koji login " +
    "(koji_config.login_method ssl_login).",
  options: [{ name: "collection", short: "c", value: "COLL", help: "only in this collection" }],
  positionals: [{ name: "NAMES", help: "package names", variadic: true, oneOrMore: true }],
  async execute(tx, args) {
    const sessions = await tx.env.koji();
    if (!sessions.primary.client.loggedIn) throw new Error(ANONYMOUS_REFUSAL);
    const rows = await selectPackages(tx, args.positionals, stringOption(args, "collection"));
    const tagArches = new Map<string, Promise<string[]>>();
    // Everything is looked up before the first build is submitted, so that a failing
    // lookup leaves no build in Koji that Koschei would not know about.
    const planned: { pkg: PackageToBuild; arches: Set<string>; where: string }[] = [];
    for (const row of rows) {
      const { pkg, lastCompleteBuild } = packageToBuild(row);
      const where = `package ${row.name} in collection ${row.collection_name}`;
      if (!tagArches.has(row.build_tag)) {
        tagArches.set(row.build_tag, fetchTagArches(sessions.primary, row.build_tag));
      }
      const arches = await allowedBuildArches(
        sessions,
        pkg,
        lastCompleteBuild,
        await tagArches.get(row.build_tag)!,
        tx.env.config.koji_config.build_arches,
      );
      if (arches === null) tx.print(`No SRPM found for ${where}`);
      else if (arches.size === 0) tx.print(`No allowed arches found for ${where}`);
      else planned.push({ pkg, arches, where });
    }
    const submitted: string[] = [];
    for (const { pkg, arches, where } of planned) {
      let build;
      try {
        build = await submitScratchBuild(
          tx.db,
          sessions,
          tx.env.config.koji_config,
          pkg,
          arches.has("noarch") ? null : arches,
        );
      } catch (error) {
        // The transaction is rolled back: name the builds Koji has that Koschei will not.
        if (submitted.length === 0) throw error;
        const message = kojiErrorMessage(error) ?? String(error);
        throw new Error(`${message} (already submitted, not recorded: ${submitted.join(", ")})`);
      }
      if (build) submitted.push(`${where} (task ${build.task_id})`);
      else tx.print(`No SRPM found for ${where}`);
    }
  },
});
