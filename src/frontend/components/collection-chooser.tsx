// The collection chooser (spec 08 §3.9): a tab strip above package tables and collection
// pages. Links keep the other query parameters and drop `page`.
import { urlWithQuery, type PageContext } from "../page-context.js";

export function CollectionChooser(props: {
  ctx: PageContext;
  /** Offer the `All collections` tab (package lists; not the package page). */
  allowAll: boolean;
  /** The collections selected; defaults to the request's current collections. */
  selected?: readonly { id: number; name: string; display_name: string }[];
}) {
  const { ctx } = props;
  const all = ctx.state.allCollections;
  const selected = props.selected ?? ctx.state.currentCollections;
  const allSelected =
    selected.length === all.length && all.every((c) => selected.some((s) => s.id === c.id));
  const single = selected.length === 1 ? selected[0] : undefined;
  return (
    <nav class="pf-v6-c-tabs kk-chooser" aria-label="Collections">
      <ul class="pf-v6-c-tabs__list">
        {selected.length > 1 && !allSelected && (
          <Tab current label={selected.map((c) => c.display_name).join(" + ")} />
        )}
        {props.allowAll && all.length > 1 && (
          <Tab
            current={allSelected}
            label="All collections"
            href={urlWithQuery(ctx, { collection: null, page: null })}
          />
        )}
        {all.map((collection) => (
          <Tab
            current={single?.id === collection.id}
            label={collection.display_name}
            href={urlWithQuery(ctx, { collection: collection.name, page: null })}
          />
        ))}
      </ul>
    </nav>
  );
}

function Tab({ current, label, href }: { current: boolean; label: string; href?: string }) {
  return (
    <li class={current ? "pf-v6-c-tabs__item pf-m-current" : "pf-v6-c-tabs__item"}>
      {href === undefined ? (
        <span class="pf-v6-c-tabs__link" aria-current="page">
          {label}
        </span>
      ) : (
        <a class="pf-v6-c-tabs__link" href={href} aria-current={current ? "page" : undefined}>
          {label}
        </a>
      )}
    </li>
  );
}
