// The user documentation (spec 08 §5.17): what Koschei does and how to use this site, in our
// own words. The numbers that a site configures (priorities, build limits, login methods)
// are read from the configuration, so the page tells what this installation does.
import type { FastifyInstance } from "fastify";
import type { ComponentChildren } from "preact";
import type { KoscheiConfig } from "../../config/index.js";
import { Layout, PageTitle } from "../layout.js";
import { pageContext, type PageContext } from "../page-context.js";
import { sendPage } from "../render.js";
import type { FrontendDeps } from "../request-state.js";
import type { DocumentationSection } from "../../plugins/plugin.js";

function Section(props: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class="kk-doc-section" id={props.id} aria-labelledby={`${props.id}-title`}>
      <h2 class="pf-v6-c-title pf-m-xl" id={`${props.id}-title`}>
        {props.title}
      </h2>
      {props.children}
    </section>
  );
}

/** The login methods this site has turned on, in the order /login tries them. */
function loginMethods(config: KoscheiConfig): string[] {
  const auth = config.frontend.auth;
  const methods: string[] = [];
  if (config.bypass_login) {
    methods.push(`everybody is logged in as "${config.bypass_login}" (a development setting)`);
  }
  if (auth.demo_login) methods.push("a demonstration form where you type any user name");
  if (auth.trusted_proxies.length > 0) {
    methods.push("the web server in front of Koschei, which tells it who you are");
  }
  if (auth.oidc.issuer) methods.push(`OpenID Connect at ${auth.oidc.issuer}`);
  return methods;
}

const SECTIONS: [id: string, title: string][] = [
  ["what", "What is Koschei?"],
  ["benefits", "What are its benefits?"],
  ["how", "How it works?"],
  ["states", "What do the package states mean?"],
  ["priority", "When is a package rebuilt?"],
  ["changes", "What are dependency changes?"],
  ["load", "Doesn't it overload Koji?"],
  ["login", "How do I log in?"],
  ["add", "How can I add my packages?"],
  ["groups", "What are groups?"],
  ["badges", "Can I show a package's state elsewhere?"],
  ["api", "Is there an API?"],
  ["repos", "What repos does it use?"],
];

