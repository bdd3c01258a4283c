// The visual automation editor's forms: one form per trigger or action, generated from the
// parameters its registry entry declares (tessera.workflow.registry.param: widget, labels,
// required, choices), and the ordered action list (add, reorder, remove; branches nest).
// No JSON is typed except in the few options declared with the "json" widget.
import { formulaEditor } from "./designer.js";

export function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

const NUMERIC = new Set(["number", "currency", "percent", "rating", "duration"]);
const DATES = new Set(["date", "datetime"]);
const FIELD_FILTERS = {
  field: () => true,
  user_field: () => true,
  link_field: (f) => f.type === "link",
  date_field: (f) => DATES.has(f.type),
};

function widgetOf(param) {
  if (param.widget) return param.widget;
  const types = [].concat(param.type || "string");
  if (types.includes("boolean")) return "boolean";
  if (types.includes("integer") || types.includes("number")) return "number";
  if (types.includes("array")) return "list";
  if (types.includes("object")) return "json";
  return "text";
}

function select(options, value, attrs = {}, blank = true) {
  const s = el("select", attrs);
  if (blank) s.append(el("option", { value: "" }, "—"));
  for (const o of options) s.append(el("option", { value: String(o.value) }, o.label));
  if (value !== undefined && value !== null && value !== "") {
    if (!options.some((o) => String(o.value) === String(value))) s.append(el("option", { value: String(value) }, String(value)));
    s.value = String(value);
  }
  return s;
}

// A typed cell value from the text typed for a field (formulas "=..." stay text).
export function typedValue(text, field) {
  if (typeof text !== "string" || text.startsWith("=") || !field) return text;
  if (NUMERIC.has(field.type) && text.trim() !== "" && !Number.isNaN(Number(text))) return Number(text);
  if (field.type === "checkbox") return ["true", "1", "yes", "是", "✓"].includes(text.trim().toLowerCase());
  return text;
}

// Rows of key → value (field values of a record, or free keys such as HTTP headers).
function pairsEditor(value, keyChoices, ctx, fieldsOf) {
  const box = el("div", { class: "ae-pairs" });
  const rows = el("div", { class: "ae-pair-rows" });
  const addRow = (key, val) => {
    const row = el("div", { class: "ae-pair" });
    const keyInput = keyChoices
      ? select(keyChoices().map((f) => ({ value: f.name, label: f.name })), key, { class: "ae-key", "aria-label": ctx.T("Field", "字段") })
      : el("input", { class: "ae-key", "aria-label": ctx.T("Name", "名称") });
    if (!keyChoices) keyInput.value = key || "";
    const valInput = el("input", { class: "ae-value", "aria-label": ctx.T("Value or =formula", "值或 =公式"), placeholder: ctx.T("value or =formula", "值或 =公式") });
    valInput.value = val === undefined || val === null ? "" : typeof val === "string" ? val : JSON.stringify(val);
    const remove = el("button", { type: "button", class: "ae-remove-pair", title: ctx.T("Remove", "删除") }, "✕");
    remove.addEventListener("click", () => row.remove());
    row.append(keyInput, valInput, remove);
    rows.append(row);
  };
  for (const [k, v] of Object.entries(value || {})) addRow(k, v);
  const add = el("button", { type: "button", class: "ae-add-pair" }, keyChoices ? ctx.T("+ Field", "+ 字段") : ctx.T("+ Row", "+ 行"));
  add.addEventListener("click", () => addRow("", ""));
  box.append(rows, add);
  if (!Object.keys(value || {}).length) addRow("", "");
  return {
    node: box,
    read: () => {
      const out = {};
      const fields = fieldsOf ? fieldsOf() : [];
      for (const row of rows.querySelectorAll(".ae-pair")) {
        const key = row.querySelector(".ae-key").value.trim();
        if (!key) continue;
        out[key] = typedValue(row.querySelector(".ae-value").value, fields.find((f) => f.name === key));
      }
      return out;
    },
  };
}

function jsonEditor(value, ctx, label) {
  const area = el("textarea", { rows: "3", class: "ae-json", spellcheck: "false" });
  area.value = value === undefined ? "" : JSON.stringify(value, null, 1);
  return {
    node: area,
    read: () => {
      if (!area.value.trim()) return undefined;
      try { return JSON.parse(area.value); } catch (e) {
        throw new Error(ctx.T(`${label} is not valid JSON: ${e.message}`, `${label} 不是有效的 JSON：${e.message}`));
      }
    },
  };
}

