// The demo's password-less login form (frontend.auth.demo_login): a user name and nothing else.
import { Alert } from "./components/alerts.js";
import { CSRF_FIELD } from "./csrf.js";
import { Layout, PageTitle } from "./layout.js";
import type { PageContext } from "./page-context.js";
import { USER_NAME_PATTERN } from "./user-name.js";

export function DemoLoginPage(props: {
  ctx: PageContext;
  next: string;
  problem?: string;
  userName?: string;
}) {
  const { ctx } = props;
  return (
    <Layout ctx={ctx} title="Log in" tab="none" header={<PageTitle>Log in</PageTitle>}>
      <Alert kind="info">
        This is a demonstration: log in as anyone by typing a user name, no password needed. A new
        name becomes a new user, who is not an administrator.
      </Alert>
      {props.problem !== undefined && <Alert kind="danger">{props.problem}</Alert>}
      <form class="pf-v6-c-form kk-login-form" method="post" action="/login">
        <input type="hidden" name={CSRF_FIELD} value={ctx.csrfToken} />
        <input type="hidden" name="next" value={props.next} />
        <div class="pf-v6-c-form__group">
          <label class="pf-v6-c-form__label" for="login-username">
            User name
          </label>
          <input
            class="pf-v6-c-form-control"
            id="login-username"
            type="text"
            name="username"
            value={props.userName ?? ""}
            required
            pattern={USER_NAME_PATTERN}
            autocomplete="username"
          />
        </div>
        <div class="pf-v6-c-form__actions">
          <button class="pf-v6-c-button pf-m-primary" type="submit">
            Log in
          </button>
        </div>
      </form>
    </Layout>
  );
}
