// The Excel-like grid: WAI-ARIA grid pattern, virtual scrolling over position-indexed keyset
// blocks (GET /ui/tables/{id}/grid/block?b=N), keyboard like Excel, in-place editors per
// field type, TSV copy/paste, fill down, undo/redo through change sets, column resize, hide
// and freeze. Only the rows in the viewport exist in the DOM, so a million rows stay light.
import { api, query, csrfToken, pageLanguage, ApiError } from "./api.js";
import { toTSV, parseTSV } from "./tsv.js";
import { displayText, editText, fromText, isReadOnly } from "./values.js";
import { openEditor } from "./editors.js";

export const BLOCK = 100;
const MAX_BODY_PX = 30000000; // below Chromium's element height limit
const OVERSCAN = 6;
const ROWNUM_W = 72;
const MAX_WRITE = 1000;

const ROW_HEIGHTS = { short: 28, medium: 40, tall: 64, extra: 96 }; // layout.row_height → px

// A cell the user cannot change: a computed field, or one their role may not write (the page
// sends writable: false for it, tessera.access); locked cells open no editor and take no paste.
const noWrite = (field) => field.writable === false && !isReadOnly(field);
const locked = (field) => isReadOnly(field) || field.writable === false;

export class Grid {
  constructor(root, scroller, config, hooks = {}) {
    this.root = root;
    this.scroller = scroller;
    this.config = config;
    this.msg = config.messages || {};
    this.hooks = hooks;
    this.tableId = config.tableId;
    this.fields = config.fields;
    this.state = { filters: config.view.filters || null, sorts: config.view.sorts || [],
                   hidden: new Set(config.view.hidden_fields || []), groupBy: null };
    this.prefsKey = `tessera.grid.${this.tableId}.${config.viewId || "all"}`;
    const prefs = this.loadPrefs();
    if (prefs.hidden) this.state.hidden = new Set(prefs.hidden);
    // a saved view's layout (grouping, column order, row height) wins over personal prefs
    this.savedLayout = config.view.layout || {};
    const saved = this.savedLayout;
    this.widths = prefs.widths || {};
    this.frozen = prefs.frozen || 0;
    this.rowH = ROW_HEIGHTS[saved.row_height] || prefs.rowH || 28;
    this.state.groupBy = (saved.group_by || [])[0] || prefs.groupBy || null;
    this.order = saved.fields ? [...saved.fields] : (prefs.order || []);
    this.total = 0;
    this.blocks = new Map();
    this.pending = new Map();
    this.gen = 0;
    this.active = { r: 0, c: 0 };
    this.anchor = { r: 0, c: 0 };
    this.editor = null;
    this.undoStack = [];
    this.redoStack = [];
    this.ownChangeSets = new Set();
    this.renderQueued = false;
    this.build();
  }

  // --- preferences (personal: widths, order, hidden and frozen columns, row height, grouping)
  // kept per user per view on the server (tessera.web.personal) and embedded in the page's
  // config; settings an older version left in this browser's localStorage move there once.
  loadPrefs() {
    if (this.config.personal) return this.config.personal;
    let local = {};
    try { local = JSON.parse(localStorage.getItem(this.prefsKey) || "{}"); } catch (e) { local = {}; }
    if (Object.keys(local).length) {
      this.pushPrefs(local).then(() => { try { localStorage.removeItem(this.prefsKey); } catch (e) { /* private mode */ } });
    }
    return local;
  }
  savePrefs() {
    const prefs = { widths: this.widths, frozen: this.frozen, rowH: this.rowH, groupBy: this.state.groupBy,
                    order: this.order, hidden: [...this.state.hidden] };
    this.pushPrefs(prefs);
  }
  // one PUT after the other (the last choice wins); keepalive lets a PUT sent just before the
  // user navigates away still arrive
  pushPrefs(prefs) {
    const clean = { ...prefs };
    if (clean.groupBy !== null && clean.groupBy !== undefined) clean.groupBy = Number(clean.groupBy);
    const view = this.config.viewId ? `?view=${this.config.viewId}` : "";
    const send = () => fetch(`/ui/tables/${this.tableId}/personal${view}`, {
      method: "PUT", keepalive: true, credentials: "same-origin", body: JSON.stringify(clean),
      headers: { "content-type": "application/json", "accept": "application/json",
                 "accept-language": pageLanguage(), "X-CSRF-Token": csrfToken() },
    }).then(async (response) => {
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    }).catch((err) => this.flash(err.message, true));
    this.prefsQueue = (this.prefsQueue || Promise.resolve()).then(send);
    return this.prefsQueue;
  }

