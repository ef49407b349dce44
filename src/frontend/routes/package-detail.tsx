// The package page and what hangs off it (spec 08 §5.5–5.7, §5.12, §5.13, §6.4, §6.5): a
// package's state, scheduling, dependency changes, groups and build history; its edit form;
// build details and the admin's build cancelation; the bug-report redirect; and the report of
// packages a dependency change may have broken.
import { Card, CsrfInput, Fact, Facts } from "../components/page-parts.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import { compareEvr } from "@koschei/koji-protocol/evr.js";
import type { AuditedChanges } from "../../admin/admin-command.js";
import { fullGroupName, setGroupContent } from "../../admin/groups.js";
import { selectPackages, setPackageAttribute } from "../../admin/packages.js";
import type { Schema } from "../../db/schema.js";
import { currentPriority, meetsBuildThreshold, timePriority } from "../../model/priority.js";
import { skipReasons } from "../../model/schedulability.js";
import { BuildState, buildStateString, packageState } from "../../model/states.js";
import { requireUser, formCsrfProblem } from "../auth.js";
import { BuildChart } from "../components/build-chart.js";
import { BuildTaskTree, KojiLogLinks } from "../components/build-task-tree.js";
import { CollectionChooser } from "../components/collection-chooser.js";
import { DependencyChangeTable } from "../components/dependency-change-table.js";
import { BuildStateIcon, PackageStateIcon } from "../components/icons.js";
import { badRequest, forbidden, notFound } from "../errors.js";
import { evrText, formatDate, naturalTime } from "../format.js";
import { validationMessage } from "../group-forms.js";
import { canEditGroup, groupPath, webChanges } from "../group-query.js";
import { buildKojiUrls, kojiRealBuildUrl } from "../koji-links.js";
import { Layout, PageTitle } from "../layout.js";
import {
  affectedPackages,
  chartBuilds,
  currentProblems,
  entryTime,
  findBasePackage,
  findBuild,
  findPackage,
  kojiTasks,
  appliedChanges,
  packageGroups,
  packageHistory,
  packageRowsByName,
  unappliedChanges,
  type AffectedPackage,
  type BuildEntry,
  type Evr,
  type GroupMembership,
  type HistoryEntry,
  type PackageRow,
  type ResolutionEntry,
} from "../package-detail-query.js";
import {
  archOverrideFormText,
  changedGroups,
  parseInt32,
  parsePackageEditForm,
  type SubmittedPackageEdit,
} from "../package-edit.js";
import { bugReportUrl, externalLinks } from "../package-links.js";
import { pageContext, type PageContext } from "../page-context.js";
import { sendPage } from "../render.js";
import {
  firstQueryValue,
  type Collection,
  type FrontendDeps,
  type User,
} from "../request-state.js";

/** How many builds the chart draws. */
const CHART_BUILDS = 50;
/** Resolution problems shown before the rest folds away. */
const VISIBLE_PROBLEMS = 5;
/** The largest epoch second a JavaScript Date holds. */
const MAX_TIMESTAMP_SECONDS = 8.64e12 / 1000;

function packageUrl(name: string, collection?: Collection): string {
  const path = `/package/${encodeURIComponent(name)}`;
  return collection === undefined
    ? path
    : `${path}?collection=${encodeURIComponent(collection.name)}`;
}

function trueFalse(value: boolean): string {
  return value ? "True" : "False";
}

// ---- Small pieces of the pages ----

function HiddenFields({ ctx, collection }: { ctx: PageContext; collection: Collection }) {
  return (
    <>
      <CsrfInput ctx={ctx} />
      <input type="hidden" name="collection_id" value={String(collection.id)} />
    </>
  );
}

/** Build dependency changes, or why there are none to show. */
function BuildChanges(props: {
  build: { deps_resolved: boolean | null };
  entry: Pick<BuildEntry, "changes">;
  packageName: string;
  collection: Collection;
  notProcessed: string;
  notResolvable: string;
}) {
  if (props.build.deps_resolved === null) return <p class="kk-muted">{props.notProcessed}</p>;
  if (!props.build.deps_resolved) return <p class="kk-muted">{props.notResolvable}</p>;
  return (
    <DependencyChangeTable
      changes={props.entry.changes}
      packageName={props.packageName}
      collectionName={props.collection.name}
    />
  );
}

// ---- The package page (spec 08 §5.5) ----

interface PriorityParts {
  current: number | null;
  time: number | null;
}

interface PackagePageData {
  pkg: PackageRow;
  collection: Collection;
  rows: { pkg: PackageRow; collection: Collection }[];
  groups: GroupMembership[];
  unapplied: Awaited<ReturnType<typeof unappliedChanges>>;
  history: HistoryEntry[];
  chart: Awaited<ReturnType<typeof chartBuilds>>;
  problems: string[];
  priority: PriorityParts;
  lastSeen: number | undefined;
  now: Date;
}

