// Notices, flash messages and buildroot warnings (spec 08 §2.3–2.4). Everything is escaped by
// the renderer; the admin notice may carry links written as [text](https://…), which become
// real links — nothing else of it is markup.
import type { ComponentChildren } from "preact";
import type { BuildrootWarning } from "../page-context.js";
import type { Flash } from "../session.js";

type AlertKind = "success" | "danger" | "info" | "warning";

export function Alert({ kind, children }: { kind: AlertKind; children: ComponentChildren }) {
  return (
    <div class={`pf-v6-c-alert pf-m-inline pf-m-${kind} kk-alert`} role="alert">
      <div class="pf-v6-c-alert__description">{children}</div>
    </div>
  );
}

const NOTICE_LINK = /\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g;

/** The notice's text with its [text](https://…) links made into anchors. */
export function NoticeText({ text }: { text: string }) {
  const parts: ComponentChildren[] = [];
  let last = 0;
  for (const match of text.matchAll(NOTICE_LINK)) {
    parts.push(text.slice(last, match.index));
    parts.push(
      <a href={match[2]} rel="noopener noreferrer">
        {match[1]}
      </a>,
    );
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return <>{parts}</>;
}

export function PageAlerts(props: {
  notice: string | undefined;
  buildrootWarnings: BuildrootWarning[];
  flashes: Flash[];
}) {
  return (
    <div class="kk-alerts">
      {props.notice !== undefined && (
        <Alert kind="warning">
          <NoticeText text={props.notice} />
        </Alert>
      )}
      {props.buildrootWarnings.map(({ collection, problems }) => (
        <Alert kind="warning">
          Base buildroot for {collection.display_name} is not installable. Dependency problems:
          <ul class="kk-problems">
            {problems.map((problem) => (
              <li>{problem}</li>
            ))}
          </ul>
        </Alert>
      ))}
      {props.flashes.map((flash) => (
        <Alert kind={flash.category}>{flash.message}</Alert>
      ))}
    </div>
  );
}
