// Add packages (spec 08 §5.16, §6.3): a logged-in user tracks packages of a collection, and
// may add them to one of the groups they can edit. Tracking is the admin CLI's `add-pkg`
// helper, audit-logged as the user; nothing is kept when any step is refused.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { UnknownPackages } from "../../admin/admin-command.js";
import { fullGroupName, setGroupContent } from "../../admin/groups.js";
import { trackPackages } from "../../admin/packages.js";
import { formCsrfProblem, requireUser, safeNext } from "../auth.js";
import { CSRF_FIELD } from "../csrf.js";
import { badRequest, notFound } from "../errors.js";
import {
  flashedNames,
  LIST_FORM_BODY_LIMIT,
  parseAddPackagesForm,
  submittedForm,
  validationMessage,
} from "../group-forms.js";
import {
  canEditGroup,
  findGroup,
  groupsMaintainedBy,
  webTransaction,
  type Group,
} from "../group-query.js";
import { Layout, PageTitle } from "../layout.js";
import { pageContext, type PageContext } from "../page-context.js";
import { sendPage } from "../render.js";
import type { FrontendDeps, User } from "../request-state.js";

/** The second flash after unknown names: Koschei learns packages from Koji with a delay. */
const NOT_YET_KNOWN =
  "Packages created recently in Koji may not have reached Koschei's database yet; " +
  "if the names are right, please try again later.";

function AddPackagesPage(props: { ctx: PageContext; groups: Group[]; collection: string }) {
  const { ctx } = props;
  return (
    <Layout
      ctx={ctx}
      title="Add packages"
      tab="add-packages"
      header={<PageTitle>Add packages</PageTitle>}
    >
      <form class="pf-v6-c-form kk-add-packages-form" method="post" action="/add-packages">
        <input type="hidden" name={CSRF_FIELD} value={ctx.csrfToken} />
        <input type="hidden" name="next" value="" />
        <div class="pf-v6-c-form__group">
          <label class="pf-v6-c-form__label" for="add-packages">
            Names of packages to be added to Koschei:
          </label>
          <textarea
            class="pf-v6-c-form-control"
            id="add-packages"
            name="packages"
            rows={10}
            cols={80}
            required
          ></textarea>
        </div>
        <div class="pf-v6-c-form__group">
          <label class="pf-v6-c-form__label" for="add-packages-collection">
            Collection:
          </label>
          <select class="pf-v6-c-form-control" id="add-packages-collection" name="collection">
            {ctx.state.allCollections.map((collection) => (
              <option value={collection.name} selected={collection.name === props.collection}>
                {collection.display_name}
              </option>
            ))}
          </select>
        </div>
        <div class="pf-v6-c-form__group">
          <label class="pf-v6-c-form__label" for="add-packages-group">
            Add to group:
          </label>
          <select class="pf-v6-c-form-control" id="add-packages-group" name="group">
            <option value="">(none)</option>
            {props.groups.map((group) => (
              <option value={fullGroupName(group)}>{fullGroupName(group)}</option>
            ))}
          </select>
        </div>
        <div class="pf-v6-c-form__actions">
          <button class="pf-v6-c-button pf-m-primary" type="submit">
            Add packages
          </button>
        </div>
      </form>
    </Layout>
  );
}

async function sendForm(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: FrontendDeps,
  user: User,
  collection: string,
) {
  const groups = await groupsMaintainedBy(deps.database.db, user);
  const ctx = await pageContext(request, deps);
  return sendPage(reply, <AddPackagesPage ctx={ctx} groups={groups} collection={collection} />);
}

export function registerAddPackagesRoutes(app: FastifyInstance, deps: FrontendDeps): void {
  app.get("/add-packages", async (request, reply) => {
    const user = requireUser(request);
    return sendForm(request, reply, deps, user, request.koschei.currentCollections[0]!.name);
  });

  app.post("/add-packages", { bodyLimit: LIST_FORM_BODY_LIMIT }, async (request, reply) => {
    const user = requireUser(request);
    const session = request.koschei.session;
    const form = submittedForm(request.body);
    const { values, errors } = parseAddPackagesForm(form);
    const csrfProblem = formCsrfProblem(request, deps.config, form);
    if (csrfProblem !== undefined) errors.push(csrfProblem);
    if (errors.length > 0) {
      session.flash("danger", validationMessage(errors));
      return sendForm(request, reply, deps, user, values.collection);
    }
    const collection = request.koschei.allCollections.find((c) => c.name === values.collection);
    if (collection === undefined) throw notFound("Collection not found");
    let added: string[];
    try {
      added = await webTransaction(deps.database.db, user, async (tx) => {
        const tracked = await trackPackages(tx, collection.id, values.packages);
        if (values.group !== undefined) {
          const group = await findGroup(tx.db, values.group);
          if (group === undefined) throw notFound("Group not found");
          if (!(await canEditGroup(tx.db, user, group))) {
            throw badRequest(`You may not add packages to group ${fullGroupName(group)}.`);
          }
          await setGroupContent(tx, group, values.packages, true);
        }
        return tracked;
      });
    } catch (error) {
      if (!(error instanceof UnknownPackages)) throw error;
      session.flash("danger", `Packages don't exist: ${flashedNames(error.names)}`);
      session.flash("danger", NOT_YET_KNOWN);
      return sendForm(request, reply, deps, user, collection.name);
    }
    session.flash("success", `Packages added: ${flashedNames(added)}`);
    return reply.redirect(safeNext(values.next === "" ? undefined : values.next));
  });
}