/**
 * Bugzilla needs the collection's product and version, and the report a finished build (the
 * original offered the link without one, which led to a 404).
 */
function canReportBug(pkg: PackageRow, collection: Collection): boolean {
  return (
    collection.bugzilla_product !== null &&
    collection.bugzilla_version !== null &&
    !pkg.blocked &&
    pkg.last_complete_build_id !== null
  );
}

function PackageInformation({ ctx, data }: { ctx: PageContext; data: PackagePageData }) {
  const { pkg, collection } = data;
  const state = packageState(pkg);
  const links = externalLinks(ctx.config.links, { ...pkg, collection });
  return (
    <Card title="Package information">
      <Facts>
        <Fact term="State">
          <PackageStateIcon ctx={ctx} state={state} /> {state}
        </Fact>
        {links.map((link) => (
          <Fact term={link.name}>
            <a href={link.url} rel="noopener noreferrer">
              {link.url}
            </a>
          </Fact>
        ))}
      </Facts>
      {data.problems.length > 0 && (
        <>
          <p>Dependency problems of the latest resolution:</p>
          <Problems problems={data.problems} />
        </>
      )}
      {canReportBug(pkg, collection) && (
        <p>
          <a
            class="pf-v6-c-button pf-m-secondary pf-m-small"
            href={`/bugreport/${encodeURIComponent(pkg.name)}?collection=${encodeURIComponent(collection.name)}`}
          >
            File new FTBFS bug
          </a>
        </p>
      )}
    </Card>
  );
}

function Problems({ problems }: { problems: string[] }) {
  const list = (items: string[]) => (
    <ul class="kk-problems">
      {items.map((problem) => (
        <li class="kk-problem">{problem}</li>
      ))}
    </ul>
  );
  const hidden = problems.slice(VISIBLE_PROBLEMS);
  return (
    <>
      {list(problems.slice(0, VISIBLE_PROBLEMS))}
      {hidden.length > 0 && (
        <details class="kk-more">
          <summary>show {hidden.length} more</summary>
          {list(hidden)}
        </details>
      )}
    </>
  );
}

function SchedulerParameters(props: {
  ctx: PageContext;
  data: PackagePageData;
  submitted: SubmittedPackageEdit | undefined;
}) {
  const { ctx, data } = props;
  const { pkg, collection, priority } = data;
  const reasons = skipReasons(pkg, collection);
  const threshold = ctx.config.priorities.build_threshold;
  const round = (value: number) => Math.trunc(value);
  return (
    <Card title="Scheduler parameters">
      {priority.current === null ? (
        <>
          <p>Package is currently ineligible for scheduling due to following reasons:</p>
          <ul class="kk-reasons">
            {reasons.map((reason) => (
              <li>{reason.message}</li>
            ))}
          </ul>
        </>
      ) : (
        <>
          <p>
            {meetsBuildThreshold(priority.current, ctx.config.priorities)
              ? `Its priority reaches the build threshold (${threshold}): the scheduler submits a build when Koji has capacity.`
              : `Its priority is below the build threshold (${threshold}): it grows with the time since the last build and with dependency changes.`}
          </p>
          {reasons.length > 0 && (
            <ul class="kk-reasons">
              {reasons.map((reason) => (
                <li>{reason.message}</li>
              ))}
            </ul>
          )}
        </>
      )}
      <Facts>
        <Fact term="Tracked by Koschei">{trueFalse(pkg.tracked)}</Fact>
        <Fact term="Current priority">{round(priority.current ?? 0)}</Fact>
        <Fact term="Manual priority">{pkg.manual_priority}</Fact>
        <Fact term="Static priority">{pkg.static_priority}</Fact>
        <Fact term="Dependency priority">{pkg.dependency_priority}</Fact>
        <Fact term="Build priority">{pkg.build_priority}</Fact>
        <Fact term="Time priority">{priority.time === null ? "None" : round(priority.time)}</Fact>
        <Fact term="Collection coefficient">{collection.priority_coefficient}</Fact>
        <Fact term="Arch override">{pkg.arch_override ?? "None"}</Fact>
        <Fact term="Skip resolution">{trueFalse(pkg.skip_resolution)}</Fact>
      </Facts>
      <p class="kk-muted kk-formula">
        Current priority = manual + static + (dependency + build + time) × collection coefficient.
      </p>
      {ctx.state.user !== undefined && (
        <EditForm ctx={ctx} data={data} submitted={props.submitted} />
      )}
    </Card>
  );
}

