// The package lists: the front page (`frontend.frontpage`), `/packages` (spec 08 §5.1),
// `/search` (§5.2), the statistics page `/stats` (§5.14) and the badges (§5.18).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { CollectionChooser } from "../components/collection-chooser.js";
import { PackageTable } from "../components/package-table.js";
import { notFound } from "../errors.js";
import { Layout, PageTitle } from "../layout.js";
import { packageListParams, queryPackageList, type PackageFilter } from "../package-query.js";
import { pageContext } from "../page-context.js";
import { sendPage } from "../render.js";
import { firstQueryValue, type FrontendDeps } from "../request-state.js";
import { packageState } from "../../model/states.js";
import { collectionListPage } from "./collections.js";
import { registerStatsRoutes } from "./stats.js";

export function registerPackageListRoutes(app: FastifyInstance, deps: FrontendDeps): void {
  // The front page shows the view `frontend.frontpage` names: the package list (default) or
  // the collection list in place; the group list and the login, which other modules serve,
  // by a redirect. `frontend.frontpage_kwargs` has nothing to pass: these views take no
  // arguments besides the query string, which the package list reads as /packages does.
  app.get("/", async (request, reply) => {
    switch (deps.config.frontend.frontpage) {
      case "collection_list":
        return collectionListPage(request, reply, deps);
      case "groups_overview":
        return reply.redirect("/groups");
      case "login":
        return reply.redirect("/login");
      default:
        return packageListPage(request, reply, deps);
    }
  });

  app.get("/packages", (request, reply) => packageListPage(request, reply, deps));

  app.get("/search", async (request, reply) => {
    const term = firstQueryValue(request, "q");
    if (term === undefined || term === "") return reply.redirect("/");
    const pattern = `%${term.trim().replaceAll("*", "%")}%`;
    const params = packageListParams(request);
    const ctx = await pageContext(request, deps);
    const collections = ctx.state.currentCollections;
    const filter: PackageFilter = { nameLike: pattern };
    const list = await queryPackageList(deps.database.db, {
      collections,
      ...params,
      perPage: deps.config.frontend.packages_per_page,
      filter,
      user: ctx.state.user,
      priorities: deps.config.priorities,
    });
    // A search naming exactly one package (the whole name, nothing else matching) goes
    // straight to that package's page.
    if (params.page === 1 && list.pagination.total === 1 && list.rows[0]!.name === term.trim()) {
      const name = encodeURIComponent(list.rows[0]!.name);
      const collection = firstQueryValue(request, "collection");
      return reply.redirect(
        collection === undefined || collection === ""
          ? `/package/${name}`
          : `/package/${name}?collection=${encodeURIComponent(collection)}`,
      );
    }
    return sendPage(
      reply,
      <Layout
        ctx={ctx}
        title="Search results"
        tab="packages"
        header={
          <>
            <PageTitle>Search results</PageTitle>
            <CollectionChooser ctx={ctx} allowAll />
          </>
        }
      >
        <PackageTable ctx={ctx} list={list} untrackedToggle />
      </Layout>,
    );
  });

  app.get<{ Params: { collection: string; file: string } }>(
    "/badge/:collection/:file",
    async (request, reply) => {
      const match = /^(.+)\.(svg|png)$/.exec(request.params.file);
      if (match === null) throw notFound("No such badge");
      const [, name, extension] = match;
      const collection = request.koschei.allCollections.find(
        (c) => c.name === request.params.collection,
      );
      if (collection === undefined) throw notFound("Collection not found");
      const pkg = await deps.database.db
        .selectFrom("package")
        .select(["blocked", "tracked", "resolved", "last_complete_build_state"])
        .where("collection_id", "=", collection.id)
        .where("name", "=", name!)
        .executeTakeFirst();
      if (pkg === undefined) throw notFound("Package not found");
      const staticUrl = deps.config.directories.static_url;
      return reply
        .header("cache-control", "no-cache")
        .redirect(`${staticUrl}/images/badges/${packageState(pkg)}.${extension}`);
    },
  );

  registerStatsRoutes(app, deps);
}

async function packageListPage(request: FastifyRequest, reply: FastifyReply, deps: FrontendDeps) {
  const params = packageListParams(request);
  const ctx = await pageContext(request, deps);
  const list = await queryPackageList(deps.database.db, {
    collections: ctx.state.currentCollections,
    ...params,
    perPage: deps.config.frontend.packages_per_page,
    user: ctx.state.user,
    priorities: deps.config.priorities,
  });
  return sendPage(
    reply,
    <Layout
      ctx={ctx}
      tab="packages"
      header={
        <>
          <PageTitle>Package summary</PageTitle>
          <CollectionChooser ctx={ctx} allowAll />
        </>
      }
    >
      <PackageTable ctx={ctx} list={list} untrackedToggle={false} what="Packages" />
    </Layout>,
  );
}