// One parameter's input: {node, read()} where read() gives the option's value (undefined: leave out).
function paramInput(param, value, ctx, siblings) {
  const widget = widgetOf(param);
  const id = ctx.uid(param.name);
  const fields = () => (ctx.table() ? ctx.table().fields : []);
  if (widget === "formula") {
    const table = ctx.table();
    if (!table) {
      const input = el("input", { id, class: "ae-formula-plain" });
      input.value = value || "";
      return { node: input, id, read: () => input.value.trim() || undefined };
    }
    const editor = formulaEditor(table.id, table.fields, value || "", ctx.messages);
    editor.element.querySelector("textarea").id = id;
    editor.element.classList.add("ae-formula");
    return { node: editor.element, id, read: () => editor.value().trim() || undefined, check: () => editor.hasErrors() ? editor.errorText() : "" };
  }
  if (widget in FIELD_FILTERS) {
    const s = select(fields().filter(FIELD_FILTERS[widget]).map((f) => ({ value: f.name, label: f.name })), value, { id });
    return { node: s, id, read: () => s.value || undefined };
  }
  if (widget === "fields") {
    const box = el("div", { class: "ae-checks", id });
    const chosen = new Set(value || []);
    for (const f of fields()) {
      const label = el("label");
      const cb = el("input", { type: "checkbox", value: f.name });
      cb.checked = chosen.has(f.name);
      label.append(cb, document.createTextNode(" " + f.name));
      box.append(label);
    }
    return { node: box, id, read: () => { const v = [...box.querySelectorAll("input:checked")].map((c) => c.value); return v.length ? v : undefined; } };
  }
  if (widget === "table") {
    const s = select(ctx.tables.map((t) => ({ value: t.name, label: t.name })), value, { id });
    s.addEventListener("change", () => siblings.refresh && siblings.refresh());
    return { node: s, id, read: () => s.value || undefined };
  }
  if (widget === "values") {
    const target = () => siblings.targetTable ? siblings.targetTable() : ctx.table();
    const pairs = pairsEditor(value, () => (target() ? target().fields.filter((f) => !f.computed) : []), ctx, () => (target() ? target().fields : []));
    pairs.node.id = id;
    return { node: pairs.node, id, read: () => pairs.read() };
  }
  if (widget === "map") {
    const pairs = pairsEditor(value, null, ctx, null);
    pairs.node.id = id;
    return { node: pairs.node, id, read: () => { const v = pairs.read(); return Object.keys(v).length ? v : undefined; } };
  }
  if (widget === "actions") {
    const list = actionList(value || [], ctx);
    list.node.id = id;
    return { node: list.node, id, read: () => list.read() };
  }
  if (widget === "json") {
    const editor = jsonEditor(value, ctx, param.label);
    editor.node.id = id;
    return { node: editor.node, id, read: editor.read };
  }
  if (widget === "boolean") {
    const cb = el("input", { type: "checkbox", id });
    cb.checked = value === true;
    const had = value !== undefined;
    return { node: cb, id, read: () => (cb.checked ? true : had ? false : undefined) };
  }
  if (widget === "enum") {
    const s = select(param.choices || [], value, { id }, !param.required);
    return { node: s, id, read: () => s.value || undefined };
  }
  if (widget === "number" || widget === "integer") {
    const input = el("input", { type: "text", inputmode: "numeric", id, class: "ae-number" });
    input.value = value === undefined || value === null ? "" : String(value);
    return {
      node: input, id,
      read: () => {
        const text = input.value.trim();
        if (!text) return undefined;
        if (text.startsWith("=")) return text;
        const n = Number(text);
        if (Number.isNaN(n) || (widget === "integer" && !Number.isInteger(n))) {
          throw new Error(ctx.T(`${param.label}: "${text}" is not a ${widget === "integer" ? "whole number" : "number"}`, `${param.label}：“${text}”不是${widget === "integer" ? "整数" : "数字"}`));
        }
        return n;
      },
    };
  }
  if (widget === "list") {
    const input = el("input", { id, class: "ae-list", placeholder: ctx.T("comma-separated", "用逗号分隔") });
    input.value = Array.isArray(value) ? value.join(", ") : value === undefined || value === null ? "" : String(value);
    return { node: input, id, read: () => { const v = input.value.split(/[,，]/).map((x) => x.trim()).filter(Boolean); return v.length ? v : undefined; } };
  }
  const input = widget === "textarea" ? el("textarea", { id, rows: "3" }) : el("input", { id });
  if (widget === "template") input.placeholder = ctx.T('text, or a formula: ="Hi " & {Name}', '文本，或公式：="您好 " & {姓名}');
  if (widget === "cron") input.placeholder = "0 9 * * 1-5";
  if (widget === "timezone") input.placeholder = "Asia/Shanghai";
  input.value = value === undefined || value === null ? "" : String(value);
  return { node: input, id, read: () => (input.value === "" ? undefined : input.value) };
}

