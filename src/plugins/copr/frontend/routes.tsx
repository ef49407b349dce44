// The copr plugin's web routes (spec 11 §2.2): a user's rebuild requests and the form creating
// one, a request's page, and the forms editing its queue, cancelling and rescheduling it. Every
// POST checks its CSRF token; every change is audit-logged (request-query.ts).
import type { FastifyReply, FastifyRequest } from "fastify";
import { formCsrfProblem, requireUser } from "../../../frontend/auth.js";
import { badRequest, forbidden, notFound } from "../../../frontend/errors.js";
import { submittedForm, validationMessage } from "../../../frontend/group-forms.js";
import { parseInt32 } from "../../../frontend/package-edit.js";
import { pageContext } from "../../../frontend/page-context.js";
import { sendPage } from "../../../frontend/render.js";
import type { FrontendDeps, User } from "../../../frontend/request-state.js";
import type { RouteModule } from "../../../frontend/routes/index.js";
import { isUserName } from "../../../frontend/user-name.js";
import type { UserTab } from "../../plugin.js";
import {
  RequestDetailPage,
  RequestListPage,
  requestPath,
  USER_REBUILDS_LABEL,
  userRequestsPath,
} from "./pages.js";
import {
  mayCreateRequest,
  mayEditRequest,
  parseEditRebuildForm,
  parseNewRequestForm,
} from "./rebuild-logic.js";
import {
  BUSY,
  cancelRequest,
  createRequest,
  editRebuild,
  findRequestDetail,
  findUserByName,
  rescheduleRequest,
  userRequests,
  type StateChange,
} from "./request-query.js";

export const userRebuildsTab: UserTab = {
  label: USER_REBUILDS_LABEL,
  href: userRequestsPath,
};

const BUSY_MESSAGE = "Koschei is working on this request right now; try again in a moment.";
const requestNotFound = () => notFound("Rebuild request not found");
const notEditable = () => forbidden("Only the requester and admins may change this request.");

/** A request id from the URL; anything but an integer of the id's range is no request. */
function requestIdParameter(text: string): number {
  const id = /^\d+$/.test(text) ? parseInt32(text) : undefined;
  if (id === undefined) throw requestNotFound();
  return id;
}

/** The submitted form, refused with a 400 when its CSRF token is not valid. */
function checkedForm(request: FastifyRequest, deps: FrontendDeps) {
  const form = submittedForm(request.body);
  const problem = formCsrfProblem(request, deps.config, form);
  if (problem !== undefined) throw badRequest(problem);
  return form;
}

async function createFromForm(request: FastifyRequest, reply: FastifyReply, deps: FrontendDeps) {
  const user = requireUser(request);
  if (!mayCreateRequest(user, deps.config.copr)) {
    throw forbidden("Only administrators may create rebuild requests.");
  }
  const session = request.koschei.session;
  const form = submittedForm(request.body);
  const { values, errors } = parseNewRequestForm(form, user.name);
  const csrfProblem = formCsrfProblem(request, deps.config, form);
  if (csrfProblem !== undefined) errors.push(csrfProblem);
  if (errors.length > 0) {
    session.flash("danger", validationMessage(errors));
    return reply.redirect(userRequestsPath(user.name));
  }
  const collection = request.koschei.allCollections.find(
    (candidate) => candidate.name === values.collection,
  );
  if (collection === undefined) throw notFound("Collection not found");
  const id = await createRequest(deps.database.db, user, {
    collection,
    repoSource: values.repoSource,
    description: values.description,
    scheduleCount: values.scheduleCount,
  });
  session.flash("success", "Rebuild request created");
  return reply.redirect(requestPath(id));
}

