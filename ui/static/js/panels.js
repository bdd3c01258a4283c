// Toolbar panels: filter (nested AND/OR groups), sort, group, hidden fields, and saving the
// current state as a view (PATCH the open view, or POST a new one).
import { api } from "./api.js";
import { choiceLabels } from "./values.js";

const OPS = {
  text: ["contains", "not_contains", "=", "!=", "starts_with", "is_empty", "is_not_empty"],
  number: ["=", "!=", ">", ">=", "<", "<=", "is_empty", "is_not_empty"],
  date: ["on", "before", "after", "within_last_days", "within_next_days", "today", "this_month", "is_empty", "is_not_empty"],
  boolean: ["="],
  list: ["has_any", "has_all", "has_none", "is_empty", "is_not_empty"],
};
const NO_VALUE = new Set(["is_empty", "is_not_empty", "today", "this_month"]);

export function opsFor(field) {
  if (["multi_select", "link"].includes(field.type)) return OPS.list;
  if (field.type === "checkbox") return OPS.boolean;
  if (["number", "currency", "percent", "autonumber"].includes(field.type)) return OPS.number;
  if (["date", "datetime", "created_time", "modified_time"].includes(field.type)) return OPS.date;
  if (field.type === "single_select") return ["=", "!=", "is_empty", "is_not_empty"];
  return OPS.text;
}

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function fieldSelect(fields, selected, cls) {
  const select = el("select", { class: cls });
  for (const f of fields) {
    const opt = el("option", { value: String(f.id) }, f.name);
    if (String(f.id) === String(selected) || f.name === selected) opt.selected = true;
    select.append(opt);
  }
  return select;
}

// --- filter builder: a tree of groups {and|or: [...]} and conditions {field, op, value} ---
export function buildFilterEditor(container, fields, spec, msg) {
  const filterable = fields.filter((f) => f.type !== "link" || true);
  const root = groupNode(spec && (spec.and || spec.or) ? spec : { and: spec ? [spec] : [] }, true);
  container.append(root);

  function groupNode(group, isRoot) {
    const mode = group.or ? "or" : "and";
    const box = el("div", { class: "filter-group", "data-mode": mode });
    const bar = el("div", { class: "filter-group-bar" });
    const modeSel = el("select", { class: "filter-mode", "aria-label": "and/or" });
    for (const m of ["and", "or"]) {
      const o = el("option", { value: m }, msg[m] || m);
      if (m === mode) o.selected = true;
      modeSel.append(o);
    }
    modeSel.addEventListener("change", () => { box.dataset.mode = modeSel.value; });
    const items = el("div", { class: "filter-items" });
    const addCond = el("button", { type: "button", class: "add-condition" }, msg.add_condition || "+ Condition");
    const addGroup = el("button", { type: "button", class: "add-group" }, msg.add_group || "+ Group");
    addCond.addEventListener("click", () => items.append(conditionNode({ field: filterable[0].id, op: opsFor(filterable[0])[0], value: "" })));
    addGroup.addEventListener("click", () => items.append(groupNode({ and: [] }, false)));
    bar.append(modeSel, addCond, addGroup);
    if (!isRoot) {
      const del = el("button", { type: "button", class: "remove", "aria-label": "remove" }, "×");
      del.addEventListener("click", () => box.remove());
      bar.append(del);
    }
    box.append(bar, items);
    for (const child of group[mode] || []) items.append(child.and || child.or ? groupNode(child, false) : conditionNode(child));
    return box;
  }

  function conditionNode(cond) {
    const row = el("div", { class: "filter-condition" });
    const fsel = fieldSelect(filterable, cond.field, "filter-field");
    const opSel = el("select", { class: "filter-op" });
    let valueBox = el("span");
    const field = () => filterable.find((f) => String(f.id) === fsel.value);
    const fillOps = (selected) => {
      opSel.innerHTML = "";
      for (const op of opsFor(field())) {
        const o = el("option", { value: op }, op);
        if (op === selected) o.selected = true;
        opSel.append(o);
      }
    };
    const fillValue = (value) => {
      const f = field();
      let input;
      if (f.type === "single_select" || f.type === "multi_select") {
        input = el("select", { class: "filter-value" });
        for (const label of choiceLabels(f)) {
          const o = el("option", { value: label }, label);
          if (label === value || (Array.isArray(value) && value.includes(label))) o.selected = true;
          input.append(o);
        }
      } else if (f.type === "checkbox") {
        input = el("select", { class: "filter-value" });
        for (const v of ["true", "false"]) { const o = el("option", { value: v }, v); if (String(value) === v) o.selected = true; input.append(o); }
      } else {
        input = el("input", { class: "filter-value", type: ["date", "datetime"].includes(f.type) && !opSel.value.startsWith("within") ? "date" : "text" });
        input.value = value === undefined || value === null ? "" : String(value);
      }
      input.hidden = NO_VALUE.has(opSel.value);
      valueBox.replaceWith(input);
      valueBox = input;
    };
    fsel.addEventListener("change", () => { fillOps(null); fillValue(""); });
    opSel.addEventListener("change", () => fillValue(valueBox.value));
    const del = el("button", { type: "button", class: "remove", "aria-label": "remove" }, "×");
    del.addEventListener("click", () => row.remove());
    row.append(fsel, opSel, valueBox, del);
    fillOps(cond.op);
    fillValue(cond.value);
    return row;
  }

  return () => readGroup(root);

  function readGroup(box) {
    const parts = [];
    for (const child of box.querySelector(".filter-items").children) {
      if (child.classList.contains("filter-group")) {
        const g = readGroup(child);
        if (g) parts.push(g);
      } else {
        const f = filterable.find((x) => String(x.id) === child.querySelector(".filter-field").value);
        const op = child.querySelector(".filter-op").value;
        const raw = child.querySelector(".filter-value");
        const cond = { field: f.id, op };
        if (!NO_VALUE.has(op)) {
          let value = raw.value;
          if (f.type === "checkbox") value = value === "true";
          else if (["has_any", "has_all", "has_none"].includes(op)) value = [value];
          else if (["number", "currency", "percent"].includes(f.type) && value !== "" && !Number.isNaN(Number(value))) value = Number(value);
          else if (op.startsWith("within")) value = Number(value);
          cond.value = value;
        }
        parts.push(cond);
      }
    }
    if (!parts.length) return null;
    return { [box.dataset.mode]: parts };
  }
}

