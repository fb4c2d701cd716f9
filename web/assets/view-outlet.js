// The outlet page: the live card, a history chart of both sockets over 1 h, 24 h, 7 d or
// 30 d (downsampled by the API, CSV download) with the range's energy and cost, schedules,
// the outlet's commands (live) and events; rename, relocate and remove.

import { api, query } from "./api.js";
import { lineChart, toAmps } from "./chart.js";
import { commandLabel, eventKindLabel } from "./labels.js";
import { createOutletCard, updateOutletCard, viewOutlet, wireOutletCards } from "./outlet-card.js";
import { emit, loadAll, on, outletById, state } from "./state.js";
import { $, attempt, busy, confirmAction, dateTime, el, esc, plural, setText, toast } from "./ui.js";

const RANGES = [
  { key: "1h", label: "1 h", ms: 3600e3, buckets: 120 },
  { key: "24h", label: "24 h", ms: 86400e3, buckets: 288 },
  { key: "7d", label: "7 d", ms: 7 * 86400e3, buckets: 336 },
  { key: "30d", label: "30 d", ms: 30 * 86400e3, buckets: 360 },
];

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

const TEMPLATE = (o) => `
<nav class="crumbs" aria-label="Breadcrumb"><a href="#/">← Dashboard</a></nav>
<h1 class="page-title" data-f="title">${esc(o.name)}</h1>
<div class="outlet-top">
  <div id="card-slot"></div>
  <form id="edit-outlet" class="card add-form" aria-labelledby="edit-title">
    <h2 id="edit-title">Details</h2>
    <label>Name <input name="name" required maxlength="100" value="${esc(o.name)}"></label>
    <label>Location <input name="location" maxlength="100" value="${esc(o.location)}"></label>
    <label class="check"><input type="checkbox" name="protected" ${o.cutoff_protected ? "checked" : ""}> Never switched off by the automatic cut-off</label>
    <div class="row"><button type="submit">Save</button><button type="button" class="ghost danger-text" id="remove-outlet">Remove outlet</button></div>
    <p class="form-msg error-text" role="alert"></p>
  </form>
</div>
<section class="card section" aria-labelledby="history-title">
  <div class="section-head">
    <h2 id="history-title">History</h2>
    <div class="seg" role="group" aria-label="Time range">
      ${RANGES.map((r) => `<button type="button" class="ghost" data-range="${r.key}" aria-pressed="false">${r.label}</button>`).join("")}
    </div>
    <a class="button ghost" id="csv" download>Download CSV</a>
  </div>
  <div id="history-chart"></div>
  <p id="history-note" class="muted small" aria-live="polite"></p>
  <p id="energy-note" class="small" aria-live="polite"></p>
</section>
<section class="card section" aria-labelledby="sched-title">
  <h2 id="sched-title">Schedules</h2>
  <form id="add-schedule" class="inline-form">
    <label>Socket <select name="socket"><option value="a">A</option><option value="b">B</option></select></label>
    <label>Switch <select name="action"><option value="on">on</option><option value="off">off</option></select></label>
    <label>At <input name="time" type="time" required></label>
    <fieldset class="days"><legend>Days (none: every day)</legend>${DAYS.map((d) => `<label class="check"><input type="checkbox" name="day" value="${d}"> ${d}</label>`).join("")}</fieldset>
    <label>Time zone <input name="timezone" maxlength="64" value="${esc(ZONE)}"></label>
    <button type="submit">Add schedule</button>
  </form>
  <div class="table-wrap"><table class="table" id="schedules"><thead><tr><th>Socket</th><th>Switch</th><th>At</th><th>Days</th><th>Next</th><th><span class="visually-hidden">Actions</span></th></tr></thead><tbody></tbody></table></div>
</section>
<div class="two-col">
  <section class="card section" aria-labelledby="cmds-title">
    <h2 id="cmds-title">Commands</h2>
    <div class="table-wrap"><table class="table" id="commands"><thead><tr><th>Time</th><th>Command</th><th>Status</th><th>Detail</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section class="card section" aria-labelledby="ev-title">
    <h2 id="ev-title">Events</h2>
    <div class="table-wrap"><table class="table" id="outlet-events"><thead><tr><th>Time</th><th>Kind</th><th>Message</th></tr></thead><tbody></tbody></table></div>
    <p><a id="all-events" href="#/events">All events of this outlet →</a></p>
  </section>
</div>`;

function commandRow(c) {
  const latency = c.completed_at && c.status === "ok" ? `${c.completed_at - c.created_at} ms` : "";
  const detail = [c.detail, latency].filter(Boolean).join(" · ");
  return `<tr data-command="${esc(c.id)}" data-status="${esc(c.status)}"><td>${esc(dateTime(c.created_at))}</td><td>${esc(commandLabel(c))}</td>
    <td><span class="badge status-${esc(c.status)}">${esc(c.status.replace("_", " "))}</span></td><td class="small">${esc(detail)}</td></tr>`;
}

