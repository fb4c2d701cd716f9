// The main breaker of each CCU: live total load with a live chart, the alert threshold and
// how close the load is to it, the automatic cut-off; and "cut all power" behind a
// confirmation.

import { api } from "./api.js";
import { lineChart, toAmps } from "./chart.js";
import { BREAKER_WINDOW_S, emit, prependBreaker, state, track } from "./state.js";
import { agoHtml, amps, attempt, busy, confirmAction, el, esc, reconcile, setAgo, setAttrs, setText, toast } from "./ui.js";

const charts = new Map();

function create(c) {
  const node = el(`<article class="card breaker" data-breaker="${esc(c.id)}" aria-labelledby="breaker-${esc(c.id)}">
    <header class="card-head">
      <h3 id="breaker-${esc(c.id)}"><span data-f="name"></span> <span class="muted small">CCU ${esc(c.id)}</span></h3>
      <span class="badge" data-f="online"></span>
    </header>
    <div class="load-row">
      <div class="load"><span data-f="load">—</span></div>
      <div class="muted small">measured <span data-f="at">${agoHtml(c.breaker_at)}</span></div>
    </div>
    <div class="meter" role="meter" aria-valuemin="0" aria-label="Load against the threshold"><div class="meter-fill" data-f="fill"></div><div class="meter-mark"></div></div>
    <p class="small" data-f="pct"></p>
    <div data-f="chart" class="breaker-chart"></div>
    <form class="inline-form" data-breaker-threshold="${esc(c.id)}">
      <label>Threshold (A) <input name="amps" type="number" min="0.1" max="1000" step="0.1" required inputmode="decimal"></label>
      <button type="submit" class="ghost">Set threshold</button>
    </form>
    <form class="inline-form" data-auto-cutoff="${esc(c.id)}">
      <label>Automatic cut-off at (% of threshold) <input name="pct" type="number" min="1" max="100" step="1" inputmode="numeric" placeholder="off"></label>
      <button type="submit" class="ghost">Set cut-off</button>
    </form>
    <p class="small muted" data-f="cutoff"></p>
  </article>`);
  const chart = lineChart(node.querySelector('[data-f="chart"]'), {
    height: 150,
    title: `Main breaker load of CCU ${c.id}, last 10 minutes`,
    series: [
      { label: "Load", color: "--chart-load", fill: true },
      { label: "Threshold", color: "--bad", dash: true },
    ],
  });
  charts.set(c.id, chart);
  if (!state.breaker[c.id]?.loaded) loadRecent(c.id);
  return node;
}

async function loadRecent(id) {
  const now = Date.now();
  try {
    const h = await api("GET", `/ccus/${encodeURIComponent(id)}/breaker-history?from=${now - BREAKER_WINDOW_S * 1000}&to=${now + 1}&buckets=120`);
    prependBreaker(id, h.buckets.map((b) => [(b.ts + h.bucket_ms / 2) / 1000, Math.round(b.current_ma.mean)]));
    emit("breaker", id);
  } catch {
    // The live points still come.
  }
}

function update(node, c) {
  setText(node.querySelector('[data-f="name"]'), c.name);
  const online = node.querySelector('[data-f="online"]');
  setText(online, c.online ? "online" : "offline");
  online.className = `badge ${c.online ? "ok" : "bad"}`;
  setText(node.querySelector('[data-f="load"]'), amps(c.breaker_ma));
  setAgo(node.querySelector('[data-f="at"] time'), c.breaker_at);
  const threshold = c.breaker_threshold_ma;
  const pct = threshold ? Math.round(((c.breaker_ma || 0) * 100) / threshold) : 0;
  const level = pct >= 100 ? "bad" : pct >= 80 ? "warn" : "ok";
  node.dataset.level = level;
  node.querySelector('[data-f="fill"]').style.width = `${Math.min(100, pct)}%`;
  setAttrs(node.querySelector('[role="meter"]'), {
    "aria-valuemax": threshold,
    "aria-valuenow": c.breaker_ma ?? 0,
    "aria-valuetext": `${amps(c.breaker_ma)} of ${amps(threshold, 1)}, ${pct} percent`,
  });
  setText(
    node.querySelector('[data-f="pct"]'),
    c.breaker_ma == null ? `No reading yet · threshold ${amps(threshold, 1)}` : `${pct} % of the ${amps(threshold, 1)} threshold${pct >= 100 ? " — over the limit!" : pct >= 80 ? " — close to the limit" : ""}`,
  );
  setText(
    node.querySelector('[data-f="cutoff"]'),
    c.auto_cutoff_pct == null
      ? "Automatic cut-off: off"
      : `Automatic cut-off at ${c.auto_cutoff_pct} % (${amps(Math.floor((threshold * c.auto_cutoff_pct) / 100), 1)}): the unprotected socket drawing the most is switched off`,
  );
  const input = node.querySelector('input[name="amps"]');
  if (document.activeElement !== input && !input.value) input.placeholder = (threshold / 1000).toFixed(1);
  drawChart(c);
}

