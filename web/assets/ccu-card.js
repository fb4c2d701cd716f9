// CCU cards: name, id, online or offline with last seen, readings lost on the device, MQTT connection details, rotate the
// secret (shown once), remove; for CCUs on the old HTTP firmware, the address they are bound
// to (or the learning window, or the address a request was refused from) with rebind and
// reset; and the "add a CCU" form.

import { api } from "./api.js";
import { ccuById, emit, loadAll, state } from "./state.js";
import { agoHtml, attempt, busy, confirmAction, el, esc, setAgo, setAttrs, setText, showSecret, toast } from "./ui.js";

const mqttHost = () => state.server?.mqtt_host || location.hostname;
const mqttPort = () => state.server?.mqtt_port ?? 1883;

export function createCcuCard(c) {
  const id = esc(c.id);
  return el(`<article class="card ccu" data-ccu="${id}" aria-labelledby="ccu-${id}-name">
    <header class="card-head">
      <h3 id="ccu-${id}-name" data-f="name"></h3>
      <span class="badge" data-f="online"></span>
    </header>
    <p class="warn-text small" data-f="dropped" hidden></p>
    <p class="meta small">id <code>${id}</code> · <span data-f="transport"></span><span data-f="firmware"></span> · last seen <span data-f="seen">${agoHtml(c.last_seen)}</span></p>
    <details class="more">
      <summary>MQTT connection</summary>
      <dl class="kv small">
        <dt>Host</dt><dd><code data-f="host"></code></dd>
        <dt>Port</dt><dd><code data-f="port"></code></dd>
        <dt>Username</dt><dd><code>${id}</code></dd>
        <dt>Client id</dt><dd><code>${id}</code></dd>
        <dt>Password</dt><dd>the secret shown when the CCU was added or its secret last rotated</dd>
        <dt>Topics</dt><dd><code>ccu/${id}/…</code></dd>
      </dl>
    </details>
    <div class="legacy small" data-f="legacy" hidden>
      <p>Old firmware: <span data-f="legacy-text"></span></p>
      <p class="row">
        <button type="button" class="ghost" data-legacy-rebind="${id}" hidden></button>
        <button type="button" class="ghost" data-legacy-reset="${id}">Reset binding</button>
      </p>
    </div>
    <div class="card-foot">
      <button type="button" class="ghost" data-rotate="${id}">Rotate secret</button>
      <button type="button" class="ghost danger-text" data-del-ccu="${id}">Remove</button>
    </div>
  </article>`);
}

export function updateCcuCard(node, c) {
  setAttrs(node, { "data-online": String(c.online) });
  setText(node.querySelector('[data-f="name"]'), c.name + (c.location ? ` · ${c.location}` : ""));
  const online = node.querySelector('[data-f="online"]');
  setText(online, c.online ? "online" : "offline");
  online.className = `badge ${c.online ? "ok" : "bad"}`;
  setText(node.querySelector('[data-f="transport"]'), c.transport === "http" ? "legacy HTTP" : c.transport === "mqtt" ? "MQTT" : "transport: auto");
  setText(node.querySelector('[data-f="firmware"]'), c.firmware ? ` · firmware ${c.firmware}` : "");
  setAgo(node.querySelector('[data-f="seen"] time'), c.last_seen);
  setText(node.querySelector('[data-f="host"]'), mqttHost());
  setText(node.querySelector('[data-f="port"]'), String(mqttPort()));
  updateDropped(node, c);
  updateLegacy(node, c);
}

/** Readings the CCU lost on the device (its offline buffer was full), when there are any. */
function updateDropped(node, c) {
  const box = node.querySelector('[data-f="dropped"]');
  const n = c.readings_dropped || 0;
  box.hidden = n <= 0;
  setText(box, n > 0 ? `${n} reading${n === 1 ? "" : "s"} lost on the device` : "");
  setAttrs(box, { title: n > 0 ? "The CCU was offline longer than its buffer holds; the oldest readings were dropped." : null });
}

const clock = (ms) => new Date(ms).toLocaleString([], { dateStyle: "short", timeStyle: "short" });

/** The legacy binding line: only for CCUs that may run the old HTTP firmware. */
function updateLegacy(node, c) {
  const box = node.querySelector('[data-f="legacy"]');
  const l = c.legacy;
  box.hidden = !l || c.transport === "mqtt";
  if (box.hidden) return;
  const text =
    l.state === "bound"
      ? `bound to ${l.addr}; its requests are served only from there.`
      : l.state === "learning"
        ? `waiting for its first breaker reading until ${clock(l.learn_until)}; it is bound to the address it calls from.`
        : "not bound: its requests are refused. Reset the binding, then let it call within the learning window.";
  const refused = l.refused_addr && l.refused_addr !== l.addr ? ` Called from ${l.refused_addr} and was refused.` : "";
  setText(node.querySelector('[data-f="legacy-text"]'), text + refused);
  const rebind = node.querySelector("[data-legacy-rebind]");
  rebind.hidden = !refused;
  setText(rebind, refused ? `Rebind to ${l.refused_addr}` : "");
  setAttrs(rebind, { "data-addr": l.refused_addr || null });
}

