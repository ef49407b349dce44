// A build's Koji tasks as a tree (spec 08 §3.10): the build's state, its task linked to Koji,
// optionally its start, a details link and the admin's cancel button; then one line per arch
// sub-task with its Koji link and either its logs or its state.
import { kojiTaskStateString } from "@koschei/koji-protocol/koji-states.js";
import { formatDate } from "../format.js";
import { KOJI_LOG_NAMES, kojiLogUrl, kojiTaskUrl, type KojiInstanceUrls } from "../koji-links.js";
import type { KojiTaskRow } from "../package-detail-query.js";
import type { PageContext } from "../page-context.js";
import { BuildStateIcon } from "./icons.js";

export interface TreeBuild {
  id: number;
  state: number;
  task_id: number;
  started: Date;
}

export function KojiLogLinks({ urls, taskId }: { urls: KojiInstanceUrls; taskId: number }) {
  return (
    <span class="kk-logs">
      ({" "}
      {KOJI_LOG_NAMES.map((log, index) => (
        <>
          {index > 0 && " | "}
          <a href={kojiLogUrl(urls, taskId, log)}>{log}</a>
        </>
      ))}{" "}
      )
    </span>
  );
}

export function BuildTaskTree(props: {
  ctx: PageContext;
  build: TreeBuild;
  tasks: KojiTaskRow[];
  urls: KojiInstanceUrls;
  showStarted?: boolean;
  showDetails?: boolean;
  showLogs?: boolean;
  /** A submit button for the surrounding cancel form. */
  showCancel?: boolean;
}) {
  const { build, tasks, urls } = props;
  return (
    <div class="kk-task-tree">
      <div class="kk-task-root">
        <BuildStateIcon ctx={props.ctx} state={build.state} />{" "}
        <a href={kojiTaskUrl(urls, build.task_id)}>{build.task_id}</a>
        {props.showStarted && <span class="kk-started"> {formatDate(build.started)}</span>}
        {props.showDetails && (
          <>
            {" "}
            <a
              class="pf-v6-c-button pf-m-secondary pf-m-small"
              href={`/build/${build.id}`}
              title="Show details of this build"
            >
              Details
            </a>
          </>
        )}
        {props.showCancel && (
          <>
            {" "}
            <button class="pf-v6-c-button pf-m-danger pf-m-small" type="submit">
              Cancel
            </button>
          </>
        )}
      </div>
      <ul class="kk-task-list">
        {tasks.map((task, index) => {
          const state = kojiTaskStateString(task.state);
          return (
            <li>
              <span class={`kk-task-arch kk-koji-task-${state}`}>{task.arch}</span>{" "}
              {index === tasks.length - 1 ? "└" : "├"}{" "}
              <a href={kojiTaskUrl(urls, task.task_id)}>{task.task_id}</a>{" "}
              {props.showLogs ? <KojiLogLinks urls={urls} taskId={task.task_id} /> : state}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
