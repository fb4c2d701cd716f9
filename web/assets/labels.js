// Words people read for the API's names: alert kinds, event kinds and sources, commands.

const ALERT = {
  overload: "Overload",
  outlet_threshold: "Outlet above threshold",
  breaker_threshold: "Main breaker above threshold",
  ccu_offline: "CCU offline",
  outlet_offline: "Outlet offline",
};

/** Event kinds, in the order the filter offers them. */
export const EVENT_KINDS = {
  alert_raised: "Alert raised",
  alert_cleared: "Alert cleared",
  alert_acknowledged: "Alert acknowledged",
  command: "Command",
  relay_changed: "Relay changed",
  ccu_online: "CCU online",
  ccu_offline: "CCU offline",
  config: "Configuration",
  readings_dropped: "Readings lost on the CCU",
  auto_cutoff: "Automatic cut-off",
};

/** Event sources. */
export const SOURCES = { device: "Device", server: "Server", web: "Web / API", cli: "Command line" };

const words = (s) => String(s || "").replace(/_/g, " ");

export const alertKindLabel = (kind) => ALERT[kind] || words(kind);
export const eventKindLabel = (kind) => EVENT_KINDS[kind] || words(kind);
export const sourceLabel = (source) => SOURCES[source] || words(source);

/** `relay_on` on socket `a` → "Socket A on". */
export function commandLabel(c) {
  const socket = c.socket ? `Socket ${c.socket.toUpperCase()} ` : "";
  switch (c.command) {
    case "relay_on":
      return `${socket}on`;
    case "relay_off":
      return `${socket}off`;
    case "set_threshold":
      return `Threshold ${c.value ?? ""} mA`;
    case "read_sensors":
      return "Read sensors";
    case "ping":
      return "Ping";
    default:
      return words(c.command);
  }
}
