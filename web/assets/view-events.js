// The event log: filters (kind, source, CCU, device, time) kept in the address so they can be
// shared and survive a reload, pagination, and statistics per kind and per day. The first
// page refreshes itself when something happens.

import { api, query } from "./api.js";
import { lineChart } from "./chart.js";
import { EVENT_KINDS, SOURCES, eventKindLabel, sourceLabel } from "./labels.js";
import { on, state } from "./state.js";
import { $, attempt, dateTime, esc, setText } from "./ui.js";

const PER_PAGE = [25, 50, 100];

/** Set by "Apply filters": the next page shown moves focus to the results. */
let focusResults = false;
const DAY = 86400e3;

const options = (entries, selected, all) =>
  `<option value="">${esc(all)}</option>` +
  entries.map(([v, label]) => `<option value="${esc(v)}"${v === selected ? " selected" : ""}>${esc(label)}</option>`).join("");

/** `datetime-local` value of a unix ms instant (local time), and back. */
const toLocal = (ms) => {
  if (!ms) return "";
  const d = new Date(Number(ms));
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
const fromLocal = (v) => (v ? String(new Date(v).getTime()) : "");

function filterForm(p) {
  const devices = new Map(state.outlets.map((o) => [o.device_id, `${o.name} · 0x${o.device_id}`]));
  if (p.device_id && !devices.has(p.device_id)) devices.set(p.device_id, `0x${p.device_id}`);
  return `<form id="event-filter" class="card filters" aria-label="Filter events">
    <label>Kind <select name="kind">${options(Object.entries(EVENT_KINDS), p.kind, "All kinds")}</select></label>
    <label>Source <select name="source">${options(Object.entries(SOURCES), p.source, "All sources")}</select></label>
    <label>CCU <select name="ccu_id">${options(state.ccus.map((c) => [c.id, `${c.name} (${c.id})`]), p.ccu_id, "All CCUs")}</select></label>
    <label>Device <select name="device_id">${options([...devices], p.device_id, "All devices")}</select></label>
    <label>From <input type="datetime-local" name="from" value="${esc(toLocal(p.from))}"></label>
    <label>To <input type="datetime-local" name="to" value="${esc(toLocal(p.to))}"></label>
    <label>Per page <select name="per_page">${PER_PAGE.map((n) => `<option${String(n) === String(p.per_page || 25) ? " selected" : ""}>${n}</option>`).join("")}</select></label>
    <div class="row filter-actions"><button type="submit">Apply filters</button><a class="button ghost" href="#/events">Reset</a></div>
  </form>`;
}

const TEMPLATE = (p) => `
<h1 class="page-title">Event log</h1>
${filterForm(p)}
<section class="section" aria-labelledby="results-title">
  <div class="section-head"><h2 id="results-title" tabindex="-1">Events</h2><p id="events-summary" class="muted" aria-live="polite"></p></div>
  <div class="table-wrap"><table class="table" id="events">
    <thead><tr><th scope="col">Time</th><th scope="col">Kind</th><th scope="col">Source</th><th scope="col">CCU</th><th scope="col">Device</th><th scope="col">Message</th></tr></thead>
    <tbody></tbody>
  </table></div>
  <nav class="pager" aria-label="Pages">
    <button type="button" class="ghost" id="first">« First</button>
    <button type="button" class="ghost" id="prev">‹ Newer</button>
    <span id="page"></span>
    <button type="button" class="ghost" id="next">Older ›</button>
  </nav>
</section>
<section class="card section" aria-labelledby="stats-title">
  <h2 id="stats-title">Statistics</h2>
  <p class="muted small" id="stats-range"></p>
  <ul class="stat-list" id="stats-kinds"></ul>
  <div id="stats-chart"></div>
</section>`;

/** Shows the event log for the filters in `params`; returns the clean-up. */
export function mount(root, { params }) {
  const p = { ...params };
  const page = Math.max(1, Number(p.page) || 1);
  root.innerHTML = TEMPLATE(p);
  const chart = lineChart($("#stats-chart", root), {
    height: 160,
    unit: "",
    bars: true,
    title: "Events per day",
    series: [{ label: "Events", color: "--accent" }],
  });

  const go = (next) => {
    location.hash = `#/events${query(next)}`;
  };

  async function loadPage() {
    const q = { kind: p.kind, source: p.source, ccu_id: p.ccu_id, device_id: p.device_id, from: p.from, to: p.to, page, per_page: p.per_page || 25 };
    const r = await api("GET", `/events${query(q)}`);
    $("#events tbody", root).innerHTML =
      r.items
        .map(
          (e) => `<tr data-kind="${esc(e.kind)}" data-source="${esc(e.source)}">
            <td class="nowrap">${esc(dateTime(e.created_at))}</td><td><span class="badge kind-${esc(e.kind)}">${esc(eventKindLabel(e.kind))}</span></td>
            <td>${esc(sourceLabel(e.source))}</td><td>${esc(e.ccu_id || "")}</td><td>${e.device_id ? `0x${esc(e.device_id)}` : ""}</td><td>${esc(e.message)}</td></tr>`,
        )
        .join("") || '<tr><td colspan="6" class="muted">No events match these filters.</td></tr>';
    const pages = Math.max(1, Math.ceil(r.total / r.per_page));
    setText($("#events-summary", root), `${r.total} event${r.total === 1 ? "" : "s"} match`);
    setText($("#page", root), `Page ${r.page} of ${pages}`);
    $("#events", root).dataset.total = String(r.total);
    $("#events", root).dataset.query = location.hash;
    $("#first", root).disabled = r.page <= 1;
    $("#prev", root).disabled = r.page <= 1;
    $("#next", root).disabled = r.page >= pages;
    $("#next", root).onclick = () => go({ ...p, page: r.page + 1 });
  }

  async function loadStats() {
    const to = Number(p.to) || Date.now() + 1;
    const from = Number(p.from) || to - 30 * DAY;
    const counts = await api("GET", `/events/stats${query({ from, to })}`);
    setText($("#stats-range", root), `${dateTime(from)} – ${dateTime(to)}, all kinds and sources`);
    const perKind = new Map();
    const perDay = new Map();
    for (const c of counts) {
      perKind.set(c.kind, (perKind.get(c.kind) || 0) + c.count);
      perDay.set(c.day, (perDay.get(c.day) || 0) + c.count);
    }
    $("#stats-kinds", root).innerHTML =
      [...perKind]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `<li><a href="#/events${query({ ...p, kind: k, page: 1 })}" data-stat-kind="${esc(k)}">${esc(eventKindLabel(k))} <strong>${n}</strong></a></li>`)
        .join("") || '<li class="muted">No events in this range.</li>';
    const days = [...perDay].sort((a, b) => a[0] - b[0]);
    chart.setData([days.map(([d]) => d / 1000 + 43200), days.map(([, n]) => n)], [from / 1000, to / 1000]);
  }

  $("#event-filter", root).addEventListener("submit", (e) => {
    e.preventDefault();
    const v = Object.fromEntries(new FormData(e.target));
    focusResults = true;
    go({ kind: v.kind, source: v.source, ccu_id: v.ccu_id, device_id: v.device_id, from: fromLocal(v.from), to: fromLocal(v.to), per_page: v.per_page === "25" ? "" : v.per_page });
  });
  $("#first", root).addEventListener("click", () => go({ ...p, page: "" }));
  $("#prev", root).addEventListener("click", () => go({ ...p, page: page > 2 ? page - 1 : "" }));

  let timer = null;
  const live = page === 1 && !p.to;
  const off = on((topic, ev) => {
    if (!live || topic !== "live" || ev.type === "reading" || ev.type === "breaker") return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      loadPage().catch(() => {});
      loadStats().catch(() => {});
    }, 1000);
  });

  attempt(loadPage);
  attempt(loadStats);
  if (focusResults) {
    focusResults = false;
    $("#results-title", root).focus();
  }
  return () => {
    off();
    clearTimeout(timer);
    chart.destroy();
  };
}