// The form of a trigger's or an action's options. read() → options object; throws with the
// parameter's label when a required one is missing or a value does not parse.
export function paramsForm(params, values, ctx) {
  const box = el("div", { class: "ae-params" });
  const siblings = {};
  const inputs = [];
  const render = () => {
    const current = inputs.length ? safeRead() : values || {};
    box.innerHTML = "";
    inputs.length = 0;
    for (const param of params) {
      const input = paramInput(param, current[param.name], ctx, siblings);
      const row = el("div", { class: "ae-param", "data-param": param.name, "data-widget": widgetOf(param) });
      const label = el("label", { for: input.id }, param.label + (param.required ? " *" : ""));
      row.append(label, input.node);
      if (param.help) row.append(el("span", { class: "meta" }, param.help));
      box.append(row);
      inputs.push([param, input]);
    }
  };
  const read = () => {
    const out = {};
    for (const [param, input] of inputs) {
      const v = input.read();
      if (v === undefined || (Array.isArray(v) && !v.length && param.widget !== "actions")) {
        if (param.required) throw new Error(ctx.T(`${param.label} is required`, `请填写${param.label}`));
        continue;
      }
      out[param.name] = v;
    }
    return out;
  };
  const safeRead = () => { try { return read(); } catch (e) { return values || {}; } };
  siblings.refresh = render;
  siblings.targetTable = () => {
    const tableInput = inputs.find(([p]) => widgetOf(p) === "table");
    const linkInput = inputs.find(([p]) => widgetOf(p) === "link_field");
    if (tableInput) return ctx.tables.find((t) => t.name === tableInput[1].read()) || null;
    const linkName = linkInput && linkInput[1].read();
    if (linkName && ctx.table()) {
      const link = ctx.table().fields.find((f) => f.name === linkName);
      return (link && ctx.tables.find((t) => t.id === link.target)) || ctx.table();
    }
    return ctx.table();
  };
  render();
  const checks = () => inputs.map(([param, input]) => (input.check ? input.check() : "")).filter(Boolean);
  return { node: box, read, checks };
}

// An ordered list of actions: each a card with its type, its generated form, and move up /
// move down / remove; "add action" appends one of the registry's types.
export function actionList(actions, ctx) {
  const box = el("div", { class: "ae-action-list" });
  const ol = el("ol", { class: "ae-actions" });
  const items = [];
  const renumber = () => {
    items.forEach((item, i) => { item.li.dataset.index = String(i); });
  };
  const addAction = (action) => {
    const spec = ctx.actions.find((a) => a.name === action.type);
    const li = el("li", { class: "ae-action", "data-type": action.type });
    const head = el("div", { class: "ae-action-head" });
    head.append(el("strong", { class: "ae-action-label" }, spec ? spec.label : action.type));
    const buttons = el("span", { class: "ae-action-buttons" });
    const mk = (cls, text, title, fn) => {
      const b = el("button", { type: "button", class: cls, title, "aria-label": title }, text);
      b.addEventListener("click", fn);
      buttons.append(b);
    };
    const item = { li, action, form: paramsForm(spec ? spec.params : [], action.options || {}, ctx) };
    mk("ae-up", "↑", ctx.T("Move up", "上移"), () => move(item, -1));
    mk("ae-down", "↓", ctx.T("Move down", "下移"), () => move(item, 1));
    mk("ae-remove", "✕", ctx.T("Remove action", "删除动作"), () => { items.splice(items.indexOf(item), 1); li.remove(); renumber(); });
    head.append(buttons);
    li.append(head, item.form.node);
    items.push(item);
    ol.append(li);
    renumber();
  };
  const move = (item, delta) => {
    const i = items.indexOf(item);
    const j = i + delta;
    if (j < 0 || j >= items.length) return;
    items.splice(i, 1);
    items.splice(j, 0, item);
    if (delta < 0) ol.insertBefore(item.li, items[j + 1].li);
    else ol.insertBefore(item.li, items[j - 1].li.nextSibling);
    renumber();
  };
  for (const a of actions) addAction(a);
  const bar = el("div", { class: "ae-add" });
  const picker = select(ctx.actions.map((a) => ({ value: a.name, label: a.label })), ctx.actions[0] && ctx.actions[0].name, { class: "ae-add-type", "aria-label": ctx.T("Action type", "动作类型") }, false);
  const add = el("button", { type: "button", class: "ae-add-action" }, ctx.T("+ Action", "+ 动作"));
  add.addEventListener("click", () => addAction({ type: picker.value, options: {} }));
  bar.append(picker, add);
  box.append(ol, bar);
  return {
    node: box,
    read: () => items.map((item, i) => {
      const { type, options, ...rest } = item.action;  // keep name, retries, … as they were
      try {
        return { ...rest, type, options: item.form.read() };
      } catch (e) {
        throw new Error(ctx.T(`Action ${i + 1}: `, `第 ${i + 1} 个动作：`) + e.message);
      }
    }),
    checks: () => items.flatMap((item) => item.form.checks()),
  };
}
