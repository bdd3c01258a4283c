// Automations page: the list (enable with or without backfill, disable, run now, run history
// with each step and the log) and the visual editor — trigger and its options, a condition
// formula checked live, actions whose forms come from the action registry — with a dry run on
// a chosen record before saving. Everything goes through the workflow REST API.
import { api } from "./api.js";
import { actionList, el, paramsForm } from "./automation_form.js";
import { formulaEditor } from "./designer.js";

const root = document.getElementById("automations");
const config = JSON.parse(root.dataset.config);
const zh = config.locale === "zh";
const T = (en, cn) => (zh ? cn : en);
const $ = (id) => document.getElementById(id);
const list = $("automation-list");
const form = $("automation-editor");
const errorEl = $("automation-error");
let uidCounter = 0;

const ctx = {
  T, tables: config.tables, actions: config.actions,
  table: () => config.tables.find((t) => String(t.id) === $("a-table").value) || null,
  uid: (name) => `ae-${name}-${++uidCounter}`,
  messages: { result_type: T("Result type", "结果类型") },
};

const editor = { automation: null, trigger: null, condition: null, actions: null };

function fillSelect(select, options, blank) {
  select.innerHTML = "";
  if (blank) select.append(el("option", { value: "" }, blank));
  for (const o of options) select.append(el("option", { value: String(o.value) }, o.label));
}

fillSelect($("a-table"), config.tables.map((t) => ({ value: t.id, label: t.name })), T("— no table —", "— 不指定数据表 —"));
fillSelect($("a-trigger"), config.triggers.map((t) => ({ value: t.name, label: t.label })));
$("a-run-as-row").hidden = !config.runAs;

// "run as": the creator (default), a member of the base, or the system (owners only)
function runAsOptions(current) {
  const options = [{ value: "", label: T("— the creator (default) —", "— 创建者（默认）—") },
                   { value: "system", label: T("System (owners only)", "系统（仅所有者）") },
                   ...(config.runAsUsers || []).map((u) => ({ value: "user:" + u.id, label: u.name }))];
  if (current && current.kind === "user" && !options.some((o) => o.value === "user:" + current.user_id)) {
    options.push({ value: "user:" + current.user_id, label: current.username || "#" + current.user_id });
  }
  fillSelect($("a-run-as"), options);
  $("a-run-as").value = !current ? "" : current.kind === "system" ? "system" : "user:" + current.user_id;
}

function runAsValue() {
  const v = $("a-run-as").value;
  if (!v) return undefined;
  return v === "system" ? { kind: "system" } : { kind: "user", user_id: Number(v.slice(5)) };
}

// --- the editor ------------------------------------------------------------------------------
function triggerSpec() {
  return config.triggers.find((t) => t.name === $("a-trigger").value);
}

function renderTrigger(options) {
  const box = $("a-trigger-options");
  box.innerHTML = "";
  editor.trigger = paramsForm(triggerSpec().params, options || {}, ctx);
  box.append(editor.trigger.node);
}

function renderCondition(text) {
  const box = $("a-condition");
  box.innerHTML = "";
  const table = ctx.table();
  if (!table) {
    const input = el("input", { id: "a-condition-input", placeholder: T("choose a table to write a condition", "选择数据表后可填写条件") });
    input.value = text || "";
    box.append(input);
    editor.condition = { value: () => input.value, hasErrors: () => false, errorText: () => "" };
    return;
  }
  editor.condition = formulaEditor(table.id, table.fields, text || "", ctx.messages);
  editor.condition.element.querySelector("textarea").id = "a-condition-input";
  box.append(editor.condition.element);
}

function renderActions(actions) {
  const box = $("a-actions");
  box.innerHTML = "";
  editor.actions = actionList(actions || [], ctx);
  box.append(editor.actions.node);
}

function currentDraft(safe) {
  try {
    return {
      trigger: { type: $("a-trigger").value, options: editor.trigger.read() },
      condition: editor.condition.value().trim(),
      actions: editor.actions.read(),
    };
  } catch (err) {
    if (safe) return null;
    throw err;
  }
}

function rebuild(draft) {
  renderTrigger(draft.trigger.options);
  renderCondition(draft.condition);
  renderActions(draft.actions);
  loadRecords();
}

function openEditor(a) {
  editor.automation = a;
  $("a-name").value = a ? a.name : "";
  $("a-table").value = a && a.table_id ? String(a.table_id) : config.tables.length ? String(config.tables[0].id) : "";
  $("a-trigger").value = a ? a.trigger.type : config.triggers[0].name;
  if (config.runAs) runAsOptions(a ? a.run_as : null);
  $("a-table").disabled = !!a;  // an automation stays on its table
  for (const node of form.querySelectorAll(".ae-new-only")) node.hidden = !!a;
  $("a-delete").hidden = !a;
  $("editor-title").textContent = a ? T("Edit automation", "编辑自动化") + " · " + a.name : T("New automation", "新建自动化");
  $("a-dry-result").innerHTML = "";
  errorEl.textContent = "";
  rebuild({ trigger: { options: a ? a.trigger.options : {} }, condition: a ? a.condition : "", actions: a ? a.actions : [] });
  form.dataset.editing = a ? String(a.id) : "";
}

