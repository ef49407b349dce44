// The dependency change table (spec 08 §3.11): applied changes of a build or the unapplied
// changes of a package, each with a link to the affected-by report, both EVRs with their first
// difference highlighted, the kind of change and the distance. Rows after the tenth fold away
// behind a <details> toggle, which needs no script.
import { compareEvr } from "@koschei/koji-protocol/evr.js";
import { evrDiff, type EvrParts } from "../evr-diff.js";
import { evrText } from "../format.js";
import type { DependencyChangeRow, Evr } from "../package-detail-query.js";

const VISIBLE_ROWS = 10;
const COLUMNS = ["Dependency", "Previous", "Current", "Change", "Distance"] as const;

function affectedByUrl(change: DependencyChangeRow, collectionName: string): string {
  const query = new URLSearchParams({
    epoch1: String(change.prev?.epoch ?? 0),
    version1: change.prev?.version ?? "",
    release1: change.prev?.release ?? "",
    epoch2: String(change.curr?.epoch ?? 0),
    version2: change.curr?.version ?? "",
    release2: change.curr?.release ?? "",
    collection: collectionName,
  });
  return `/affected-by/${encodeURIComponent(change.depName)}?${query}`;
}

function EvrCell({ parts }: { parts: EvrParts | null }) {
  if (parts === null) return null;
  // One element per cell: PatternFly's phone-width grid lays out each child separately.
  return (
    <span class="kk-evr">
      {parts.before}
      {parts.highlighted !== "" && <span class="kk-evr-diff">{parts.highlighted}</span>}
      {parts.after}
    </span>
  );
}

function changeKind(change: DependencyChangeRow): { symbol: string; title: string } {
  const { depName, prev, curr } = change;
  if (prev === null) return { symbol: "+", title: `${depName} was added to dependency set` };
  if (curr === null) return { symbol: "−", title: `${depName} was removed from dependency set` };
  return compareEvr(prev, curr) < 0
    ? { symbol: "↑", title: `${depName} was upgraded to higher version` }
    : { symbol: "↓", title: `${depName} was downgraded to lower version` };
}

function Pill(props: { color?: "blue" | "teal"; title: string; text: string }) {
  const color = props.color === undefined ? "" : ` pf-m-${props.color}`;
  return (
    <span class={`pf-v6-c-label pf-m-compact${color}`} title={props.title}>
      <span class="pf-v6-c-label__content">
        <span class="pf-v6-c-label__text">{props.text}</span>
      </span>
    </span>
  );
}

function DistanceLabel({
  change,
  packageName,
}: {
  change: DependencyChangeRow;
  packageName: string;
}) {
  const { distance } = change;
  if (distance === 1) {
    return <Pill color="blue" title={`direct build-dependency of ${packageName}`} text="1" />;
  }
  if (distance !== null) {
    return (
      <Pill
        color="teal"
        title={
          `indirect build-dependency of ${packageName}; shortest distance in the ` +
          `dependency graph is equal to ${distance}`
        }
        text={String(distance)}
      />
    );
  }
  if (change.curr === null) return null;
  return (
    <Pill
      title="distant dependency, buildroot dependency or other dependency in the build transaction"
      text="B"
    />
  );
}

function ChangeRow(props: {
  change: DependencyChangeRow;
  packageName: string;
  collectionName: string;
}) {
  const { change } = props;
  const text = (evr: Evr | null) => (evr === null ? null : evrText(evr));
  const parts = evrDiff(text(change.prev), text(change.curr));
  const kind = changeKind(change);
  return (
    <tr class="pf-v6-c-table__tr">
      <td class="pf-v6-c-table__td" data-label="Dependency">
        <span>
          <a
            class="kk-affected-link"
            href={affectedByUrl(change, props.collectionName)}
            title="Find other packages that are possibly affected by this dependency change"
          >
            ?
          </a>{" "}
          {change.depName}
        </span>
      </td>
      <td class="pf-v6-c-table__td" data-label="Previous">
        <EvrCell parts={parts.previous} />
      </td>
      <td class="pf-v6-c-table__td" data-label="Current">
        <EvrCell parts={parts.current} />
      </td>
      <td class="pf-v6-c-table__td" data-label="Change">
        <span class="kk-change-kind" title={kind.title}>
          {kind.symbol}
          <span class="pf-v6-screen-reader"> {kind.title}</span>
        </span>
      </td>
      <td class="pf-v6-c-table__td" data-label="Distance">
        <DistanceLabel change={change} packageName={props.packageName} />
      </td>
    </tr>
  );
}

function ChangeRows(props: {
  changes: DependencyChangeRow[];
  packageName: string;
  collectionName: string;
}) {
  return (
    <table
      class="pf-v6-c-table pf-m-compact pf-m-grid-md kk-change-table"
      aria-label="Dependency changes"
    >
      <thead class="pf-v6-c-table__thead">
        <tr class="pf-v6-c-table__tr">
          {COLUMNS.map((column) => (
            <th class="pf-v6-c-table__th" scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody class="pf-v6-c-table__tbody">
        {props.changes.map((change) => (
          <ChangeRow
            change={change}
            packageName={props.packageName}
            collectionName={props.collectionName}
          />
        ))}
      </tbody>
    </table>
  );
}

export function DependencyChangeTable(props: {
  changes: DependencyChangeRow[];
  packageName: string;
  collectionName: string;
}) {
  const { changes, ...names } = props;
  if (changes.length === 0) return <small class="kk-muted">No dependency changes</small>;
  const hidden = changes.slice(VISIBLE_ROWS);
  return (
    <div class="kk-changes">
      <ChangeRows changes={changes.slice(0, VISIBLE_ROWS)} {...names} />
      {hidden.length > 0 && (
        <details class="kk-more">
          <summary>show {hidden.length} more</summary>
          <ChangeRows changes={hidden} {...names} />
        </details>
      )}
    </div>
  );
}
