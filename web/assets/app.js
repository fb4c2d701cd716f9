// Smart Outlet dashboard: plain JS over the public REST (/api/v1) and WebSocket (/ws) API.
"use strict";
const S = { csrf: "", user: null, ccus: [], outlets: [], alerts: [], pending: {}, failed: {}, ws: null, backoff: 500, page: 1 };
const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const ma = (v) => (v === null || v === undefined ? "—" : v === 65535 ? "OVERLOAD" : `${v} mA`);
const ago = (ms) => { if (!ms) return "never"; const s = Math.round((Date.now() - ms) / 1000); return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : new Date(ms).toLocaleString(); };

function toast(text) { const t = $("#toast"); t.textContent = text; t.hidden = false; clearTimeout(t._h); t._h = setTimeout(() => (t.hidden = true), 3500); }

async function api(method, path, body) {
  const opt = { method, headers: { "X-CSRF-Token": S.csrf }, credentials: "same-origin" };
  if (body !== undefined) { opt.headers["Content-Type"] = "application/json"; opt.body = JSON.stringify(body); }
  const r = await fetch(`/api/v1${path}`, opt);
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (r.status === 401 && path !== "/auth/login") { showLogin(); }
  if (!r.ok) { const e = new Error(data?.message || r.statusText); e.code = data?.code; e.status = r.status; throw e; }
  return data;
}

function show(view) {
  for (const v of ["login", "home", "events", "settings"]) $(`#${v}-view`).hidden = v !== view;
  $("#nav").hidden = view === "login";
}

function showLogin(msg) { S.user = null; if (S.ws) { S.ws.onclose = null; S.ws.close(); S.ws = null; } show("login"); $("#login-msg").textContent = msg || ""; }

async function login(register) {
  const f = new FormData($("#login-form"));
  const creds = { username: f.get("username"), password: f.get("password") };
  try {
    if (register) await api("POST", "/auth/register", creds);
    const s = await api("POST", "/auth/login", creds);
    S.csrf = s.csrf_token; S.user = s.user;
    await start();
  } catch (e) { $("#login-msg").textContent = e.message; }
}

async function start() {
  $("#who").textContent = S.user.username;
  await refresh();
  connect();
  route();
}

async function refresh() {
  [S.ccus, S.outlets, S.alerts] = await Promise.all([api("GET", "/ccus"), api("GET", "/outlets"), api("GET", "/alerts?active=true")]);
  render();
}

function render() { renderAlerts(); renderBreakers(); renderCcus(); renderOutlets(); }

function renderAlerts() {
  $("#bell-count").textContent = S.alerts.length;
  $("#alerts").innerHTML = S.alerts.map((a) => `<div class="card" data-alert="${a.id}"><span><b>${esc(a.kind.replace("_", " "))}</b> ${esc(a.message)} <span class="muted">${ago(a.raised_at)}</span></span>${a.acknowledged_at ? '<span class="muted">acknowledged</span>' : `<button class="ghost" data-ack="${a.id}">Acknowledge</button>`}</div>`).join("");
}

function renderBreakers() {
  $("#breakers").innerHTML = S.ccus.map((c) => {
    const pct = c.breaker_threshold_ma ? Math.min(100, Math.round(((c.breaker_ma || 0) * 100) / c.breaker_threshold_ma)) : 0;
    const cls = pct >= 100 ? "bad" : pct >= 80 ? "warn" : "";
    return `<div class="card" data-breaker="${esc(c.id)}"><h3>${esc(c.name)} <span class="muted">${esc(c.id)}</span></h3>
      <div class="load">${c.breaker_ma == null ? "—" : (c.breaker_ma / 1000).toFixed(2) + " A"}</div>
      <div class="bar ${cls}" title="${pct}% of threshold"><div style="width:${pct}%"></div></div>
      <div class="muted">${pct}% of ${(c.breaker_threshold_ma / 1000).toFixed(1)} A threshold</div>
      <form class="row" data-breaker-threshold="${esc(c.id)}"><input name="ma" type="number" min="1" placeholder="threshold mA" aria-label="Breaker threshold (mA)"><button>Set</button></form></div>`;
  }).join("") || '<p class="muted">No CCU yet: add one below.</p>';
}