function Checkbox(props: { name: string; label: string; checked: boolean }) {
  return (
    <div class="pf-v6-c-check">
      <input type="hidden" name={`${props.name}__present`} value="1" />
      <input
        class="pf-v6-c-check__input"
        type="checkbox"
        id={`edit-${props.name}`}
        name={props.name}
        checked={props.checked}
      />
      <label class="pf-v6-c-check__label" for={`edit-${props.name}`}>
        {props.label}
      </label>
    </div>
  );
}

function EditForm(props: {
  ctx: PageContext;
  data: PackagePageData;
  submitted: SubmittedPackageEdit | undefined;
}) {
  const { ctx, data, submitted } = props;
  const { pkg, collection } = data;
  return (
    <details class="kk-edit" open={submitted !== undefined}>
      <summary class="pf-v6-c-button pf-m-secondary pf-m-small">Configure scheduling</summary>
      <form
        class="pf-v6-c-form kk-form"
        method="post"
        action={`/package/${encodeURIComponent(pkg.name)}/edit`}
      >
        <HiddenFields ctx={ctx} collection={collection} />
        <Checkbox
          name="tracked"
          label="Tracked by Koschei"
          checked={submitted?.tracked ?? pkg.tracked}
        />
        <div class="pf-v6-c-form__group">
          <label class="pf-v6-c-form__label" for="edit-manual_priority">
            Manual priority
          </label>
          <input
            class="pf-v6-c-form-control"
            id="edit-manual_priority"
            name="manual_priority"
            type="text"
            inputmode="numeric"
            value={submitted?.manual_priority ?? String(pkg.manual_priority)}
          />
        </div>
        <Checkbox
          name="skip_resolution"
          label="Skip resolution"
          checked={submitted?.skip_resolution ?? pkg.skip_resolution}
        />
        <div class="pf-v6-c-form__group">
          <label class="pf-v6-c-form__label" for="edit-arch_override">
            Arch override
          </label>
          <input
            class="pf-v6-c-form-control"
            id="edit-arch_override"
            type="text"
            name="arch_override"
            value={submitted?.arch_override ?? archOverrideFormText(pkg.arch_override)}
            placeholder={ctx.config.koji_config.build_arches.join(", ")}
          />
        </div>
        <div class="pf-v6-c-form__actions">
          <button class="pf-v6-c-button pf-m-primary" type="submit">
            Save
          </button>
          <a class="pf-v6-c-button pf-m-link" href={packageUrl(pkg.name, collection)}>
            Cancel
          </a>
        </div>
      </form>
    </details>
  );
}

function StateOverview({ ctx, data }: { ctx: PageContext; data: PackagePageData }) {
  return (
    <Card title="State overview">
      <ul class="kk-plain-list">
        {data.rows.map(({ pkg, collection }) => (
          <li>
            <PackageStateIcon ctx={ctx} state={packageState(pkg)} />{" "}
            <a href={packageUrl(pkg.name, collection)}>{collection.display_name}</a>
          </li>
        ))}
      </ul>
    </Card>
  );
}

function Groups({ ctx, data }: { ctx: PageContext; data: PackagePageData }) {
  const shown = data.groups.filter((entry) => entry.member);
  const offered = data.groups.filter((entry) => (entry.member ? entry.editable : true));
  return (
    <Card title="Groups">
      {shown.length === 0 ? (
        <p>This package is not part of any global group.</p>
      ) : (
        <ul class="kk-plain-list">
          {shown.map(({ group }) => (
            <li>
              <a href={groupPath(group)}>{fullGroupName(group)}</a>
            </li>
          ))}
        </ul>
      )}
      {ctx.state.user !== undefined && offered.length > 0 && (
        <details class="kk-edit">
          <summary class="pf-v6-c-button pf-m-secondary pf-m-small">Edit group membership</summary>
          <form
            class="pf-v6-c-form kk-form"
            method="post"
            action={`/package/${encodeURIComponent(data.pkg.name)}/edit`}
          >
            <HiddenFields ctx={ctx} collection={data.collection} />
            {offered.map(({ group, member }) => (
              <div class="pf-v6-c-check">
                <input type="hidden" name={`group-prev-${group.id}`} value={String(member)} />
                <input
                  class="pf-v6-c-check__input"
                  type="checkbox"
                  id={`group-${group.id}`}
                  name={`group-${group.id}`}
                  checked={member}
                />
                <label class="pf-v6-c-check__label" for={`group-${group.id}`}>
                  {fullGroupName(group)}
                </label>
              </div>
            ))}
            <div class="pf-v6-c-form__actions">
              <button class="pf-v6-c-button pf-m-primary" type="submit">
                Save
              </button>
            </div>
          </form>
        </details>
      )}
    </Card>
  );
}

