// Settings: API tokens (create, shown once; list; revoke), notification targets (add, test,
// remove) and the account (who, since when,
// session expiry, log out), with the server's version and MQTT broker; security: change
// password, log out everywhere, delete the account (each confirmed).

import { api } from "./api.js";
import { state } from "./state.js";
import { $, agoHtml, attempt, busy, confirmAction, dateTime, esc, setText, showSecret, toast } from "./ui.js";

const TEMPLATE = () => `
<h1 class="page-title">Settings</h1>
<div class="two-col">
  <section class="card section" aria-labelledby="account-title">
    <h2 id="account-title">Account</h2>
    <dl class="kv">
      <dt>Username</dt><dd data-f="username">${esc(state.user?.username)}</dd>
      <dt>Member since</dt><dd>${esc(dateTime(state.user?.created_at))}</dd>
      <dt>This session ends</dt><dd>${esc(dateTime(state.expiresAt))}</dd>
      <dt>Theme</dt><dd>Light or dark, following your system setting</dd>
      <dt>Server</dt><dd>smart-outlet ${esc(state.server?.version || "")}</dd>
      <dt>MQTT broker</dt><dd><code>${esc(state.server?.mqtt_host || location.hostname)}:${esc(state.server?.mqtt_port ?? "")}</code>${
        state.server?.mqtt_v5_port ? ` (MQTT 5 on ${esc(state.server.mqtt_v5_port)})` : ""
      }</dd>
    </dl>
    <button type="button" class="ghost" data-logout>Log out</button>
  </section>
  <section class="card section" aria-labelledby="tokens-title">
    <h2 id="tokens-title">API tokens</h2>
    <p class="muted small">For scripts and integrations: send <code>Authorization: Bearer so_…</code>. See the <a href="/docs">API documentation</a>.</p>
    <form id="add-token" class="inline-form">
      <label>Token name <input name="name" required maxlength="100" placeholder="e.g. home-assistant"></label>
      <button type="submit">Create token</button>
    </form>
    <div class="table-wrap"><table class="table" id="tokens"><thead><tr><th>Name</th><th>Prefix</th><th>Created</th><th>Last used</th><th><span class="visually-hidden">Actions</span></th></tr></thead><tbody></tbody></table></div>
  </section>
  <section class="card section" aria-labelledby="notify-title">
    <h2 id="notify-title">Notifications</h2>
    <p class="muted small">Alerts (raised and cleared) and automatic cut-offs of your devices are sent here.</p>
    <form id="add-target" class="inline-form">
      <label>Kind <select name="kind"><option value="ntfy">ntfy</option><option value="gotify">Gotify</option><option value="slack">Slack</option><option value="discord">Discord</option><option value="webhook">Webhook (JSON)</option></select></label>
      <label>URL <input name="url" type="url" required maxlength="2048" placeholder="https://ntfy.sh/my-topic"></label>
      <button type="submit">Add</button>
    </form>
    <div class="table-wrap"><table class="table" id="targets"><thead><tr><th>Kind</th><th>URL</th><th><span class="visually-hidden">Actions</span></th></tr></thead><tbody></tbody></table></div>
  </section>
  <section class="card section" aria-labelledby="security-title">
    <h2 id="security-title">Security</h2>
    <form id="change-password" class="stack-form">
      <h3>Change password</h3>
      <label>Current password <input name="current" type="password" required autocomplete="current-password"></label>
      <label>New password <input name="new" type="password" required minlength="8" autocomplete="new-password"></label>
      <label>Repeat new password <input name="new2" type="password" required minlength="8" autocomplete="new-password"></label>
      <p class="error-text" role="alert" data-f="password-msg"></p>
      <button type="submit">Change password</button>
      <p class="muted small">Your other sessions end; this one and your API tokens stay.</p>
    </form>
    <h3>Sessions</h3>
    <p class="muted small">Ends every session of this account, this one too. API tokens keep working: revoke them above.</p>
    <button type="button" class="ghost" data-logout-all>Log out everywhere</button>
    <form id="delete-account" class="stack-form">
      <h3>Delete account</h3>
      <p class="muted small">Deletes your CCUs (they are disconnected at once and can no longer log in), outlets, history, commands, events, alerts, sessions and API tokens. This cannot be undone.</p>
      <label>Password <input name="password" type="password" required autocomplete="current-password"></label>
      <button type="submit" class="danger">Delete account…</button>
    </form>
  </section>
</div>`;