function renderCcus() {
  $("#ccus").innerHTML = S.ccus.map((c) => `<div class="card" data-ccu="${esc(c.id)}">
      <h3>${esc(c.name)} <span class="badge ${c.online ? "online" : "offline"}">${c.online ? "online" : "offline"}</span></h3>
      <div class="muted">id ${esc(c.id)} · ${esc(c.transport)} · last seen ${ago(c.last_seen)}${c.firmware ? " · fw " + esc(c.firmware) : ""}</div>
      <div class="muted">MQTT: username and client id <code>${esc(c.id)}</code>, host ${location.hostname}</div>
      <div class="row"><button class="ghost" data-rotate="${esc(c.id)}">Rotate secret</button><button class="ghost" data-del-ccu="${esc(c.id)}">Remove</button></div></div>`).join("");
  $("#add-outlet select").innerHTML = S.ccus.map((c) => `<option value="${esc(c.id)}">${esc(c.name)} (${esc(c.id)})</option>`).join("");
}

function toggleState(o, s) {
  const key = `${o.id}:${s}`;
  const on = o[`relay_${s}`];
  return { state: on === true ? "on" : on === false ? "off" : "unknown", pending: !!S.pending[key], failed: !!S.failed[key] };
}

function renderOutlets() {
  $("#outlets").innerHTML = S.outlets.map((o) => {
    const sock = (s) => { const t = toggleState(o, s); const cur = o[`current_${s}`];
      return `<div class="socket"><div class="muted">Socket ${s.toUpperCase()}</div><div class="amps ${cur === 65535 ? "overload" : ""}">${ma(cur)}</div>
        <button class="toggle" data-toggle="${o.id}:${s}" data-state="${t.state}" data-pending="${t.pending}" data-failed="${t.failed}" aria-pressed="${t.state === "on"}">${t.pending ? "pending…" : t.failed ? "failed" : t.state === "on" ? "ON" : t.state === "off" ? "OFF" : "unknown"}</button></div>`; };
    const total = [o.current_a, o.current_b].filter((v) => v != null && v !== 65535).reduce((a, b) => a + b, 0);
    return `<div class="card" data-outlet="${o.id}"><h3>${esc(o.name)} <span class="muted">0x${esc(o.device_id)}</span>
        ${o.is_overload ? '<span class="badge overload">OVERLOAD</span>' : ""} <span class="badge ${o.online ? "online" : "offline"}">${o.online ? "online" : "offline"}</span></h3>
      <div class="muted">${esc(o.location || "")} CCU ${esc(o.ccu_id)} · total ${total} mA · threshold ${o.threshold_ma ? o.threshold_ma + " mA" : "none"}</div>
      <div class="sockets">${sock("a")}${sock("b")}</div>
      <form class="row" data-threshold="${o.id}"><input name="ma" type="number" min="0" max="65534" placeholder="threshold mA" aria-label="Outlet threshold (mA)"><button>Set</button></form>
      <div class="row"><button class="danger" data-cut="${o.id}">Cut</button><button class="ghost" data-del-outlet="${o.id}">Remove</button></div></div>`;
  }).join("") || '<p class="muted">No outlet yet.</p>';
}