function ResolutionHistoryRow({ entry }: { entry: ResolutionEntry }) {
  return (
    <tr class={`pf-v6-c-table__tr ${entry.resolved ? "kk-row-success" : "kk-row-danger"}`}>
      <td class="pf-v6-c-table__td" data-label="Time">
        {formatDate(entry.timestamp)}
      </td>
      <td class="pf-v6-c-table__td" data-label="Event">
        {entry.resolved ? (
          "Package dependencies resolved successfuly"
        ) : (
          <>
            Package resolution failed
            <Problems problems={entry.problems} />
          </>
        )}
      </td>
    </tr>
  );
}

function BuildHistoryRow(props: { ctx: PageContext; data: PackagePageData; entry: BuildEntry }) {
  const { ctx, data, entry } = props;
  const { build } = entry;
  const classes = [
    "pf-v6-c-table__tr",
    build.untagged ? "kk-untagged-build" : "",
    build.real ? "kk-row-info" : "",
    build.state === BuildState.failed ? "kk-row-warning" : "",
  ];
  const urls = buildKojiUrls(ctx.config, build, data.collection);
  return (
    <tr class={classes.join(" ")}>
      <td class="pf-v6-c-table__td" data-label="Time">
        {formatDate(build.started)}
      </td>
      <td class="pf-v6-c-table__td" data-label="Event">
        {build.untagged && <p>This build is no longer tagged in koji.</p>}
        {build.real && build.version !== null && build.release !== null && (
          <p>
            Real build:{" "}
            <a
              href={kojiRealBuildUrl(ctx.config, data.collection, {
                name: data.pkg.name,
                version: build.version,
                release: build.release,
              })}
            >
              {`${data.pkg.name}-${build.version}-${build.release}`}
            </a>
          </p>
        )}
        <BuildTaskTree
          ctx={ctx}
          build={build}
          tasks={entry.tasks}
          urls={urls}
          showDetails
          showLogs
        />
        <BuildChanges
          build={build}
          entry={entry}
          packageName={data.pkg.name}
          collection={data.collection}
          notProcessed="Dependencies for this build weren't processed yet"
          notResolvable="Dependencies for this build couldn't be processed"
        />
      </td>
    </tr>
  );
}

function History({ ctx, data }: { ctx: PageContext; data: PackagePageData }) {
  const perPage = ctx.config.frontend.builds_per_page;
  const oldest = data.history.at(-1);
  return (
    <section class="kk-history">
      <h2 class="pf-v6-c-title pf-m-xl">
        {data.lastSeen === undefined ? "Most recent builds" : "Historical builds"}
      </h2>
      <table class="pf-v6-c-table pf-m-compact kk-history-table" aria-label="Build history">
        <thead class="pf-v6-c-table__thead">
          <tr class="pf-v6-c-table__tr">
            <th class="pf-v6-c-table__th" scope="col">
              Time
            </th>
            <th class="pf-v6-c-table__th" scope="col">
              Build or resolution
            </th>
          </tr>
        </thead>
        <tbody class="pf-v6-c-table__tbody">
          {data.history.map((entry) =>
            entry.kind === "build" ? (
              <BuildHistoryRow ctx={ctx} data={data} entry={entry} />
            ) : (
              <ResolutionHistoryRow entry={entry} />
            ),
          )}
        </tbody>
      </table>
      {data.history.length === 0 && <p class="kk-muted">No builds or resolutions yet.</p>}
      {data.history.length === perPage && oldest !== undefined && (
        <p>
          <a
            class="pf-v6-c-button pf-m-secondary"
            href={`${packageUrl(data.pkg.name)}?last_seen_ts=${Math.floor(entryTime(oldest).getTime() / 1000)}&collection=${encodeURIComponent(data.collection.name)}`}
          >
            Previous history
          </a>
        </p>
      )}
    </section>
  );
}

function PackagePage(props: {
  ctx: PageContext;
  name: string;
  collection: Collection;
  data: PackagePageData | undefined;
  submitted?: SubmittedPackageEdit;
}) {
  const { ctx, data, collection } = props;
  const header = (
    <>
      <PageTitle>{props.name}</PageTitle>
      <CollectionChooser ctx={ctx} allowAll={false} selected={[collection]} />
    </>
  );
  return (
    <Layout ctx={ctx} title={props.name} tab="packages" header={header}>
      {data === undefined ? (
        <p>
          Package doesn't exist in selected collection {collection.display_name}. Please select a
          different one.
        </p>
      ) : (
        <>
          <div class="kk-detail-grid">
            <div class="kk-detail-main">
              <PackageInformation ctx={ctx} data={data} />
              <SchedulerParameters ctx={ctx} data={data} submitted={props.submitted} />
              <Card title="Dependency changes since last build">
                <DependencyChangeTable
                  changes={data.unapplied}
                  packageName={data.pkg.name}
                  collectionName={collection.name}
                />
              </Card>
            </div>
            <div class="kk-detail-side">
              <StateOverview ctx={ctx} data={data} />
              <Groups ctx={ctx} data={data} />
            </div>
          </div>
          {data.chart.length > 0 && (
            <Card title="Build durations and outcomes">
              <BuildChart builds={data.chart} now={data.now} />
            </Card>
          )}
          <History ctx={ctx} data={data} />
        </>
      )}
    </Layout>
  );
}

