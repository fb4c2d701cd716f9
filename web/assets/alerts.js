// Active alerts: the list with "Acknowledge" on the dashboard, and the bell in the header
// whose count is the active alerts nobody acknowledged yet.

import { api } from "./api.js";
import { alertKindLabel } from "./labels.js";
import { emit, state, unacknowledged } from "./state.js";
import { $, agoHtml, amps, attempt, el, esc, reconcile, setAttrs, setText } from "./ui.js";


/** The header bell. */
export function updateBell() {
  const n = unacknowledged().length;
  const count = $("#bell-count");
  setText(count, String(n));
  count.dataset.count = String(n);
  const active = state.alerts.length;
  setAttrs($("#bell"), {
    "aria-label": n ? `${n} unacknowledged alert${n === 1 ? "" : "s"} (${active} active)` : `No unacknowledged alerts (${active} active)`,
    "data-alerting": n > 0,
  });
}

function create(a) {
  return el(`<li class="alert" data-alert="${a.id}">
    <span class="alert-icon" aria-hidden="true">⚠</span>
    <div class="alert-text">
      <strong data-f="kind"></strong> <span data-f="message"></span>
      <div class="muted small"><span data-f="raised"></span><span data-f="value"></span></div>
    </div>
    <div class="alert-action" data-f="action"></div>
  </li>`);
}

function update(node, a) {
  setAttrs(node, { "data-kind": a.kind, "data-acked": String(!!a.acknowledged_at) });
  setText(node.querySelector('[data-f="kind"]'), alertKindLabel(a.kind));
  setText(node.querySelector('[data-f="message"]'), a.message);
  const raised = node.querySelector('[data-f="raised"]');
  if (raised.dataset.at !== String(a.raised_at)) {
    raised.dataset.at = String(a.raised_at);
    raised.innerHTML = `raised ${agoHtml(a.raised_at)}`;
  }
  const value = a.value != null && a.threshold ? ` · ${amps(a.value)} of ${amps(a.threshold)}` : "";
  setText(node.querySelector('[data-f="value"]'), value);
  const action = node.querySelector('[data-f="action"]');
  const want = a.acknowledged_at ? "acked" : "ack";
  if (action.dataset.mode !== want) {
    action.dataset.mode = want;
    action.innerHTML = a.acknowledged_at
      ? `<span class="badge muted-badge">acknowledged</span>`
      : `<button type="button" class="ghost" data-ack="${a.id}" aria-label="Acknowledge: ${esc(a.message)}">Acknowledge</button>`;
  }
}

/** Renders the active alerts into `list` (a `<ul>`); `empty` is shown when there are none. */
export function renderAlerts(list, empty) {
  reconcile(list, state.alerts, (a) => a.id, create, update);
  empty.hidden = state.alerts.length > 0;
}

/** Handles "Acknowledge" clicks inside `root`. */
export function wireAlerts(root) {
  root.addEventListener("click", (e) => {
    const b = e.target.closest("[data-ack]");
    if (!b) return;
    b.disabled = true;
    attempt(async () => {
      const a = await api("POST", `/alerts/${b.dataset.ack}/ack`);
      const i = state.alerts.findIndex((x) => x.id === a.id);
      if (i >= 0) state.alerts[i] = a;
      emit("alerts");
    }).finally(() => {
      if (b.isConnected) b.disabled = false;
    });
  });
}
