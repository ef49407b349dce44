// The package table (spec 08 §3.6–3.8) with its pagination rows: the collection view (one
// collection: state, running build, task, start, priority, groups) and the unified view
// (several collections: a state column per collection), sortable column headers, and the
// optional untracked toggle. Its data comes from queryPackageList (package-query.ts).
import type { ComponentChildren } from "preact";
import { formatDate, naturalTime } from "../format.js";
import {
  headerOrder,
  headerSortState,
  type GroupLink,
  type PackageCell,
  type PackageList,
  type PackageRow,
} from "../package-query.js";
import { urlWithQuery, type PageContext } from "../page-context.js";
import { PackageStateIcon, RunningIcon } from "./icons.js";
import { PaginationRow } from "./pagination.js";

/**
 * A page of packages as a table between two pagination rows.
 *
 * Props (stable; other pages rely on them):
 * - `ctx`: the page context (links keep its query string, icons use its static URL, group
 *   links and the Koji task links read its configuration).
 * - `list`: what `queryPackageList` returned — the rows, the collections shown (one →
 *   collection view, several → unified view), pagination, sort order, and whether untracked
 *   packages are included.
 * - `untrackedToggle`: true on pages with the `Show untracked` / `Hide untracked` button
 *   (search, group detail, user packages): the label is then `Tracked packages` or
 *   `Tracked and untracked packages`. False on the package list (`untracked=1` still works).
 * - `what`: the label when there is no toggle (default `Packages`).
 */
export function PackageTable(props: {
  ctx: PageContext;
  list: PackageList;
  untrackedToggle: boolean;
  what?: string;
}) {
  const { ctx, list } = props;
  let what = props.what ?? "Packages";
  let toggle: ComponentChildren = null;
  if (props.untrackedToggle) {
    what = list.untracked ? "Tracked and untracked packages" : "Tracked packages";
    toggle = (
      <a
        class="pf-v6-c-button pf-m-secondary pf-m-small kk-untracked-toggle"
        href={urlWithQuery(ctx, { untracked: list.untracked ? null : "1", page: null })}
      >
        {list.untracked ? "Hide untracked" : "Show untracked"}
      </a>
    );
  }
  return (
    <div class="kk-package-list">
      <PaginationRow ctx={ctx} pagination={list.pagination} what={what} position="top">
        {toggle}
      </PaginationRow>
      {list.view === "collection" ? (
        <CollectionTable ctx={ctx} list={list} />
      ) : (
        <UnifiedTable ctx={ctx} list={list} />
      )}
      <PaginationRow ctx={ctx} pagination={list.pagination} what={what} position="bottom" />
    </div>
  );
}

/** A sortable column header (§3.8): links to the order with this column first. */
function SortHeader(props: {
  ctx: PageContext;
  list: PackageList;
  sortKey: string;
  description: string;
  class?: string;
  children: ComponentChildren;
}) {
  const state = headerSortState(props.list.order, props.sortKey);
  const title =
    `This column shows ${props.description} ` +
    (state === "none"
      ? "(not a primary sorting order - click to sort in ascending order)"
      : `(currently sorted in ${state} order - click to reverse the order)`);
  const href = urlWithQuery(props.ctx, {
    order_by: headerOrder(props.list.order, props.sortKey),
    page: null,
  });
  const sort =
    state === "ascending" ? "ascending" : state === "descending" ? "descending" : undefined;
  return (
    <th class={`pf-v6-c-table__th ${props.class ?? ""}`.trim()} scope="col" aria-sort={sort}>
      <a href={href} title={title} class="kk-sort">
        {props.children}
        {state !== "none" && (
          <span class="kk-sort-icon" aria-hidden="true">
            {state === "ascending" ? " ▲" : " ▼"}
          </span>
        )}
      </a>
    </th>
  );
}

function Th({ children, class: className }: { children: ComponentChildren; class?: string }) {
  return (
    <th class={`pf-v6-c-table__th ${className ?? ""}`.trim()} scope="col">
      {children}
    </th>
  );
}

function Td({ label, children }: { label: string; children?: ComponentChildren }) {
  return (
    <td class="pf-v6-c-table__td" data-label={label}>
      {children}
    </td>
  );
}

function packageHref(name: string, collectionName?: string): string {
  const path = `/package/${encodeURIComponent(name)}`;
  return collectionName === undefined
    ? path
    : `${path}?collection=${encodeURIComponent(collectionName)}`;
}

function groupHref(group: GroupLink, collectionName?: string): string {
  const path =
    group.namespace === null
      ? `/groups/${encodeURIComponent(group.name)}`
      : `/groups/${encodeURIComponent(group.namespace)}/${encodeURIComponent(group.name)}`;
  return collectionName === undefined
    ? path
    : `${path}?collection=${encodeURIComponent(collectionName)}`;
}