/** `last_seen_ts`: integer epoch seconds (spec 08 §5.5); anything else is a bad request. */
function parseLastSeen(request: FastifyRequest): number | undefined {
  const text = firstQueryValue(request, "last_seen_ts");
  if (text === undefined) return undefined;
  const value = /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || Math.abs(value) > MAX_TIMESTAMP_SECONDS) {
    throw badRequest("last_seen_ts must be a whole number of seconds since 1970.");
  }
  return value;
}

async function loadPackagePageData(
  db: Kysely<Schema>,
  deps: FrontendDeps,
  request: FastifyRequest,
  pkg: PackageRow,
  collection: Collection,
  lastSeen: number | undefined,
): Promise<PackagePageData> {
  const state = request.koschei;
  const before = lastSeen === undefined ? undefined : new Date(lastSeen * 1000);
  const [rows, groups, unapplied, history, chart, problems, lastBuild] = await Promise.all([
    packageRowsByName(db, pkg.name),
    packageGroups(db, pkg.base_id, state.user),
    unappliedChanges(db, pkg.id),
    packageHistory(db, pkg.id, deps.config.frontend.builds_per_page, before),
    chartBuilds(db, pkg.id, CHART_BUILDS),
    pkg.resolved === false ? currentProblems(db, pkg.id) : [],
    pkg.last_build_id === null
      ? undefined
      : db
          .selectFrom("build")
          .select("started")
          .where("id", "=", pkg.last_build_id)
          .executeTakeFirst(),
  ]);
  const now = new Date();
  const priorities = deps.config.priorities;
  return {
    pkg,
    collection,
    rows: state.allCollections.flatMap((c) => {
      const row = rows.find((candidate) => candidate.collection_id === c.id);
      return row === undefined ? [] : [{ pkg: row, collection: c }];
    }),
    groups,
    unapplied,
    history,
    chart,
    problems,
    priority: {
      current: currentPriority(pkg, collection, lastBuild ?? null, priorities, now),
      time:
        lastBuild === undefined
          ? null
          : timePriority((now.getTime() - lastBuild.started.getTime()) / 3_600_000, priorities),
    },
    lastSeen,
    now,
  };
}

/** Renders the package page of `collection`, with the edit form refilled when given. */
async function sendPackagePage(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: FrontendDeps,
  name: string,
  collection: Collection,
  submitted?: SubmittedPackageEdit,
) {
  const db = deps.database.db;
  const lastSeen = submitted === undefined ? parseLastSeen(request) : undefined;
  const pkg = await findPackage(db, name, collection.id);
  if (pkg === undefined && (await findBasePackage(db, name)) === undefined) {
    throw notFound("Package not found");
  }
  const [data, ctx] = await Promise.all([
    pkg === undefined
      ? undefined
      : loadPackagePageData(db, deps, request, pkg, collection, lastSeen),
    pageContext(request, deps, { collections: [collection] }),
  ]);
  // A refused form is shown at the page's own address, so that its links stay valid.
  if (submitted !== undefined) ctx.url = packageUrl(name, collection);
  return sendPage(
    reply,
    <PackagePage ctx={ctx} name={name} collection={collection} data={data} submitted={submitted} />,
  );
}

// ---- Editing a package (spec 08 §6.4, §6.5) ----

/** Adds the package to or removes it from each group whose checkbox changed; audited. */
async function applyGroupChanges(
  changes: AuditedChanges,
  user: User,
  pkg: PackageRow,
  groups: ReturnType<typeof changedGroups>,
) {
  for (const checkbox of groups) {
    const group =
      checkbox.groupId === null
        ? undefined
        : await changes.db
            .selectFrom("package_group")
            .selectAll()
            .where("id", "=", checkbox.groupId)
            .executeTakeFirst();
    if (group === undefined) throw notFound("Group not found");
    if (!(await canEditGroup(changes.db, user, group))) {
      throw forbidden(`You may not change the packages of group ${fullGroupName(group)}.`);
    }
    if (checkbox.checked) {
      await setGroupContent(changes, group, [pkg.name], true);
    } else {
      const members = await changes.db
        .selectFrom("package_group_relation")
        .innerJoin("base_package", "base_package.id", "package_group_relation.base_id")
        .select("base_package.name")
        .where("package_group_relation.group_id", "=", group.id)
        .execute();
      const remaining = members.map((m) => m.name).filter((member) => member !== pkg.name);
      await setGroupContent(changes, group, remaining, false);
    }
  }
}

