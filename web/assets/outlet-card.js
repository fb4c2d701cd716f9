// An outlet card: live current per socket and in total, relay toggles that follow the
// device's acknowledgement (pending, confirmed, failed), threshold, per-outlet cut, overload
// and offline marks. Used on the dashboard and on the outlet page. An outlet of a CCU on the
// old HTTP firmware ("polled") shows its values as last heard, and using its card tells the
// server it is being looked at, so that CCU reads it every 2 s instead of once per round robin.

import { api } from "./api.js";
import { emit, outletById, state, track, trackFailure } from "./state.js";
import { OVERLOAD_MA, agoHtml, amps, attempt, busy, confirmAction, el, esc, setAgo, setAttrs, setText, toast } from "./ui.js";

const SOCKETS = ["a", "b"];

function socketHtml(o, s) {
  const S = s.toUpperCase();
  return `<div class="socket" data-socket="${s}">
    <div class="socket-head"><span class="socket-name">Socket ${S}</span></div>
    <div class="amps" data-f="cur-${s}">—</div>
    <button type="button" class="toggle" data-toggle="${o.id}:${s}" data-state="unknown" data-cmd="" aria-pressed="false">
      <span class="toggle-knob" aria-hidden="true"></span><span class="toggle-label" data-f="label-${s}">Unknown</span>
    </button>
    <div class="cmd-status small" data-f="cmd-${s}" aria-live="polite"></div>
  </div>`;
}

/** A new card for outlet `o` (fill it with `updateOutletCard`). */
export function createOutletCard(o, { link = true } = {}) {
  const title = link ? `<a href="#/outlet/${o.id}" data-f="name"></a>` : `<span data-f="name"></span>`;
  return el(`<article class="card outlet" data-outlet="${o.id}" aria-labelledby="outlet-${o.id}-name">
    <header class="card-head">
      <h3 id="outlet-${o.id}-name">${title}</h3>
      <span class="marks"><span class="badge bad" data-f="overload" hidden>OVERLOAD</span><span class="badge muted-badge" data-f="polled" hidden>polled</span><span class="badge" data-f="online"></span></span>
    </header>
    <p class="meta small"><code data-f="device"></code><span data-f="location"></span> · CCU <span data-f="ccu"></span> · <span data-f="seen-label">seen</span> <span data-f="seen">${agoHtml(o.last_seen)}</span></p>
    <div class="sockets">${SOCKETS.map((s) => socketHtml(o, s)).join("")}</div>
    <p class="total">Total <strong data-f="total">—</strong> <span class="muted small">· <span data-f="threshold"></span></span></p>
    <div class="card-foot">
      <button type="button" class="danger" data-cut="${o.id}">Cut power</button>
      <details class="more">
        <summary>Threshold</summary>
        <form class="inline-form" data-threshold="${o.id}">
          <label>Per socket (A, 0 = none) <input name="amps" type="number" min="0" max="65.534" step="0.01" required inputmode="decimal"></label>
          <button type="submit" class="ghost">Set</button>
        </form>
      </details>
    </div>
  </article>`);
}

function relayState(v) {
  return v === true ? "on" : v === false ? "off" : "unknown";
}

function updateSocket(node, o, s) {
  const cur = o[`current_${s}`];
  const amp = node.querySelector(`[data-f="cur-${s}"]`);
  setText(amp, amps(cur));
  amp.classList.toggle("overload", cur === OVERLOAD_MA);
  const key = `${o.id}:${s}`;
  const cmd = state.cmds[key];
  const relay = relayState(o[`relay_${s}`]);
  const btn = node.querySelector(`[data-toggle="${key}"]`);
  const phase = cmd ? cmd.phase : "";
  const S = s.toUpperCase();
  const label = phase === "pending" ? `Switching ${cmd.want ? "on" : "off"}…` : relay === "on" ? "On" : relay === "off" ? "Off" : "Unknown";
  setText(node.querySelector(`[data-f="label-${s}"]`), label);
  setAttrs(btn, {
    "data-state": relay,
    "data-cmd": phase,
    "aria-pressed": relay === "on" ? "true" : relay === "off" ? "false" : "mixed",
    "aria-busy": phase === "pending" ? "true" : null,
    "aria-label": `Socket ${S} is ${relay}${phase === "pending" ? `, switching ${cmd.want ? "on" : "off"}` : ""}. Press to switch ${relay === "on" ? "off" : "on"}.`,
  });
  let status = "";
  if (phase === "pending") status = cmd.status === "queued" ? "Queued: the CCU is offline" : "Waiting for the outlet…";
  else if (phase === "confirmed") status = "✓ Confirmed by the outlet";
  else if (phase === "failed") status = `✗ Failed: ${(cmd.status || "failed").replace("_", " ")}${cmd.detail ? ` (${cmd.detail})` : ""}`;
  const line = node.querySelector(`[data-f="cmd-${s}"]`);
  setText(line, status);
  line.dataset.phase = phase;
}

