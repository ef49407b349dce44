// The user-rebuild pages (spec 11 §2.2): a user's requests with the new-request form, and one
// request with its details, resolution changes, executed rebuilds and editable queue.
import {
  Card,
  CsrfInput,
  DataTable,
  Fact,
  Facts,
  Td,
} from "../../../frontend/components/page-parts.js";
import type { CoprConfig } from "../../../config/index.js";
import { BuildStateIcon, ResolutionIcon } from "../../../frontend/components/icons.js";
import { formatDate, naturalTime } from "../../../frontend/format.js";
import { Layout, PageTitle, type TabName } from "../../../frontend/layout.js";
import type { PageContext } from "../../../frontend/page-context.js";
import type { Collection, User } from "../../../frontend/request-state.js";
import { UserRebuildsIntro } from "./documentation.js";
import {
  buildLogUrl,
  CANCELLABLE_STATES,
  coprBuildUrl,
  coprProjectName,
  isUnschedulable,
  rebuildRowClass,
  RESCHEDULABLE_STATES,
} from "./rebuild-logic.js";
import type { RebuildRequest, RequestDetail } from "./request-query.js";

/** The user-menu link these pages belong to. */
export const USER_REBUILDS_LABEL = "My user rebuilds";

export function userRequestsPath(userName: string): string {
  return `/rebuild-request/user/${encodeURIComponent(userName)}`;
}

export function requestPath(requestId: number): string {
  return `/rebuild-request/${requestId}`;
}

function packagePath(name: string, collection: Collection): string {
  return `/package/${encodeURIComponent(name)}?collection=${encodeURIComponent(collection.name)}`;
}

/** The viewer's own pages are under their user-menu link. */
function tabFor(ctx: PageContext, ownerName: string): TabName {
  return ctx.state.user?.name === ownerName ? `plugin:${USER_REBUILDS_LABEL}` : "none";
}

/** When something happened, in words, with the full date as its tooltip. */
function Moment({ date, now }: { date: Date; now: Date }) {
  return (
    <time datetime={date.toISOString()} title={formatDate(date)}>
      {naturalTime(date, now)}
    </time>
  );
}

/** A table row's classes: PatternFly's and the rebuild's own, if any. */
function rowClass(extra: string | undefined): string {
  return extra === undefined ? "pf-v6-c-table__tr" : `pf-v6-c-table__tr ${extra}`;
}

// ---- A user's requests ----

