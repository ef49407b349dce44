// Package groups (spec 08 §5.8–5.11): the group list, a group's page with its package table,
// creating and editing a group (§6.2), and deleting one. Owners (maintainers) and admins may
// change a group (§6.6); every change is audit-logged by the admin CLI's helpers.
import { CsrfInput } from "../components/page-parts.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ComponentChildren } from "preact";
import { UnknownPackages } from "../../admin/admin-command.js";
import { fullGroupName, setGroupContent, setGroupMaintainers } from "../../admin/groups.js";
import { formCsrfProblem, requireUser } from "../auth.js";
import { Alert } from "../components/alerts.js";
import { CollectionChooser } from "../components/collection-chooser.js";
import { PackageTable } from "../components/package-table.js";
import { HttpError, notFound } from "../errors.js";
import {
  flashedNames,
  joinList,
  LIST_FORM_BODY_LIMIT,
  parseGroupForm,
  validationMessage,
  submittedForm,
  type GroupFormValues,
} from "../group-forms.js";
import {
  canEditGroup,
  deleteGroup,
  findGroup,
  groupMaintainers,
  groupPackageNames,
  groupPath,
  groupSummaries,
  GroupExists,
  nameGroup,
  webTransaction,
  type Group,
  type GroupSummary,
} from "../group-query.js";
import { Layout, PageTitle } from "../layout.js";
import { packageListParams, queryPackageList } from "../package-query.js";
import { pageContext, type PageContext } from "../page-context.js";
import { sendPage } from "../render.js";
import type { FrontendDeps, User } from "../request-state.js";

/** `/groups/name/…` names a global group, `/groups/namespace/name/…` a namespaced one. */
interface GroupParams {
  namespace?: string;
  name: string;
}

async function requireGroup(deps: FrontendDeps, params: GroupParams): Promise<Group> {
  const group = await findGroup(deps.database.db, {
    namespace: params.namespace ?? null,
    name: params.name,
  });
  if (group === undefined) throw notFound("Group not found");
  return group;
}

// ---- The group list (§5.8) ----

/** A count in a pill. */
function Count({ value, title }: { value: number; title?: string }) {
  return (
    <span class="pf-v6-c-label pf-m-compact kk-count" title={title}>
      <span class="pf-v6-c-label__content">
        <span class="pf-v6-c-label__text">{value}</span>
      </span>
    </span>
  );
}

function GroupRow({ group }: { group: GroupSummary }) {
  const path = groupPath(group);
  return (
    <li class="kk-group-row">
      <a href={path} class="kk-group-name">
        <strong>{group.name}</strong>
      </a>
      {group.namespace !== null && <span class="kk-group-namespace"> ({group.namespace})</span>}
      <Count
        value={group.packageCount}
        title={`${group.packageCount} packages in group ${group.name}`}
      />
      <span class="kk-group-actions">
        {group.editable && (
          <a
            class="pf-v6-c-button pf-m-secondary pf-m-small"
            href={`${path}/edit`}
            aria-label={`Edit group ${fullGroupName(group)}`}
          >
            Edit
          </a>
        )}
        {group.namespace !== null && (
          <a
            class="pf-v6-c-button pf-m-danger pf-m-small"
            href={`${path}/delete`}
            aria-label={`Delete group ${fullGroupName(group)}`}
          >
            Delete
          </a>
        )}
      </span>
    </li>
  );
}

