// In-place cell editors, one per kind of field: text-like inputs, a date picker, a select,
// a multi-select checklist, a link picker with search. The editor floats over its cell (the
// grid may re-render underneath, e.g. on a live update, without touching it); a refused value
// stays in the editor with the server's message under it.
import { api, query } from "./api.js";
import { editText, fromText, choiceLabels } from "./values.js";

const INPUT_TYPES = { date: "date", datetime: "datetime-local", email: "email", url: "url" };

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function openEditor(grid, field, record, labels, initialText) {
  const pos = grid.active.r;
  const col = grid.active.c;
  const box = el("div", { class: "vg-editor", "data-type": field.type });
  const error = el("div", { class: "vg-editor-error", role: "alert", hidden: "" });
  const current = record.fields[String(field.id)];
  let getValue;
  let focusTarget;

  if (field.type === "single_select") {
    const select = el("select", { class: "vg-input", "aria-label": field.name });
    select.append(el("option", { value: "" }, ""));
    for (const label of choiceLabels(field)) {
      const opt = el("option", { value: label }, label);
      if (label === current) opt.selected = true;
      select.append(opt);
    }
    if (initialText) {
      const match = choiceLabels(field).find((l) => l.toLowerCase().startsWith(initialText.toLowerCase()));
      if (match) select.value = match;
    }
    select.addEventListener("change", () => editor.commit(null));
    getValue = () => select.value || null;
    box.append(select);
    focusTarget = select;
  } else if (field.type === "multi_select") {
    const chosen = new Set(Array.isArray(current) ? current : []);
    const list = el("div", { class: "vg-checklist", role: "group", "aria-label": field.name });
    for (const label of choiceLabels(field)) {
      const item = el("label");
      const box2 = el("input", { type: "checkbox", value: label });
      box2.checked = chosen.has(label);
      item.append(box2, document.createTextNode(" " + label));
      list.append(item);
    }
    const ok = el("button", { type: "button", class: "vg-ok" }, "OK");
    ok.addEventListener("click", () => editor.commit("down"));
    getValue = () => [...list.querySelectorAll("input:checked")].map((i) => i.value);
    box.append(list, ok);
    focusTarget = list.querySelector("input") || ok;
  } else if (field.type === "link") {
    const picked = new Map((Array.isArray(current) ? current : []).map((id) => [id, ((labels || {})[String(field.id)] || {})[String(id)] || "#" + id]));
    const chips = el("div", { class: "vg-chips" });
    const search = el("input", { class: "vg-input", type: "search", "aria-label": field.name, placeholder: grid.msg.search || "Search…" });
    const results = el("ul", { class: "vg-results", role: "listbox" });
    const drawChips = () => {
      chips.innerHTML = "";
      for (const [id, label] of picked) {
        const chip = el("button", { type: "button", class: "vg-chip", title: "×" }, label + " ×");
        chip.addEventListener("click", () => { picked.delete(id); drawChips(); });
        chips.append(chip);
      }
    };
    let timer = null;
    let asked = 0;
    const runSearch = async () => {
      const target = field.options.target_table_id;
      const mine = ++asked;
      const data = await api("GET", `/ui/tables/${target}/grid/search` + query({ q: search.value }));
      if (mine !== asked) return; // a later search is on its way
      results.innerHTML = "";
      for (const rec of data.records) {
        const li = el("li", { role: "option", "data-id": String(rec.id), tabindex: "-1" }, rec.label || "#" + rec.id);
        li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(rec); });
        results.append(li);
      }
    };
    const choose = (rec) => {
      if (field.options.many === false) picked.clear();
      picked.set(rec.id, rec.label || "#" + rec.id);
      drawChips();
    };
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(runSearch, 150); });
    search.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && search.value && results.firstChild) {
        e.preventDefault(); e.stopPropagation();
        const first = results.firstChild;
        choose({ id: Number(first.dataset.id), label: first.textContent });
        search.value = "";
        results.innerHTML = "";
      }
    }, true);
    if (initialText) search.value = initialText;
    drawChips();
    runSearch();
    getValue = () => [...picked.keys()];
    box.append(chips, search, results);
    focusTarget = search;
  } else {
    const multiline = field.type === "long_text";
    const input = el(multiline ? "textarea" : "input", { class: "vg-input", "aria-label": field.name });
    const typed = initialText !== null && initialText !== undefined;
    if (!multiline) input.type = typed ? "text" : (INPUT_TYPES[field.type] || "text");
    let start = typed ? initialText : editText(field, current);
    if (input.type === "datetime-local" && start) start = start.replace(" ", "T").slice(0, 16);
    input.value = start;
    getValue = () => fromText(field, input.value);
    box.append(input);
    focusTarget = input;
  }
  box.append(error);

  const editor = {
    field,
    recordId: record.id,
    contains: (node) => box.contains(node),
    reposition() {
      const at = grid.findPosition(record.id);
      const cell = at >= 0 ? grid.cellElement(at, col) : null;
      if (!cell) { box.style.visibility = "hidden"; return; }
      const c = cell.getBoundingClientRect();
      const s = grid.scroller.getBoundingClientRect();
      box.style.visibility = "visible";
      box.style.left = c.left - s.left + grid.scroller.scrollLeft + "px";
      box.style.top = c.top - s.top + grid.scroller.scrollTop + "px";
      box.style.minWidth = c.width + "px";
      box.style.minHeight = c.height + "px";
    },
    close(move) {
      box.remove();
      grid.editorClosed(move);
    },
    async commit(move) {
      if (editor.saving) return;
      editor.saving = true;
      const value = getValue();
      try {
        await grid.write([{ id: record.id, fields: { [`f_${field.id}`]: value } }]);
        editor.close(move);
      } catch (err) {
        // keep what was typed; say what is wrong right at the cell
        error.textContent = err.message;
        error.hidden = false;
        box.classList.add("vg-editor-invalid");
        grid.flash(err.message, true);
        focusTarget.focus();
      } finally {
        editor.saving = false;
      }
    },
  };

  box.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if (e.key === "Escape") { e.preventDefault(); editor.close(null); return; }
    if (e.key === "Enter" && !(field.type === "long_text" && e.altKey) && !e.isComposing) {
      e.preventDefault(); editor.commit(e.shiftKey ? null : "down"); return;
    }
    if (e.key === "Tab") { e.preventDefault(); editor.commit(e.shiftKey ? "left" : "right"); }
  });
  box.addEventListener("mousedown", (e) => e.stopPropagation());
  grid.scroller.append(box);
  editor.reposition();
  focusTarget.focus();
  if (focusTarget.setSelectionRange && initialText) {
    try { focusTarget.setSelectionRange(focusTarget.value.length, focusTarget.value.length); } catch (e) { /* date inputs */ }
  }
  return editor;
}
