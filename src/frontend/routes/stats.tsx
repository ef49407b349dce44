// Statistics (spec 08 §5.14): the numbers and the resource usage of the snapshot tables the
// polling service refreshes, and a chart of the package states of one collection (the first
// current one) over the last 30 days.
import type { FastifyInstance } from "fastify";
import type { ComponentChildren } from "preact";
import { CollectionChooser } from "../components/collection-chooser.js";
import { PaginationRow } from "../components/pagination.js";
import { StateChart } from "../components/state-chart.js";
import { notFound } from "../errors.js";
import { formatDate, intcomma, naturalDelta, naturalTime, percentage } from "../format.js";
import { Layout, PageTitle } from "../layout.js";
import { pageContext, type PageContext } from "../page-context.js";
import { paginate, parsePage, type Pagination } from "../pagination.js";
import { sendPage } from "../render.js";
import { firstQueryValue, type Collection, type FrontendDeps } from "../request-state.js";
import {
  resourceUsage,
  scalarStats,
  stateHistory,
  type ResourceRow,
  type ScalarStats,
  type StateHistory,
} from "../stats-query.js";

const RESOURCES_PER_PAGE = 20;
const HISTORY_DAYS = 30;
/** The history changes slowly (the snapshot numbers refresh every 20 minutes by default). */
const HISTORY_CACHE_MS = 10 * 60 * 1000;

/** Recent histories per database (tests run several), by collection id. */
const historyCache = new WeakMap<object, Map<number, { at: number; history: StateHistory }>>();

async function cachedHistory(deps: FrontendDeps, collectionId: number): Promise<StateHistory> {
  let cache = historyCache.get(deps.database);
  if (cache === undefined) {
    cache = new Map();
    historyCache.set(deps.database, cache);
  }
  const now = Date.now();
  const hit = cache.get(collectionId);
  const today = new Date(now).toISOString().slice(0, 10);
  const hitDay = hit?.history.days.at(-1)?.toISOString().slice(0, 10);
  if (hit !== undefined && now - hit.at < HISTORY_CACHE_MS && hitDay === today) {
    return hit.history;
  }
  const history = await stateHistory(deps.database.db, collectionId, HISTORY_DAYS);
  cache.set(collectionId, { at: now, history });
  return history;
}

function Card({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="pf-v6-c-card kk-card">
      <div class="pf-v6-c-card__title">
        <h2 class="pf-v6-c-card__title-text">{title}</h2>
      </div>
      <div class="pf-v6-c-card__body">{children}</div>
    </section>
  );
}

function Numbers({ stats }: { stats: ScalarStats }) {
  const rows: [string, number][] = [
    ["Packages", stats.packages],
    ["Tracked packages", stats.trackedPackages],
    ["Untracked packages", stats.packages - stats.trackedPackages],
    ["Active packages", stats.packages - stats.blockedPackages],
    ["Blocked packages", stats.blockedPackages],
    ["Builds", stats.builds],
    ["Real builds", stats.realBuilds],
    ["Scratch builds", stats.scratchBuilds],
  ];
  return (
    <table class="pf-v6-c-table pf-m-compact" aria-label="Numbers">
      <tbody class="pf-v6-c-table__tbody">
        {rows.map(([label, value]) => (
          <tr class="pf-v6-c-table__tr">
            <th class="pf-v6-c-table__th" scope="row">
              {label}
            </th>
            <td class="pf-v6-c-table__td kk-number">{intcomma(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Resources(props: { ctx: PageContext; rows: ResourceRow[]; pagination: Pagination }) {
  return (
    <>
      <PaginationRow ctx={props.ctx} pagination={props.pagination} what="Packages" />
      <table class="pf-v6-c-table pf-m-compact" aria-label="Packages using most resources">
        <thead class="pf-v6-c-table__thead">
          <tr class="pf-v6-c-table__tr">
            <th class="pf-v6-c-table__th" scope="col">
              Package
            </th>
            <th class="pf-v6-c-table__th" scope="col">
              Arch
            </th>
            <th class="pf-v6-c-table__th" scope="col">
              Time usage
            </th>
            <th class="pf-v6-c-table__th" scope="col">
              Share
            </th>
          </tr>
        </thead>
        <tbody class="pf-v6-c-table__tbody">
          {props.rows.map((row) => (
            <tr class="pf-v6-c-table__tr">
              <td class="pf-v6-c-table__td" data-label="Package">
                <a href={`/package/${encodeURIComponent(row.name)}`}>{row.name}</a>
              </td>
              <td class="pf-v6-c-table__td" data-label="Arch">
                {row.arch}
              </td>
              <td class="pf-v6-c-table__td" data-label="Time usage">
                <span title={row.timeText ?? "None"}>
                  {row.seconds === null ? "None" : naturalDelta(row.seconds)}
                </span>
              </td>
              <td class="pf-v6-c-table__td" data-label="Share">
                <span title={row.share === null ? "None" : String(row.share)}>
                  {percentage(row.share)}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function StatsPage(props: {
  ctx: PageContext;
  stats: ScalarStats | undefined;
  rows: ResourceRow[];
  pagination: Pagination;
  collection: Collection;
  history: StateHistory;
}) {
  const { ctx, stats } = props;
  const now = new Date();
  return (
    <Layout ctx={ctx} title="Statistics" tab="stats" header={<PageTitle>Statistics</PageTitle>}>
      {stats === undefined ? (
        <p>No statistics yet: the polling service computes them after each of its passes.</p>
      ) : (
        <p>
          Last update: {formatDate(stats.refreshTime)} ({naturalTime(stats.refreshTime, now)})
        </p>
      )}
      <div class="kk-cards">
        {stats !== undefined && (
          <Card title="Numbers">
            <Numbers stats={stats} />
          </Card>
        )}
        <Card title="Packages using most resources">
          <Resources ctx={ctx} rows={props.rows} pagination={props.pagination} />
        </Card>
      </div>
      <Card title={`Package states in ${props.collection.display_name}`}>
        <CollectionChooser ctx={ctx} allowAll={false} selected={[props.collection]} />
        <StateChart
          history={props.history}
          title={`Tracked packages of ${props.collection.display_name} by state at the end of each of the last ${props.history.days.length} days`}
        />
      </Card>
    </Layout>
  );
}

export function registerStatsRoutes(app: FastifyInstance, deps: FrontendDeps): void {
  app.get("/stats", async (request, reply) => {
    const page = parsePage(firstQueryValue(request, "page"));
    if (page === null) throw notFound("No such page");
    const db = deps.database.db;
    const ctx = await pageContext(request, deps);
    const collection = ctx.state.currentCollections[0]!;
    const stats = await scalarStats(db);
    const usage = await resourceUsage(db, page, RESOURCES_PER_PAGE);
    const pagination = paginate(page, RESOURCES_PER_PAGE, usage.total);
    if (pagination === null) throw notFound("No such page");
    const history = await cachedHistory(deps, collection.id);
    return sendPage(
      reply,
      <StatsPage
        ctx={ctx}
        stats={stats}
        rows={usage.rows}
        pagination={pagination}
        collection={collection}
        history={history}
      />,
    );
  });
}
