// Collections (spec 08 §5.3) and collection detail (§5.4) with its edit stub. This module
// also registers the package-list routes of package-lists.tsx (front page, /packages,
// /search, /stats, badges), so that routes/index.ts keeps one entry for both.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { requireUser } from "../auth.js";
import { CollectionStateIcon } from "../components/icons.js";
import { HttpError, forbidden, notFound } from "../errors.js";
import { Layout, PageTitle } from "../layout.js";
import { pageContext, type PageContext } from "../page-context.js";
import { sendPage } from "../render.js";
import type { Collection, FrontendDeps } from "../request-state.js";
import { registerPackageListRoutes } from "./package-lists.js";

interface CollectionGroupCard {
  name: string;
  displayName: string;
  members: Collection[];
}

function packagesHref(collections: readonly Collection[]): string {
  return `/packages?collection=${encodeURIComponent(collections.map((c) => c.name).join(","))}`;
}

function CollectionCard({ ctx, card }: { ctx: PageContext; card: CollectionGroupCard }) {
  return (
    <section class="pf-v6-c-card kk-card">
      <div class="pf-v6-c-card__title">
        <h2 class="pf-v6-c-card__title-text">
          {card.members.length > 0 ? (
            <a href={packagesHref(card.members)}>{card.displayName}</a>
          ) : (
            card.displayName
          )}{" "}
          <span
            class="pf-v6-c-badge pf-m-read kk-count"
            title={`${card.members.length} collections`}
          >
            {card.members.length}
          </span>
        </h2>
      </div>
      <div class="pf-v6-c-card__body">
        <table class="pf-v6-c-table pf-m-compact kk-collection-list" aria-label={card.displayName}>
          <tbody class="pf-v6-c-table__tbody">
            {card.members.map((collection) => (
              <tr class="pf-v6-c-table__tr">
                <td class="pf-v6-c-table__td">
                  <CollectionStateIcon ctx={ctx} resolved={collection.latest_repo_resolved} />{" "}
                  <a href={packagesHref([collection])}>{collection.display_name}</a>
                </td>
                <td class="pf-v6-c-table__td kk-actions">
                  <a
                    class="pf-v6-c-button pf-m-plain pf-m-small kk-cog"
                    href={`/collection/${encodeURIComponent(collection.name)}`}
                    title={`Details of ${collection.display_name}`}
                    aria-label={`Details of ${collection.display_name}`}
                  >
                    ⚙
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function CollectionsPage({ ctx, cards }: { ctx: PageContext; cards: CollectionGroupCard[] }) {
  return (
    <Layout
      ctx={ctx}
      title="Collections"
      tab="collections"
      header={<PageTitle>Collections</PageTitle>}
    >
      <div class="kk-cards">
        {cards.map((card) => (
          <CollectionCard ctx={ctx} card={card} />
        ))}
      </div>
    </Layout>
  );
}

const text = (value: string | number | boolean | null): string =>
  value === null ? "None" : typeof value === "boolean" ? (value ? "True" : "False") : String(value);

function CollectionDetailPage({ ctx, collection }: { ctx: PageContext; collection: Collection }) {
  const rows: [string, string | number | boolean | null][] = [
    ["Internal name", collection.name],
    ["Display name", collection.display_name],
    ["Display order", collection.order],
    ["Priority coefficient", collection.priority_coefficient],
    ["Koji target", collection.target],
    ["Koji build tag", collection.build_tag],
    ["Koji dest tag", collection.dest_tag],
    ["Koji build group", collection.build_group],
    ["Bugzilla product", collection.bugzilla_product],
    ["Bugzilla product version", collection.bugzilla_version],
    ["Poll untracked", collection.poll_untracked],
  ];
  return (
    <Layout
      ctx={ctx}
      title={collection.display_name}
      tab="collections"
      header={<PageTitle>{collection.display_name}</PageTitle>}
    >
      <section class="pf-v6-c-card kk-card">
        <div class="pf-v6-c-card__title">
          <h2 class="pf-v6-c-card__title-text">Collection information</h2>
        </div>
        <div class="pf-v6-c-card__body">
          <table class="pf-v6-c-table pf-m-compact" aria-label="Collection information">
            <tbody class="pf-v6-c-table__tbody">
              {rows.map(([label, value]) => (
                <tr class="pf-v6-c-table__tr">
                  <th class="pf-v6-c-table__th" scope="row">
                    {label}
                  </th>
                  <td class="pf-v6-c-table__td">{text(value)}</td>
                </tr>
              ))}
              <tr class="pf-v6-c-table__tr">
                <th class="pf-v6-c-table__th" scope="row">
                  Buildroot
                </th>
                <td class="pf-v6-c-table__td">
                  <CollectionStateIcon ctx={ctx} resolved={collection.latest_repo_resolved} />{" "}
                  {collection.latest_repo_resolved === null
                    ? "not resolved yet"
                    : collection.latest_repo_resolved
                      ? `installable (repo ${collection.latest_repo_id})`
                      : `not installable (repo ${collection.latest_repo_id})`}
                </td>
              </tr>
            </tbody>
          </table>
          <p>
            <a href={packagesHref([collection])}>Packages of {collection.display_name}</a>
          </p>
        </div>
      </section>
    </Layout>
  );
}

/** The collection list; also the front page with `frontend.frontpage: collection_list`. */
export async function collectionListPage(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: FrontendDeps,
): Promise<FastifyReply> {
  const ctx = await pageContext(request, deps);
  const db = deps.database.db;
  const groups = await db
    .selectFrom("collection_group")
    .select(["id", "name", "display_name"])
    .orderBy("name")
    .execute();
  const relations = await db
    .selectFrom("collection_group_relation")
    .select(["group_id", "collection_id"])
    .execute();
  // allCollections is already ordered by `order` then name, both descending.
  const all = ctx.state.allCollections;
  const cards: CollectionGroupCard[] = groups.map((group) => ({
    name: group.name,
    displayName: group.display_name,
    members: all.filter((collection) =>
      relations.some((r) => r.group_id === group.id && r.collection_id === collection.id),
    ),
  }));
  const grouped = new Set(relations.map((r) => r.collection_id));
  const uncategorized = all.filter((collection) => !grouped.has(collection.id));
  if (uncategorized.length > 0) {
    cards.push({ name: "", displayName: "Uncategorized", members: uncategorized });
  }
  return sendPage(reply, <CollectionsPage ctx={ctx} cards={cards} />);
}

export function registerCollectionRoutes(app: FastifyInstance, deps: FrontendDeps): void {
  app.get("/collections", (request, reply) => collectionListPage(request, reply, deps));

  app.get<{ Params: { name: string } }>("/collection/:name", async (request, reply) => {
    const collection = request.koschei.allCollections.find((c) => c.name === request.params.name);
    if (collection === undefined) throw notFound("Collection not found");
    const ctx = await pageContext(request, deps);
    return sendPage(reply, <CollectionDetailPage ctx={ctx} collection={collection} />);
  });

  // Editing collections from the web is not implemented (spec 08 §5.4): a stub.
  app.post<{ Params: { name: string } }>("/collection/:name/edit", async (request) => {
    const user = requireUser(request);
    if (!user.admin) throw forbidden("Only administrators may edit collections.");
    throw new HttpError(
      501,
      "Editing collections is not implemented; use koschei-admin edit-collection.",
    );
  });

  registerPackageListRoutes(app, deps);
}
