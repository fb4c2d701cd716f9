// The REST client: JSON in and out of /api/v1, the CSRF header on state-changing requests,
// errors as ApiError with the server's {code, message}, and a session-ended signal on 401.

let csrf = "";

/** Remembers the CSRF token of the current session (from login or /auth/me). */
export function setCsrf(token) {
  csrf = token || "";
}

/** A failed request: `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Paths whose 401 means "wrong credentials", not "session ended". */
const PUBLIC = new Set(["/auth/login", "/auth/register", "/auth/me"]);

/** Calls the API; resolves with the parsed body (null when empty). */
export async function api(method, path, body) {
  const opt = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (method !== "GET") opt.headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) {
    opt.headers["Content-Type"] = "application/json";
    opt.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(`/api/v1${path}`, opt);
  } catch {
    throw new ApiError(0, "network", "Cannot reach the server. Check your connection and try again.");
  }
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!r.ok) {
    if (r.status === 401 && !PUBLIC.has(path)) {
      window.dispatchEvent(new CustomEvent("so:unauthorized"));
    }
    const message = data?.message || `${r.status} ${r.statusText}`;
    throw new ApiError(r.status, data?.code || "http", message.charAt(0).toUpperCase() + message.slice(1));
  }
  return data;
}

/** `?a=1&b=2` from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}