$("a-trigger").addEventListener("change", () => renderTrigger({}));
$("a-table").addEventListener("change", () => {
  const draft = currentDraft(true) || { trigger: { options: {} }, condition: "", actions: [] };
  rebuild(draft);
});
$("a-new").addEventListener("click", () => { openEditor(null); $("a-name").focus(); });

function body(draft, creating) {
  const out = { name: $("a-name").value.trim(), ...draft };
  if (creating) {
    out.table_id = $("a-table").value ? Number($("a-table").value) : null;
    out.condition = draft.condition || null;
  }
  if (config.runAs && runAsValue()) out.run_as = runAsValue();
  return out;
}

function checkedDraft() {
  const draft = currentDraft(false);
  const problems = [...(editor.condition.hasErrors() ? [T("Condition: ", "条件：") + editor.condition.errorText()] : []),
                    ...editor.trigger.checks(), ...editor.actions.checks()];
  if (problems.length) throw new Error(problems.join(" "));
  if (!draft.actions.length) throw new Error(T("Add at least one action.", "请至少添加一个动作。"));
  return draft;
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  errorEl.textContent = "";
  try {
    if (!$("a-name").value.trim()) throw new Error(T("Give the automation a name.", "请填写自动化名称。"));
    const draft = checkedDraft();
    let saved;
    if (editor.automation) {
      saved = await api("PATCH", `/api/v1/automations/${editor.automation.id}`, body(draft, false));
    } else {
      saved = await api("POST", `/api/v1/bases/${config.baseId}/automations`,
                        { ...body(draft, true), enabled: $("a-enabled").checked, backfill: $("a-backfill").checked });
    }
    await load();
    openEditor(saved);
    form.dataset.saved = String(saved.id);
  } catch (err) { errorEl.textContent = err.message; }
});

$("a-delete").addEventListener("click", async () => {
  if (!editor.automation) return;
  if (!window.confirm(T("Delete this automation and its run history?", "删除此自动化及其运行记录？"))) return;
  try {
    await api("DELETE", `/api/v1/automations/${editor.automation.id}`);
    openEditor(null);
    await load();
  } catch (err) { errorEl.textContent = err.message; }
});

// --- dry run on a chosen record --------------------------------------------------------------
async function loadRecords() {
  const select = $("a-dry-record");
  const table = ctx.table();
  fillSelect(select, [], T("— no record —", "— 不指定记录 —"));
  if (!table) return;
  try {
    const page = await api("GET", `/api/v1/tables/${table.id}/records?limit=100&total=false`);
    for (const r of page.rows) {
      const label = table.primary && r.fields[table.primary] !== null && r.fields[table.primary] !== undefined ? String(r.fields[table.primary]) : "";
      select.append(el("option", { value: String(r.id) }, `#${r.id} ${label}`.trim()));
    }
    if (page.rows.length) select.value = String(page.rows[0].id);
  } catch (err) { errorEl.textContent = err.message; }
}

function optionLines(options) {
  const dl = el("dl", { class: "ae-dry-options" });
  for (const [k, v] of Object.entries(options || {})) {
    dl.append(el("dt", {}, k), el("dd", {}, typeof v === "string" ? v : JSON.stringify(v)));
  }
  return dl;
}

function showDryRun(result) {
  const box = $("a-dry-result");
  box.innerHTML = "";
  box.append(el("p", { class: "ae-dry-condition", "data-passed": String(result.condition_passed) },
                result.condition_passed ? T("The condition passes: these steps would run.", "条件成立：将执行以下步骤。")
                                        : T("The condition fails: nothing would run.", "条件不成立：不会执行任何步骤。")));
  const ol = el("ol", { class: "ae-dry-steps" });
  for (const s of result.steps) {
    const li = el("li", { class: "ae-dry-step", "data-action": s.action });
    li.append(el("strong", {}, zh ? s.label_zh : s.label_en), el("span", { class: "meta" }, " " + s.note), optionLines(s.options));
    ol.append(li);
  }
  box.append(ol);
  if (result.error) box.append(el("p", { class: "error-message" }, result.error));
  box.dataset.done = String(Date.now());
}

$("a-dry-run").addEventListener("click", async () => {
  errorEl.textContent = "";
  try {
    const draft = checkedDraft();
    const record = $("a-dry-record").value;
    showDryRun(await api("POST", `/api/v1/bases/${config.baseId}/automations/dry-run`, {
      ...draft, table_id: $("a-table").value ? Number($("a-table").value) : null,
      condition: draft.condition || null, record_id: record ? Number(record) : null }));
  } catch (err) { errorEl.textContent = err.message; }
});