function onEvent(ev) {
  const o = ev.outlet_id != null ? S.outlets.find((x) => x.id === ev.outlet_id) : null;
  switch (ev.type) {
    case "reading": if (o) Object.assign(o, { current_a: ev.current_a, current_b: ev.current_b, is_overload: ev.is_overload, relay_a: ev.relay_a ?? o.relay_a, relay_b: ev.relay_b ?? o.relay_b, online: true, last_seen: ev.ts }); break;
    case "relay": if (o) { o[`relay_${ev.socket}`] = ev.on; delete S.pending[`${o.id}:${ev.socket}`]; delete S.failed[`${o.id}:${ev.socket}`]; } break;
    case "breaker": { const c = S.ccus.find((x) => x.id === ev.ccu_id); if (c) Object.assign(c, { breaker_ma: ev.current_ma, breaker_threshold_ma: ev.threshold_ma, breaker_at: ev.ts }); break; }
    case "presence": { if (ev.outlet_id == null) { const c = S.ccus.find((x) => x.id === ev.ccu_id); if (c) Object.assign(c, { online: ev.online, last_seen: ev.ts }); } else if (o) o.online = ev.online; break; }
    case "alert": { const a = ev.alert; S.alerts = S.alerts.filter((x) => x.id !== a.id); if (a.cleared_at == null) S.alerts.unshift({ ...a, kind: a.kind }); if (a.cleared_at == null && !a.acknowledged_at) toast(`Alert: ${a.message}`); break; }
    case "command": {
      const c = ev.command; const key = `${c.outlet_id}:${c.socket}`;
      if (!c.socket || !S.pending[key] || S.pending[key] !== c.id) break;
      if (c.status === "ok") { delete S.pending[key]; }
      else if (["failed", "timed_out", "expired"].includes(c.status)) { delete S.pending[key]; S.failed[key] = true; toast(`Command ${c.command} ${c.status.replace("_", " ")}${c.detail ? ": " + c.detail : ""}`); }
      break;
    }
    case "lagged": refresh(); return;
    default: return;
  }
  render();
}

function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  S.ws = ws;
  ws.onopen = () => { $("#conn").hidden = true; S.backoff = 500; refresh().catch(() => {}); };
  ws.onmessage = (m) => { try { onEvent(JSON.parse(m.data)); } catch (e) { console.error(e); } };
  ws.onclose = () => {
    if (!S.user) return;
    $("#conn").hidden = false;
    setTimeout(connect, S.backoff);
    S.backoff = Math.min(S.backoff * 2, 15000);
  };
}

async function loadEvents() {
  const f = new FormData($("#event-filter"));
  const q = new URLSearchParams({ page: S.page, per_page: 25 });
  for (const k of ["kind", "source", "device_id"]) if (f.get(k)) q.set(k, f.get(k));
  const p = await api("GET", `/events?${q}`);
  $("#events tbody").innerHTML = p.items.map((e) => `<tr><td>${new Date(e.created_at).toLocaleString()}</td><td>${esc(e.kind)}</td><td>${esc(e.source)}</td><td>${esc(e.device_id || e.ccu_id || "")}</td><td>${esc(e.message)}</td></tr>`).join("") || '<tr><td colspan="5" class="muted">No events match.</td></tr>';
  const pages = Math.max(1, Math.ceil(p.total / p.per_page));
  $("#page").textContent = `page ${p.page} of ${pages} · ${p.total} events`;
  $("#prev").disabled = p.page <= 1; $("#next").disabled = p.page >= pages;
}

async function loadTokens() {
  const t = await api("GET", "/tokens");
  $("#tokens").innerHTML = t.map((x) => `<li class="card">${esc(x.name)} <code>${esc(x.prefix)}…</code> <span class="muted">${x.revoked_at ? "revoked" : "last used " + ago(x.last_used_at)}</span> ${x.revoked_at ? "" : `<button class="ghost" data-revoke="${x.id}">Revoke</button>`}</li>`).join("");
}

function route() {
  if (!S.user) return showLogin();
  const h = location.hash;
  if (h.startsWith("#/events")) { show("events"); loadEvents().catch((e) => toast(e.message)); }
  else if (h.startsWith("#/settings")) { show("settings"); loadTokens().catch((e) => toast(e.message)); }
  else show("home");
}

async function act(fn) { try { await fn(); } catch (e) { toast(e.message); } }