function NewRequestForm({ ctx, copr }: { ctx: PageContext; copr: CoprConfig }) {
  return (
    <Card title="New request">
      <form class="pf-v6-c-form" method="post" action="/rebuild-request/new">
        <CsrfInput ctx={ctx} />
        <div class="pf-v6-c-form__group">
          <label class="pf-v6-c-form__label" for="copr-collection">
            Base package collection
          </label>
          <select class="pf-v6-c-form-control" id="copr-collection" name="collection">
            {ctx.state.allCollections.map((collection) => (
              <option value={collection.name}>{collection.display_name}</option>
            ))}
          </select>
        </div>
        <div class="pf-v6-c-form__group">
          <label class="pf-v6-c-form__label" for="copr-name">
            Copr repo name <small>(owner/name or just name if you're the owner)</small>
          </label>
          <input
            class="pf-v6-c-form-control"
            id="copr-name"
            name="copr_name"
            type="text"
            required
          />
        </div>
        <div class="pf-v6-c-form__group">
          <label class="pf-v6-c-form__label" for="copr-description">
            Description
          </label>
          <textarea
            class="pf-v6-c-form-control"
            id="copr-description"
            name="description"
            rows={3}
          ></textarea>
        </div>
        <div class="pf-v6-c-form__group">
          <label class="pf-v6-c-form__label" for="copr-schedule-count">
            Max scheduled builds <small>(use 0 to suppress automatic build start)</small>
          </label>
          <input
            class="pf-v6-c-form-control"
            id="copr-schedule-count"
            name="schedule_count"
            type="number"
            min="0"
            required
            value={String(copr.default_schedule_count)}
          />
        </div>
        <div class="pf-v6-c-form__actions">
          <button class="pf-v6-c-button pf-m-primary" type="submit">
            Submit request
          </button>
        </div>
      </form>
    </Card>
  );
}

export function RequestListPage(props: {
  ctx: PageContext;
  owner: User;
  requests: RebuildRequest[];
  /** The viewer's own page, and they may create requests. */
  showForm: boolean;
  now: Date;
}) {
  const { ctx, owner, now } = props;
  const heading = `${owner.name}'s rebuild requests`;
  return (
    <Layout
      ctx={ctx}
      title={heading}
      tab={tabFor(ctx, owner.name)}
      header={
        <>
          <PageTitle>{heading}</PageTitle>
          <UserRebuildsIntro />
        </>
      }
    >
      <div class="kk-copr-list-layout">
        <Card title="User requests">
          {props.requests.length === 0 ? (
            <p class="kk-muted">No rebuild requests yet.</p>
          ) : (
            <DataTable
              label="User requests"
              columns={["Request", "State", "Submitted", "Copr project"]}
            >
              {props.requests.map((request) => (
                <tr class="pf-v6-c-table__tr">
                  <Td label="Request">
                    <a href={requestPath(request.id)}>#{request.id}</a>
                  </Td>
                  <Td label="State">{request.state}</Td>
                  <Td label="Submitted">
                    <Moment date={request.timestamp} now={now} />
                  </Td>
                  <Td label="Copr project">{request.repo_source}</Td>
                </tr>
              ))}
            </DataTable>
          )}
        </Card>
        {props.showForm && <NewRequestForm ctx={ctx} copr={ctx.config.copr} />}
      </div>
    </Layout>
  );
}

// ---- One request ----

/** The cancel and reschedule buttons, with what they do, for those who may edit. */
function RequestActions({ ctx, request }: { ctx: PageContext; request: RebuildRequest }) {
  const cancellable = CANCELLABLE_STATES.includes(request.state);
  const reschedulable = RESCHEDULABLE_STATES.includes(request.state);
  if (!cancellable && !reschedulable) return null;
  return (
    <div class="kk-copr-actions">
      {cancellable && (
        <form method="post" action={`${requestPath(request.id)}/cancel`}>
          <CsrfInput ctx={ctx} />
          <p>
            Cancelling stops the request: no more builds are started; builds already running in Copr
            finish there.
          </p>
          <button class="pf-v6-c-button pf-m-danger pf-m-small" type="submit">
            Cancel request
          </button>
        </form>
      )}
      {reschedulable && (
        <form method="post" action={`${requestPath(request.id)}/reschedule`}>
          <CsrfInput ctx={ctx} />
          <p>
            Rescheduling puts the request back to work: a resolved request goes on starting the
            builds of its queue, one whose resolution failed or found nothing is resolved again.
          </p>
          <button class="pf-v6-c-button pf-m-secondary pf-m-small" type="submit">
            Reschedule request
          </button>
        </form>
      )}
    </div>
  );
}

function DetailsCard(props: {
  ctx: PageContext;
  detail: RequestDetail;
  collection: Collection;
  editable: boolean;
  now: Date;
}) {
  const { request, requesterName } = props.detail;
  return (
    <Card title="Request details">
      <Facts>
        <Fact term="Submitted">
          <Moment date={request.timestamp} now={props.now} />
        </Fact>
        <Fact term="Submitted by">
          <a href={userRequestsPath(requesterName)}>{requesterName}</a>
        </Fact>
        <Fact term="State">{request.state}</Fact>
        {request.state === "failed" && request.error !== null && (
          <Fact term="Error">{request.error}</Fact>
        )}
        <Fact term="Copr project">{request.repo_source}</Fact>
        <Fact term="Collection">{props.collection.display_name}</Fact>
        <Fact term="Max scheduled builds">{request.schedule_count ?? 0}</Fact>
        <Fact term="Description">{request.description ?? ""}</Fact>
      </Facts>
      {props.editable && <RequestActions ctx={props.ctx} request={request} />}
    </Card>
  );
}

function ResolutionChanges(props: {
  ctx: PageContext;
  detail: RequestDetail;
  collection: Collection;
}) {
  return (
    <Card title="Resolution changes">
      <p class="kk-muted">These packages change their resolution state.</p>
      <ul class="kk-plain-list">
        {props.detail.changes.map((change) => (
          <li>
            <a href={packagePath(change.packageName, props.collection)}>{change.packageName}</a>{" "}
            <ResolutionIcon ctx={props.ctx} resolved={change.prev_resolved} /> →{" "}
            <ResolutionIcon ctx={props.ctx} resolved={change.curr_resolved} />
          </li>
        ))}
      </ul>
    </Card>
  );
}

type Rebuild = RequestDetail["rebuilds"][number];

function ExecutedRebuilds(props: {
  ctx: PageContext;
  requestId: number;
  rebuilds: Rebuild[];
  collection: Collection;
}) {
  const { ctx } = props;
  const copr = ctx.config.copr;
  return (
    <section class="kk-card">
      <h2 class="pf-v6-c-title pf-m-xl">Executed rebuilds</h2>
      <DataTable
        label="Executed rebuilds"
        columns={["Package", "Copr build", "Build log", "Previous state", "Current state"]}
      >
        {props.rebuilds.map((rebuild) => {
          const projectName = coprProjectName(copr.name_prefix, props.requestId, rebuild.packageId);
          // A rebuild has a state only once submitted, so it has a Copr build.
          const buildId = rebuild.copr_build_id!;
          return (
            <tr class={rowClass(rebuildRowClass(rebuild.prev_state, rebuild.state))}>
              <Td label="Package">
                <a href={packagePath(rebuild.packageName, props.collection)}>
                  {rebuild.packageName}
                </a>
              </Td>
              <Td label="Copr build">
                <a href={coprBuildUrl(copr, projectName, buildId)}>copr build</a>
              </Td>
              <Td label="Build log">
                <a
                  href={buildLogUrl(copr.build_log_url, {
                    copr_owner: copr.copr_owner,
                    copr_name: projectName,
                    copr_chroot: copr.chroot_name,
                    build_id: buildId,
                    package_name: rebuild.packageName,
                  })}
                >
                  build.log
                </a>
              </Td>
              <Td label="Previous state">
                <BuildStateIcon ctx={ctx} state={rebuild.prev_state} />
              </Td>
              <Td label="Current state">
                <BuildStateIcon ctx={ctx} state={rebuild.state!} />
              </Td>
            </tr>
          );
        })}
      </DataTable>
    </section>
  );
}

function RebuildQueue(props: {
  ctx: PageContext;
  request: RebuildRequest;
  rebuilds: Rebuild[];
  collection: Collection;
  editable: boolean;
}) {
  const { ctx, request } = props;
  return (
    <section class="kk-card">
      <h2 class="pf-v6-c-title pf-m-xl">Rebuild queue</h2>
      <p>
        Koschei starts at most {request.schedule_count ?? 0} builds for this request (counting those
        already run), for the packages most likely affected first. The packages in grey are beyond
        that count and will not be built unless moved to the top of the queue, which also raises the
        count by one.
      </p>
      <DataTable
        label="Rebuild queue"
        columns={
          props.editable
            ? ["Package name", "Previous state", "Actions"]
            : ["Package name", "Previous state"]
        }
      >
        {props.rebuilds.map((rebuild) => (
          <tr
            class={rowClass(
              isUnschedulable(rebuild.order, request.schedule_count)
                ? "kk-copr-rebuild-unschedulable"
                : undefined,
            )}
          >
            <Td label="Package name">
              <a href={packagePath(rebuild.packageName, props.collection)}>{rebuild.packageName}</a>
            </Td>
            <Td label="Previous state">
              <BuildStateIcon ctx={ctx} state={rebuild.prev_state} />
            </Td>
            {props.editable && (
              <Td label="Actions">
                <form
                  class="kk-copr-queue-form"
                  method="post"
                  action="/rebuild-request/edit-rebuild"
                >
                  <CsrfInput ctx={ctx} />
                  <input type="hidden" name="request_id" value={String(request.id)} />
                  <input type="hidden" name="package_id" value={String(rebuild.packageId)} />
                  <button
                    class="pf-v6-c-button pf-m-secondary pf-m-small"
                    type="submit"
                    name="action"
                    value="move-top"
                    aria-label={`Move to top: ${rebuild.packageName}`}
                  >
                    Move to top
                  </button>{" "}
                  <button
                    class="pf-v6-c-button pf-m-danger pf-m-small"
                    type="submit"
                    name="action"
                    value="remove"
                    aria-label={`Remove: ${rebuild.packageName}`}
                  >
                    Remove
                  </button>
                </form>
              </Td>
            )}
          </tr>
        ))}
      </DataTable>
    </section>
  );
}

/** Why a request has neither resolution changes nor rebuilds, when its state tells. */
function NothingAffected({ state }: { state: RebuildRequest["state"] }) {
  if (state === "new") {
    return (
      <p class="kk-muted">Koschei has not resolved the collection with this repository yet.</p>
    );
  }
  if (state === "finished") {
    return (
      <p class="kk-muted">
        No package of the collection changes its dependencies with this repository.
      </p>
    );
  }
  return null;
}

export function RequestDetailPage(props: {
  ctx: PageContext;
  detail: RequestDetail;
  collection: Collection;
  editable: boolean;
  now: Date;
}) {
  const { ctx, detail, collection } = props;
  const request = detail.request;
  const executed = detail.rebuilds.filter((rebuild) => rebuild.state !== null);
  const queued = detail.rebuilds.filter((rebuild) => rebuild.state === null);
  return (
    <Layout
      ctx={ctx}
      title={`Rebuild request ${request.id}`}
      tab={tabFor(ctx, detail.requesterName)}
      header={<PageTitle>Rebuild request #{request.id}</PageTitle>}
    >
      <div class="kk-cards">
        <DetailsCard {...props} />
        {detail.changes.length > 0 && (
          <ResolutionChanges ctx={ctx} detail={detail} collection={collection} />
        )}
      </div>
      {executed.length > 0 && (
        <ExecutedRebuilds
          ctx={ctx}
          requestId={request.id}
          rebuilds={executed}
          collection={collection}
        />
      )}
      {queued.length > 0 && (
        <RebuildQueue
          ctx={ctx}
          request={request}
          rebuilds={queued}
          collection={collection}
          editable={props.editable}
        />
      )}
      {detail.changes.length === 0 && detail.rebuilds.length === 0 && (
        <NothingAffected state={request.state} />
      )}
    </Layout>
  );
}
