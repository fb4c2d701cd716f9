// DOM helpers shared by every view: escaping, elements from templates, keyed list updates,
// formatting of currents and times, toasts and the modal dialog.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** Escapes text for HTML. */
export const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ESC[c]);

/** One element from an HTML string (values must already be escaped). */
export function el(markup) {
  const t = document.createElement("template");
  t.innerHTML = markup.trim();
  return t.content.firstElementChild;
}

/** Sets an element's text only when it changed (keeps selections and screen readers calm). */
export function setText(node, text) {
  if (node && node.textContent !== text) node.textContent = text;
}

/** Sets or removes attributes (`null`/`undefined`/`false` removes). */
export function setAttrs(node, attrs) {
  if (!node) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) node.removeAttribute(k);
    else if (node.getAttribute(k) !== String(v)) node.setAttribute(k, String(v));
  }
}

/**
 * Makes `container`'s children match `items`, by key: existing elements are kept (so focus,
 * open details and typed input survive live updates) and only updated.
 */
export function reconcile(container, items, key, create, update) {
  const existing = new Map();
  for (const child of [...container.children]) {
    if (child.dataset.key !== undefined) existing.set(child.dataset.key, child);
  }
  let prev = null;
  for (const item of items) {
    const k = String(key(item));
    let node = existing.get(k);
    if (node) existing.delete(k);
    else {
      node = create(item);
      node.dataset.key = k;
    }
    update(node, item);
    const want = prev ? prev.nextElementSibling : container.firstElementChild;
    if (want !== node) container.insertBefore(node, want);
    prev = node;
  }
  for (const stale of existing.values()) stale.remove();
}

export const OVERLOAD_MA = 65535;

/** mA as amperes: `1.25 A`; the overload marker as `OVERLOAD`; unknown as `—`. */
export function amps(ma, digits = 2) {
  if (ma === null || ma === undefined) return "—";
  if (ma === OVERLOAD_MA) return "OVERLOAD";
  return `${(ma / 1000).toFixed(digits)} A`;
}

/** Relative time: `12 s ago`, `5 min ago`, then the date. */
export function ago(ms) {
  if (!ms) return "never";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return dateTime(ms);
}

/** `1 reading`, `2 readings`. */
export const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Local date and time. */
export const dateTime = (ms) => (ms ? new Date(ms).toLocaleString() : "—");

/** A `<time>` that the ticker keeps saying "… ago". */
export const agoHtml = (ms) =>
  `<time data-ago="${ms || 0}" datetime="${ms ? new Date(ms).toISOString() : ""}" title="${esc(dateTime(ms))}">${esc(ago(ms))}</time>`;

/** Refreshes every "… ago" on the page. */
export function tickAgo() {
  for (const t of $$("[data-ago]")) {
    const ms = Number(t.dataset.ago);
    setText(t, ago(ms));
    setAttrs(t, { title: dateTime(ms), datetime: ms ? new Date(ms).toISOString() : "" });
  }
}

/** Updates a `<time data-ago>` to another instant. */
export function setAgo(node, ms) {
  if (!node) return;
  node.dataset.ago = String(ms || 0);
  setText(node, ago(ms));
  setAttrs(node, { title: dateTime(ms), datetime: ms ? new Date(ms).toISOString() : "" });
}

/** A short message in the corner; `kind` is `info`, `ok` or `error`. */
export function toast(text, kind = "info") {
  const box = $("#toasts");
  const t = el(`<div class="toast ${esc(kind)}">${esc(text)}</div>`);
  box.append(t);
  setTimeout(() => t.remove(), kind === "error" ? 8000 : 4000);
}

/**
 * The modal dialog. `body` is HTML (escape it); resolves true when OK was chosen.
 * `cancel: null` hides the cancel button (an information dialog).
 */
export function dialog({ title, body, ok = "OK", cancel = "Cancel", danger = false, focus = "cancel" }) {
  const d = $("#dialog");
  if (d.open) d.close("cancel");
  setText($("#dialog-title"), title);
  $("#dialog-body").innerHTML = body;
  const okBtn = $('[data-dialog="ok"]', d);
  const cancelBtn = $('[data-dialog="cancel"]', d);
  setText(okBtn, ok);
  okBtn.classList.toggle("danger", danger);
  cancelBtn.hidden = cancel === null;
  setText(cancelBtn, cancel || "");
  const opener = document.activeElement;
  return new Promise((resolve) => {
    d.returnValue = "";
    d.addEventListener(
      "close",
      () => {
        resolve(d.returnValue === "ok");
        if (opener && opener.isConnected) opener.focus();
      },
      { once: true },
    );
    d.showModal();
    (focus === "ok" || cancel === null ? okBtn : cancelBtn).focus();
  });
}

/** Asks before something destructive. */
export const confirmAction = (title, body, ok) =>
  dialog({ title, body: `<p>${esc(body)}</p>`, ok, danger: true });

/** Shows a secret once, with a copy button. `rows` are `[label, value, key]`. */
export function showSecret(title, note, rows) {
  const body = `<p class="warn-text">${esc(note)}</p><dl class="secret">${rows
    .map(
      ([label, value, key]) =>
        `<dt>${esc(label)}</dt><dd><code data-secret="${esc(key)}">${esc(value)}</code>${
          key === "password" || key === "token"
            ? ` <button type="button" class="ghost small" data-copy="${esc(value)}">Copy</button>`
            : ""
        }</dd>`,
    )
    .join("")}</dl>`;
  return dialog({ title, body, ok: "I have stored it", cancel: null });
}

document.addEventListener("click", async (e) => {
  const b = e.target.closest("[data-copy]");
  if (!b) return;
  e.preventDefault();
  try {
    await navigator.clipboard.writeText(b.dataset.copy);
    setText(b, "Copied");
  } catch {
    const code = b.previousElementSibling;
    if (code) getSelection().selectAllChildren(code);
    setText(b, "Selected: press Ctrl+C");
  }
});

/** Runs an action, showing its error as a toast; returns its value or undefined. */
export async function attempt(fn) {
  try {
    return await fn();
  } catch (e) {
    toast(e.message || String(e), "error");
    return undefined;
  }
}

/** Disables a form's controls while `fn` runs. */
export async function busy(form, fn) {
  const controls = $$("button, input, select", form);
  const was = controls.map((c) => c.disabled);
  const focused = document.activeElement;
  controls.forEach((c) => (c.disabled = true));
  form.setAttribute("aria-busy", "true");
  try {
    return await fn();
  } finally {
    controls.forEach((c, i) => (c.disabled = was[i]));
    form.removeAttribute("aria-busy");
    if (focused && focused.isConnected && document.activeElement === document.body) focused.focus();
  }
}