// --- the list, switches and run history ------------------------------------------------------
function stepsTable(steps) {
  const table = el("table", { class: "ae-steps" });
  table.append(el("tr", {}));
  table.firstChild.append(...[T("Step", "步骤"), T("Action", "动作"), T("Status", "状态"), T("Attempts", "尝试"), T("Error", "错误")].map((h) => el("th", {}, h)));
  for (const s of steps) {
    const spec = config.actions.find((a) => a.name === s.action);
    const tr = el("tr", { class: "step", "data-status": s.status || "" });
    tr.append(el("td", {}, s.step_key || ""), el("td", {}, spec ? spec.label : s.action === "condition" ? T("Condition", "条件") : s.action || ""), el("td", {}, s.status || ""),
              el("td", {}, String(s.attempts ?? "")), el("td", { class: "error-message" }, s.error || ""));
    table.append(tr);
  }
  return table;
}

function runsTable(runs) {
  const table = el("table", { class: "history runs" });
  const head = el("tr");
  head.append(...["#", T("Status", "状态"), T("Record", "记录"), T("Started", "开始"), T("Error", "错误")].map((h) => el("th", {}, h)));
  table.append(head);
  for (const r of runs) {
    const tr = el("tr", { "data-status": r.status, class: "run" });
    tr.append(el("td", {}, "#" + r.id), el("td", {}, r.status), el("td", {}, r.record_id === null ? "" : "#" + r.record_id),
              el("td", {}, String(r.created_at).slice(0, 19).replace("T", " ")), el("td", { class: "error-message" }, r.error || ""));
    const detail = el("tr", { class: "run-detail" });
    const cell = el("td", { colspan: "5" });
    cell.append(stepsTable(r.steps));
    for (const l of r.log) cell.append(el("div", { class: "log", "data-level": l.level }, `${String(l.at).slice(11, 19)} [${l.level}] ${l.message}`));
    detail.append(cell);
    table.append(tr, detail);
  }
  if (!runs.length) table.append(el("tr", {}, T("No runs yet.", "还没有运行记录。")));
  return table;
}

function card(a) {
  const box = el("article", { class: "automation", "data-automation-id": String(a.id), "data-enabled": String(a.enabled) });
  const trigger = config.triggers.find((t) => t.name === a.trigger.type);
  const table = config.tables.find((t) => t.id === a.table_id);
  box.append(el("h2", {}, a.name), el("p", { class: "meta state" },
    `${trigger ? trigger.label : a.trigger.type}${table ? " · " + table.name : ""} · ${a.enabled ? T("on", "已启用") : T("off", "已停用")}`));
  const bar = el("div", { class: "buttons" });
  const out = el("p", { class: "card-message", role: "status" });
  const runs = el("div", { class: "run-history" });
  const button = (label, cls, action) => {
    const b = el("button", { type: "button", class: cls }, label);
    b.addEventListener("click", async () => { out.textContent = ""; try { await action(); } catch (err) { out.textContent = err.message; } });
    bar.append(b);
  };
  button(T("Edit", "编辑"), "edit", async () => { openEditor(a); $("a-name").focus(); });
  if (a.enabled) button(T("Disable", "停用"), "disable", async () => { await api("POST", `/api/v1/automations/${a.id}/disable`); await load(); });
  else {
    button(T("Enable", "启用"), "enable", async () => { await api("POST", `/api/v1/automations/${a.id}/enable`, { backfill: false }); await load(); });
    button(T("Enable with backfill", "启用并补跑"), "enable-backfill", async () => { await api("POST", `/api/v1/automations/${a.id}/enable`, { backfill: true }); await load(); });
  }
  if (trigger && trigger.kind === "manual") {
    button(T("Run now on the editor's record", "对所选记录立即运行"), "run-now", async () => {
      await api("POST", `/api/v1/automations/${a.id}/run`, { record_ids: [Number($("a-dry-record").value)] });
      out.textContent = T("queued", "已排队");
    });
  }
  button(T("Run history", "运行记录"), "show-runs", async () => {
    runs.replaceChildren(runsTable(await api("GET", `/api/v1/automations/${a.id}/runs?limit=20`)));
  });
  box.append(bar, out, runs);
  return box;
}

async function load() {
  const automations = await api("GET", `/api/v1/bases/${config.baseId}/automations`);
  list.innerHTML = "";
  for (const a of automations) list.append(card(a));
  if (!automations.length) list.append(el("p", { class: "empty" }, T("No automations yet.", "还没有自动化。")));
  root.dataset.loaded = String(automations.length);
}

openEditor(null);
load().catch((err) => { errorEl.textContent = err.message; });
