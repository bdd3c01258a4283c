// Automations: list, create/edit (trigger, condition, actions as JSON), enable with or
// without backfill, disable, dry-run on a record, run now, and the run history with steps
// and log, all through the workflow REST API.
import { api } from "./api.js";

const root = document.getElementById("automations");
const config = JSON.parse(root.dataset.config);
const zh = config.locale === "zh";
const T = (en, cn) => (zh ? cn : en);
const list = document.getElementById("automation-list");
const form = document.getElementById("automation-editor");
const errorEl = document.getElementById("automation-error");

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

for (const t of config.tables) form.table_id.append(el("option", t.name, { value: String(t.id) }));
for (const t of config.triggers) form.trigger.append(el("option", t.label, { value: t.name }));
document.getElementById("action-types").textContent = config.actions.map((a) => `${a.name} (${a.label})`).join(", ");
form.actions.value = JSON.stringify([{ type: "update_record", options: { values: {} } }], null, 1);

function parseJSON(text, what) {
  try { return JSON.parse(text || "null"); } catch (e) { throw new Error(T(`${what} is not valid JSON: ${e.message}`, `${what} 不是有效的 JSON：${e.message}`)); }
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  errorEl.textContent = "";
  try {
    const body = {
      name: form.name.value, table_id: Number(form.table_id.value),
      trigger: { type: form.trigger.value, options: parseJSON(form.trigger_options.value, "trigger options") || {} },
      condition: form.condition.value.trim() || null,
      actions: parseJSON(form.actions.value, "actions") || [],
    };
    if (form.id.value) {
      await api("PATCH", `/api/v1/automations/${form.id.value}`, body);
    } else {
      body.enabled = form.enabled.checked;
      body.backfill = form.backfill.checked;
      await api("POST", `/api/v1/bases/${config.baseId}/automations`, body);
    }
    form.reset();
    form.id.value = "";
    await load();
  } catch (err) { errorEl.textContent = err.message; }
});

function edit(a) {
  form.id.value = String(a.id);
  form.name.value = a.name;
  if (a.table_id) form.table_id.value = String(a.table_id);
  form.trigger.value = a.trigger.type;
  form.trigger_options.value = JSON.stringify(a.trigger.options || {});
  form.condition.value = a.condition || "";
  form.actions.value = JSON.stringify(a.actions || [], null, 1);
  document.getElementById("editor-title").textContent = T("Edit automation", "编辑自动化") + " · " + a.name;
  form.name.focus();
}

function runsTable(runs) {
  const table = el("table", undefined, { class: "history runs" });
  for (const r of runs) {
    const tr = el("tr", undefined, { "data-status": r.status });
    tr.append(el("td", "#" + r.id), el("td", r.status), el("td", r.record_id === null ? "" : "#" + r.record_id),
              el("td", String(r.created_at).slice(0, 19)), el("td", r.error || ""));
    const steps = el("td");
    for (const s of r.steps) steps.append(el("div", `${s.action || s.key || ""}: ${s.status || ""} ${s.error || ""}`, { class: "step" }));
    for (const l of r.log) steps.append(el("div", `[${l.level}] ${l.message}`, { class: "log" }));
    tr.append(steps);
    table.append(tr);
  }
  return table;
}

function card(a) {
  const box = el("article", undefined, { class: "automation", "data-automation-id": String(a.id) });
  const trigger = config.triggers.find((t) => t.name === a.trigger.type);
  box.append(el("h2", a.name), el("p", `${trigger ? trigger.label : a.trigger.type} · ${a.enabled ? T("on", "已启用") : T("off", "已停用")}`, { class: "meta state" }));
  const bar = el("div", undefined, { class: "buttons" });
  const button = (label, cls, action) => {
    const b = el("button", label, { type: "button", class: cls });
    b.addEventListener("click", async () => { errorEl.textContent = ""; try { await action(); } catch (err) { out.textContent = err.message; } });
    bar.append(b);
  };
  const recordInput = el("input", undefined, { type: "number", min: "1", class: "dry-record", placeholder: T("record id", "记录编号") });
  const out = el("pre", undefined, { class: "dry-result", role: "status" });
  const runs = el("div", undefined, { class: "run-history" });
  button(T("Edit", "编辑"), "edit", async () => edit(a));
  if (a.enabled) button(T("Disable", "停用"), "disable", async () => { await api("POST", `/api/v1/automations/${a.id}/disable`); await load(); });
  else {
    button(T("Enable", "启用"), "enable", async () => { await api("POST", `/api/v1/automations/${a.id}/enable`, { backfill: false }); await load(); });
    button(T("Enable with backfill", "启用并补跑"), "enable-backfill", async () => { await api("POST", `/api/v1/automations/${a.id}/enable`, { backfill: true }); await load(); });
  }
  bar.append(recordInput);
  button(T("Dry run", "试运行"), "dry-run", async () => {
    const result = await api("POST", `/api/v1/automations/${a.id}/dry-run`, { record_id: recordInput.value ? Number(recordInput.value) : null });
    out.textContent = (result.condition_passed ? T("condition passes", "条件成立") : T("condition fails", "条件不成立")) + "\n" +
      result.steps.map((s) => `${s.key} ${zh ? s.label_zh : s.label_en} ${JSON.stringify(s.options)} ${s.note}`).join("\n") + (result.error ? "\n" + result.error : "");
  });
  if (trigger && trigger.kind === "manual") {
    button(T("Run now", "立即运行"), "run-now", async () => {
      await api("POST", `/api/v1/automations/${a.id}/run`, { record_ids: [Number(recordInput.value)] });
      out.textContent = T("queued", "已排队");
    });
  }
  button(T("Run history", "运行记录"), "show-runs", async () => {
    runs.innerHTML = "";
    runs.append(runsTable(await api("GET", `/api/v1/automations/${a.id}/runs?limit=20`)));
  });
  box.append(bar, out, runs);
  return box;
}

async function load() {
  const automations = await api("GET", `/api/v1/bases/${config.baseId}/automations`);
  list.innerHTML = "";
  for (const a of automations) list.append(card(a));
  root.dataset.loaded = String(automations.length);
}

load().catch((err) => { errorEl.textContent = err.message; });
