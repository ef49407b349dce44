// State icons (spec 08 §3.1): package, build, resolution and collection states and the
// running-build indicator, as <img> of our own SVGs under static/images/ with the state as
// title and alternative text.
import type { PackageState } from "../../model/states.js";
import type { PageContext } from "../page-context.js";

export type IconName = "complete" | "failed" | "cross" | "unknown" | "running" | "scheduled";

const PACKAGE_STATE_ICONS: Record<PackageState, IconName> = {
  ok: "complete",
  failing: "failed",
  unresolved: "cross",
  blocked: "unknown",
  untracked: "unknown",
  unknown: "unknown",
};

/** The icon of a package state string. */
export function packageStateIcon(state: PackageState): IconName {
  return PACKAGE_STATE_ICONS[state];
}

/** One 16×16 state icon; `title` is shown on hover and read by screen readers. */
export function Icon({ ctx, name, title }: { ctx: PageContext; name: IconName; title: string }) {
  return (
    <img
      class="kk-icon"
      src={`${ctx.config.directories.static_url}/images/${name}.svg`}
      alt={title}
      title={title}
      width="16"
      height="16"
    />
  );
}

export function PackageStateIcon({ ctx, state }: { ctx: PageContext; state: PackageState }) {
  return <Icon ctx={ctx} name={packageStateIcon(state)} title={state} />;
}

/** Build states 2, 3, 5: running, complete, failed (the icon is named after the state). */
export function BuildStateIcon({ ctx, state }: { ctx: PageContext; state: number }) {
  const name = state === 2 ? "running" : state === 3 ? "complete" : state === 5 ? "failed" : null;
  if (name === null) return <Icon ctx={ctx} name="unknown" title={`state ${state}`} />;
  return <Icon ctx={ctx} name={name} title={name} />;
}

/** A package's or collection's `resolved`: null unknown, true complete, false cross. */
export function ResolutionIcon({ ctx, resolved }: { ctx: PageContext; resolved: boolean | null }) {
  if (resolved === null) return <Icon ctx={ctx} name="unknown" title="unknown" />;
  return resolved ? (
    <Icon ctx={ctx} name="complete" title="resolved" />
  ) : (
    <Icon ctx={ctx} name="cross" title="unresolved" />
  );
}

/** Collection state from `latest_repo_resolved`: ok, unresolved, unknown. */
export function CollectionStateIcon({
  ctx,
  resolved,
}: {
  ctx: PageContext;
  resolved: boolean | null;
}) {
  if (resolved === null) return <Icon ctx={ctx} name="unknown" title="unknown" />;
  return resolved ? (
    <Icon ctx={ctx} name="complete" title="ok" />
  ) : (
    <Icon ctx={ctx} name="cross" title="unresolved" />
  );
}

/** The running icon when a build is in progress (last build ≠ last complete build), else nothing. */
export function RunningIcon({ ctx, running }: { ctx: PageContext; running: boolean }) {
  return running ? <Icon ctx={ctx} name="running" title="running" /> : null;
}