  // the layout "save view" stores (tessera.schema.view_layout): further group levels of the
  // saved view are kept while its first level is still the grid's grouping
  layout() {
    const out = {};
    if (this.state.groupBy) {
      const levels = this.savedLayout.group_by || [];
      const rest = String(levels[0]) === String(this.state.groupBy) ? levels.slice(1) : [];
      out.group_by = [Number(this.state.groupBy), ...rest];
    }
    if (this.order.length) out.fields = this.orderedFields().map((f) => f.id);
    const height = Object.keys(ROW_HEIGHTS).find((k) => ROW_HEIGHTS[k] === this.rowH);
    if (height) out.row_height = height;
    return out;
  }

  orderedFields() {
    // a personal column order (field ids) first; fields it does not know keep their place after
    const rank = (f) => { const i = this.order.indexOf(f.id); return i < 0 ? this.order.length + this.fields.indexOf(f) : i; };
    return [...this.fields].sort((a, b) => rank(a) - rank(b));
  }
  get columns() {
    return this.orderedFields().filter((f) => !this.state.hidden.has(f.id));
  }
  moveColumn(fieldId, step) {
    const visible = this.columns;
    const from = visible.findIndex((f) => f.id === fieldId);
    const neighbour = visible[from + step];
    if (from < 0 || !neighbour) return;
    const ids = this.orderedFields().map((f) => f.id).filter((id) => id !== fieldId);
    const at = ids.indexOf(neighbour.id) + (step > 0 ? 1 : 0);
    ids.splice(at, 0, fieldId);
    this.order = ids;
    this.savePrefs();
    this.renderHeader();
    this.render();
  }
  width(field) {
    return this.widths[field.id] || (field.type === "long_text" ? 240 : 160);
  }
  effectiveSort() {
    const sorts = this.state.sorts || [];
    if (!this.state.groupBy) return sorts;
    return [{ field: this.state.groupBy, direction: "asc" }, ...sorts.filter((s) => s.field !== this.state.groupBy)];
  }

  // --- DOM skeleton ----------------------------------------------------------------------
  build() {
    this.root.innerHTML = "";
    this.header = document.createElement("div");
    this.header.className = "vg-header";
    this.header.setAttribute("role", "rowgroup");
    this.body = document.createElement("div");
    this.body.className = "vg-body";
    this.body.setAttribute("role", "rowgroup");
    this.root.append(this.header, this.body);
    this.root.addEventListener("keydown", (e) => this.onKey(e));
    this.root.addEventListener("mousedown", (e) => this.onMouseDown(e));
    this.root.addEventListener("copy", (e) => this.onCopy(e));
    this.root.addEventListener("paste", (e) => this.onPaste(e));
    this.scroller.addEventListener("scroll", () => this.queueRender());
    window.addEventListener("resize", () => this.queueRender());
    this.renderHeader();
  }