function GroupCard(props: {
  title: string;
  groups: GroupSummary[];
  action?: ComponentChildren;
  empty?: string;
}) {
  return (
    <section class="pf-v6-c-card kk-card kk-group-card">
      <div class="pf-v6-c-card__title kk-group-card-title">
        <h2 class="pf-v6-c-card__title-text">
          {props.title} <Count value={props.groups.length} />
        </h2>
        {props.action}
      </div>
      <div class="pf-v6-c-card__body">
        {props.groups.length === 0 && props.empty !== undefined ? (
          <p>{props.empty}</p>
        ) : (
          <ul class="kk-group-list">
            {props.groups.map((group) => (
              <GroupRow group={group} />
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}

function GroupsPage(props: {
  ctx: PageContext;
  global: GroupSummary[];
  mine: GroupSummary[] | undefined;
}) {
  return (
    <Layout ctx={props.ctx} title="Groups" tab="groups" header={<PageTitle>Groups</PageTitle>}>
      <div class="kk-group-cards">
        <GroupCard title="Global Groups" groups={props.global} />
        {props.mine !== undefined && (
          <GroupCard
            title="My Groups"
            groups={props.mine}
            action={
              <a class="pf-v6-c-button pf-m-primary pf-m-small" href="/add-group">
                + New group
              </a>
            }
            empty="You don't have any groups yet. New groups can be added by clicking plus button above."
          />
        )}
      </div>
    </Layout>
  );
}

// ---- The create/edit form (§5.10) ----

function GroupForm(props: {
  ctx: PageContext;
  /** The group edited; undefined when creating one. */
  group: Group | undefined;
  values: GroupFormValues;
  /** The edited group may not be changed by this user: the form says so (POST refuses). */
  readOnly: boolean;
}) {
  const { ctx, group, values } = props;
  const action = group === undefined ? "/add-group" : `${groupPath(group)}/edit`;
  return (
    <Layout
      ctx={ctx}
      title={group === undefined ? "Create new group" : `Editing group ${fullGroupName(group)}`}
      tab="groups"
      header={
        <PageTitle>
          {group === undefined ? "Create new group" : `Editing group: ${group.name}`}
        </PageTitle>
      }
    >
      {props.readOnly && (
        <Alert kind="info">Only the group's maintainers and admins may change this group.</Alert>
      )}
      <form class="pf-v6-c-form kk-group-form" method="post" action={action}>
        <CsrfInput ctx={ctx} />
        <div class="pf-v6-c-form__group">
          <label class="pf-v6-c-form__label" for="group-name">
            Name:
          </label>
          <input
            class="pf-v6-c-form-control"
            id="group-name"
            name="name"
            type="text"
            required
            value={values.name}
          />
        </div>
        <div class="pf-v6-c-form__group">
          <label class="pf-v6-c-form__label" for="group-owners">
            Group maintainers:
          </label>
          <input
            class="pf-v6-c-form-control"
            id="group-owners"
            name="owners"
            type="text"
            required
            value={joinList(values.owners)}
          />
        </div>
        <div class="pf-v6-c-form__group">
          <label class="pf-v6-c-form__label" for="group-packages">
            Packages in group:
          </label>
          <textarea
            class="pf-v6-c-form-control kk-group-packages"
            id="group-packages"
            name="packages"
            rows={20}
            cols={80}
            required
          >
            {values.packages.join("\n")}
          </textarea>
        </div>
        <div class="pf-v6-c-form__actions">
          <button class="pf-v6-c-button pf-m-primary" type="submit">
            {group === undefined ? "Create" : "Update"}
          </button>
          {group !== undefined && (
            <a class="pf-v6-c-button pf-m-danger" href={`${groupPath(group)}/delete`}>
              Delete group
            </a>
          )}
        </div>
      </form>
    </Layout>
  );
}

async function sendGroupForm(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: FrontendDeps,
  group: Group | undefined,
  values: GroupFormValues,
) {
  const readOnly =
    group !== undefined && !(await canEditGroup(deps.database.db, request.koschei.user, group));
  const ctx = await pageContext(request, deps);
  return sendPage(reply, <GroupForm ctx={ctx} group={group} values={values} readOnly={readOnly} />);
}

/**
 * Creates (no `group`) or changes a group from the submitted form (§5.10 steps 2–6): invalid
 * forms, a name taken and unknown packages re-render the form with a flash; success flashes
 * and redirects to the group's page.
 */
async function saveGroup(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: FrontendDeps,
  user: User,
  group: Group | undefined,
) {
  const session = request.koschei.session;
  const form = submittedForm(request.body);
  const { values, errors } = parseGroupForm(form);
  const csrfProblem = formCsrfProblem(request, deps.config, form);
  if (csrfProblem !== undefined) errors.push(csrfProblem);
  if (errors.length > 0) {
    session.flash("danger", validationMessage(errors));
    return sendGroupForm(request, reply, deps, group, values);
  }
  let saved: Group;
  try {
    saved = await webTransaction(deps.database.db, user, async (tx) => {
      const namespace = group === undefined ? user.name : group.namespace;
      const named = await nameGroup(tx, group, { namespace, name: values.name });
      await setGroupContent(tx, named, values.packages, false);
      await setGroupMaintainers(tx, named, values.owners);
      return named;
    });
  } catch (error) {
    if (error instanceof UnknownPackages) {
      session.flash("danger", `Packages don't exist: ${flashedNames(error.names)}`);
    } else if (error instanceof GroupExists) {
      session.flash("danger", error.message);
    } else {
      throw error;
    }
    return sendGroupForm(request, reply, deps, group, values);
  }
  session.flash("success", group === undefined ? "Group created" : "Group modified");
  return reply.redirect(groupPath(saved));
}

// ---- Deleting (§5.11) ----

function DeletePage({ ctx, group }: { ctx: PageContext; group: Group }) {
  const path = groupPath(group);
  return (
    <Layout
      ctx={ctx}
      title={`Delete group ${fullGroupName(group)}`}
      tab="none"
      header={<PageTitle>Confirm group deletion</PageTitle>}
    >
      <p>Group {fullGroupName(group)} will be deleted. Are you sure?</p>
      <form class="kk-delete-form" method="post" action={`${path}/delete`}>
        <CsrfInput ctx={ctx} />
        <button class="pf-v6-c-button pf-m-danger" type="submit">
          Yes, delete this group
        </button>{" "}
        <a class="pf-v6-c-button pf-m-link" href={`${path}/edit`}>
          No, take me back
        </a>
      </form>
    </Layout>
  );
}

const notEditable = () =>
  new HttpError(401, "Only the group's maintainers and admins may delete this group.");

// ---- The group page (§5.9) ----

async function groupPage(
  request: FastifyRequest<{ Params: GroupParams }>,
  reply: FastifyReply,
  deps: FrontendDeps,
) {
  const db = deps.database.db;
  const params = packageListParams(request);
  const group = await requireGroup(deps, request.params);
  const ctx = await pageContext(request, deps);
  const [maintainers, editable, list] = await Promise.all([
    groupMaintainers(db, group),
    canEditGroup(db, ctx.state.user, group),
    queryPackageList(db, {
      collections: ctx.state.currentCollections,
      ...params,
      perPage: deps.config.frontend.packages_per_page,
      filter: { groupId: group.id },
      user: ctx.state.user,
      priorities: deps.config.priorities,
    }),
  ]);
  const fullName = fullGroupName(group);
  return sendPage(
    reply,
    <Layout
      ctx={ctx}
      title={`${fullName} group`}
      tab="groups"
      header={
        <>
          <PageTitle>
            {fullName}{" "}
            {editable && (
              <a
                class="pf-v6-c-button pf-m-secondary pf-m-small"
                href={`${groupPath(group)}/edit`}
                aria-label={`Edit group ${fullName}`}
              >
                Edit
              </a>
            )}
          </PageTitle>
          <p class="kk-group-maintainers">Group maintainers: {maintainers.join(", ")}</p>
          <CollectionChooser ctx={ctx} allowAll />
        </>
      }
    >
      <PackageTable ctx={ctx} list={list} untrackedToggle />
    </Layout>,
  );
}

/** Both URL forms of a group route: `/groups/name…` and `/groups/namespace/name…`. */
function groupUrls(suffix: string): string[] {
  return [`/groups/:name${suffix}`, `/groups/:namespace/:name${suffix}`];
}

export function registerGroupRoutes(app: FastifyInstance, deps: FrontendDeps): void {
  const db = deps.database.db;

  app.get("/groups", async (request, reply) => {
    const user = request.koschei.user;
    const [global, mine] = await Promise.all([
      groupSummaries(db, "global", user),
      user === undefined ? undefined : groupSummaries(db, { maintainer: user }, user),
    ]);
    const ctx = await pageContext(request, deps);
    return sendPage(reply, <GroupsPage ctx={ctx} global={global} mine={mine} />);
  });

  for (const url of groupUrls("")) {
    app.get<{ Params: GroupParams }>(url, (request, reply) => groupPage(request, reply, deps));
  }

  app.get("/add-group", async (request, reply) => {
    const user = requireUser(request);
    return sendGroupForm(request, reply, deps, undefined, {
      name: "",
      packages: [],
      owners: [user.name],
    });
  });
  app.post("/add-group", { bodyLimit: LIST_FORM_BODY_LIMIT }, async (request, reply) => {
    const user = requireUser(request);
    return saveGroup(request, reply, deps, user, undefined);
  });

  for (const url of groupUrls("/edit")) {
    app.get<{ Params: GroupParams }>(url, async (request, reply) => {
      requireUser(request);
      const group = await requireGroup(deps, request.params);
      const [owners, packages] = await Promise.all([
        groupMaintainers(db, group),
        groupPackageNames(db, group),
      ]);
      return sendGroupForm(request, reply, deps, group, { name: group.name, owners, packages });
    });
    app.post<{ Params: GroupParams }>(
      url,
      { bodyLimit: LIST_FORM_BODY_LIMIT },
      async (request, reply) => {
        const user = requireUser(request);
        const group = await requireGroup(deps, request.params);
        if (!(await canEditGroup(db, user, group))) {
          request.koschei.session.flash("danger", "You don't have permission to edit this group");
          return reply.redirect(groupPath(group));
        }
        return saveGroup(request, reply, deps, user, group);
      },
    );
  }

  for (const url of groupUrls("/delete")) {
    app.get<{ Params: GroupParams }>(url, async (request, reply) => {
      const user = requireUser(request);
      const group = await requireGroup(deps, request.params);
      if (!(await canEditGroup(db, user, group))) throw notEditable();
      const ctx = await pageContext(request, deps);
      return sendPage(reply, <DeletePage ctx={ctx} group={group} />);
    });
    app.post<{ Params: GroupParams }>(url, async (request, reply) => {
      const user = requireUser(request);
      const group = await requireGroup(deps, request.params);
      const csrfProblem = formCsrfProblem(request, deps.config, submittedForm(request.body));
      if (csrfProblem !== undefined) {
        request.koschei.session.flash("danger", validationMessage([csrfProblem]));
        throw new HttpError(401, csrfProblem);
      }
      if (!(await canEditGroup(db, user, group))) throw notEditable();
      await webTransaction(db, user, (tx) => deleteGroup(tx, group));
      request.koschei.session.flash("success", "Group was deleted");
      return reply.redirect("/groups");
    });
  }
}