/** Shows outlet `params.id` in `root`; returns the clean-up. */
export function mount(root, { params }) {
  const id = Number(params.id);
  let o = outletById(id);
  if (!o) {
    root.innerHTML = `<nav class="crumbs"><a href="#/">← Dashboard</a></nav><p class="card">No such outlet.</p>`;
    return () => {};
  }
  root.innerHTML = TEMPLATE(o);
  const card = createOutletCard(o, { link: false });
  $("#card-slot", root).append(card);
  updateOutletCard(card, o);
  wireOutletCards(card);
  $("#all-events", root).href = `#/events${query({ ccu_id: o.ccu_id, device_id: o.device_id })}`;

  const chart = lineChart($("#history-chart", root), {
    height: 260,
    title: `Current of sockets A and B of ${o.name}`,
    series: [
      { label: "Socket A", color: "--chart-a" },
      { label: "Socket B", color: "--chart-b" },
    ],
  });
  let range = RANGES[0];
  let data = [[], [], []];
  let loadSeq = 0;

  async function loadHistory() {
    const seq = ++loadSeq;
    for (const b of root.querySelectorAll("[data-range]")) b.setAttribute("aria-pressed", String(b.dataset.range === range.key));
    const to = Date.now() + 1;
    const from = to - range.ms;
    $("#csv", root).href = `/api/v1/outlets/${id}/history.csv${query({ from, to })}`;
    setText($("#history-note", root), "Loading…");
    loadEnergy(from, to, seq).catch((e) => setText($("#energy-note", root), e.message));
    try {
      const h = await api("GET", `/outlets/${id}/history${query({ from, to, buckets: range.buckets })}`);
      if (seq !== loadSeq) return;
      const xs = [];
      const a = [];
      const b = [];
      let prev = null;
      for (const k of h.buckets) {
        if (prev !== null && k.ts - prev > h.bucket_ms * 1.5) {
          xs.push((prev + h.bucket_ms) / 1000);
          a.push(null);
          b.push(null);
        }
        xs.push((k.ts + h.bucket_ms / 2) / 1000);
        a.push(toAmps(Math.round(k.a.mean)));
        b.push(toAmps(Math.round(k.b.mean)));
        prev = k.ts;
      }
      data = [xs, a, b];
      chart.setData(data, [from / 1000, to / 1000]);
      const overloads = h.buckets.filter((k) => k.overload).length;
      setText(
        $("#history-note", root),
        h.buckets.length
          ? `${plural(h.buckets.reduce((n, k) => n + k.n, 0), "reading")} in ${plural(h.buckets.length, "bucket")} of ${Math.round(h.bucket_ms / 1000)} s (mean per bucket)${overloads ? ` · ${plural(overloads, "bucket")} with an overload` : ""}`
          : "No readings in this range yet.",
      );
    } catch (e) {
      if (seq === loadSeq) setText($("#history-note", root), e.message);
    }
  }

  async function loadEnergy(from, to, seq) {
    const e = await api("GET", `/outlets/${id}/energy${query({ from, to })}`);
    if (seq !== loadSeq) return;
    const sum = (k) => e.hours.reduce((n, h) => n + h[k], 0);
    const kwh = (wh) => `${(wh / 1000).toFixed(wh < 10000 ? 3 : 1)} kWh`;
    const cost = e.total_cost == null ? "" : ` · ${e.total_cost.toFixed(2)} ${e.currency}`;
    setText(
      $("#energy-note", root),
      e.hours.length ? `Energy: ${kwh(e.total_wh)} (A ${kwh(sum("wh_a"))} · B ${kwh(sum("wh_b"))}) at ${e.voltage} V${cost}` : "",
    );
  }

  async function loadSchedules() {
    const list = await api("GET", `/outlets/${id}/schedules`);
    $("#schedules tbody", root).innerHTML =
      list
        .map(
          (x) => `<tr data-schedule="${x.id}"><td>${esc(x.socket.toUpperCase())}</td><td>${esc(x.action)}</td><td>${esc(x.time)} <span class="muted small">${esc(x.timezone)}</span></td>
          <td>${esc(x.weekdays.length === 7 ? "every day" : x.weekdays.join(", "))}</td><td>${esc(dateTime(x.next_run_at))}</td>
          <td><button type="button" class="ghost small danger-text" data-remove-schedule="${x.id}">Remove</button></td></tr>`,
        )
        .join("") || '<tr><td colspan="6" class="muted">No schedules.</td></tr>';
  }

  $("#add-schedule", root).addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target;
    const weekdays = [...f.querySelectorAll('input[name="day"]:checked')].map((c) => c.value);
    busy(f, () =>
      attempt(async () => {
        await api("POST", `/outlets/${id}/schedules`, {
          socket: f.elements.socket.value,
          action: f.elements.action.value,
          time: f.elements.time.value,
          weekdays,
          timezone: f.elements.timezone.value.trim() || "UTC",
        });
        await loadSchedules();
        toast("Schedule added", "ok");
      }),
    );
  });
  $("#schedules", root).addEventListener("click", (e) => {
    const b = e.target.closest("[data-remove-schedule]");
    if (!b) return;
    attempt(async () => {
      await api("DELETE", `/schedules/${b.dataset.removeSchedule}`);
      await loadSchedules();
      toast("Schedule removed", "ok");
    });
  });

  async function loadCommands() {
    const cmds = await api("GET", `/commands${query({ outlet_id: id, limit: 20 })}`);
    $("#commands tbody", root).innerHTML = cmds.map(commandRow).join("") || '<tr><td colspan="4" class="muted">No commands yet.</td></tr>';
  }

  let eventsTimer = null;
  async function loadEvents() {
    const cur = outletById(id) || o;
    const p = await api("GET", `/events${query({ ccu_id: cur.ccu_id, device_id: cur.device_id, per_page: 15 })}`);
    $("#outlet-events tbody", root).innerHTML =
      p.items
        .map((e) => `<tr data-kind="${esc(e.kind)}"><td>${esc(dateTime(e.created_at))}</td><td>${esc(eventKindLabel(e.kind))}</td><td>${esc(e.message)}</td></tr>`)
        .join("") || '<tr><td colspan="3" class="muted">No events yet.</td></tr>';
  }
  const refreshEvents = () => {
    clearTimeout(eventsTimer);
    eventsTimer = setTimeout(() => loadEvents().catch(() => {}), 800);
  };

  root.querySelector(".seg").addEventListener("click", (e) => {
    const b = e.target.closest("[data-range]");
    if (!b) return;
    range = RANGES.find((r) => r.key === b.dataset.range) || RANGES[0];
    loadHistory();
  });

  const form = $("#edit-outlet", root);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const msg = form.querySelector(".form-msg");
    busy(form, async () => {
      try {
        let updated = await api("PATCH", `/outlets/${id}`, { name: form.elements.name.value.trim(), location: form.elements.location.value.trim() });
        const protect = form.elements.protected.checked;
        if (protect !== updated.cutoff_protected) updated = await api("PUT", `/outlets/${id}/cutoff-protection`, { protected: protect });
        const i = state.outlets.findIndex((x) => x.id === id);
        if (i >= 0) state.outlets[i] = updated;
        setText(msg, "");
        emit("outlets", id);
        toast("Saved", "ok");
      } catch (err) {
        setText(msg, err.message);
      }
    });
  });
  $("#remove-outlet", root).addEventListener("click", async () => {
    const ok = await confirmAction("Remove this outlet?", `“${o.name}” and its history are deleted.`, "Remove outlet");
    if (!ok) return;
    await attempt(async () => {
      await api("DELETE", `/outlets/${id}`);
      await loadAll();
      toast("Outlet removed", "ok");
      location.hash = "#/";
    });
  });

  const off = on((topic, detail) => {
    if (topic === "reset" || (topic === "outlets" && detail === id) || (topic === "cmd" && String(detail).startsWith(`${id}:`))) {
      const cur = outletById(id);
      if (!cur) return;
      o = cur;
      updateOutletCard(card, cur);
      setText($('[data-f="title"]', root), cur.name);
    }
    if (topic === "command" && detail.outlet_id === id) {
      const tbody = $("#commands tbody", root);
      const row = el(`<table><tbody>${commandRow(detail)}</tbody></table>`).querySelector("tr");
      const existing = tbody.querySelector(`[data-command="${CSS.escape(detail.id)}"]`);
      if (existing) existing.replaceWith(row);
      else {
        tbody.querySelector("td[colspan]")?.parentElement.remove();
        tbody.prepend(row);
      }
    }
    if (topic === "live") {
      const ev = detail;
      if (ev.type === "reading" && ev.outlet_id === id && range.key === "1h") {
        data[0].push(ev.ts / 1000);
        data[1].push(toAmps(ev.current_a));
        data[2].push(toAmps(ev.current_b));
        const now = Date.now();
        chart.setData(data, [(now - range.ms) / 1000, now / 1000]);
      }
      const about = ev.outlet_id ?? ev.alert?.outlet_id ?? ev.command?.outlet_id;
      if (about === id && ev.type !== "reading") refreshEvents();
    }
  });

  loadHistory();
  attempt(loadCommands);
  attempt(loadSchedules);
  attempt(loadEvents);
  // While this page is shown, an old-firmware CCU reads this outlet every cycle.
  const looking = () => {
    if (document.visibilityState === "visible") viewOutlet(id);
  };
  looking();
  const viewTimer = setInterval(looking, 5000);
  document.addEventListener("visibilitychange", looking);
  return () => {
    off();
    clearInterval(viewTimer);
    document.removeEventListener("visibilitychange", looking);
    clearTimeout(eventsTimer);
    chart.destroy();
  };
}
