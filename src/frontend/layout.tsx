// The frame of every page (spec 08 §2): head, masthead with the navigation tabs, search and
// login, the notices and flash messages, the page's content and the footer. PatternFly's CSS
// is served from our own /static; the pages need no JavaScript.
import type { ComponentChildren } from "preact";
import { PageAlerts } from "./components/alerts.js";
import type { PageContext } from "./page-context.js";

/** The navigation tab a page belongs to (spec 08 §2.5); none for the others. */
export type TabName =
  | "collections"
  | "packages"
  | "groups"
  | "my-packages"
  | "add-packages"
  | "stats"
  | "none"
  /** A plugin's page, named by its user tab's label. */
  | `plugin:${string}`;

interface Tab {
  name: TabName;
  label: string;
  href: (user: string) => string;
}

const MAIN_TABS: Tab[] = [
  { name: "collections", label: "Collections", href: () => "/collections" },
  { name: "packages", label: "Packages", href: () => "/packages" },
  { name: "groups", label: "Groups", href: () => "/groups" },
  { name: "stats", label: "Stats", href: () => "/stats" },
];

const USER_TABS: Tab[] = [
  {
    name: "my-packages",
    label: "My packages",
    href: (user) => `/user/${encodeURIComponent(user)}`,
  },
  { name: "add-packages", label: "Add packages", href: () => "/add-packages" },
];

export function staticUrl(ctx: PageContext, path: string): string {
  return `${ctx.config.directories.static_url}/${path}`;
}

export function Layout(props: {
  ctx: PageContext;
  title?: string;
  tab: TabName;
  /** The page's heading and collection chooser, shown under the notices. */
  header?: ComponentChildren;
  children: ComponentChildren;
}) {
  const { ctx } = props;
  const user = ctx.state.user;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title ? `${props.title} - Koschei` : "Koschei"}</title>
        <link rel="stylesheet" href={staticUrl(ctx, "patternfly/patternfly.min.css")} />
        <link rel="stylesheet" href={staticUrl(ctx, "koschei.css")} />
        <link rel="icon" href={staticUrl(ctx, "favicon.svg")} type="image/svg+xml" />
        <script src={staticUrl(ctx, "koschei.js")} defer></script>
      </head>
      <body>
        <div class="kk-page">
          <header class="kk-masthead">
            <a class="kk-brand" href="/">
              <img
                src={staticUrl(ctx, "images/logo.svg")}
                alt="Koschei logo"
                width="40"
                height="40"
              />
              <span>Koschei</span>
            </a>
            <nav class="pf-v6-c-nav pf-m-horizontal kk-nav" aria-label="Main">
              <ul class="pf-v6-c-nav__list">
                {MAIN_TABS.map((tab) => (
                  <NavItem tab={tab} active={props.tab} user={user?.name ?? ""} />
                ))}
              </ul>
            </nav>
            <form class="kk-search" method="get" action="/search" role="search">
              <input
                class="pf-v6-c-form-control"
                type="search"
                name="q"
                aria-label="Package name"
                placeholder="Search packages"
              />
              <button class="pf-v6-c-button pf-m-secondary" type="submit">
                Search
              </button>
            </form>
            <div class="kk-user">
              {user ? (
                <details class="kk-user-menu">
                  <summary>{user.name}</summary>
                  <ul>
                    {USER_TABS.map((tab) => (
                      <NavItem tab={tab} active={props.tab} user={user.name} />
                    ))}
                    {ctx.userTabs.map((tab) => (
                      <NavItem
                        tab={{
                          ...tab,
                          name: `plugin:${tab.label}`,
                          href: (name) => tab.href(name),
                        }}
                        active={props.tab}
                        user={user.name}
                      />
                    ))}
                    <li>
                      <a href="/logout">Log out</a>
                    </li>
                  </ul>
                </details>
              ) : (
                <a
                  class="pf-v6-c-button pf-m-link"
                  href={`/login?next=${encodeURIComponent(ctx.url)}`}
                >
                  Log in
                </a>
              )}
            </div>
          </header>
          <main class="kk-main" id="main">
            <PageAlerts
              notice={ctx.notice}
              buildrootWarnings={ctx.buildrootWarnings}
              flashes={ctx.flashes}
            />
            {props.header}
            {props.children}
          </main>
          <footer class="kk-footer">
            <p>
              Koschei version {ctx.config.version} · <a href="/documentation">User documentation</a>{" "}
              · <a href="https://github.com/fedora-infra/koschei">Project page on GitHub</a> ·{" "}
              <a href="https://github.com/fedora-infra/koschei/issues">Reporting issues</a>
            </p>
          </footer>
        </div>
      </body>
    </html>
  );
}

function NavItem({ tab, active, user }: { tab: Tab; active: TabName; user: string }) {
  const current = tab.name === active;
  return (
    <li class="pf-v6-c-nav__item">
      <a
        class={current ? "pf-v6-c-nav__link pf-m-current" : "pf-v6-c-nav__link"}
        href={tab.href(user)}
        aria-current={current ? "page" : undefined}
      >
        {tab.label}
      </a>
    </li>
  );
}

/** A page's title line. */
export function PageTitle({ children }: { children: ComponentChildren }) {
  return <h1 class="pf-v6-c-title pf-m-2xl kk-title">{children}</h1>;
}
