// Everything the page layout shows around a page's own content: the user, notices, flashes,
// the CSRF token for forms, and the current URL for links that keep the query string.
import type { FastifyRequest } from "fastify";
import type { KoscheiConfig } from "../config/index.js";
import { csrfToken } from "./csrf.js";
import type { Collection, FrontendDeps, RequestState } from "./request-state.js";
import type { Flash } from "./session.js";
import type { UserTab } from "../plugins/plugin.js";

export interface BuildrootWarning {
  collection: Collection;
  problems: string[];
}

export interface PageContext {
  state: RequestState;
  config: KoscheiConfig;
  /** Path and query of this request, as the browser sent them. */
  url: string;
  flashes: Flash[];
  /** The admin notice (`koschei-admin set-notice`), shown on every page. */
  notice: string | undefined;
  /** Current collections whose base buildroot cannot be installed. */
  buildrootWarnings: BuildrootWarning[];
  csrfToken: string;
  /** The user-menu links the enabled plugins add. */
  userTabs: readonly UserTab[];
}

export async function pageContext(
  request: FastifyRequest,
  deps: FrontendDeps,
  options: { collections?: Collection[] } = {},
): Promise<PageContext> {
  const state = request.koschei;
  const db = deps.database.db;
  const notice = await db
    .selectFrom("admin_notice")
    .select("content")
    .where("key", "=", "global_notice")
    .executeTakeFirst();
  const broken = (options.collections ?? state.currentCollections).filter(
    (collection) => collection.latest_repo_resolved === false,
  );
  const problems =
    broken.length === 0
      ? []
      : await db
          .selectFrom("buildroot_problem")
          .select(["collection_id", "problem"])
          .where(
            "collection_id",
            "in",
            broken.map((collection) => collection.id),
          )
          .orderBy("id")
          .execute();
  return {
    state,
    config: deps.config,
    url: request.url,
    flashes: state.session.takeFlashes(),
    notice: notice?.content,
    buildrootWarnings: broken.map((collection) => ({
      collection,
      problems: problems
        .filter((problem) => problem.collection_id === collection.id)
        .map((problem) => problem.problem),
    })),
    csrfToken: csrfToken(state.session, deps.config.flask.SECRET_KEY),
    userTabs: deps.extensions.userTabs,
  };
}

/**
 * This page's URL with some query parameters replaced (null removes one); pagination,
 * sorting and collection links are built this way (spec 08 §3.5).
 */
export function urlWithQuery(ctx: PageContext, overrides: Record<string, string | null>): string {
  const url = new URL(ctx.url, "http://koschei.invalid");
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  const query = url.searchParams.toString();
  return query === "" ? url.pathname : `${url.pathname}?${query}`;
}