/** The answer to a cancel or reschedule: an error page, or a flash and back to the request. */
function stateChangeReply(
  request: FastifyRequest,
  reply: FastifyReply,
  requestId: number,
  change: StateChange,
  verb: "cancelled" | "rescheduled",
) {
  const session = request.koschei.session;
  if ("from" in change) {
    session.flash("success", `Rebuild request ${verb} (now ${change.to})`);
  } else if (change.refused === "state") {
    session.flash("danger", `A request in state ${change.state} cannot be ${verb}.`);
  } else if (change.refused === BUSY) {
    session.flash("danger", BUSY_MESSAGE);
  } else {
    throw change.refused === "not found" ? requestNotFound() : notEditable();
  }
  return reply.redirect(requestPath(requestId));
}

type StateChangeAction = (
  db: FrontendDeps["database"]["db"],
  user: User,
  id: number,
  mayEdit: (request: { user_id: number }) => boolean,
) => Promise<StateChange>;

export const registerCoprRoutes: RouteModule = (app, deps) => {
  const db = deps.database.db;

  app.get<{ Params: { username: string } }>(
    "/rebuild-request/user/:username",
    async (request, reply) => {
      const name = request.params.username;
      // A name no login gives (a NUL, say) is nobody's, and must not reach the database.
      const owner = isUserName(name) ? await findUserByName(db, name) : undefined;
      if (owner === undefined) throw notFound("User not found");
      const viewer = request.koschei.user;
      const [requests, ctx] = await Promise.all([
        userRequests(db, owner.id),
        pageContext(request, deps),
      ]);
      const showForm = viewer?.id === owner.id && mayCreateRequest(viewer, deps.config.copr);
      return sendPage(
        reply,
        <RequestListPage
          ctx={ctx}
          owner={owner}
          requests={requests}
          showForm={showForm}
          now={new Date()}
        />,
      );
    },
  );

  app.post("/rebuild-request/new", (request, reply) => createFromForm(request, reply, deps));

  app.get<{ Params: { id: string } }>("/rebuild-request/:id", async (request, reply) => {
    const detail = await findRequestDetail(db, requestIdParameter(request.params.id));
    if (detail === undefined) throw requestNotFound();
    const collection = request.koschei.allCollections.find(
      (candidate) => candidate.id === detail.request.collection_id,
    );
    // The collection cascades to its requests, so it is there unless deleted just now.
    if (collection === undefined) throw requestNotFound();
    const ctx = await pageContext(request, deps);
    return sendPage(
      reply,
      <RequestDetailPage
        ctx={ctx}
        detail={detail}
        collection={collection}
        editable={mayEditRequest(ctx.state.user, detail.request)}
        now={new Date()}
      />,
    );
  });

  app.post("/rebuild-request/edit-rebuild", async (request, reply) => {
    const user = requireUser(request);
    const edit = parseEditRebuildForm(checkedForm(request, deps));
    if (edit === undefined) {
      throw badRequest("The form needs request_id, package_id and action move-top or remove.");
    }
    const refusal = await editRebuild(db, user, edit, (target) => mayEditRequest(user, target));
    if (refusal === "not found") throw notFound("Rebuild not found");
    if (refusal === "forbidden") throw notEditable();
    if (refusal === "submitted") {
      request.koschei.session.flash("danger", "This rebuild has already been submitted to Copr.");
    } else if (refusal === BUSY) {
      request.koschei.session.flash("danger", BUSY_MESSAGE);
    }
    return reply.redirect(requestPath(edit.requestId));
  });

  const stateChangeRoute = (
    suffix: "cancel" | "reschedule",
    action: StateChangeAction,
    verb: "cancelled" | "rescheduled",
  ) =>
    app.post<{ Params: { id: string } }>(
      `/rebuild-request/:id/${suffix}`,
      async (request, reply) => {
        const user = requireUser(request);
        const id = requestIdParameter(request.params.id);
        checkedForm(request, deps);
        const change = await action(db, user, id, (target) => mayEditRequest(user, target));
        return stateChangeReply(request, reply, id, change, verb);
      },
    );
  stateChangeRoute("cancel", cancelRequest, "cancelled");
  stateChangeRoute("reschedule", rescheduleRequest, "rescheduled");
};
