// A stacked area chart of a collection's package states per day, drawn as SVG on the server
// (no script, no inline style: colours are presentation attributes, which the Content Security
// Policy allows).
import { formatDate, intcomma } from "../format.js";
import { HISTORY_STATES, type HistoryState, type StateHistory } from "../stats-query.js";

const COLORS: Record<HistoryState, string> = {
  ok: "#3e8635",
  failing: "#c9190b",
  unresolved: "#7d1007",
  unknown: "#b8bbbe",
};

const WIDTH = 720;
const HEIGHT = 260;
const MARGIN = { left: 56, right: 12, top: 12, bottom: 28 };

export function StateChart({ history, title }: { history: StateHistory; title: string }) {
  const days = history.days.length;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = Math.max(1, history.packages);
  const x = (day: number) =>
    MARGIN.left + (days <= 1 ? plotWidth / 2 : (day * plotWidth) / (days - 1));
  const y = (count: number) => MARGIN.top + plotHeight - (count * plotHeight) / max;
  const point = (px: number, py: number) => `${px.toFixed(1)},${py.toFixed(1)}`;
  // Stack bottom-up in HISTORY_STATES order: ok, failing, unresolved, unknown.
  const below = new Array<number>(days).fill(0);
  const areas = HISTORY_STATES.map((state) => {
    const lower = [...below];
    const upper = lower.map((base, day) => base + history.counts[state][day]!);
    upper.forEach((value, day) => (below[day] = value));
    const top = upper.map((value, day) => point(x(day), y(value)));
    const bottom = lower.map((value, day) => point(x(day), y(value))).reverse();
    return { state, points: [...top, ...bottom].join(" ") };
  });
  const last = days - 1;
  const ticks = [...new Set([0, Math.round(max / 2), max])];
  const dayLabels = days === 0 ? [] : [...new Set([0, Math.floor(last / 2), last])];
  return (
    <figure class="kk-state-chart">
      <svg
        xmlns="http://www.w3.org/2000/svg"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label={title}
      >
        <title>{title}</title>
        {areas.map(({ state, points }) => (
          <polygon points={points} fill={COLORS[state]} stroke="none">
            <title>{state}</title>
          </polygon>
        ))}
        <line
          x1={MARGIN.left}
          y1={MARGIN.top + plotHeight}
          x2={WIDTH - MARGIN.right}
          y2={MARGIN.top + plotHeight}
          stroke="#151515"
        />
        <line
          x1={MARGIN.left}
          y1={MARGIN.top}
          x2={MARGIN.left}
          y2={MARGIN.top + plotHeight}
          stroke="#151515"
        />
        {ticks.map((tick) => (
          <text
            x={MARGIN.left - 6}
            y={y(tick) + 4}
            text-anchor="end"
            font-size="11"
            font-family="sans-serif"
            fill="#151515"
          >
            {intcomma(tick)}
          </text>
        ))}
        {dayLabels.map((day) => (
          <text
            x={x(day)}
            y={HEIGHT - 8}
            text-anchor={day === 0 ? "start" : day === last ? "end" : "middle"}
            font-size="11"
            font-family="sans-serif"
            fill="#151515"
          >
            {formatDate(history.days[day]!).slice(0, 10)}
          </text>
        ))}
      </svg>
      <figcaption>
        <ul class="kk-legend">
          {HISTORY_STATES.map((state) => (
            <li>
              <svg width="12" height="12" aria-hidden="true">
                <rect width="12" height="12" fill={COLORS[state]} />
              </svg>{" "}
              {state}: {intcomma(history.counts[state][last] ?? 0)}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