document.addEventListener("click", (e) => {
  const t = e.target.closest("button"); if (!t) return;
  const d = t.dataset;
  if (d.toggle) act(async () => {
    const [id, s] = d.toggle.split(":"); const o = S.outlets.find((x) => x.id === +id);
    const cmd = await api("POST", "/commands", { outlet_id: +id, command: o[`relay_${s}`] === true ? "relay_off" : "relay_on", socket: s });
    S.pending[d.toggle] = cmd.id; delete S.failed[d.toggle]; renderOutlets();
    if (cmd.status === "queued") toast("CCU offline: the command waits for it");
  });
  else if (d.cut) act(async () => { if (confirm("Cut power to this outlet (both sockets off)?")) { await api("POST", `/outlets/${d.cut}/cut`); toast("Cut sent"); } });
  else if (d.delOutlet) act(async () => { if (confirm("Remove this outlet and its history?")) { await api("DELETE", `/outlets/${d.delOutlet}`); await refresh(); } });
  else if (d.delCcu) act(async () => { if (confirm("Remove this CCU, its outlets and history?")) { await api("DELETE", `/ccus/${d.delCcu}`); await refresh(); } });
  else if (d.rotate) act(async () => { if (confirm("Replace this CCU's MQTT secret? The old one stops working.")) { const m = await api("POST", `/ccus/${d.rotate}/rotate-secret`); showSecret(m); } });
  else if (d.ack) act(async () => { await api("POST", `/alerts/${d.ack}/ack`); S.alerts = await api("GET", "/alerts?active=true"); renderAlerts(); });
  else if (d.revoke) act(async () => { await api("DELETE", `/tokens/${d.revoke}`); await loadTokens(); });
});

document.addEventListener("submit", (e) => {
  const f = e.target; e.preventDefault();
  const v = Object.fromEntries(new FormData(f));
  if (f.id === "login-form") return login(false);
  if (f.id === "add-ccu") return act(async () => { const r = await api("POST", "/ccus", { id: v.id, name: v.name || null }); f.reset(); showSecret(r.mqtt); await refresh(); });
  if (f.id === "add-outlet") return act(async () => { await api("POST", "/outlets", { ccu_id: v.ccu_id, device_id: v.device_id, name: v.name, location: v.location || null }); f.reset(); await refresh(); });
  if (f.id === "event-filter") { S.page = 1; return act(loadEvents); }
  if (f.id === "add-token") return act(async () => { const t = await api("POST", "/tokens", { name: v.name }); f.reset(); const box = $("#token-secret"); box.hidden = false; box.innerHTML = `New token (shown once): <code>${esc(t.secret)}</code>`; await loadTokens(); });
  if (f.dataset.threshold) return act(async () => { await api("PUT", `/outlets/${f.dataset.threshold}/threshold`, { threshold_ma: +v.ma }); toast("Threshold set"); await refresh(); });
  if (f.dataset.breakerThreshold) return act(async () => { await api("PUT", `/ccus/${f.dataset.breakerThreshold}/breaker-threshold`, { threshold_ma: +v.ma }); toast("Breaker threshold set"); await refresh(); });
});

function showSecret(m) {
  const box = $("#secret"); box.hidden = false;
  box.innerHTML = `MQTT credentials (shown once): username <code>${esc(m.username)}</code>, client id <code>${esc(m.client_id)}</code>, password <code>${esc(m.password)}</code>, port ${m.port}`;
}

$("#register").addEventListener("click", () => login(true));
$("#logout").addEventListener("click", () => act(async () => { await api("POST", "/auth/logout"); showLogin("Logged out."); }));
$("#bell").addEventListener("click", () => { location.hash = "#/"; $("#alerts").scrollIntoView(); });
$("#cut-all").addEventListener("click", () => act(async () => { if (confirm("DANGER: turn OFF every socket of every outlet?")) { const c = await api("POST", "/cut-all"); toast(`Cut sent to ${c.length} sockets`); } }));
$("#prev").addEventListener("click", () => { S.page--; act(loadEvents); });
$("#next").addEventListener("click", () => { S.page++; act(loadEvents); });
window.addEventListener("hashchange", route);
setInterval(() => { if (S.user && !$("#home-view").hidden) renderCcus(); }, 10000);

(async () => {
  try { const s = await api("GET", "/auth/me"); S.csrf = s.csrf_token; S.user = s.user; await start(); }
  catch { showLogin(); }
})();