async function setBinding(id, addr) {
  const what = addr ? `bound to ${addr}` : "unbound; it learns the address it calls from at its next breaker reading";
  const ok = await confirmAction(
    addr ? `Rebind CCU ${id}?` : `Reset the binding of CCU ${id}?`,
    `CCU ${id} will be ${what}. Until then, requests of its old firmware from elsewhere are refused.`,
    addr ? "Rebind" : "Reset binding",
  );
  if (!ok) return;
  await attempt(async () => {
    const fresh = await api("POST", `/ccus/${encodeURIComponent(id)}/legacy-binding`, { addr: addr || null });
    const c = ccuById(id);
    if (c) Object.assign(c, fresh);
    emit("ccus", id);
    toast(addr ? `CCU ${id} bound to ${addr}` : `CCU ${id} is waiting for its first contact`, "ok");
  });
}

function credentialRows(m) {
  return [
    ["Host", mqttHost(), "host"],
    ["Port", String(m.port), "port"],
    ["Username", m.username, "username"],
    ["Client id", m.client_id, "client_id"],
    ["Password", m.password, "password"],
  ];
}

async function rotate(id) {
  const ok = await confirmAction(
    "Rotate this CCU's secret?",
    `CCU ${id} gets a new MQTT password; the old one stops working at once and the CCU must be updated.`,
    "Rotate secret",
  );
  if (!ok) return;
  await attempt(async () => {
    const m = await api("POST", `/ccus/${encodeURIComponent(id)}/rotate-secret`);
    await showSecret(`New secret of CCU ${id}`, "Shown only now: store it on the CCU.", credentialRows(m));
  });
}

async function remove(id) {
  const n = state.outlets.filter((o) => o.ccu_id === id).length;
  const ok = await confirmAction("Remove this CCU?", `CCU ${id}, its ${n} outlet${n === 1 ? "" : "s"} and their history are deleted.`, "Remove CCU");
  if (!ok) return;
  await attempt(async () => {
    await api("DELETE", `/ccus/${encodeURIComponent(id)}`);
    await loadAll();
    toast(`CCU ${id} removed`, "ok");
  });
}

/** Handles the CCU cards' buttons and the add form inside `root`. */
export function wireCcus(root) {
  root.addEventListener("click", (e) => {
    const t = e.target.closest("[data-rotate], [data-del-ccu], [data-legacy-rebind], [data-legacy-reset]");
    if (!t) return;
    if (t.dataset.rotate) rotate(t.dataset.rotate);
    else if (t.dataset.legacyRebind) setBinding(t.dataset.legacyRebind, t.dataset.addr);
    else if (t.dataset.legacyReset) setBinding(t.dataset.legacyReset, null);
    else remove(t.dataset.delCcu);
  });
  root.addEventListener("submit", (e) => {
    const f = e.target.closest("#add-ccu");
    if (!f) return;
    e.preventDefault();
    const v = Object.fromEntries(new FormData(f));
    const msg = f.querySelector(".form-msg");
    busy(f, async () => {
      try {
        const r = await api("POST", "/ccus", { id: v.id.trim(), name: v.name.trim() || null, location: v.location.trim() || null, transport: v.transport });
        setText(msg, "");
        f.reset();
        state.ccus.push(r.ccu);
        emit("ccus", r.ccu.id);
        await showSecret(`CCU ${r.ccu.id} added`, "Its MQTT password is shown only now: store it on the CCU.", credentialRows(r.mqtt));
      } catch (err) {
        setText(msg, err.message);
      }
    });
  });
}

/** The "add a CCU" form. */
export const addCcuForm = () => `<form id="add-ccu" class="card add-form" aria-labelledby="add-ccu-title">
  <h3 id="add-ccu-title">Add a CCU</h3>
  <label>CCU id <input name="id" required maxlength="32" placeholder="e.g. 02" autocomplete="off"></label>
  <label>Name <input name="name" maxlength="100" placeholder="My CCU"></label>
  <label>Location <input name="location" maxlength="100" placeholder="e.g. Garage"></label>
  <label>Transport <select name="transport"><option value="auto">auto (first contact decides)</option><option value="mqtt">MQTT</option><option value="http">legacy HTTP</option></select></label>
  <button type="submit">Add CCU</button>
  <p class="form-msg error-text" role="alert"></p>
</form>`;