/** Shows the settings in `root`; `onLogout` logs out; `onEnded(message)` shows the login after the session ended here. */
export function mount(root, { onLogout, onEnded }) {
  root.innerHTML = TEMPLATE();

  $("#change-password", root).addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target;
    const msg = $('[data-f="password-msg"]', root);
    setText(msg, "");
    if (f.elements.new.value !== f.elements.new2.value) {
      setText(msg, "The two new passwords differ.");
      f.elements.new2.select();
      return;
    }
    busy(f, async () => {
      try {
        await api("POST", "/auth/password", { current_password: f.elements.current.value, new_password: f.elements.new.value });
      } catch (err) {
        setText(msg, err.status === 403 ? "The current password is wrong." : err.message);
        return;
      }
      f.reset();
      toast("Password changed; your other sessions ended", "ok");
    });
  });
  $("#delete-account", root).addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    const ok = await confirmAction(
      "Delete your account?",
      "Your CCUs, outlets and all their data are deleted, and your CCUs are disconnected. This cannot be undone.",
      "Delete account",
    );
    if (!ok) return;
    busy(f, () =>
      attempt(async () => {
        await api("DELETE", "/auth/account", { password: f.elements.password.value });
        onEnded("Your account was deleted.");
      }),
    );
  });

  async function loadTokens() {
    const tokens = await api("GET", "/tokens");
    $("#tokens tbody", root).innerHTML =
      tokens
        .map(
          (t) => `<tr data-token="${t.id}" data-revoked="${!!t.revoked_at}"><td>${esc(t.name)}</td><td><code>${esc(t.prefix)}…</code></td>
          <td>${esc(dateTime(t.created_at))}</td><td>${t.revoked_at ? `revoked ${esc(dateTime(t.revoked_at))}` : agoHtml(t.last_used_at)}</td>
          <td>${t.revoked_at ? "" : `<button type="button" class="ghost danger-text" data-revoke="${t.id}" aria-label="Revoke ${esc(t.name)}">Revoke</button>`}</td></tr>`,
        )
        .join("") || '<tr><td colspan="5" class="muted">No tokens yet.</td></tr>';
  }

  async function loadTargets() {
    const targets = await api("GET", "/notifications/targets");
    $("#targets tbody", root).innerHTML =
      targets
        .map(
          (t) => `<tr data-target="${t.id}"><td>${esc(t.kind)}</td><td class="small"><code>${esc(t.url)}</code></td>
          <td><button type="button" class="ghost small" data-test-target="${t.id}">Test</button> <button type="button" class="ghost small danger-text" data-remove-target="${t.id}">Remove</button></td></tr>`,
        )
        .join("") || '<tr><td colspan="3" class="muted">No targets yet.</td></tr>';
  }

  $("#add-target", root).addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target;
    busy(f, () =>
      attempt(async () => {
        await api("POST", "/notifications/targets", { kind: f.elements.kind.value, url: f.elements.url.value.trim() });
        f.reset();
        await loadTargets();
        toast("Notification target added", "ok");
      }),
    );
  });

  $("#add-token", root).addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target;
    busy(f, () =>
      attempt(async () => {
        const t = await api("POST", "/tokens", { name: f.elements.name.value.trim() });
        f.reset();
        await loadTokens();
        await showSecret(`Token “${t.token.name}” created`, "Shown only now: copy it into your integration.", [["Token", t.secret, "token"]]);
      }),
    );
  });
  root.addEventListener("click", async (e) => {
    const r = e.target.closest("[data-revoke]");
    const test = e.target.closest("[data-test-target]");
    const remove = e.target.closest("[data-remove-target]");
    if (test) {
      await attempt(async () => {
        const d = await api("POST", `/notifications/targets/${test.dataset.testTarget}/test`);
        toast(d.delivered ? "Test notification delivered" : `Not delivered: ${d.error || "no answer"}`, d.delivered ? "ok" : "error");
      });
    } else if (remove) {
      await attempt(async () => {
        await api("DELETE", `/notifications/targets/${remove.dataset.removeTarget}`);
        await loadTargets();
        toast("Notification target removed", "ok");
      });
    } else if (r) {
      const ok = await confirmAction("Revoke this token?", "Anything using it loses access at once.", "Revoke");
      if (ok) {
        await attempt(async () => {
          await api("DELETE", `/tokens/${r.dataset.revoke}`);
          await loadTokens();
          toast("Token revoked", "ok");
        });
      }
    } else if (e.target.closest("[data-logout-all]")) {
      const ok = await confirmAction("Log out everywhere?", "Every session of this account ends, this one too.", "Log out everywhere");
      if (ok) {
        await attempt(async () => {
          await api("POST", "/auth/logout-all");
          onEnded("You are logged out everywhere.");
        });
      }
    } else if (e.target.closest("[data-logout]")) onLogout();
  });

  attempt(loadTokens);
  attempt(loadTargets);
  setText($('[data-f="username"]', root), state.user?.username || "");
  return () => {};
}