/** Fills or refreshes a card from outlet `o` and its tracked commands. */
export function updateOutletCard(node, o) {
  setAttrs(node, { "data-online": String(o.online), "data-overload": String(o.is_overload) });
  setText(node.querySelector('[data-f="name"]'), o.name);
  setText(node.querySelector('[data-f="device"]'), `0x${o.device_id}`);
  setText(node.querySelector('[data-f="location"]'), o.location ? ` · ${o.location}` : "");
  setText(node.querySelector('[data-f="ccu"]'), o.ccu_id);
  node.querySelector('[data-f="overload"]').hidden = !o.is_overload;
  const online = node.querySelector('[data-f="online"]');
  setText(online, o.online ? "online" : "offline");
  online.className = `badge ${o.online ? "ok" : "bad"}`;
  setAgo(node.querySelector('[data-f="seen"] time'), o.last_seen);
  const polled = node.querySelector('[data-f="polled"]');
  polled.hidden = !o.polled;
  const every = Math.round((o.silent_after_s || 0) / 60);
  setAttrs(polled, {
    title: o.polled ? `Old CCU firmware: this outlet is read in turn with the others (offline after ${every} min of silence), and every 2 s while it is open here or has a command on its way. The values are the last heard.` : null,
  });
  setText(node.querySelector('[data-f="seen-label"]'), o.polled ? "last heard" : "seen");
  node.dataset.polled = String(Boolean(o.polled));
  for (const s of SOCKETS) updateSocket(node, o, s);
  const total = [o.current_a, o.current_b].filter((v) => v != null && v !== OVERLOAD_MA).reduce((a, b) => a + b, 0);
  const known = o.current_a != null || o.current_b != null;
  setText(node.querySelector('[data-f="total"]'), known ? amps(total) : "—");
  setText(node.querySelector('[data-f="threshold"]'), o.threshold_ma ? `threshold ${amps(o.threshold_ma)} per socket` : "no threshold");
  const input = node.querySelector('input[name="amps"]');
  if (document.activeElement !== input && !input.value) input.placeholder = (o.threshold_ma / 1000).toFixed(2);
}

/** Switches a socket to the other state; the toggle follows the acknowledgement. */
export async function toggleSocket(outletId, socket) {
  const o = outletById(outletId);
  if (!o) return;
  const key = `${outletId}:${socket}`;
  if (state.cmds[key]?.phase === "pending") return;
  const want = o[`relay_${socket}`] !== true;
  state.cmds[key] = { id: null, want, status: "sent", phase: "pending" };
  emit("cmd", key);
  try {
    const cmd = await api("POST", "/commands", { outlet_id: outletId, command: want ? "relay_on" : "relay_off", socket });
    track(key, cmd, want);
    if (cmd.status === "queued") toast("The CCU is offline: the command waits for it.", "info");
  } catch (e) {
    trackFailure(key, want, e.message);
    toast(e.message, "error");
  }
}

async function cutOutlet(id) {
  const o = outletById(id);
  const ok = await confirmAction("Cut power to this outlet?", `Both sockets of “${o ? o.name : id}” switch off.`, "Cut power");
  if (!ok) return;
  await attempt(async () => {
    const cmds = await api("POST", `/outlets/${id}/cut`);
    for (const c of cmds) if (c.socket) track(`${c.outlet_id}:${c.socket}`, c, false);
    toast("Cut sent", "ok");
  });
}

const VIEW_EVERY_MS = 20_000;
const viewed = new Map();

/** Tells the server that a person is looking at outlet `id` (a polled one only, at most
 * once per 20 s): its old-firmware CCU then reads it every cycle for the next minute. */
export function viewOutlet(id) {
  const o = outletById(id);
  if (!o || !o.polled) return;
  const now = Date.now();
  if (now - (viewed.get(id) || 0) < VIEW_EVERY_MS) return;
  viewed.set(id, now);
  api("POST", `/outlets/${id}/view`).catch(() => viewed.delete(id));
}

/** Handles toggles, cuts and threshold forms of the cards inside `root`. */
export function wireOutletCards(root) {
  const using = (e) => {
    const card = e.target.closest?.("[data-outlet]");
    if (card && root.contains(card)) viewOutlet(Number(card.dataset.outlet));
  };
  root.addEventListener("pointerover", using);
  root.addEventListener("focusin", using);
  root.addEventListener("click", (e) => {
    const t = e.target.closest("[data-toggle], [data-cut]");
    if (!t || !root.contains(t)) return;
    if (t.dataset.toggle) {
      const [id, s] = t.dataset.toggle.split(":");
      toggleSocket(Number(id), s);
    } else cutOutlet(Number(t.dataset.cut));
  });
  root.addEventListener("submit", (e) => {
    const f = e.target.closest("[data-threshold]");
    if (!f) return;
    e.preventDefault();
    const ma = Math.round(Number(f.elements.amps.value) * 1000);
    busy(f, () =>
      attempt(async () => {
        const o = await api("PUT", `/outlets/${f.dataset.threshold}/threshold`, { threshold_ma: ma });
        const i = state.outlets.findIndex((x) => x.id === o.id);
        if (i >= 0) state.outlets[i] = o;
        f.reset();
        emit("outlets", o.id);
        toast(ma ? `Threshold set to ${amps(ma)} per socket` : "Threshold removed", "ok");
      }),
    );
  });
}

/** The "add an outlet" form's CCU choices. */
export function ccuOptions(selected) {
  return state.ccus
    .map((c) => `<option value="${esc(c.id)}"${c.id === selected ? " selected" : ""}>${esc(c.name)} (${esc(c.id)})</option>`)
    .join("");
}
