// Collections (spec 08 §5.3).
import type { FastifyInstance } from "fastify";
import { Layout, PageTitle } from "../layout.js";
import { pageContext, type PageContext } from "../page-context.js";
import { sendPage } from "../render.js";
import type { Collection, FrontendDeps } from "../request-state.js";

function collectionState(collection: Collection): "ok" | "unresolved" | "unknown" {
  if (collection.latest_repo_resolved === null) return "unknown";
  return collection.latest_repo_resolved ? "ok" : "unresolved";
}

function CollectionsPage({ ctx, collections }: { ctx: PageContext; collections: Collection[] }) {
  return (
    <Layout
      ctx={ctx}
      title="Collections"
      tab="collections"
      header={<PageTitle>Collections</PageTitle>}
    >
      <table class="pf-v6-c-table pf-m-compact" aria-label="Collections">
        <thead class="pf-v6-c-table__thead">
          <tr class="pf-v6-c-table__tr">
            <th class="pf-v6-c-table__th" scope="col">
              Name
            </th>
            <th class="pf-v6-c-table__th" scope="col">
              Buildroot
            </th>
            <th class="pf-v6-c-table__th" scope="col">
              Latest repo
            </th>
          </tr>
        </thead>
        <tbody class="pf-v6-c-table__tbody">
          {collections.map((collection) => (
            <tr class="pf-v6-c-table__tr">
              <td class="pf-v6-c-table__td" data-label="Name">
                <a href={`/collection/${encodeURIComponent(collection.name)}`}>
                  {collection.display_name}
                </a>
              </td>
              <td class="pf-v6-c-table__td" data-label="Buildroot">
                {collectionState(collection)}
              </td>
              <td class="pf-v6-c-table__td" data-label="Latest repo">
                {collection.latest_repo_id ?? ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}

export function registerCollectionRoutes(app: FastifyInstance, deps: FrontendDeps): void {
  app.get("/collections", async (request, reply) => {
    const ctx = await pageContext(request, deps);
    return sendPage(reply, <CollectionsPage ctx={ctx} collections={ctx.state.allCollections} />);
  });
}