function DocumentationPage({
  ctx,
  pluginSections,
}: {
  ctx: PageContext;
  pluginSections: readonly DocumentationSection[];
}) {
  const { config } = ctx;
  const p = config.priorities;
  const methods = loginMethods(config);
  return (
    <Layout
      ctx={ctx}
      title="Documentation"
      tab="none"
      header={<PageTitle>Documentation</PageTitle>}
    >
      <nav class="kk-doc-contents" aria-label="Contents">
        <ul>
          {[...SECTIONS, ...pluginSections.map((section) => [section.id, section.title])].map(
            ([id, title]) => (
              <li>
                <a href={`#${id}`}>{title}</a>
              </li>
            ),
          )}
        </ul>
      </nav>
      <div class="kk-doc">
        <Section id="what" title="What is Koschei?">
          <p>
            Koschei is continuous integration for RPM packages built in Koji. It watches the
            repositories Koji builds against, notices when the build dependencies of a package
            change, and then runs a scratch build of that package to see whether it still builds
            from source.
          </p>
        </Section>
        <Section id="benefits" title="What are its benefits?">
          <p>
            A package can stop building because something it builds against changed, long before its
            maintainer touches it again. Koschei finds that out within hours or days instead of at
            the next mass rebuild, and it shows which dependencies changed between the last good
            build and the failing one, which narrows down the culprit to a few candidates.
          </p>
        </Section>
        <Section id="how" title="How it works?">
          <p>
            Whenever Koji regenerates the build repository of a collection, Koschei resolves the
            build dependencies of every tracked package against it with libsolv. A package whose
            dependencies cannot be installed is marked unresolved, with the solver's problems shown
            on its page. For the others, Koschei compares the resolved dependency set with the one
            of the package's last build and records every dependency whose version changed, was
            added or was removed.
          </p>
          <p>
            When a scratch build finishes, its dependencies are resolved again against the
            repository that build really used, so the changes shown for a build are the ones it saw.
            A scheduler then picks the package with the highest priority (see below) and submits a
            scratch build of its latest SRPM, one at a time while Koji has room.
          </p>
        </Section>
        <Section id="states" title="What do the package states mean?">
          <dl class="kk-doc-terms">
            <dt>ok</dt>
            <dd>The last finished build succeeded.</dd>
            <dt>failing</dt>
            <dd>The last finished build failed.</dd>
            <dt>unresolved</dt>
            <dd>
              The build dependencies cannot be installed from the latest repository; nothing is
              built until they can.
            </dd>
            <dt>unknown</dt>
            <dd>There is no finished build yet.</dd>
            <dt>untracked</dt>
            <dd>Koschei knows the package but nobody asked it to watch it.</dd>
            <dt>blocked</dt>
            <dd>The package is blocked in Koji for this collection.</dd>
          </dl>
          <p>
            A collection's buildroot is <em>ok</em> when its base buildroot can be installed, and{" "}
            <em>unresolved</em> when it cannot: then a warning lists the problems and no package of
            that collection is scheduled.
          </p>
        </Section>
        <Section id="priority" title="When is a package rebuilt?">
          <p>
            Each schedulable package has a current priority, the sum of its manual and static
            priorities plus the rest multiplied by the collection's priority coefficient:
          </p>
          <ul>
            <li>
              dependency priority: every unapplied dependency change adds {p.package_update} divided
              by its distance (a direct build dependency is at distance 1; a change in the build
              group or too far away counts as distance 8);
            </li>
            <li>
              build priority: {p.failed_build_priority} when the package has just started failing,
              and {p.newly_added} when the dependencies of its last build could not be resolved, so
              that it is built again soon;
            </li>
            <li>
              time priority: grows with the age of the last build, 0 after {p.t0} hours and{" "}
              {p.build_threshold} after {p.t1} hours, so every package is rebuilt now and then;
            </li>
            <li>
              manual priority: set by anyone logged in on the package's page, to push a package
              forward or hold it back.
            </li>
          </ul>
          <p>
            The scheduler builds the package with the highest priority once it reaches{" "}
            {p.build_threshold}. A package is not considered at all while it is untracked, blocked,
            unresolved, has a running build, has no known build, or its collection's buildroot is
            not resolved; its page says which of these applies and shows each part of its priority.
          </p>
        </Section>
        <Section id="changes" title="What are dependency changes?">
          <p>
            A package's page lists the dependency changes since its last build: the dependency, its
            version before and after (the first differing part highlighted), whether it was added,
            removed, upgraded or downgraded, and its distance — how many steps of build requirements
            separate it from the package. Each build in the history shows the changes it was the
            first to see. The question mark beside a dependency lists other packages of the
            collection that started failing after the same dependency moved across the same
            versions.
          </p>
        </Section>
        <Section id="load" title="Doesn't it overload Koji?">
          <p>
            No. This site runs at most {config.koji_config.max_builds} scratch builds at once,
            submits nothing while Koji's load is above {config.koji_config.load_threshold} of its
            capacity, and gives its tasks a low priority, so regular builds go first.
          </p>
        </Section>
        <Section id="login" title="How do I log in?">
          <p>
            Use <em>Log in</em> at the top of any page. Koschei checks no passwords itself: it
            trusts a login service and remembers your user name in a signed session cookie. Logging
            out with <em>Log out</em> in the user menu ends the Koschei session only.
          </p>
          {methods.length === 0 ? (
            <p>This site has no login method configured, so nobody can log in.</p>
          ) : (
            <p>This site logs you in through {methods.join(", or ")}.</p>
          )}
          <p>
            Anybody logged in may track packages, change a package's scheduling settings and create
            groups. Only group maintainers and administrators may change a group, and only
            administrators may cancel builds; administrators are set in the database.
          </p>
        </Section>
        <Section id="add" title="How can I add my packages?">
          <p>
            Log in and open <em>Add packages</em> in the user menu, type the package names, choose
            the collection and optionally a group of yours. Koschei tracks any package that exists
            in that collection in Koji; names it does not know yet are refused (a package created
            very recently may need a little while to appear). The first build comes when the
            package's priority reaches the threshold.
          </p>
        </Section>
        <Section id="groups" title="What are groups?">
          <p>
            A group is a named list of packages, for a team or a topic. Groups you create are named
            after you (<code>you/name</code>); global groups have no such prefix. The maintainers
            you list may edit the group and add or remove its packages, also with the checkboxes on
            a package's page.
          </p>
        </Section>
        <Section id="badges" title="Can I show a package's state elsewhere?">
          <p>
            Yes, with a badge: <code>/badge/&lt;collection&gt;/&lt;package&gt;.svg</code> (or{" "}
            <code>.png</code>) redirects to an image of the package's current state, for a README or
            a web page.
          </p>
        </Section>
        <Section id="api" title="Is there an API?">
          <p>
            A small read-only JSON API, without login: <code>/api/v1/packages</code> lists packages
            with their state and last finished build, filtered by repeated <code>name</code> and{" "}
            <code>collection</code> parameters;{" "}
            <code>/api/v1/collections/diff/&lt;a&gt;/&lt;b&gt;</code> lists the packages whose state
            differs between two collections. Their OpenAPI description is at{" "}
            <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.
          </p>
        </Section>
        <Section id="repos" title="What repos does it use?">
          <p>
            The build repositories Koji generates for each collection's build tag, the same ones
            Koji's own builds use. A Koschei installation follows one Koji instance; watching
            another one needs another installation.
          </p>
        </Section>
        {pluginSections.map((section) => (
          <Section id={section.id} title={section.title}>
            <section.Content config={config} />
          </Section>
        ))}
      </div>
    </Layout>
  );
}

export function registerDocumentationRoutes(app: FastifyInstance, deps: FrontendDeps): void {
  app.get("/documentation", async (request, reply) => {
    const ctx = await pageContext(request, deps);
    return sendPage(
      reply,
      <DocumentationPage ctx={ctx} pluginSections={deps.extensions.documentation} />,
    );
  });
}