async function editPackage(
  request: FastifyRequest<{ Params: { name: string } }>,
  reply: FastifyReply,
  deps: FrontendDeps,
) {
  const user = requireUser(request);
  const name = request.params.name;
  const form = (request.body ?? {}) as Record<string, unknown>;
  const parsed = parsePackageEditForm(form, deps.config.koji_config.build_arches);
  const collection = request.koschei.allCollections.find((c) => c.id === parsed.collectionId);
  if (collection === undefined) throw badRequest("collection_id names no collection.");
  const csrf = formCsrfProblem(request, deps.config, form);
  const errors = csrf === undefined ? parsed.errors : [csrf, ...parsed.errors];
  if (errors.length > 0) {
    request.koschei.session.flash("danger", validationMessage(errors));
    return sendPackagePage(request, reply, deps, name, collection, parsed.submitted);
  }
  const db = deps.database.db;
  const pkg = await findPackage(db, name, collection.id);
  if (pkg === undefined) throw notFound("Package not found");
  await db.transaction().execute(async (trx) => {
    const changes = webChanges(trx, user);
    await applyGroupChanges(changes, user, pkg, changedGroups(parsed.groups));
    const { attributes } = parsed;
    if (attributes.skip_resolution === true) {
      // Skipped resolution means no resolution result (the table's check constraint).
      await trx.updateTable("package").set({ resolved: null }).where("id", "=", pkg.id).execute();
      await trx.deleteFrom("unapplied_change").where("package_id", "=", pkg.id).execute();
    }
    const row = await selectPackages(trx)
      .where("package.id", "=", pkg.id)
      .executeTakeFirstOrThrow();
    if (attributes.tracked !== undefined) {
      await setPackageAttribute(changes, row, "tracked", attributes.tracked);
    }
    if (attributes.manual_priority !== undefined) {
      await setPackageAttribute(changes, row, "manual_priority", attributes.manual_priority);
    }
    if (attributes.arch_override !== undefined) {
      await setPackageAttribute(changes, row, "arch_override", attributes.arch_override);
    }
    if (attributes.skip_resolution !== undefined) {
      await setPackageAttribute(changes, row, "skip_resolution", attributes.skip_resolution);
    }
  });
  request.koschei.session.flash("success", "Package modified");
  return reply.redirect(packageUrl(name, collection));
}

// ---- Build details and cancelation (spec 08 §5.6, §5.7) ----

/** A build id from the URL; anything but an integer is no build (404). */
function buildIdParameter(text: string): number {
  const id = /^\d+$/.test(text) ? parseInt32(text) : undefined;
  if (id === undefined) throw notFound("Build not found");
  return id;
}

type FoundBuild = NonNullable<Awaited<ReturnType<typeof findBuild>>>;

function BuildPage(props: {
  ctx: PageContext;
  build: FoundBuild;
  collection: Collection;
  entry: BuildEntry;
}) {
  const { ctx, build, collection, entry } = props;
  const urls = buildKojiUrls(ctx.config, build, collection);
  const canCancel = build.state === BuildState.running && ctx.state.user?.admin === true;
  const header = (
    <>
      <PageTitle>Build details</PageTitle>
      <p>
        <a href={packageUrl(build.package_name, collection)}>{build.package_name}</a> in{" "}
        {collection.display_name}
      </p>
    </>
  );
  return (
    <Layout
      ctx={ctx}
      title={`${build.package_name} - build ${build.task_id}`}
      tab="packages"
      header={header}
    >
      <div class="kk-detail-grid">
        <div class="kk-detail-main">
          <Card title="Build information">
            <Facts>
              <Fact term="State">
                <BuildStateIcon ctx={ctx} state={build.state} /> {buildStateString(build.state)}
                {build.cancel_requested && " (cancelation requested)"}
              </Fact>
              <Fact term="Name">{build.package_name}</Fact>
              <Fact term="Epoch">{build.epoch ?? ""}</Fact>
              <Fact term="Version">{build.version ?? ""}</Fact>
              <Fact term="Release">{build.release ?? ""}</Fact>
              <Fact term="Started">{formatDate(build.started)}</Fact>
              <Fact term="Finished">{formatDate(build.finished)}</Fact>
              <Fact term="Koji repo">{build.repo_id ?? ""}</Fact>
              {build.real && <Fact term="Real build">True</Fact>}
              {build.untagged && (
                <Fact term="Untagged">This build is no longer tagged in koji.</Fact>
              )}
            </Facts>
          </Card>
          <Card title="Dependency changes from previous build">
            <BuildChanges
              build={build}
              entry={entry}
              packageName={build.package_name}
              collection={collection}
              notProcessed="Dependencies for this build were not processed yet."
              notResolvable="Dependencies for this build could not be processed."
            />
          </Card>
        </div>
        <div class="kk-detail-side">
          <Card title="Koji tasks">
            {canCancel ? (
              <form method="post" action={`/build/${build.id}/cancel`}>
                <CsrfInput ctx={ctx} />
                <BuildTaskTree
                  ctx={ctx}
                  build={build}
                  tasks={entry.tasks}
                  urls={urls}
                  showStarted
                  showCancel
                />
              </form>
            ) : (
              <BuildTaskTree ctx={ctx} build={build} tasks={entry.tasks} urls={urls} showStarted />
            )}
          </Card>
          {entry.tasks.length > 0 && (
            <Card title="Build logs">
              <ul class="kk-plain-list">
                {entry.tasks.map((task) => (
                  <li>
                    {task.arch}: <KojiLogLinks urls={urls} taskId={task.task_id} />
                  </li>
                ))}
              </ul>
            </Card>
          )}
        </div>
      </div>
    </Layout>
  );
}