function drawChart(c) {
  const chart = charts.get(c.id);
  const s = state.breaker[c.id];
  if (!chart || !s) return;
  // The window grows with the data from one minute to ten; the threshold spans all of it.
  const t = c.breaker_threshold_ma / 1000;
  const now = Math.max(Date.now() / 1000, s.ts.length ? s.ts[s.ts.length - 1] : 0);
  const start = Math.max(now - BREAKER_WINDOW_S, Math.min(now - 60, s.ts.length ? s.ts[0] : now));
  const xs = [];
  const ys = [];
  s.ts.forEach((x, i) => {
    if (x >= start) {
      xs.push(x);
      ys.push(toAmps(s.ma[i]));
    }
  });
  if (!xs.length || xs[0] > start) {
    xs.unshift(start);
    ys.unshift(null);
  }
  if (xs[xs.length - 1] < now) {
    xs.push(now);
    ys.push(null);
  }
  chart.setData([xs, ys, xs.map(() => t)], [start, now]);
}

/** Renders the breaker cards into `grid`. */
export function renderBreakers(grid) {
  reconcile(grid, state.ccus, (c) => c.id, create, update);
  for (const [id, chart] of charts) {
    if (!state.ccus.some((c) => c.id === id) || !grid.querySelector(`[data-breaker="${CSS.escape(id)}"]`)) {
      chart.destroy();
      charts.delete(id);
    }
  }
}

/** Updates one CCU's breaker card after a live reading. */
export function updateBreaker(grid, id) {
  const node = grid.querySelector(`[data-breaker="${CSS.escape(id)}"]`);
  const c = state.ccus.find((x) => x.id === id);
  if (node && c) update(node, c);
}

/** Destroys the charts (the view is leaving). */
export function disposeBreakers() {
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
}

/** Asks, then cuts all power: every socket of every outlet off. */
export async function cutAll() {
  const n = state.outlets.length;
  const ok = await confirmAction(
    "Cut all power?",
    `This switches OFF both sockets of every outlet (${n} outlet${n === 1 ? "" : "s"}). Everything plugged in loses power at once.`,
    "Cut all power",
  );
  if (!ok) return;
  await attempt(async () => {
    const cmds = await api("POST", "/cut-all");
    for (const c of cmds) if (c.socket) track(`${c.outlet_id}:${c.socket}`, c, false);
    const queued = cmds.filter((c) => c.status === "queued").length;
    toast(`Cut sent to ${cmds.length} socket${cmds.length === 1 ? "" : "s"}${queued ? ` (${queued} wait for an offline CCU)` : ""}`, "ok");
  });
}

/** Handles the threshold and cut-off forms inside `root`. */
export function wireBreakers(root) {
  root.addEventListener("submit", (e) => {
    const cut = e.target.closest("[data-auto-cutoff]");
    if (cut) {
      e.preventDefault();
      const raw = cut.elements.pct.value.trim();
      const pct = raw === "" ? null : Math.round(Number(raw));
      busy(cut, () =>
        attempt(async () => {
          const c = await api("PUT", `/ccus/${encodeURIComponent(cut.dataset.autoCutoff)}/auto-cutoff`, { at_pct: pct });
          const i = state.ccus.findIndex((x) => x.id === c.id);
          if (i >= 0) state.ccus[i] = { ...state.ccus[i], ...c };
          cut.reset();
          emit("ccus", c.id);
          toast(pct == null ? "Automatic cut-off off" : `Automatic cut-off at ${pct} %`, "ok");
        }),
      );
      return;
    }
    const f = e.target.closest("[data-breaker-threshold]");
    if (!f) return;
    e.preventDefault();
    const ma = Math.round(Number(f.elements.amps.value) * 1000);
    busy(f, () =>
      attempt(async () => {
        const c = await api("PUT", `/ccus/${encodeURIComponent(f.dataset.breakerThreshold)}/breaker-threshold`, { threshold_ma: ma });
        const i = state.ccus.findIndex((x) => x.id === c.id);
        if (i >= 0) state.ccus[i] = { ...state.ccus[i], ...c };
        f.reset();
        emit("ccus", c.id);
        toast(`Breaker threshold set to ${amps(ma, 1)}`, "ok");
      }),
    );
  });
}