export function buildSortEditor(container, fields, sorts, msg) {
  const sortable = fields.filter((f) => !["link", "multi_select", "lookup", "rollup"].includes(f.type));
  const list = el("div", { class: "sort-list" });
  const addRow = (s) => {
    const row = el("div", { class: "sort-row" });
    const fsel = fieldSelect(sortable, s.field, "sort-field");
    const dir = el("select", { class: "sort-dir" });
    for (const d of ["asc", "desc"]) {
      const o = el("option", { value: d }, d === "asc" ? msg.ascending || "A → Z" : msg.descending || "Z → A");
      if (d === (s.direction || "asc")) o.selected = true;
      dir.append(o);
    }
    const del = el("button", { type: "button", class: "remove", "aria-label": "remove" }, "×");
    del.addEventListener("click", () => row.remove());
    row.append(fsel, dir, del);
    list.append(row);
  };
  (sorts || []).forEach(addRow);
  const add = el("button", { type: "button", class: "add-sort" }, msg.add_sort || "+ Sort");
  add.addEventListener("click", () => addRow({ field: sortable[0].id }));
  container.append(list, add);
  return () => [...list.children].map((row) => ({ field: Number(row.querySelector(".sort-field").value), direction: row.querySelector(".sort-dir").value }));
}

export function buildHiddenEditor(container, fields, hidden) {
  const box = el("div", { class: "hide-list" });
  for (const f of fields) {
    const label = el("label");
    const check = el("input", { type: "checkbox", value: String(f.id), class: "show-field" });
    check.checked = !hidden.has(f.id);
    label.append(check, document.createTextNode(" " + f.name));
    box.append(label);
  }
  container.append(box);
  return () => [...box.querySelectorAll("input")].filter((i) => !i.checked).map((i) => Number(i.value));
}

export async function saveView(config, state, name, layout = {}) {
  const body = { filters: state.filters, sorts: state.sorts, hidden_fields: [...state.hidden],
                 kind: "grid", layout };
  if (config.viewId && !name) return api("PATCH", `/api/v1/views/${config.viewId}`, body);
  return api("POST", `/api/v1/tables/${config.tableId}/views`, { name, ...body });
}
