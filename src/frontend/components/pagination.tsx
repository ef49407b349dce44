// The pagination row (spec 08 §3.5): `{what} from {first} to {last} from total {total}`, an
// optional extra control (the untracked toggle), and «, page numbers with … gaps, ». Links
// keep the current query string and replace `page`.
import type { ComponentChildren } from "preact";
import { pageNumbers, paginationText, type Pagination } from "../pagination.js";
import { urlWithQuery, type PageContext } from "../page-context.js";

export function PaginationRow(props: {
  ctx: PageContext;
  pagination: Pagination;
  what: string;
  /** Names the page links apart when a list has a row above and one below it. */
  position?: "top" | "bottom";
  /** Shown after the text, e.g. the `Show untracked` button. */
  children?: ComponentChildren;
}) {
  const { ctx, pagination } = props;
  const link = (page: number) => urlWithQuery(ctx, { page: String(page) });
  return (
    <div class="kk-pagination">
      <span class="kk-pagination-text">{paginationText(props.what, pagination)}</span>
      {props.children}
      {pagination.pages > 0 && (
        <nav
          class="kk-pages"
          aria-label={props.position === undefined ? "Pages" : `Pages (${props.position})`}
        >
          <ul>
            <li>
              {pagination.hasPrevious ? (
                <a href={link(pagination.page - 1)} aria-label="Previous page">
                  «
                </a>
              ) : (
                <span class="kk-disabled" aria-disabled="true">
                  «
                </span>
              )}
            </li>
            {pageNumbers(pagination.page, pagination.pages).map((number) => (
              <li>
                {number === null ? (
                  <span class="kk-disabled">…</span>
                ) : number === pagination.page ? (
                  <span class="kk-current" aria-current="page">
                    {number}
                  </span>
                ) : (
                  <a href={link(number)}>{number}</a>
                )}
              </li>
            ))}
            <li>
              {pagination.hasNext ? (
                <a href={link(pagination.page + 1)} aria-label="Next page">
                  »
                </a>
              ) : (
                <span class="kk-disabled" aria-disabled="true">
                  »
                </span>
              )}
            </li>
          </ul>
        </nav>
      )}
    </div>
  );
}
