// A user's packages (spec 08 §5.15): for logged-in visitors, the package table narrowed to
// the packages some source says the user maintains: the groups the user maintains, and the
// sources of enabled plugins (pagure's owner aliases).
import type { FastifyInstance } from "fastify";
import { requireUser } from "../auth.js";
import { CollectionChooser } from "../components/collection-chooser.js";
import { PackageTable } from "../components/package-table.js";
import { packagesOfMaintainedGroups } from "../group-query.js";
import { Layout, PageTitle } from "../layout.js";
import { packageListParams, queryPackageList } from "../package-query.js";
import { pageContext } from "../page-context.js";
import { sendPage } from "../render.js";
import type { FrontendDeps } from "../request-state.js";

/** Names of the packages a user maintains, by one account of it. */
export type UserPackageSource = (deps: FrontendDeps, userName: string) => Promise<string[]>;

const maintainedGroups: UserPackageSource = (deps, userName) =>
  packagesOfMaintainedGroups(deps.database.db, userName);

/** The names all sources give, and the errors of those that failed (the others still count). */
async function userPackageNames(
  deps: FrontendDeps,
  userName: string,
): Promise<{ names: string[]; errors: unknown[] }> {
  const sources = [maintainedGroups, ...deps.extensions.userPackageSources];
  const results = await Promise.allSettled(sources.map((source) => source(deps, userName)));
  const names = new Set<string>();
  const errors: unknown[] = [];
  for (const result of results) {
    if (result.status === "rejected") errors.push(result.reason);
    else for (const name of result.value) names.add(name);
  }
  return { names: [...names], errors };
}

export function registerUserPackagesRoutes(app: FastifyInstance, deps: FrontendDeps): void {
  app.get<{ Params: { username: string } }>("/user/:username", async (request, reply) => {
    requireUser(request);
    const userName = request.params.username;
    const params = packageListParams(request);
    const { names, errors } = await userPackageNames(deps, userName);
    for (const error of errors) request.log.warn({ err: error, userName }, "user packages failed");
    if (errors.length > 0) {
      request.koschei.session.flash("danger", "Error retrieving user's packages");
    }
    const ctx = await pageContext(request, deps);
    const list = await queryPackageList(deps.database.db, {
      collections: ctx.state.currentCollections,
      ...params,
      perPage: deps.config.frontend.packages_per_page,
      filter: { names },
      user: ctx.state.user,
      priorities: deps.config.priorities,
    });
    const heading = `${userName}'s packages`;
    return sendPage(
      reply,
      <Layout
        ctx={ctx}
        title={heading}
        tab="my-packages"
        header={
          <>
            <PageTitle>{heading}</PageTitle>
            <CollectionChooser ctx={ctx} allowAll />
          </>
        }
      >
        <PackageTable ctx={ctx} list={list} untrackedToggle />
      </Layout>,
    );
  });
}
