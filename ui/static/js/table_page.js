// The table page: builds the grid from the page's data-config and wires the toolbar (filter,
// sort, group, hidden fields, row height, go to row, save view), the column menu, the field
// designer and live updates.
import { api, query } from "./api.js";
import { Grid } from "./grid.js";
import { subscribe, applyChange } from "./live.js";
import { buildFilterEditor, buildSortEditor, buildHiddenEditor, saveView } from "./panels.js";
import { fieldDesigner } from "./designer.js";
import { displayText } from "./values.js";

const workspace = document.getElementById("workspace");
const config = JSON.parse(workspace.dataset.config);
const msg = config.messages;
const panel = document.getElementById("panel");
const statusEl = document.getElementById("status");
const countEl = document.getElementById("row-count");
const groupBar = document.getElementById("group-bar");
let statusTimer = null;

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function status(text, isError) {
  statusEl.textContent = text;
  statusEl.classList.toggle("error-message", !!isError);
  clearTimeout(statusTimer);
  if (!isError) statusTimer = setTimeout(() => { statusEl.textContent = ""; }, 2500);
}

const grid = new Grid(document.getElementById("grid"), document.getElementById("grid-scroller"), config, {
  status,
  total: (n) => { countEl.textContent = String(n); },
  columnMenu: (field, th) => openColumnMenu(field, th),
});
window.tesseraGrid = grid; // for the browser tests and the console

function openPanel(title, build, onApply) {
  panel.innerHTML = "";
  const box = el("div", { class: "panel-body" });
  box.append(el("h2", {}, title));
  const read = build(box);
  const buttons = el("div", { class: "buttons" });
  const apply = el("button", { type: "button", class: "primary apply" }, "OK");
  const close = el("button", { type: "button", class: "close" }, "×");
  apply.addEventListener("click", async () => {
    // the panel may show another editor by the time the query answers: close only this one
    try { await onApply(read()); if (box.parentNode === panel) panel.hidden = true; } catch (err) { status(err.message, true); }
  });
  close.addEventListener("click", () => { panel.hidden = true; grid.root.focus(); });
  buttons.append(apply, close);
  box.append(buttons);
  panel.append(box);
  panel.hidden = false;
}

document.getElementById("btn-filter").addEventListener("click", (e) => openPanel(e.target.textContent,
  (box) => buildFilterEditor(box, config.fields, grid.state.filters, msg),
  (spec) => grid.setQuery(spec, grid.state.sorts).then(refreshGroups)));

document.getElementById("btn-sort").addEventListener("click", (e) => openPanel(e.target.textContent,
  (box) => buildSortEditor(box, config.fields, grid.state.sorts, msg),
  (sorts) => grid.setQuery(grid.state.filters, sorts)));

document.getElementById("btn-hide").addEventListener("click", (e) => openPanel(e.target.textContent,
  (box) => buildHiddenEditor(box, config.fields, grid.state.hidden),
  (hidden) => grid.setHidden(hidden)));

document.getElementById("btn-group").addEventListener("click", (e) => openPanel(e.target.textContent, (box) => {
  const select = el("select", { class: "group-field", "aria-label": e.target.textContent });
  select.append(el("option", { value: "" }, msg.none));
  for (const f of config.fields.filter((x) => !["link", "multi_select", "lookup", "rollup", "long_text"].includes(x.type))) {
    const o = el("option", { value: String(f.id) }, f.name);
    if (String(f.id) === String(grid.state.groupBy)) o.selected = true;
    select.append(o);
  }
  box.append(select);
  return () => select.value;
}, (fieldId) => grid.setGroupBy(fieldId ? Number(fieldId) : null).then(refreshGroups)));

async function refreshGroups() {
  groupBar.innerHTML = "";
  const field = config.fields.find((f) => String(f.id) === String(grid.state.groupBy));
  groupBar.hidden = !field;
  if (!field) return;
  const data = await api("GET", `/ui/tables/${config.tableId}/grid/groups` + query({ field: field.id, filter: grid.state.filters }));
  let start = 0;
  groupBar.append(el("span", { class: "group-title" }, field.name + ":"));
  for (const g of data.groups) {
    const at = start;
    const label = displayText(field, g.value, {}) || msg.empty;
    const subtotals = Object.entries(g.sums || {}).filter(([, v]) => v !== null).map(([id, v]) => {
      const f = config.fields.find((x) => String(x.id) === id);
      return `Σ ${f ? f.name : id} ${Number.isInteger(v) ? v : v.toFixed(2)}`;
    });
    const chip = el("button", { type: "button", class: "group-chip", "data-count": String(g.count) }, `${label} (${g.count})`);
    if (subtotals.length) chip.title = subtotals.join(" · ");
    if (subtotals.length) chip.append(el("span", { class: "subtotal" }, " " + subtotals.join(" · ")));
    chip.addEventListener("click", () => grid.jumpTo(at));
    groupBar.append(chip);
    start += g.count;
  }
}

