// Entry point of the dashboard: the session (log in, log out, session ended), the hash router
// (#/, #/outlet/<id>, #/events?…, #/settings), and the header: navigation, the alert bell and
// the live connection's "reconnecting" state.

import { api, setCsrf } from "./api.js";
import { updateBell } from "./alerts.js";
import { retryNow, startLive, stopLive } from "./live.js";
import { clear, loadAll, on, state } from "./state.js";
import { $, $$, attempt, setAttrs, setText, tickAgo } from "./ui.js";
import * as dashboard from "./view-dashboard.js";
import * as events from "./view-events.js";
import * as login from "./view-login.js";
import * as outlet from "./view-outlet.js";
import * as settings from "./view-settings.js";

const ROUTES = [
  { name: "dashboard", pattern: /^\/?$/, view: dashboard, title: "Dashboard" },
  { name: "outlet", pattern: /^\/outlet\/(?<id>\d+)$/, view: outlet, title: "Outlet" },
  { name: "events", pattern: /^\/events$/, view: events, title: "Event log" },
  { name: "settings", pattern: /^\/settings$/, view: settings, title: "Settings" },
];

const main = $("#main");
let current = { name: "", unmount: () => {} };

function parseHash() {
  const raw = location.hash.replace(/^#/, "");
  const [path, q = ""] = raw.split("?");
  return { path: path || "/", params: Object.fromEntries(new URLSearchParams(q)) };
}

function mountView(name, view, ctx) {
  try {
    current.unmount();
  } catch (e) {
    console.error(e);
  }
  main.replaceChildren();
  current = { name, unmount: view.mount(main, ctx) || (() => {}) };
  document.body.dataset.view = name;
}

function route({ focus = true } = {}) {
  if (!state.user) return;
  const { path, params } = parseHash();
  const r = ROUTES.find((x) => x.pattern.test(path)) || ROUTES[0];
  const match = path.match(r.pattern);
  mountView(r.name, r.view, { params: { ...params, ...(match?.groups || {}) }, onLogout: logout, onEnded: showLogin });
  document.title = `${r.title} · Smart Outlet`;
  for (const a of $$("[data-nav]")) setAttrs(a, { "aria-current": a.dataset.nav === r.name ? "page" : null });
  if (focus && r.name !== "events") {
    const h = main.querySelector("h1, h2");
    if (h) {
      h.tabIndex = -1;
      h.focus({ preventScroll: true });
    }
    window.scrollTo(0, 0);
  }
}

function showLogin(message = "") {
  stopLive();
  clear();
  setCsrf("");
  $("#nav").hidden = true;
  document.title = "Log in · Smart Outlet";
  mountView("login", login, { message, onLogin: (s) => startSession(s) });
}

async function startSession(s) {
  setCsrf(s.csrf_token);
  state.user = s.user;
  state.expiresAt = s.expires_at;
  await loadAll();
  setText($("#who"), s.user.username);
  $("#nav").hidden = false;
  startLive();
  route({ focus: false });
}

async function logout() {
  await attempt(async () => {
    await api("POST", "/auth/logout");
    showLogin("You are logged out.");
  });
}

function showConn() {
  const box = $("#conn");
  box.dataset.state = state.conn;
  document.body.dataset.conn = state.conn;
  if (state.conn === "reconnecting") {
    box.hidden = false;
    if (!box.querySelector("button")) {
      box.innerHTML = `<span class="conn-dot" aria-hidden="true"></span><span>Reconnecting… showing the last known values</span> <button type="button" class="small ghost">Retry now</button>`;
      box.querySelector("button").addEventListener("click", retryNow);
    }
  } else {
    box.hidden = true;
    box.replaceChildren();
  }
}

on((topic) => {
  if (topic === "alerts" || topic === "reset") updateBell();
  if (topic === "conn") showConn();
});

$("#logout").addEventListener("click", logout);
$("#bell").addEventListener("click", () => {
  if (current.name !== "dashboard") {
    // Runs after the router's listener has shown the dashboard.
    window.addEventListener("hashchange", () => dashboard.focusAlerts(), { once: true });
    location.hash = "#/";
  } else dashboard.focusAlerts();
});
window.addEventListener("hashchange", () => route());
window.addEventListener("so:unauthorized", () => {
  if (state.user) showLogin("Your session ended. Please log in again.");
});
setInterval(tickAgo, 5000);

(async function boot() {
  try {
    const s = await api("GET", "/auth/me");
    await startSession(s);
  } catch (e) {
    if (e.status === 401 || e.status === 403) showLogin();
    else {
      main.innerHTML = `<div class="card"><p class="error-text" role="alert"></p><button type="button">Try again</button></div>`;
      setText(main.querySelector("p"), `The dashboard could not start: ${e.message}`);
      main.querySelector("button").addEventListener("click", () => location.reload());
    }
  }
})();
