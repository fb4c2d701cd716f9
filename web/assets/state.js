// What the dashboard knows: the user's CCUs, outlets and active alerts (loaded over REST),
// kept current by live events; relay commands followed to the device's acknowledgement; the
// main breakers' recent load. Views subscribe with `on` and update only what changed.

import { api } from "./api.js";
import { toast } from "./ui.js";

export const state = {
  /** The logged-in user, or null. */
  user: null,
  /** When the session ends (unix ms). */
  expiresAt: 0,
  /** `GET /server`: version and MQTT broker. */
  server: null,
  ccus: [],
  outlets: [],
  /** Active alerts, newest first. */
  alerts: [],
  /** Relay commands by `outletId:socket`: `{id, want, status, phase, detail}`. */
  cmds: {},
  /** Latest state of every command seen live, by id (an ack may beat the POST's answer). */
  seen: new Map(),
  /** Main-breaker load per CCU for the live chart: `{ts: [s], ma: [mA], loaded}`. */
  breaker: {},
  /** Live connection: `idle`, `connecting`, `live`, `reconnecting`. */
  conn: "idle",
};

/** How much breaker history the live chart keeps. */
export const BREAKER_WINDOW_S = 10 * 60;

const subscribers = new Set();

/**
 * Subscribes to changes: `fn(topic, detail)` with topic `reset`, `ccus`, `outlets` (detail:
 * outlet id), `alerts`, `cmd` (detail: `outletId:socket`), `command` (detail: the command),
 * `breaker` (detail: CCU id), `conn`, `live` (detail: the raw event). Returns the unsubscribe.
 */
export function on(fn) {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}

export function emit(topic, detail) {
  for (const fn of [...subscribers]) {
    try {
      fn(topic, detail);
    } catch (e) {
      console.error(e);
    }
  }
}

export const outletById = (id) => state.outlets.find((o) => o.id === id);
export const ccuById = (id) => state.ccus.find((c) => c.id === id);

/** Active alerts nobody acknowledged yet (the bell's count). */
export const unacknowledged = () => state.alerts.filter((a) => !a.acknowledged_at);

/** Loads everything again (start, reconnect, or the live stream skipped messages). */
export async function loadAll() {
  const [ccus, outlets, alerts] = await Promise.all([
    api("GET", "/ccus"),
    api("GET", "/outlets"),
    api("GET", "/alerts?active=true"),
  ]);
  state.ccus = ccus;
  state.outlets = outlets;
  state.alerts = alerts;
  if (!state.server) state.server = await api("GET", "/server").catch(() => null);
  emit("reset");
  for (const c of Object.values(state.cmds)) {
    if (c.phase === "pending") {
      api("GET", `/commands/${c.id}`)
        .then((cmd) => commandUpdate(cmd))
        .catch(() => {});
    }
  }
}

/** Forgets everything (log out). */
export function clear() {
  Object.assign(state, { user: null, expiresAt: 0, ccus: [], outlets: [], alerts: [], cmds: {}, breaker: {} });
  state.seen.clear();
}

const PHASE = { queued: "pending", sent: "pending", ok: "confirmed", failed: "failed", timed_out: "failed", expired: "failed" };

/** Follows a relay command just sent (`want`: the relay state asked for). */
export function track(key, cmd, want) {
  const latest = state.seen.get(cmd.id) || cmd;
  state.cmds[key] = { id: cmd.id, want, status: latest.status, phase: PHASE[latest.status], detail: latest.detail };
  settle(key);
}

/** Marks a relay command as failed before it was even accepted. */
export function trackFailure(key, want, detail) {
  state.cmds[key] = { id: null, want, status: "failed", phase: "failed", detail };
  emit("cmd", key);
}

function settle(key) {
  const c = state.cmds[key];
  if (!c) return;
  if (c.phase === "confirmed") {
    setTimeout(() => {
      if (state.cmds[key] === c) {
        delete state.cmds[key];
        emit("cmd", key);
      }
    }, 4000);
  } else if (c.phase === "failed") {
    toast(`Switching ${c.want ? "on" : "off"} failed: ${c.status.replace("_", " ")}${c.detail ? ` (${c.detail})` : ""}`, "error");
  }
  emit("cmd", key);
}

