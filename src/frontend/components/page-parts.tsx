// Small pieces that detail pages share: PatternFly cards, description lists ("facts"),
// compact tables that stack on phones, and the CSRF field of a form.
import type { ComponentChildren } from "preact";
import { CSRF_FIELD } from "../csrf.js";
import type { PageContext } from "../page-context.js";

export function Card(props: { title: string; children: ComponentChildren; class?: string }) {
  return (
    <section class={`pf-v6-c-card kk-card ${props.class ?? ""}`.trimEnd()}>
      <div class="pf-v6-c-card__title">
        <h2 class="pf-v6-c-card__title-text">{props.title}</h2>
      </div>
      <div class="pf-v6-c-card__body">{props.children}</div>
    </section>
  );
}

export function Facts({ children }: { children: ComponentChildren }) {
  return <dl class="pf-v6-c-description-list pf-m-horizontal pf-m-compact kk-facts">{children}</dl>;
}

export function Fact({ term, children }: { term: string; children: ComponentChildren }) {
  return (
    <div class="pf-v6-c-description-list__group">
      <dt class="pf-v6-c-description-list__term">
        <span class="pf-v6-c-description-list__text">{term}</span>
      </dt>
      <dd class="pf-v6-c-description-list__description">
        <div class="pf-v6-c-description-list__text">{children}</div>
      </dd>
    </div>
  );
}

/** A compact table whose rows become labelled blocks at phone width (`Td`'s label). */
export function DataTable(props: {
  label: string;
  columns: string[];
  children: ComponentChildren;
}) {
  return (
    <table class="pf-v6-c-table pf-m-compact pf-m-grid-md" aria-label={props.label}>
      <thead class="pf-v6-c-table__thead">
        <tr class="pf-v6-c-table__tr">
          {props.columns.map((column) => (
            <th class="pf-v6-c-table__th" scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody class="pf-v6-c-table__tbody">{props.children}</tbody>
    </table>
  );
}

export function Td({ label, children }: { label: string; children?: ComponentChildren }) {
  return (
    <td class="pf-v6-c-table__td" data-label={label}>
      {children}
    </td>
  );
}

export function CsrfInput({ ctx }: { ctx: PageContext }) {
  return <input type="hidden" name={CSRF_FIELD} value={ctx.csrfToken} />;
}
