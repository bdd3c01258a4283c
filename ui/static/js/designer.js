// Field designer: add, rename, retype (with the conversion preview and the count of values
// that will not convert) and delete fields; the formula editor with syntax highlighting,
// field/function autocomplete (signatures and descriptions from the function registry),
// live errors at their exact position and a preview of results on real rows.
import { api } from "./api.js";
import { choiceLabels } from "./values.js";

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

let functionCache = null;
function loadFunctions() {
  if (!functionCache) functionCache = api("GET", "/ui/formula/functions").then((d) => d.functions);
  return functionCache;
}

// --- the formula editor --------------------------------------------------------------------
export function formulaEditor(tableId, fields, initial, msg) {
  const wrap = el("div", { class: "formula-editor" });
  const stack = el("div", { class: "formula-stack" });
  const code = el("pre", { class: "formula-highlight", "aria-hidden": "true" });
  const input = el("textarea", { class: "formula-input", spellcheck: "false", rows: "3", "aria-label": "formula", autocomplete: "off" });
  input.value = initial || "";
  const suggest = el("ul", { class: "formula-suggest", role: "listbox", hidden: "" });
  const errors = el("ul", { class: "formula-errors", role: "alert" });
  const info = el("div", { class: "formula-info" });
  const preview = el("table", { class: "formula-preview" });
  stack.append(code, input);
  wrap.append(stack, suggest, errors, info, preview);
  let timer = null;
  let lastAnalysis = null;
  let choices = [];
  let chosen = 0;

  const paint = (analysis) => {
    const text = input.value;
    const marks = new Array(text.length).fill(null);
    for (const t of analysis ? analysis.tokens : []) for (let i = t.start; i < t.end; i++) marks[i] = "tok-" + t.kind;
    const bad = new Array(text.length + 1).fill(false);
    for (const e of analysis ? analysis.errors : []) for (let i = e.start; i < Math.max(e.end, e.start + 1); i++) bad[i] = true;
    code.innerHTML = "";
    let i = 0;
    while (i < text.length) {
      let j = i;
      while (j < text.length && marks[j] === marks[i] && bad[j] === bad[i]) j++;
      const span = el("span", {}, text.slice(i, j));
      if (marks[i]) span.classList.add(marks[i]);
      if (bad[i]) span.classList.add("tok-bad");
      code.append(span);
      i = j;
    }
    if (bad[text.length] && analysis && analysis.errors.length) code.append(el("span", { class: "tok-bad tok-eof" }, " "));
    code.append(document.createTextNode("\n"));
  };

  const showAnalysis = (a) => {
    lastAnalysis = a;
    paint(a);
    errors.innerHTML = "";
    for (const e of a.errors) errors.append(el("li", { "data-start": String(e.start), "data-end": String(e.end) }, e.message));
    info.textContent = a.result_type ? `${msg.result_type || "Result type"}: ${a.result_type}` : "";
    preview.innerHTML = "";
    for (const row of a.preview || []) {
      const tr = el("tr");
      const value = row.value && typeof row.value === "object" && !Array.isArray(row.value) ? row.value.error : row.value;
      tr.append(el("th", {}, "#" + row.id), el("td", {}, value === null ? "" : String(value)));
      preview.append(tr);
    }
  };

  const analyze = async () => {
    try {
      showAnalysis(await api("POST", `/ui/tables/${tableId}/formula/analyze`, { formula: input.value }));
    } catch (err) {
      errors.innerHTML = "";
      errors.append(el("li", {}, err.message));
    }
  };

  const wordBefore = () => {
    const upto = input.value.slice(0, input.selectionStart);
    const field = upto.match(/\{([^{}]*)$/);
    if (field) return { kind: "field", text: field[1], start: upto.length - field[1].length - 1 };
    const fn = upto.match(/[A-Za-z][A-Za-z0-9._]*$/);
    if (fn) return { kind: "function", text: fn[0], start: upto.length - fn[0].length };
    return null;
  };

  const renderSuggest = () => {
    suggest.innerHTML = "";
    choices.forEach((c, i) => {
      const li = el("li", { role: "option", "aria-selected": i === chosen ? "true" : "false", "data-insert": c.insert });
      li.append(el("strong", {}, c.label));
      if (c.detail) li.append(el("span", { class: "sig" }, " " + c.detail));
      if (c.description) li.append(el("div", { class: "desc" }, c.description));
      li.addEventListener("mousedown", (e) => { e.preventDefault(); chosen = i; accept(); });
      suggest.append(li);
    });
    suggest.hidden = choices.length === 0;
  };

  const updateSuggest = async () => {
    const word = wordBefore();
    choices = [];
    chosen = 0;
    if (word && word.kind === "field") {
      const q = word.text.toLowerCase();
      choices = fields.filter((f) => f.name.toLowerCase().includes(q)).slice(0, 8)
        .map((f) => ({ label: f.name, detail: f.type, insert: "{" + f.name + "}", start: word.start }));
    } else if (word && word.text.length >= 1) {
      const q = word.text.toUpperCase();
      const fns = await loadFunctions();
      choices = fns.filter((f) => f.name.startsWith(q)).slice(0, 8)
        .map((f) => ({ label: f.name, detail: f.signature, description: f.description, insert: f.name + "(", start: word.start }));
    }
    renderSuggest();
  };

  const accept = () => {
    const c = choices[chosen];
    if (!c) return;
    const before = input.value.slice(0, c.start);
    let after = input.value.slice(input.selectionStart);
    if (c.insert.startsWith("{") && after.startsWith("}")) after = after.slice(1);
    input.value = before + c.insert + after;
    const caret = (before + c.insert).length;
    input.setSelectionRange(caret, caret);
    choices = [];
    renderSuggest();
    schedule();
  };

  const schedule = () => {
    paint(lastAnalysis && lastAnalysis.tokens ? { tokens: [], errors: [] } : null);
    clearTimeout(timer);
    timer = setTimeout(analyze, 200);
  };

  input.addEventListener("input", () => { schedule(); updateSuggest(); });
  input.addEventListener("scroll", () => { code.scrollTop = input.scrollTop; });
  input.addEventListener("keydown", (e) => {
    if (suggest.hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); chosen = (chosen + 1) % choices.length; renderSuggest(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); chosen = (chosen + choices.length - 1) % choices.length; renderSuggest(); }
    else if (e.key === "Enter" || e.key === "Tab") { e.preventDefault(); accept(); }
    else if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); choices = []; renderSuggest(); }
  });
  // hidden a moment after the input loses focus (a click on a suggestion lands first), unless
  // focus came back meanwhile: typing right after a click elsewhere must keep its suggestions
  input.addEventListener("blur", () => setTimeout(() => {
    if (document.activeElement !== input) suggest.hidden = true;
  }, 150));
  paint(null);
  if (input.value) analyze();
  return { element: wrap, value: () => input.value,
           hasErrors: () => !!(lastAnalysis && lastAnalysis.errors.length),
           errorText: () => (lastAnalysis ? lastAnalysis.errors.map((e) => e.message).join(" ") : "") };
}

