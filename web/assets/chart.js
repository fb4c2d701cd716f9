// Time-series charts on uPlot (vendored): themed from the CSS variables (light and dark),
// sized to their container, rebuilt when the system theme changes. Values are amperes.

const dark = window.matchMedia("(prefers-color-scheme: dark)");

function color(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/**
 * A line chart in `container`. `series`: `[{label, color: "--css-var", dash, fill}]`; data is
 * `[xs (unix s), ...ys (A or null)]`. With `bars`, a bar chart of counts instead (`unit` "").
 * Returns `{setData(data, [min, max]), destroy}`.
 */
export function lineChart(container, { series, height = 200, title = "", unit = "A", bars = false }) {
  let data = [[], ...series.map(() => [])];
  let xRange = null;
  let plot = null;
  container.classList.add("chart");
  container.setAttribute("role", "img");
  if (title) container.setAttribute("aria-label", title);

  function build() {
    if (plot) plot.destroy();
    plot = null;
    container.replaceChildren();
    if (!window.uPlot) {
      container.textContent = "Chart unavailable (the chart library did not load).";
      return;
    }
    const fg = color("--muted");
    const grid = color("--grid");
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const fmt = (v) => (v == null ? "—" : unit ? `${v.toFixed(2)} ${unit}` : String(v));
    const barPaths = bars && window.uPlot.paths.bars ? window.uPlot.paths.bars({ size: [0.7, 40] }) : undefined;
    const opts = {
      width: Math.max(200, container.clientWidth),
      height,
      padding: [8, 8, 0, 0],
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: { x: { time: true, range: (u, min, max) => xRange || (min === max ? [min - 60, max + 60] : [min, max]) }, y: { range: (u, min, max) => [0, Math.max(unit ? 0.5 : 4, max * 1.15)] } },
      axes: [
        { ...axis, space: 70 },
        { ...axis, size: 52, values: (u, ticks) => ticks.map((v) => (unit ? `${+v.toFixed(2)} ${unit}` : String(v))) },
      ],
      series: [
        { label: "Time" },
        ...series.map((s) => ({
          label: s.label,
          stroke: color(s.color),
          width: s.dash ? 1.5 : 2,
          dash: s.dash ? [6, 4] : undefined,
          fill: bars ? color(s.color) : s.fill ? color(s.color) + "22" : undefined,
          paths: barPaths,
          points: bars || s.dash ? { show: false } : {},
          spanGaps: false,
          value: (u, v) => fmt(v),
        })),
      ],
    };
    plot = new window.uPlot(opts, data, container);
  }

  const resize = new ResizeObserver(() => {
    if (plot && container.clientWidth > 0 && Math.abs(plot.width - container.clientWidth) > 2) {
      plot.setSize({ width: container.clientWidth, height });
    }
  });
  resize.observe(container);
  const rebuild = () => build();
  dark.addEventListener("change", rebuild);
  build();

  return {
    /** New data; `range` `[min, max]` (unix s) fixes the time axis. */
    setData(next, range = null) {
      data = next;
      xRange = range;
      if (plot) plot.setData(data);
    },
    destroy() {
      resize.disconnect();
      dark.removeEventListener("change", rebuild);
      if (plot) plot.destroy();
      plot = null;
    },
  };
}

/** mA as A for a chart (the overload marker and unknowns become gaps). */
export const toAmps = (ma) => (ma == null || ma >= 65535 ? null : ma / 1000);
