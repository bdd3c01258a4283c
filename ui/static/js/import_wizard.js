// Import wizard: upload an .xlsx/.csv (base64 in JSON), see how its columns map and which
// preview rows would be rejected and why, pick the key, import, download the reject report.
import { api } from "./api.js";

const root = document.getElementById("import-wizard");
const tableId = root.dataset.tableId;
const zh = root.dataset.locale === "zh";
const errorEl = document.getElementById("import-error");
let uploadId = null;

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",")[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function showPreview(preview) {
  const body = document.querySelector("#import-columns tbody");
  body.innerHTML = "";
  const key = document.getElementById("import-key");
  const chosen = key.value;
  key.innerHTML = "";
  key.append(el("option", zh ? "（无）" : "(none)", { value: "" }));
  for (const c of preview.columns) {
    const tr = el("tr", undefined, { "data-status": c.status });
    tr.append(el("td", `${c.column} · ${c.header}`), el("td", c.field || ""), el("td", zh ? c.note_zh : c.note));
    body.append(tr);
    if (c.field) {
      const o = el("option", c.field, { value: c.field });
      if (c.field === chosen) o.selected = true;
      key.append(o);
    }
  }
  const rows = document.querySelector("#import-rows tbody");
  rows.innerHTML = "";
  for (const r of preview.rows) {
    const tr = el("tr", undefined, { class: r.problems.length ? "import-problem" : "import-ok" });
    tr.append(el("th", String(r.row)));
    for (const cell of r.cells) tr.append(el("td", cell === null ? "" : String(cell)));
    tr.append(el("td", r.problems.map((p) => (typeof p === "string" ? p : (zh ? p.message_zh || p.message : p.message || JSON.stringify(p)))).join("; ")));
    rows.append(tr);
  }
  document.getElementById("step-map").hidden = false;
}

document.getElementById("import-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  errorEl.textContent = "";
  try {
    const preview = await api("POST", `/api/v1/tables/${tableId}/imports`, { filename: file.name, content_base64: await readBase64(file) });
    uploadId = preview.upload_id;
    showPreview(preview);
  } catch (err) { errorEl.textContent = err.message; }
});

document.getElementById("import-key").addEventListener("change", async (e) => {
  try {
    const body = e.target.value ? { key: e.target.value } : {};
    showPreview(await api("POST", `/api/v1/tables/${tableId}/imports/${uploadId}/preview`, body));
  } catch (err) { errorEl.textContent = err.message; }
});

document.getElementById("import-commit").addEventListener("click", async () => {
  const progress = document.getElementById("import-progress");
  progress.textContent = "…";
  errorEl.textContent = "";
  const body = { create_fields: document.getElementById("import-create-fields").checked };
  const key = document.getElementById("import-key").value;
  if (key) body.key = key;
  try {
    const result = await api("POST", `/api/v1/tables/${tableId}/imports/${uploadId}/commit`, body);
    progress.textContent = "";
    const out = document.getElementById("import-result");
    out.dataset.created = String(result.created);
    out.dataset.rejected = String(result.rejected);
    out.textContent = zh
      ? `新增 ${result.created} 条，更新 ${result.updated} 条，拒绝 ${result.rejected} 条。`
      : `${result.created} created, ${result.updated} updated, ${result.rejected} rejected.`;
    const link = document.getElementById("import-rejects");
    if (result.reject_report) {
      link.href = "data:application/octet-stream;base64," + result.reject_report.content_base64;
      link.setAttribute("download", result.reject_report.filename);
      link.hidden = false;
    }
    document.getElementById("step-result").hidden = false;
  } catch (err) { progress.textContent = ""; errorEl.textContent = err.message; }
});