// --- the field designer panel ----------------------------------------------------------------
export function fieldDesigner(panel, config, field, onDone) {
  const msg = config.messages;
  panel.innerHTML = "";
  const form = el("form", { class: "field-designer", "aria-label": field ? msg.edit_field : msg.new_field });
  form.append(el("h2", {}, field ? msg.edit_field : msg.new_field));
  const name = el("input", { name: "name", required: "", "aria-label": "name" });
  name.value = field ? field.name : "";
  const type = el("select", { name: "type", "aria-label": "type" });
  for (const t of config.fieldTypes) {
    const o = el("option", { value: t.name }, t.label);
    if (t.name === (field ? field.type : "text")) o.selected = true;
    type.append(o);
  }
  const options = el("div", { class: "field-options" });
  const report = el("p", { class: "conversion-report", role: "status" });
  const error = el("p", { class: "error-message", role: "alert" });
  const buttons = el("div", { class: "buttons" });
  const save = el("button", { type: "submit", class: "primary" }, "OK");
  const cancel = el("button", { type: "button" }, "×");
  buttons.append(save, cancel);
  if (field) {
    const del = el("button", { type: "button", class: "danger delete-field" }, msg.delete || "Delete");
    del.addEventListener("click", async () => {
      if (!window.confirm(msg.confirm_delete_field || "Delete?")) return;
      try { await api("DELETE", `/api/v1/fields/${field.id}`); onDone(); } catch (err) { error.textContent = err.message; }
    });
    buttons.append(del);
  }
  form.append(name, type, options, report, error, buttons);
  panel.append(form);
  panel.hidden = false;
  name.focus();

  let readOptions = () => undefined;
  let formula = null;
  const drawOptions = () => {
    options.innerHTML = "";
    formula = null;
    const t = type.value;
    if (t === "single_select" || t === "multi_select") {
      const area = el("textarea", { class: "choices", rows: "4", "aria-label": "choices" });
      area.value = field && field.type === t ? choiceLabels(field).join("\n") : "";
      options.append(area);
      readOptions = () => ({ choices: area.value.split("\n").map((s) => s.trim()).filter(Boolean).map((label) => ({ label })) });
    } else if (t === "link") {
      const target = el("select", { class: "link-target", "aria-label": "table" });
      for (const tbl of config.tables) target.append(el("option", { value: String(tbl.id) }, tbl.name));
      options.append(target);
      readOptions = () => ({ target_table_id: Number(target.value) });
    } else if (t === "formula") {
      formula = formulaEditor(config.tableId, config.fields.filter((f) => !field || f.id !== field.id),
                              field && field.type === "formula" ? field.options.formula : "", msg);
      options.append(formula.element);
      readOptions = () => ({ formula: formula.value() });
    } else {
      readOptions = () => undefined;
    }
  };
  const previewConversion = async () => {
    report.textContent = "";
    if (!field || type.value === field.type || ["formula", "link"].includes(type.value)) return;
    try {
      const body = { type: type.value };
      const opts = readOptions();
      if (opts) body.options = opts;
      const r = await api("POST", `/api/v1/fields/${field.id}/conversion-preview`, body);
      report.dataset.rejected = String(r.rejected.length);
      report.textContent = r.rejected.length
        ? `${r.rejected.length} / ${r.total} ${msg.will_not_convert}: ` + r.rejected.slice(0, 5).map((x) => JSON.stringify(x.original_value)).join(", ")
        : msg.converts_all;
    } catch (err) { report.textContent = err.message; }
  };
  type.addEventListener("change", () => { drawOptions(); previewConversion(); });
  options.addEventListener("change", previewConversion);
  drawOptions();
  cancel.addEventListener("click", () => { panel.hidden = true; });
  form.addEventListener("input", () => { error.textContent = ""; }); // the message was about the old text
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    if (formula && formula.hasErrors()) {
      // the live check already found the mistake: say it here instead of sending it
      error.textContent = formula.errorText();
      return;
    }
    const body = { name: name.value.trim(), type: type.value };
    const opts = readOptions();
    if (opts) body.options = opts;
    try {
      if (!field) await api("POST", `/api/v1/tables/${config.tableId}/fields`, body);
      else {
        const changes = {};
        if (body.name !== field.name) changes.name = body.name;
        if (body.type !== field.type) changes.type = body.type;
        if (opts && JSON.stringify(opts) !== JSON.stringify(field.options)) changes.options = opts;
        if (Object.keys(changes).length) await api("PATCH", `/api/v1/fields/${field.id}`, changes);
      }
      onDone();
    } catch (err) {
      error.textContent = err.message;
    }
  });
}