async function cancelBuild(
  request: FastifyRequest<{ Params: { id: string } }>,
  reply: FastifyReply,
  deps: FrontendDeps,
) {
  const id = buildIdParameter(request.params.id);
  const user = requireUser(request);
  if (!user.admin) throw forbidden("Only administrators may cancel builds.");
  const db = deps.database.db;
  const build = await findBuild(db, id);
  if (build === undefined) throw notFound("Build not found");
  const session = request.koschei.session;
  const csrf = formCsrfProblem(
    request,
    deps.config,
    (request.body ?? {}) as Record<string, unknown>,
  );
  if (csrf !== undefined) {
    session.flash("danger", validationMessage([csrf]));
  } else if (build.state !== BuildState.running) {
    session.flash("danger", "Only running builds can be canceled.");
  } else if (build.cancel_requested) {
    session.flash("danger", "Build already has pending cancelation request.");
  } else {
    await db.transaction().execute(async (trx) => {
      await webChanges(trx, user).audit(
        `Build (id=${build.id}, task_id=${build.task_id}) cancelation requested`,
        build.base_id,
      );
      await trx
        .updateTable("build")
        .set({ cancel_requested: true })
        .where("id", "=", build.id)
        .execute();
    });
    session.flash("success", "Cancelation request sent.");
  }
  // Back to the build's own collection (the original went to the default one: spec 08 §10.3).
  const collection = request.koschei.allCollections.find((c) => c.id === build.collection_id);
  return reply.redirect(packageUrl(build.package_name, collection));
}

// ---- Affected-by report (spec 08 §5.12) ----

function evrParameters(request: FastifyRequest, suffix: "1" | "2"): Evr {
  const text = (key: string) => {
    const value = firstQueryValue(request, `${key}${suffix}`);
    if (value === undefined) throw badRequest(`The parameter ${key}${suffix} is missing.`);
    return value;
  };
  const epoch = parseInt32(text("epoch"));
  if (epoch === undefined) throw badRequest(`epoch${suffix} must be an integer.`);
  return { epoch, version: text("version"), release: text("release") };
}

function compareDirection(from: Evr, to: Evr): "upgrade" | "downgrade" {
  return compareEvr(from, to) <= 0 ? "upgrade" : "downgrade";
}