function Groups({ row, collectionName }: { row: PackageRow; collectionName?: string }) {
  return (
    <>
      {row.groups.map((group, index) => (
        <>
          {index > 0 && ", "}
          <a href={groupHref(group, collectionName)}>{group.fullName}</a>
        </>
      ))}
    </>
  );
}

function CollectionTable({ ctx, list }: { ctx: PageContext; list: PackageList }) {
  const collection = list.collections[0]!;
  const weburl = ctx.config.koji_config.weburl;
  const now = new Date();
  const sortable = (key: string, description: string, label: string) => (
    <SortHeader ctx={ctx} list={list} sortKey={key} description={description}>
      {label}
    </SortHeader>
  );
  return (
    <table class="pf-v6-c-table pf-m-compact kk-package-table" aria-label="Packages">
      <thead class="pf-v6-c-table__thead">
        <tr class="pf-v6-c-table__tr">
          {sortable("name", "the package name", "Name")}
          {sortable("state", "the package state", "State")}
          {sortable("running", "whether a build is running", "Running")}
          {sortable("task_id", "the Koji task of the last build", "Task ID")}
          {sortable("started", "when the last build started", "Last build started")}
          {sortable("current_priority", "the current scheduling priority", "Priority")}
          <Th>Package groups</Th>
        </tr>
      </thead>
      <tbody class="pf-v6-c-table__tbody">
        {list.rows.map((row) => {
          const cell = row.cells[0]!;
          const build = cell.lastBuild;
          return (
            <tr class="pf-v6-c-table__tr">
              <Td label="Name">
                <a href={packageHref(row.name, collection.name)}>{row.name}</a>
              </Td>
              <Td label="State">
                <span class="pf-v6-screen-reader">{cell.state}</span>
                <PackageStateIcon ctx={ctx} state={cell.state} />
              </Td>
              <Td label="Running">
                <RunningIcon ctx={ctx} running={cell.running} />
              </Td>
              <Td label="Task ID">
                {build && <a href={`${weburl}/taskinfo?taskID=${build.taskId}`}>{build.taskId}</a>}
              </Td>
              <Td label="Last build started">
                {build && (
                  <time
                    datetime={build.started.toISOString()}
                    title={naturalTime(build.started, now)}
                  >
                    {formatDate(build.started)}
                  </time>
                )}
              </Td>
              <Td label="Priority">
                {cell.currentPriority === null ? "" : String(Math.trunc(cell.currentPriority))}
              </Td>
              <Td label="Package groups">
                <Groups row={row} collectionName={collection.name} />
              </Td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** A unified view cell: the state icon, only where the package is tracked and not blocked. */
function StateCell({
  ctx,
  cell,
  name,
}: {
  ctx: PageContext;
  cell: PackageCell | null;
  name: string;
}) {
  if (cell === null || !cell.tracked || cell.blocked) return null;
  return (
    <a href={packageHref(name, cell.collection.name)}>
      <PackageStateIcon ctx={ctx} state={cell.state} />
    </a>
  );
}

function UnifiedTable({ ctx, list }: { ctx: PageContext; list: PackageList }) {
  return (
    <table class="pf-v6-c-table pf-m-compact kk-package-table" aria-label="Packages">
      <thead class="pf-v6-c-table__thead">
        <tr class="pf-v6-c-table__tr">
          <SortHeader ctx={ctx} list={list} sortKey="name" description="the package name">
            Name
          </SortHeader>
          {list.collections.map((collection) => (
            <SortHeader
              ctx={ctx}
              list={list}
              sortKey={`state-${collection.name}`}
              description={`the package state in ${collection.display_name}`}
              class="kk-collection-column"
            >
              {collection.display_name}
            </SortHeader>
          ))}
          <SortHeader
            ctx={ctx}
            list={list}
            sortKey="running"
            description="whether a build is running in any of the collections"
          >
            Running
          </SortHeader>
          <Th>Package groups</Th>
        </tr>
      </thead>
      <tbody class="pf-v6-c-table__tbody">
        {list.rows.map((row) => (
          <tr class="pf-v6-c-table__tr">
            <Td label="Name">
              <a href={packageHref(row.name)}>{row.name}</a>
            </Td>
            {list.collections.map((collection, index) => (
              <Td label={collection.display_name}>
                <StateCell ctx={ctx} cell={row.cells[index] ?? null} name={row.name} />
              </Td>
            ))}
            <Td label="Running">
              <RunningIcon ctx={ctx} running={row.running} />
            </Td>
            <Td label="Package groups">
              <Groups row={row} />
            </Td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
