// A package's recent builds drawn on the server as SVG (issue 12): one bar per build, oldest
// left, its height the build's duration and its colour its outcome; a running build's bar
// grows up to now. Each bar links to its build page and names it in a tooltip. Colours come
// from classes in koschei.css (the content security policy allows no inline styles).
import { formatDate, naturalDelta } from "../format.js";
import type { ChartBuild } from "../package-detail-query.js";
import { BuildState } from "../../model/states.js";

const WIDTH = 640;
const HEIGHT = 180;
const MARGIN = { left: 56, right: 8, top: 12, bottom: 24 };
const MAX_BAR_WIDTH = 18;

const OUTCOMES = [
  { state: BuildState.complete, label: "complete" },
  { state: BuildState.failed, label: "failed" },
  { state: BuildState.running, label: "running" },
] as const;

function outcome(state: number): string {
  return OUTCOMES.find((entry) => entry.state === state)?.label ?? "unknown";
}

/** Minutes or hours, short enough for an axis label. */
function axisDuration(seconds: number): string {
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function BuildChart({ builds, now }: { builds: ChartBuild[]; now: Date }) {
  if (builds.length === 0) return null;
  const durations = builds.map(
    (build) => ((build.finished ?? now).getTime() - build.started.getTime()) / 1000,
  );
  const longest = Math.max(60, ...durations);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = plotWidth / builds.length;
  const barWidth = Math.min(MAX_BAR_WIDTH, slot * 0.7);
  const baseline = MARGIN.top + plotHeight;
  const first = builds[0]!;
  const last = builds[builds.length - 1]!;
  return (
    <figure class="kk-chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Durations and outcomes of the last ${builds.length} builds`}
        xmlns="http://www.w3.org/2000/svg"
      >
        <line
          class="kk-chart-axis"
          x1={MARGIN.left}
          y1={baseline}
          x2={WIDTH - MARGIN.right}
          y2={baseline}
        />
        <line
          class="kk-chart-grid"
          x1={MARGIN.left}
          y1={MARGIN.top}
          x2={WIDTH - MARGIN.right}
          y2={MARGIN.top}
        />
        <text class="kk-chart-label" x={MARGIN.left - 4} y={MARGIN.top + 4} text-anchor="end">
          {axisDuration(longest)}
        </text>
        <text class="kk-chart-label" x={MARGIN.left - 4} y={baseline} text-anchor="end">
          0
        </text>
        {builds.map((build, index) => {
          const height = Math.max(1, (durations[index]! / longest) * plotHeight);
          const x = MARGIN.left + index * slot + (slot - barWidth) / 2;
          const state = outcome(build.state);
          return (
            <a href={`/build/${build.id}`}>
              <rect
                class={`kk-chart-bar kk-chart-${state}`}
                x={x.toFixed(1)}
                y={(baseline - height).toFixed(1)}
                width={barWidth.toFixed(1)}
                height={height.toFixed(1)}
              >
                <title>
                  {`Task ${build.task_id}, ${state}, started ${formatDate(build.started)}, ` +
                    `${build.finished === null ? "running for" : "took"} ${naturalDelta(durations[index]!)}`}
                </title>
              </rect>
            </a>
          );
        })}
        <text class="kk-chart-label" x={MARGIN.left} y={HEIGHT - 6}>
          {formatDate(first.started).slice(0, 10)}
        </text>
        <text class="kk-chart-label" x={WIDTH - MARGIN.right} y={HEIGHT - 6} text-anchor="end">
          {formatDate(last.started).slice(0, 10)}
        </text>
      </svg>
      <figcaption class="kk-chart-legend">
        Build durations, oldest left:{" "}
        {OUTCOMES.map(({ label }) => (
          <span class={`kk-chart-key kk-chart-${label}`}>{label}</span>
        ))}
      </figcaption>
    </figure>
  );
}