function commandUpdate(cmd) {
  state.seen.set(cmd.id, cmd);
  if (state.seen.size > 500) state.seen.delete(state.seen.keys().next().value);
  if (cmd.socket) {
    const key = `${cmd.outlet_id}:${cmd.socket}`;
    const c = state.cmds[key];
    if (c && c.id === cmd.id && c.status !== cmd.status) {
      c.status = cmd.status;
      c.detail = cmd.detail;
      const phase = PHASE[cmd.status];
      // A late ok after a time-out still counts: the relay did switch.
      if (phase !== c.phase) {
        c.phase = phase;
        settle(key);
      }
    }
  }
  emit("command", cmd);
}

function pushBreaker(ccuId, tsMs, ma) {
  const s = (state.breaker[ccuId] ||= { ts: [], ma: [], loaded: false });
  const t = tsMs / 1000;
  if (s.ts.length && t <= s.ts[s.ts.length - 1]) return;
  s.ts.push(t);
  s.ma.push(ma);
  const cutoff = t - BREAKER_WINDOW_S;
  let drop = 0;
  while (drop < s.ts.length && s.ts[drop] < cutoff) drop++;
  if (drop) {
    s.ts.splice(0, drop);
    s.ma.splice(0, drop);
  }
}

/** Puts older breaker points (from the history API) in front of the live ones. */
export function prependBreaker(ccuId, points) {
  const s = (state.breaker[ccuId] ||= { ts: [], ma: [], loaded: false });
  const first = s.ts.length ? s.ts[0] : Infinity;
  const older = points.filter(([t]) => t < first);
  s.ts.unshift(...older.map(([t]) => t));
  s.ma.unshift(...older.map(([, v]) => v));
  s.loaded = true;
}

/** Applies one live event from `/ws`. */
export function applyEvent(ev) {
  const o = ev.outlet_id != null ? outletById(ev.outlet_id) : null;
  switch (ev.type) {
    case "reading":
      if (o) {
        Object.assign(o, {
          current_a: ev.current_a,
          current_b: ev.current_b,
          is_overload: ev.is_overload,
          online: true,
          last_seen: ev.ts,
        });
        if (ev.relay_a !== null && ev.relay_a !== undefined) o.relay_a = ev.relay_a;
        if (ev.relay_b !== null && ev.relay_b !== undefined) o.relay_b = ev.relay_b;
        emit("outlets", o.id);
      }
      break;
    case "relay":
      if (o) {
        o[`relay_${ev.socket}`] = ev.on;
        emit("outlets", o.id);
      }
      break;
    case "breaker": {
      const c = ccuById(ev.ccu_id);
      if (c) {
        Object.assign(c, { breaker_ma: ev.current_ma, breaker_threshold_ma: ev.threshold_ma, breaker_at: ev.ts });
        pushBreaker(c.id, ev.ts, ev.current_ma);
        emit("breaker", c.id);
      }
      break;
    }
    case "presence":
      if (ev.outlet_id == null) {
        const c = ccuById(ev.ccu_id);
        if (c) {
          Object.assign(c, { online: ev.online, last_seen: ev.ts });
          emit("ccus", c.id);
          // Its firmware and transport may have changed with this login.
          if (ev.online) {
            api("GET", `/ccus/${encodeURIComponent(c.id)}`)
              .then((fresh) => {
                Object.assign(c, fresh);
                emit("ccus", c.id);
              })
              .catch(() => {});
          }
        }
      } else if (o) {
        o.online = ev.online;
        emit("outlets", o.id);
      }
      break;
    case "alert": {
      const a = { ...ev.alert, active: ev.alert.cleared_at == null };
      const known = state.alerts.some((x) => x.id === a.id);
      state.alerts = state.alerts.filter((x) => x.id !== a.id);
      if (a.active) {
        state.alerts.unshift(a);
        state.alerts.sort((x, y) => y.raised_at - x.raised_at);
        if (!known && !a.acknowledged_at) toast(`Alert: ${a.message}`, "error");
      }
      emit("alerts");
      break;
    }
    case "command":
      commandUpdate(ev.command);
      break;
    case "lagged":
      loadAll().catch(() => {});
      break;
    default:
      break;
  }
  emit("live", ev);
}