  renderHeader() {
    const cols = this.columns;
    this.root.setAttribute("aria-colcount", String(cols.length + 1));
    const row = document.createElement("div");
    row.className = "vg-row vg-head";
    row.setAttribute("role", "row");
    row.setAttribute("aria-rowindex", "1");
    const corner = document.createElement("div");
    corner.className = "vg-rownum vg-frozen";
    corner.setAttribute("role", "columnheader");
    corner.setAttribute("aria-colindex", "1");
    corner.style.left = "0px";
    corner.textContent = "#";
    row.append(corner);
    let left = ROWNUM_W;
    cols.forEach((field, c) => {
      const th = document.createElement("div");
      th.className = "vg-col";
      th.setAttribute("role", "columnheader");
      th.setAttribute("aria-colindex", String(c + 2));
      th.dataset.fieldId = field.id;
      th.dataset.type = field.type;
      th.style.width = this.width(field) + "px";
      const sort = this.effectiveSort().find((s) => String(s.field) === String(field.id) || s.field === field.name);
      if (sort) th.setAttribute("aria-sort", sort.direction === "desc" ? "descending" : "ascending");
      if (c < this.frozen) { th.classList.add("vg-frozen"); th.style.left = left + "px"; }
      left += this.width(field);
      const name = document.createElement("button");
      name.type = "button";
      name.className = "vg-col-name";
      name.textContent = field.name;
      name.title = field.type;
      name.addEventListener("click", (e) => { e.stopPropagation(); this.hooks.columnMenu && this.hooks.columnMenu(field, th); });
      const handle = document.createElement("span");
      handle.className = "vg-resize";
      handle.setAttribute("aria-hidden", "true");
      handle.addEventListener("mousedown", (e) => this.startResize(e, field));
      th.append(name, handle);
      row.append(th);
    });
    this.totalWidth = left;
    row.style.width = left + "px";
    this.header.innerHTML = "";
    this.header.append(row);
    this.body.style.width = left + "px";
  }

