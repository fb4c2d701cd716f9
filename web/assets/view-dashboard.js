// The dashboard page: active alerts, the main breakers (with cut all power), the outlets and
// the CCUs, each kept live by the state's events; forms to add outlets and CCUs.

import { api } from "./api.js";
import { renderAlerts, wireAlerts } from "./alerts.js";
import { cutAll, disposeBreakers, renderBreakers, updateBreaker, wireBreakers } from "./breaker.js";
import { addCcuForm, createCcuCard, updateCcuCard, wireCcus } from "./ccu-card.js";
import { ccuOptions, createOutletCard, updateOutletCard, wireOutletCards } from "./outlet-card.js";
import { emit, on, outletById, state } from "./state.js";
import { $, busy, reconcile, setText, toast } from "./ui.js";

const TEMPLATE = `
<h1 class="visually-hidden">Dashboard</h1>
<section class="section" aria-labelledby="alerts-title">
  <div class="section-head"><h2 id="alerts-title" tabindex="-1">Active alerts</h2></div>
  <p class="muted" id="no-alerts">No active alerts.</p>
  <ul class="alerts" id="alerts"></ul>
</section>
<section class="section" aria-labelledby="breaker-title">
  <div class="section-head">
    <h2 id="breaker-title">Main breaker</h2>
    <button type="button" id="cut-all" class="danger"><svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M12 3v9M6.3 6.3a8 8 0 1 0 11.4 0" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round"/></svg> Cut all power</button>
  </div>
  <div id="breakers" class="grid wide"></div>
  <p class="muted" id="no-breakers">Add a CCU below to see its main breaker.</p>
</section>
<section class="section" aria-labelledby="outlets-title">
  <div class="section-head"><h2 id="outlets-title">Outlets</h2></div>
  <div id="outlets" class="grid"></div>
  <p class="muted" id="no-outlets">No outlets yet. Add one below; it must be paired with one of your CCUs.</p>
  <form id="add-outlet" class="card add-form" aria-labelledby="add-outlet-title">
    <h3 id="add-outlet-title">Add an outlet</h3>
    <label>CCU <select name="ccu_id" required></select></label>
    <label>Device id (hex) <input name="device_id" required maxlength="4" placeholder="e.g. FE" autocomplete="off"></label>
    <label>Name <input name="name" required maxlength="100" placeholder="e.g. Desk"></label>
    <label>Location <input name="location" maxlength="100" placeholder="e.g. Office"></label>
    <button type="submit">Add outlet</button>
    <p class="form-msg error-text" role="alert"></p>
  </form>
</section>
<section class="section" aria-labelledby="ccus-title">
  <div class="section-head"><h2 id="ccus-title">CCUs</h2></div>
  <div id="ccus" class="grid"></div>
  ${addCcuForm()}
</section>`;

/** Shows the dashboard in `root`; returns the clean-up. */
export function mount(root) {
  root.innerHTML = TEMPLATE;
  const outlets = $("#outlets", root);
  const breakers = $("#breakers", root);
  const ccus = $("#ccus", root);
  const addOutlet = $("#add-outlet", root);

  const renderOutlets = () => {
    reconcile(outlets, state.outlets, (o) => o.id, (o) => createOutletCard(o), updateOutletCard);
    $("#no-outlets", root).hidden = state.outlets.length > 0;
  };
  const renderCcus = () => {
    reconcile(ccus, state.ccus, (c) => c.id, createCcuCard, updateCcuCard);
    renderBreakers(breakers);
    $("#no-breakers", root).hidden = state.ccus.length > 0;
    $("#cut-all", root).disabled = state.outlets.length === 0;
    const select = addOutlet.elements.ccu_id;
    const choices = ccuOptions(select.value) || '<option value="">Add a CCU first</option>';
    if (select.dataset.choices !== choices) {
      select.innerHTML = choices;
      select.dataset.choices = choices;
    }
    select.disabled = state.ccus.length === 0;
  };
  const renderAll = () => {
    renderAlerts($("#alerts", root), $("#no-alerts", root));
    renderCcus();
    renderOutlets();
  };
  const updateOutlet = (id) => {
    const node = outlets.querySelector(`[data-outlet="${id}"]`);
    const o = outletById(id);
    if (node && o) updateOutletCard(node, o);
    else renderOutlets();
  };

  wireAlerts(root);
  wireBreakers(root);
  wireOutletCards(outlets);
  wireCcus(root);
  $("#cut-all", root).addEventListener("click", cutAll);
  addOutlet.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = Object.fromEntries(new FormData(addOutlet));
    const msg = addOutlet.querySelector(".form-msg");
    busy(addOutlet, async () => {
      try {
        const o = await api("POST", "/outlets", {
          ccu_id: v.ccu_id,
          device_id: v.device_id.trim(),
          name: v.name.trim(),
          location: v.location.trim() || null,
        });
        setText(msg, "");
        addOutlet.reset();
        state.outlets.push(o);
        emit("outlets", o.id);
        toast(`Outlet “${o.name}” added`, "ok");
      } catch (err) {
        setText(msg, err.message);
      }
    });
  });

  const off = on((topic, detail) => {
    switch (topic) {
      case "reset":
        renderAll();
        break;
      case "alerts":
        renderAlerts($("#alerts", root), $("#no-alerts", root));
        break;
      case "ccus":
        renderCcus();
        break;
      case "breaker":
        updateBreaker(breakers, detail);
        break;
      case "outlets":
        updateOutlet(detail);
        $("#cut-all", root).disabled = state.outlets.length === 0;
        break;
      case "cmd":
        updateOutlet(Number(String(detail).split(":")[0]));
        break;
      default:
        break;
    }
  });
  renderAll();
  return () => {
    off();
    disposeBreakers();
  };
}

/** Moves focus to the alerts (the bell). */
export function focusAlerts() {
  const h = $("#alerts-title");
  if (h) {
    h.scrollIntoView({ block: "start" });
    h.focus();
  }
}
