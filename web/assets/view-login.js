// Log in and register: two forms, with the server's reason shown when it fails.

import { api } from "./api.js";
import { $, busy, setText } from "./ui.js";

const TEMPLATE = `
<div class="auth">
  <h1 class="auth-title"><span aria-hidden="true">⚡</span> Smart Outlet</h1>
  <div class="tabs" role="tablist" aria-label="Log in or register">
    <button type="button" role="tab" id="tab-login" aria-controls="login-form" data-mode="login">Log in</button>
    <button type="button" role="tab" id="tab-register" aria-controls="register-form" data-mode="register">Register</button>
  </div>
  <form id="login-form" class="card auth-form" role="tabpanel" aria-labelledby="tab-login" autocomplete="on">
    <label>Username <input name="username" required autocomplete="username" autocapitalize="none" spellcheck="false"></label>
    <label>Password <input name="password" type="password" required autocomplete="current-password"></label>
    <button type="submit">Log in</button>
  </form>
  <form id="register-form" class="card auth-form" role="tabpanel" aria-labelledby="tab-register" hidden>
    <label>Username <input name="username" required minlength="3" maxlength="64" autocomplete="username" autocapitalize="none" spellcheck="false">
      <span class="hint">3 to 64 letters, digits and _ . @ -</span></label>
    <label>Password <input name="password" type="password" required autocomplete="new-password">
      <span class="hint">At least 8 characters</span></label>
    <label>Repeat password <input name="password2" type="password" required autocomplete="new-password"></label>
    <button type="submit">Create account</button>
  </form>
  <p id="login-msg" class="auth-msg" role="alert" aria-live="assertive"></p>
</div>`;

/** Shows the forms in `root`; `onLogin(session)` runs after a successful log in. */
export function mount(root, { message = "", onLogin }) {
  root.innerHTML = TEMPLATE;
  const msg = $("#login-msg", root);
  const setMsg = (text, kind = "error") => {
    setText(msg, text);
    msg.dataset.kind = kind;
  };
  if (message) setMsg(message, "info");

  const setMode = (mode) => {
    for (const tab of root.querySelectorAll('[role="tab"]')) {
      const selected = tab.dataset.mode === mode;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    $("#login-form", root).hidden = mode !== "login";
    $("#register-form", root).hidden = mode !== "register";
  };
  root.querySelector(".tabs").addEventListener("click", (e) => {
    const tab = e.target.closest("[data-mode]");
    if (!tab) return;
    setMode(tab.dataset.mode);
    setMsg("");
    root.querySelector(`#${tab.dataset.mode}-form input`).focus();
  });
  root.querySelector(".tabs").addEventListener("keydown", (e) => {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
    const next = $("#tab-login", root).getAttribute("aria-selected") === "true" ? "register" : "login";
    setMode(next);
    $(`#tab-${next}`, root).focus();
  });
  setMode("login");

  const logIn = async (username, password) => {
    const s = await api("POST", "/auth/login", { username, password });
    await onLogin(s);
  };

  $("#login-form", root).addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target;
    setMsg("");
    busy(f, async () => {
      try {
        await logIn(f.elements.username.value.trim(), f.elements.password.value);
      } catch (err) {
        setMsg(err.status === 401 ? "Wrong username or password." : err.message);
        f.elements.password.select();
      }
    });
  });

  $("#register-form", root).addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target;
    const v = Object.fromEntries(new FormData(f));
    setMsg("");
    if (v.password !== v.password2) {
      setMsg("The two passwords differ.");
      f.elements.password2.select();
      return;
    }
    busy(f, async () => {
      try {
        await api("POST", "/auth/register", { username: v.username.trim(), password: v.password });
      } catch (err) {
        setMsg(err.status === 409 ? "That username is taken." : err.message);
        return;
      }
      try {
        await logIn(v.username.trim(), v.password);
      } catch (err) {
        setMsg(`Account created, but logging in failed: ${err.message}`);
      }
    });
  });

  $("#login-form input", root).focus();
  return () => {};
}