function AffectedByPage(props: {
  ctx: PageContext;
  depName: string;
  collection: Collection;
  direction: "upgrade" | "downgrade";
  from: Evr;
  to: Evr;
  packages: AffectedPackage[];
  now: Date;
}) {
  const { ctx, collection, now } = props;
  return (
    <Layout
      ctx={ctx}
      title={`${props.depName} change report`}
      tab="none"
      header={<PageTitle>Affected packages</PageTitle>}
    >
      <div class="kk-detail-grid">
        <div class="kk-detail-main">
          <p>
            Packages affected by <strong>{props.depName}</strong> {props.direction} from{" "}
            {evrText(props.from)} to {evrText(props.to)} (in {collection.display_name})
          </p>
          {props.packages.length === 0 ? (
            <p>No packages are known to be affected by this {props.direction}.</p>
          ) : (
            <table class="pf-v6-c-table pf-m-compact pf-m-grid-md" aria-label="Affected packages">
              <thead class="pf-v6-c-table__thead">
                <tr class="pf-v6-c-table__tr">
                  {["Package", "Current state", "Build", "Distance", "Build time"].map((label) => (
                    <th class="pf-v6-c-table__th" scope="col">
                      {label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody class="pf-v6-c-table__tbody">
                {props.packages.map((row) => (
                  <tr class="pf-v6-c-table__tr">
                    <td class="pf-v6-c-table__td" data-label="Package">
                      <a href={packageUrl(row.name, collection)}>{row.name}</a>
                    </td>
                    <td class="pf-v6-c-table__td" data-label="Current state">
                      <PackageStateIcon
                        ctx={ctx}
                        state={packageState({ ...row, blocked: false, tracked: true })}
                      />
                    </td>
                    <td class="pf-v6-c-table__td" data-label="Build">
                      <a href={`/build/${row.build_id}`}>build</a>
                    </td>
                    <td class="pf-v6-c-table__td" data-label="Distance">
                      {row.distance ?? ""}
                    </td>
                    <td class="pf-v6-c-table__td" data-label="Build time">
                      <span title={formatDate(row.started)}>{naturalTime(row.started, now)}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <div class="kk-detail-side">
          <Card title="Disclaimer">
            <p>
              A package listed here failed to build after this dependency changed, while its build
              before did not fail. Other dependencies that changed at the same time may be the real
              cause.
            </p>
          </Card>
        </div>
      </div>
    </Layout>
  );
}

// ---- Routes ----

export function registerPackageDetailRoutes(app: FastifyInstance, deps: FrontendDeps): void {
  const db = deps.database.db;

  app.get<{ Params: { name: string } }>("/package/:name", async (request, reply) =>
    sendPackagePage(
      request,
      reply,
      deps,
      request.params.name,
      request.koschei.currentCollections[0]!,
    ),
  );

  app.post<{ Params: { name: string } }>("/package/:name/edit", (request, reply) =>
    editPackage(request, reply, deps),
  );

  app.get<{ Params: { id: string } }>("/build/:id", async (request, reply) => {
    const build = await findBuild(db, buildIdParameter(request.params.id));
    if (build === undefined) throw notFound("Build not found");
    const collection = request.koschei.allCollections.find((c) => c.id === build.collection_id)!;
    const [tasks, changes] = await Promise.all([
      kojiTasks(db, [build.id]),
      appliedChanges(db, [build.id]),
    ]);
    const entry: BuildEntry = {
      kind: "build",
      build,
      tasks: tasks.get(build.id)!,
      changes: changes.get(build.id)!,
    };
    const ctx = await pageContext(request, deps, { collections: [collection] });
    return sendPage(
      reply,
      <BuildPage ctx={ctx} build={build} collection={collection} entry={entry} />,
    );
  });

  app.post<{ Params: { id: string } }>("/build/:id/cancel", (request, reply) =>
    cancelBuild(request, reply, deps),
  );

  app.get<{ Params: { name: string } }>("/bugreport/:name", async (request, reply) => {
    const collection = request.koschei.currentCollections[0]!;
    const found = await db
      .selectFrom("package")
      .innerJoin("build", "build.id", "package.last_complete_build_id")
      .select(["package.name", "package.tracked", "build.version", "build.release"])
      .where("package.name", "=", request.params.name)
      .where("package.collection_id", "=", collection.id)
      .where("package.blocked", "=", false)
      .executeTakeFirst();
    if (found === undefined || found.version === null || found.release === null) {
      throw notFound("No build of this package to report");
    }
    const base = (
      deps.config.frontend.external_url || `${request.protocol}://${request.host}`
    ).replace(/\/+$/, "");
    const url = bugReportUrl(deps.config.bugreport, {
      name: found.name,
      version: found.version,
      release: found.release,
      arch: "src",
      url: `${base}${packageUrl(found.name)}`,
      package: { name: found.name, tracked: found.tracked, collection },
      collection,
    });
    return reply.redirect(url);
  });

  app.get<{ Params: { dep: string } }>("/affected-by/:dep", async (request, reply) => {
    const current = request.koschei.currentCollections;
    if (current.length !== 1) throw badRequest("Choose exactly one collection.");
    const collection = current[0]!;
    const from = evrParameters(request, "1");
    const to = evrParameters(request, "2");
    const packages = await affectedPackages(db, {
      depName: request.params.dep,
      collectionId: collection.id,
      from,
      to,
    });
    const ctx = await pageContext(request, deps);
    const direction = compareDirection(from, to);
    return sendPage(
      reply,
      <AffectedByPage
        ctx={ctx}
        depName={request.params.dep}
        collection={collection}
        direction={direction}
        from={from}
        to={to}
        packages={packages}
        now={new Date()}
      />,
    );
  });
}