document.getElementById("btn-add-field").addEventListener("click", () => fieldDesigner(panel, config, null, () => window.location.reload()));

document.getElementById("btn-add-row").addEventListener("click", async () => {
  await grid.guard(() => grid.write([], [{ fields: {} }]));
  grid.active.c = 0;
  await grid.jumpTo(grid.total - 1);
  grid.root.focus({ preventScroll: true });
});

const rowHeight = document.getElementById("row-height");
rowHeight.value = String(grid.rowH);
rowHeight.addEventListener("change", () => grid.setRowHeight(Number(rowHeight.value)));

document.getElementById("goto-row").addEventListener("keydown", (e) => {
  if (e.key !== "Enter") return;
  e.preventDefault();
  const n = Number(e.target.value);
  if (Number.isInteger(n) && n >= 1) grid.jumpTo(n - 1).then(() => grid.root.focus({ preventScroll: true }));
});

document.getElementById("btn-save-view").addEventListener("click", async () => {
  let name = null;
  if (!config.viewId) {
    name = window.prompt(msg.view_name || "View name");
    if (!name) return;
  }
  try {
    const view = await saveView(config, grid.state, name, grid.layout());
    status(msg.saved);
    if (!config.viewId) window.location.assign(`/tables/${config.tableId}?view=${view.id}`);
  } catch (err) { status(err.message, true); }
});

function openColumnMenu(field, th) {
  const old = document.getElementById("column-menu");
  if (old) old.remove();
  const menu = el("div", { id: "column-menu", class: "column-menu", role: "menu" });
  const index = grid.columns.findIndex((f) => f.id === field.id);
  const item = (label, action, cls) => {
    const b = el("button", { type: "button", role: "menuitem", class: cls }, label);
    b.addEventListener("click", () => { menu.remove(); action(); });
    menu.append(b);
  };
  item(msg.edit_field, () => fieldDesigner(panel, config, field, () => window.location.reload()), "menu-edit");
  item(msg.sort_asc, () => grid.setQuery(grid.state.filters, [{ field: field.id, direction: "asc" }]), "menu-sort-asc");
  item(msg.sort_desc, () => grid.setQuery(grid.state.filters, [{ field: field.id, direction: "desc" }]), "menu-sort-desc");
  item(msg.hide, () => grid.setHidden([...grid.state.hidden, field.id]), "menu-hide");
  if (index > 0) item(msg.move_left, () => grid.moveColumn(field.id, -1), "menu-move-left");
  if (index < grid.columns.length - 1) item(msg.move_right, () => grid.moveColumn(field.id, 1), "menu-move-right");
  item(msg.freeze, () => grid.setFrozen(index + 1), "menu-freeze");
  if (grid.frozen) item(msg.unfreeze, () => grid.setFrozen(0), "menu-unfreeze");
  const r = th.getBoundingClientRect();
  menu.style.left = r.left + window.scrollX + "px";
  menu.style.top = r.bottom + window.scrollY + "px";
  document.body.append(menu);
  menu.querySelector("button").focus();
  const away = (e) => { if (!menu.contains(e.target)) { menu.remove(); document.removeEventListener("mousedown", away); } };
  document.addEventListener("mousedown", away);
  menu.addEventListener("keydown", (e) => { if (e.key === "Escape") { menu.remove(); grid.root.focus(); } });
}

subscribe(config.tableId, (change) => {
  applyChange(grid, change).then(() => { if (grid.state.groupBy) refreshGroups(); });
}, () => { document.body.dataset.live = "ready"; });

grid.load().then(() => {
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.gridReady = "true";
  grid.root.focus({ preventScroll: true });
  if (grid.state.groupBy) refreshGroups();
});
