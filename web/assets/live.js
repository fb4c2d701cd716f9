// The live stream: one WebSocket to /ws, reconnected with exponential back-off (and jitter)
// while the user is logged in. On every (re)connect the state is reloaded over REST, so
// nothing missed while offline stays wrong; the last known values stay on screen meanwhile.

import { api } from "./api.js";
import { applyEvent, emit, loadAll, state } from "./state.js";

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

let ws = null;
let timer = null;
let delay = FIRST_DELAY_MS;
let wanted = false;
let everOpen = false;

function setConn(conn, detail) {
  state.conn = conn;
  emit("conn", detail);
}

/** Opens the stream (idempotent). */
export function startLive() {
  wanted = true;
  if (!ws) connect();
}

/** Closes the stream and stops reconnecting (log out). */
export function stopLive() {
  wanted = false;
  clearTimeout(timer);
  timer = null;
  if (ws) {
    ws.onclose = null;
    ws.close();
    ws = null;
  }
  everOpen = false;
  setConn("idle");
}

function connect() {
  clearTimeout(timer);
  timer = null;
  setConn(everOpen ? "reconnecting" : "connecting");
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${proto}://${location.host}/ws`);
  ws = socket;
  socket.onopen = () => {
    delay = FIRST_DELAY_MS;
    const again = everOpen;
    everOpen = true;
    setConn("live");
    // Catch up on what happened while we were away (the first load is the caller's).
    if (again) loadAll().catch(() => {});
  };
  socket.onmessage = (m) => {
    let ev;
    try {
      ev = JSON.parse(m.data);
    } catch {
      return;
    }
    applyEvent(ev);
  };
  socket.onclose = () => {
    if (ws !== socket) return;
    ws = null;
    if (!wanted) return;
    everOpen = true;
    const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
    setConn("reconnecting", { retryAt: Date.now() + wait });
    timer = setTimeout(retry, wait);
  };
}

async function retry() {
  if (!wanted) return;
  // A closed socket may mean the session ended: ask before hammering the server.
  try {
    await api("GET", "/auth/me");
  } catch (e) {
    if (e.status === 401) {
      window.dispatchEvent(new CustomEvent("so:unauthorized"));
      return;
    }
  }
  if (wanted && !ws) connect();
}

/** Reconnects now (the "retry now" button). */
export function retryNow() {
  if (wanted && !ws) {
    delay = FIRST_DELAY_MS;
    retry();
  }
}