  // --- data --------------------------------------------------------------------------------
  async load() {
    this.gen += 1;
    this.blocks.clear();
    this.pending.clear();
    await this.fetchBlock(0);
    this.render();
    // warm the server's position index while the user reads the first rows, so the first
    // jump (Ctrl+End, "go to row", a dragged scrollbar) is a single keyset page
    if (this.total > BLOCK) {
      const gen = this.gen;
      const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 50));
      idle(() => { if (gen === this.gen) this.fetchBlock(Math.floor((this.total - 1) / BLOCK)); });
    }
  }

  refresh() {
    // keep rows on screen (and editable: typing opens its editor on them) until their fresh
    // copies arrive, also when a live update refreshes again before the last refresh ended
    const stale = this.stale ? new Map([...this.stale, ...this.blocks]) : this.blocks;
    this.gen += 1;
    this.blocks = new Map();
    this.pending.clear();
    this.stale = stale;
    return this.fetchVisible();
  }

  blockUrl(b) {
    return `/ui/tables/${this.tableId}/grid/block` + query({ b, filter: this.state.filters, sort: this.effectiveSort() });
  }

  fetchBlock(b) {
    if (this.blocks.has(b)) return Promise.resolve(this.blocks.get(b));
    if (this.pending.has(b)) return this.pending.get(b);
    const gen = this.gen;
    const promise = api("GET", this.blockUrl(b)).then((data) => {
      if (gen !== this.gen) return null;
      this.pending.delete(b);
      this.blocks.set(b, data);
      if (this.total !== data.total) this.setTotal(data.total);
      this.trimCache();
      this.queueRender();
      return data;
    }).catch((err) => {
      this.pending.delete(b);
      this.flash(err.message, true);
      return null;
    });
    this.pending.set(b, promise);
    return promise;
  }

  fetchVisible() {
    const [first, last] = this.visibleRange();
    const jobs = [];
    for (let b = Math.floor(first / BLOCK); b <= Math.floor(Math.max(first, last) / BLOCK); b++) jobs.push(this.fetchBlock(b));
    const gen = this.gen;
    return Promise.all(jobs).then(() => { if (gen === this.gen) this.stale = null; this.render(); });
  }

  trimCache() {
    if (this.blocks.size <= 60) return;
    const [first] = this.visibleRange();
    const here = Math.floor(first / BLOCK);
    const far = [...this.blocks.keys()].sort((a, b) => Math.abs(b - here) - Math.abs(a - here));
    for (const b of far.slice(0, this.blocks.size - 60)) this.blocks.delete(b);
  }

  setTotal(total) {
    this.total = total;
    this.root.setAttribute("aria-rowcount", String(total + 1));
    const fullPx = total * this.rowH;
    this.body.style.height = Math.min(fullPx, MAX_BODY_PX) + "px";
    if (this.hooks.total) this.hooks.total(total);
  }

  rowAt(pos) {
    const b = Math.floor(pos / BLOCK);
    const block = this.blocks.get(b) || (this.stale && this.stale.get(b));
    if (!block) return null;
    const row = block.rows[pos - b * BLOCK];
    return row ? { row, labels: block.labels } : null;
  }

  findPosition(recordId) {
    for (const [b, block] of this.blocks) {
      const i = block.rows.findIndex((r) => r.id === recordId);
      if (i >= 0) return b * BLOCK + i;
    }
    return -1;
  }

  // --- geometry (scaled when the table is taller than a browser element may be) ----------
  scale() {
    const view = this.scroller.clientHeight;
    const full = this.total * this.rowH;
    const body = Math.min(full, MAX_BODY_PX);
    if (full <= body || body <= view) return 1;
    return (full - view) / (body - view);
  }
  headerH() {
    return this.header.offsetHeight || this.rowH;
  }
  visibleRange() {
    const top = this.scroller.scrollTop * this.scale();
    const first = Math.max(0, Math.floor(top / this.rowH));
    const count = Math.ceil(this.scroller.clientHeight / this.rowH) + 1;
    return [first, Math.min(this.total - 1, first + count)];
  }
  rowTop(pos) {
    // position inside the body element: exact when unscaled, relative to the viewport if scaled
    const s = this.scale();
    if (s === 1) return pos * this.rowH;
    return this.scroller.scrollTop + (pos * this.rowH - this.scroller.scrollTop * s);
  }
  scrollToRow(pos) {
    const s = this.scale();
    const top = pos * this.rowH;
    const viewTop = this.scroller.scrollTop * s;
    const viewH = this.scroller.clientHeight - this.headerH() - this.rowH;
    if (top < viewTop) this.scroller.scrollTop = top / s;
    else if (top > viewTop + viewH) this.scroller.scrollTop = (top - viewH) / s;
  }
  jumpTo(pos) {
    const target = Math.max(0, Math.min(this.total - 1, pos));
    this.scroller.scrollTop = (target * this.rowH) / this.scale();
    this.setActive(target, this.active.c, false);
    return this.fetchVisible();
  }

  // --- rendering ---------------------------------------------------------------------------
  queueRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => { this.renderQueued = false; this.render(); });
  }

  render() {
    const cols = this.columns;
    const [first, last] = this.visibleRange();
    const from = Math.max(0, first - OVERSCAN);
    const to = Math.min(this.total - 1, last + OVERSCAN);
    const sel = this.selection();
    const frag = document.createDocumentFragment();
    const missing = new Set();
    const groupField = this.state.groupBy ? this.fields.find((f) => String(f.id) === String(this.state.groupBy)) : null;
    for (let pos = from; pos <= to; pos++) {
      const found = this.rowAt(pos);
      if (!found) missing.add(Math.floor(pos / BLOCK));
      frag.append(this.renderRow(pos, found, cols, sel, groupField));
    }
    this.body.innerHTML = "";
    this.body.append(frag);
    for (const b of missing) this.fetchBlock(b);
    if (this.editor) this.editor.reposition();
    this.updateActiveDescendant();
  }

  renderRow(pos, found, cols, sel, groupField) {
    const tr = document.createElement("div");
    tr.className = "vg-row";
    tr.setAttribute("role", "row");
    tr.setAttribute("aria-rowindex", String(pos + 2));
    tr.style.top = this.rowTop(pos) + "px";
    tr.style.height = this.rowH + "px";
    tr.style.width = this.totalWidth + "px";
    const record = found ? found.row : null;
    if (record) tr.dataset.recordId = record.id;
    else tr.classList.add("vg-loading");
    if (groupField && record) {
      const prev = this.rowAt(pos - 1);
      const value = record.fields[String(groupField.id)];
      if (!prev || JSON.stringify(prev.row.fields[String(groupField.id)]) !== JSON.stringify(value)) {
        tr.classList.add("vg-group-start");
        tr.dataset.group = displayText(groupField, value, found.labels) || this.msg.empty || "(empty)";
      }
    }
    const head = document.createElement("div");
    head.className = "vg-rownum vg-frozen";
    head.setAttribute("role", "rowheader");
    head.setAttribute("aria-colindex", "1");
    head.style.left = "0px";
    if (record) {
      const link = document.createElement("a");
      link.href = `/tables/${this.tableId}/records/${record.id}`;
      link.textContent = String(pos + 1);
      link.tabIndex = -1;
      head.append(link);
    }
    if (tr.dataset.group) head.dataset.group = tr.dataset.group;
    tr.append(head);
    let left = ROWNUM_W;
    cols.forEach((field, c) => {
      const td = document.createElement("div");
      td.className = "vg-cell";
      td.id = `vg-${pos}-${c}`;
      td.setAttribute("role", "gridcell");
      td.setAttribute("aria-colindex", String(c + 2));
      td.dataset.type = field.type;
      td.style.width = this.width(field) + "px";
      if (c < this.frozen) { td.classList.add("vg-frozen"); td.style.left = left + "px"; }
      left += this.width(field);
      if (locked(field)) td.setAttribute("aria-readonly", "true");
      const inSel = pos >= sel.r0 && pos <= sel.r1 && c >= sel.c0 && c <= sel.c1;
      td.setAttribute("aria-selected", inSel ? "true" : "false");
      if (pos === this.active.r && c === this.active.c) td.classList.add("vg-active");
      if (record) {
        const value = record.fields[String(field.id)];
        if (value && typeof value === "object" && !Array.isArray(value) && value.error) td.classList.add("vg-value-error");
        if (field.type === "checkbox") {
          td.textContent = value ? "☑" : "☐";
          td.setAttribute("aria-checked", value ? "true" : "false");
        } else {
          td.textContent = displayText(field, value, found.labels);
        }
      }
      tr.append(td);
    });
    return tr;
  }

  updateActiveDescendant() {
    const id = `vg-${this.active.r}-${this.active.c}`;
    if (document.getElementById(id)) this.root.setAttribute("aria-activedescendant", id);
    else this.root.removeAttribute("aria-activedescendant");
  }

  // --- selection -----------------------------------------------------------------------------
  selection() {
    return { r0: Math.min(this.active.r, this.anchor.r), r1: Math.max(this.active.r, this.anchor.r),
             c0: Math.min(this.active.c, this.anchor.c), c1: Math.max(this.active.c, this.anchor.c) };
  }
  setActive(r, c, extend) {
    const cols = this.columns.length;
    this.active = { r: Math.max(0, Math.min(this.total - 1, r)), c: Math.max(0, Math.min(cols - 1, c)) };
    if (!extend) this.anchor = { ...this.active };
    this.scrollToRow(this.active.r);
    this.render();
  }
  cellElement(r, c) {
    return document.getElementById(`vg-${r}-${c}`);
  }

  onMouseDown(e) {
    const cell = e.target.closest(".vg-cell");
    if (!cell || (this.editor && this.editor.contains(e.target))) return;
    const row = cell.parentElement;
    const pos = Number(row.getAttribute("aria-rowindex")) - 2;
    const c = Number(cell.getAttribute("aria-colindex")) - 2;
    if (this.editor) this.editor.commit(false);
    // rows are re-rendered on every click, so a double click is recognised here
    const now = Date.now();
    const again = this.lastDown && this.lastDown.r === pos && this.lastDown.c === c && now - this.lastDown.t < 450;
    this.lastDown = { r: pos, c, t: now };
    this.setActive(pos, c, e.shiftKey);
    if (again && !e.shiftKey) { e.preventDefault(); this.startEdit(null); return; }
    this.root.focus({ preventScroll: true });
    const move = (ev) => {
      const over = document.elementFromPoint(ev.clientX, ev.clientY);
      const other = over && over.closest && over.closest(".vg-cell");
      if (!other) return;
      const r2 = Number(other.parentElement.getAttribute("aria-rowindex")) - 2;
      const c2 = Number(other.getAttribute("aria-colindex")) - 2;
      if (r2 !== this.active.r || c2 !== this.active.c) { this.active = { r: r2, c: c2 }; this.render(); }
    };
    const up = () => { document.removeEventListener("mousemove", move); document.removeEventListener("mouseup", up); };
    document.addEventListener("mousemove", move);
    document.addEventListener("mouseup", up);
    const field = this.columns[c];
    if (field && field.type === "checkbox" && e.target === cell && e.offsetX < 28) this.toggleCheckbox();
    e.preventDefault();
  }

  // --- keyboard --------------------------------------------------------------------------------
  onKey(e) {
    if (this.editor) return; // the editor handles its own keys
    const ctrl = e.ctrlKey || e.metaKey;
    const { r, c } = this.active;
    const last = this.total - 1;
    const lastCol = this.columns.length - 1;
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / this.rowH) - 1);
    const moves = {
      ArrowUp: () => this.setActive(ctrl ? 0 : r - 1, c, e.shiftKey),
      ArrowDown: () => this.setActive(ctrl ? last : r + 1, c, e.shiftKey),
      ArrowLeft: () => this.setActive(r, ctrl ? 0 : c - 1, e.shiftKey),
      ArrowRight: () => this.setActive(r, ctrl ? lastCol : c + 1, e.shiftKey),
      Home: () => this.setActive(ctrl ? 0 : r, 0, e.shiftKey),
      End: () => this.setActive(ctrl ? last : r, lastCol, e.shiftKey),
      PageUp: () => this.setActive(r - page, c, e.shiftKey),
      PageDown: () => this.setActive(r + page, c, e.shiftKey),
      Tab: () => this.tabMove(e.shiftKey ? -1 : 1),
    };
    if (moves[e.key]) { e.preventDefault(); moves[e.key](); return; }
    if (ctrl && !e.altKey) {
      const key = e.key.toLowerCase();
      if (key === "z" && !e.shiftKey) { e.preventDefault(); this.undo(); return; }
      if (key === "y" || (key === "z" && e.shiftKey)) { e.preventDefault(); this.redo(); return; }
      if (key === "d") { e.preventDefault(); this.fillDown(); return; }
      return; // Ctrl+C / Ctrl+V reach the copy and paste events
    }
    if (e.key === "Enter" || e.key === "F2") { e.preventDefault(); this.startEdit(null); return; }
    if (e.key === "Escape") { this.anchor = { ...this.active }; this.render(); return; }
    if (e.key === "Delete" || e.key === "Backspace") { e.preventDefault(); this.clearSelection(); return; }
    if (e.key === " " && this.columns[c] && this.columns[c].type === "checkbox") { e.preventDefault(); this.toggleCheckbox(); return; }
    if (e.key === "Process" || e.keyCode === 229) {
      // an input method (pinyin, wubi…) starts composing: open an empty editor and let the
      // composition continue there (no preventDefault) so Chinese typing starts editing too
      this.startEdit("");
      return;
    }
    if (e.key.length === 1 && !e.altKey) { e.preventDefault(); this.startEdit(e.key); }
  }

  tabMove(step) {
    const lastCol = this.columns.length - 1;
    let { r, c } = this.active;
    c += step;
    if (c > lastCol) { c = 0; r += 1; }
    if (c < 0) { c = lastCol; r -= 1; }
    this.setActive(r, c, false);
  }

  // --- editing -----------------------------------------------------------------------------------
  startEdit(initialText) {
    const field = this.columns[this.active.c];
    const found = this.rowAt(this.active.r);
    if (!field || !found) return;
    if (noWrite(field)) { this.flash(this.msg.no_write || "read only", true); return; }
    if (isReadOnly(field)) { this.flash(this.msg.read_only || "read only", true); return; }
    if (field.type === "checkbox") { this.toggleCheckbox(); return; }
    this.editor = openEditor(this, field, found.row, found.labels, initialText);
  }

  editorClosed(move) {
    this.editor = null;
    this.root.focus({ preventScroll: true });
    if (move === "down") this.setActive(this.active.r + 1, this.active.c, false);
    else if (move === "right") this.tabMove(1);
    else if (move === "left") this.tabMove(-1);
    else this.render();
  }

  async toggleCheckbox() {
    const field = this.columns[this.active.c];
    const found = this.rowAt(this.active.r);
    if (!field || !found || field.type !== "checkbox") return;
    if (locked(field)) { this.flash(this.msg.no_write || "read only", true); return; }
    await this.write([{ id: found.row.id, fields: { [`f_${field.id}`]: !found.row.fields[String(field.id)] } }]);
  }

  // Write cell values: [{id, fields}] → one change set per request (undoable), then refresh.
  async write(records, created = []) {
    const changeSets = [];
    for (let i = 0; i < records.length; i += MAX_WRITE) {
      const chunk = records.slice(i, i + MAX_WRITE);
      const result = await api("POST", `/ui/tables/${this.tableId}/grid/update`, { records: chunk });
      if (result.change_set_id) changeSets.push(result.change_set_id);
      for (const rec of chunk) this.applyLocal(rec);
    }
    for (let i = 0; i < created.length; i += MAX_WRITE) {
      const result = await api("POST", `/ui/tables/${this.tableId}/grid/create`, { records: created.slice(i, i + MAX_WRITE) });
      if (result.change_set_id) changeSets.push(result.change_set_id);
    }
    if (changeSets.length) { this.undoStack.push(changeSets); this.redoStack = []; }
    for (const id of changeSets) this.ownChangeSets.add(id);  // live.js skips their echo
    this.flash(this.msg.saved || "saved");
    await this.refresh();
    return changeSets;
  }

  applyLocal(record) {
    const pos = this.findPosition(record.id);
    if (pos < 0) return;
    const found = this.rowAt(pos);
    for (const [key, value] of Object.entries(record.fields)) found.row.fields[key.replace(/^f_/, "")] = value;
  }

  async undo() {
    const sets = this.undoStack.pop();
    if (!sets) { this.flash(this.msg.nothing_to_undo || "nothing to undo"); return; }
    const redo = [];
    try {
      for (const cs of [...sets].reverse()) redo.push((await api("POST", `/ui/change-sets/${cs}/undo`)).change_set_id);
    } catch (err) { this.flash(err.message, true); }
    this.redoStack.push(redo.reverse());
    this.flash(this.msg.undone || "undone");
    await this.refresh();
  }

  async redo() {
    const sets = this.redoStack.pop();
    if (!sets) { this.flash(this.msg.nothing_to_redo || "nothing to redo"); return; }
    const again = [];
    try {
      for (const cs of [...sets].reverse()) again.push((await api("POST", `/ui/change-sets/${cs}/undo`)).change_set_id);
    } catch (err) { this.flash(err.message, true); }
    this.undoStack.push(again.reverse());
    this.flash(this.msg.redone || "redone");
    await this.refresh();
  }

  async rowsInSelection() {
    const { r0, r1 } = this.selection();
    for (let b = Math.floor(r0 / BLOCK); b <= Math.floor(r1 / BLOCK); b++) await this.fetchBlock(b);
    const rows = [];
    for (let pos = r0; pos <= r1; pos++) rows.push(this.rowAt(pos));
    return rows;
  }

  async clearSelection() {
    const { c0, c1 } = this.selection();
    const cols = this.columns.slice(c0, c1 + 1).filter((f) => !locked(f));
    if (!cols.length) return;
    const rows = (await this.rowsInSelection()).filter(Boolean);
    const records = rows.map((found) => ({ id: found.row.id, fields: Object.fromEntries(cols.map((f) => [`f_${f.id}`, f.type === "checkbox" ? false : null])) }));
    await this.guard(() => this.write(records));
  }

  async fillDown() {
    let { r0, r1, c0, c1 } = this.selection();
    if (r0 === r1) { if (r0 === 0) return; r0 -= 1; }
    const saved = { ...this.anchor };
    this.anchor = { r: r0, c: this.anchor.c };
    const rows = await this.rowsInSelection();
    this.anchor = saved;
    const source = rows[0];
    if (!source || rows.length < 2) return;
    const cols = this.columns.slice(c0, c1 + 1).filter((f) => !locked(f));
    const fields = Object.fromEntries(cols.map((f) => [`f_${f.id}`, source.row.fields[String(f.id)]]));
    const records = rows.slice(1).filter(Boolean).map((found) => ({ id: found.row.id, fields: { ...fields } }));
    await this.guard(() => this.write(records));
  }

  async guard(job) {
    try { return await job(); } catch (err) { this.flash(err.message, true); await this.refresh(); return null; }
  }

  // --- clipboard -----------------------------------------------------------------------------------
  onCopy(e) {
    if (this.editor) return;
    e.preventDefault();
    const { r0, r1, c0, c1 } = this.selection();
    const cols = this.columns.slice(c0, c1 + 1);
    const lines = [];
    for (let pos = r0; pos <= r1; pos++) {
      const found = this.rowAt(pos);
      lines.push(cols.map((f) => (found ? editText(f, found.row.fields[String(f.id)]) : "")));
    }
    e.clipboardData.setData("text/plain", toTSV(lines));
  }

  onPaste(e) {
    if (this.editor) return;
    e.preventDefault();
    const text = e.clipboardData.getData("text/plain");
    this.pasteText(text);
  }

  async pasteText(text) {
    let data = parseTSV(text);
    if (!data.length) return;
    const sel = this.selection();
    const single = data.length === 1 && data[0].length === 1;
    const height = single ? sel.r1 - sel.r0 + 1 : data.length;
    const width = single ? sel.c1 - sel.c0 + 1 : data[0].length;
    if (single) data = Array.from({ length: height }, () => Array.from({ length: width }, () => data[0][0]));
    const cols = this.columns.slice(sel.c0, sel.c0 + width);
    for (let b = Math.floor(sel.r0 / BLOCK); b <= Math.floor((sel.r0 + height - 1) / BLOCK); b++) await this.fetchBlock(b);
    const updates = [];
    const creates = [];
    data.forEach((cells, i) => {
      const fields = {};
      cols.forEach((f, j) => { if (!locked(f) && j < cells.length) fields[`f_${f.id}`] = fromText(f, cells[j]); });
      const pos = sel.r0 + i;
      const found = pos < this.total ? this.rowAt(pos) : null;
      if (found) updates.push({ id: found.row.id, fields });
      else if (pos >= this.total) creates.push({ fields });
    });
    this.anchor = { r: sel.r0, c: sel.c0 };
    this.active = { r: sel.r0 + height - 1, c: sel.c0 + cols.length - 1 };
    await this.guard(() => this.write(updates, creates));
  }

  // --- columns -------------------------------------------------------------------------------------
  startResize(e, field) {
    e.preventDefault();
    e.stopPropagation();
    const startX = e.clientX;
    const start = this.width(field);
    const move = (ev) => { this.widths[field.id] = Math.round(Math.min(2000, Math.max(48, start + ev.clientX - startX))); this.renderHeader(); this.render(); };
    const up = () => { document.removeEventListener("mousemove", move); document.removeEventListener("mouseup", up); this.savePrefs(); };
    document.addEventListener("mousemove", move);
    document.addEventListener("mouseup", up);
  }
  setFrozen(count) { this.frozen = count; this.savePrefs(); this.renderHeader(); this.render(); }
  setRowHeight(px) {
    const pos = this.visibleRange()[0];
    this.rowH = px; this.savePrefs(); this.setTotal(this.total); this.render(); this.jumpTo(pos);
  }
  setHidden(ids) { this.state.hidden = new Set(ids); this.savePrefs(); this.active.c = Math.min(this.active.c, Math.max(0, this.columns.length - 1)); this.renderHeader(); this.render(); }
  setQuery(filters, sorts) {
    this.state.filters = filters; this.state.sorts = sorts;
    this.active = { r: 0, c: this.active.c }; this.anchor = { ...this.active };
    this.scroller.scrollTop = 0; this.renderHeader(); return this.load();
  }
  setGroupBy(fieldId) {
    this.state.groupBy = fieldId || null; this.savePrefs(); this.renderHeader();
    this.scroller.scrollTop = 0; return this.load();
  }

  flash(text, isError = false) {
    if (this.hooks.status) this.hooks.status(text, isError);
  }
}
