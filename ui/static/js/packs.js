// App pack screens: install a bundled or uploaded pack into a new base (sample size and
// specialty), and on a base's pack page preview an upgrade — every change and each conflict
// side by side — before applying it. The pack travels as text to the packs REST API; an
// uploaded .zip is taken apart by /ui/packs/unzip. Validation problems are listed with their
// file, line, column and path.
import { api, ApiError, csrfToken, pageLanguage } from "./api.js";
import { el } from "./automation_form.js";

const root = document.getElementById("packs") || document.getElementById("pack-base");
const config = JSON.parse(root.dataset.config);
const zh = config.locale === "zh";
const T = (en, cn) => (zh ? cn : en);
const $ = (id) => document.getElementById(id);

// --- reading a pack: bundled folder, pack.yaml (+ locale files) or a .zip ------------------
async function unzip(file) {
  if (file.size > config.maxZip) throw new Error(T(`${file.name} is larger than ${config.maxZip / 1048576} MB.`, `${file.name} 超过 ${config.maxZip / 1048576} MB。`));
  const response = await fetch("/ui/packs/unzip", {
    method: "POST", credentials: "same-origin", body: file,
    headers: { "content-type": "application/zip", "X-CSRF-Token": csrfToken(), "accept-language": pageLanguage() } });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function packFiles(folder, files) {
  if (folder) return api("GET", `/ui/packs/bundled/${encodeURIComponent(folder)}`);
  const chosen = [...(files || [])];
  if (!chosen.length) throw new Error(T("Choose the pack's pack.yaml (and its locale files) or its .zip.", "请选择应用包的 pack.yaml（及语言文件）或 .zip。"));
  const zip = chosen.find((f) => /\.zip$/i.test(f.name));
  if (zip) return unzip(zip);
  const main = chosen.find((f) => /^pack\.(ya?ml|json)$/i.test(f.name)) || (chosen.length === 1 ? chosen[0] : null);
  if (!main) throw new Error(T("Among several files, one must be named pack.yaml.", "选择多个文件时，其中一个必须名为 pack.yaml。"));
  const locales = {};
  for (const f of chosen) if (f !== main) locales[f.name.replace(/\.(ya?ml|json)$/i, "")] = await f.text();
  return { text: await main.text(), locales };
}

function showIssues(box, issues, message) {
  box.innerHTML = "";
  if (message) box.append(el("p", { class: "error-message" }, message));
  if (!issues || !issues.length) return;
  const ol = el("ol", { class: "pack-issue-list" });
  for (const i of issues) {
    const li = el("li", { class: "pack-issue", "data-file": i.file, "data-line": String(i.line) });
    li.append(el("code", { class: "pack-issue-where" }, `${i.file}:${i.line}:${i.column}`), " ",
              el("code", { class: "pack-issue-path" }, i.path), " ",
              el("span", {}, zh && i.message_zh ? i.message_zh : i.message));
    ol.append(li);
  }
  box.append(el("p", {}, T(`The pack has ${issues.length} problem(s); nothing was changed:`, `应用包有 ${issues.length} 个问题，未做任何修改：`)), ol);
}

function showError(box, err) {
  showIssues(box, err.details && err.details.issues, err.message);
}

function wireSource(select, uploadRow, input, chosenLabel, onChange) {
  const sync = () => {
    uploadRow.hidden = select.value !== "";
    if (onChange) onChange();
  };
  select.addEventListener("change", sync);
  input.addEventListener("change", () => { chosenLabel.textContent = [...input.files].map((f) => f.name).join(", "); });
  sync();
}

// --- /packs: install ---------------------------------------------------------------------------
function installScreen() {
  const form = $("pack-install");
  const bundled = (folder) => config.bundled.find((b) => b.folder === folder);
  const syncBundled = () => {
    const pack = bundled($("pi-source").value);
    $("pi-description").textContent = pack ? pack.description : "";
    const specialty = $("pi-specialty");
    specialty.innerHTML = "";
    for (const s of pack ? pack.specialties : []) specialty.append(el("option", { value: s }, s));
    $("pi-specialty-row").hidden = !(pack && pack.specialties.length);
    if (pack && !$("pi-base-name").value) $("pi-base-name").placeholder = pack.title;
  };
  wireSource($("pi-source"), $("pi-upload-row"), $("pi-files"), $("pi-files-chosen"), syncBundled);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const issues = $("pi-issues");
    const result = $("pi-result");
    issues.innerHTML = "";
    result.textContent = "";
    const button = $("pi-submit");
    button.disabled = true;
    try {
      const name = $("pi-base-name").value.trim();
      if (!name) throw new Error(T("Give the new base a name.", "请填写新数据库的名称。"));
      // an invalid pack is refused with every problem (error details: issues), nothing made
      const files = await packFiles($("pi-source").value, $("pi-files").files);
      const sample = Number($("pi-sample").value || 0);
      if (!Number.isInteger(sample) || sample < 0) throw new Error(T("Sample records must be a whole number, 0 or more.", "示例记录数必须是 0 或更大的整数。"));
      const body = { ...files, base_name: name, sample: sample > 0 ? sample : null };
      if (sample > 0 && !$("pi-specialty-row").hidden) body.sample_options = { specialty: $("pi-specialty").value };
      const installed = await api("POST", "/api/v1/packs/install", body);
      result.innerHTML = "";
      result.dataset.baseId = String(installed.base_id);
      const link = el("a", { href: `/bases/${installed.base_id}`, class: "pack-new-base" }, installed.base_name);
      result.append(T("Installed ", "已安装 ") + `${installed.pack} ${installed.version} → `, link);
      const sample_ = installed.sample;
      const sampleText = sample_ ? (sample_.loaded ? T(`${sample_.count} sample records`, `${sample_.count} 条示例记录`) : zh ? sample_.note_zh : sample_.note) : "";
      if (sampleText) result.append(el("span", { class: "meta" }, " · " + sampleText));
      const tables = Object.keys(installed.tables).length;
      result.append(el("span", { class: "meta" }, " · " + T(`${tables} tables`, `${tables} 张表`)));
    } catch (err) {
      showError(issues, err);
    } finally {
      button.disabled = false;
    }
  });
}

// --- /bases/{id}/pack: upgrade with a preview ---------------------------------------------------
const VERB = {
  add: ["add", "新增"], update: ["update", "更新"], remove: ["remove", "删除"],
  keep: ["keep (holds data)", "保留（含数据）"], conflict: ["conflict: kept as you have it", "冲突：保留您的版本"],
  skipped: ["not applied (recreate by hand)", "未应用（需手动重建）"],
};

function pretty(value) {
  return value === undefined || value === null ? T("(not in the base: you deleted it)", "（数据库中没有：已被您删除）") : JSON.stringify(value, null, 1);
}

function showPlan(box, report) {
  box.innerHTML = "";
  const head = report.dry_run
    ? T(`Plan: ${report.pack} ${report.from_version} → ${report.to_version}: ${report.items.length} change(s), ${report.conflicts} conflict(s). Nothing has changed yet.`,
        `计划：${report.pack} ${report.from_version} → ${report.to_version}：${report.items.length} 项变更，${report.conflicts} 个冲突。尚未做任何修改。`)
    : T(`Upgraded ${report.pack} ${report.from_version} → ${report.to_version}: ${report.items.length} change(s), ${report.conflicts} conflict(s) kept as you have them.`,
        `已升级 ${report.pack} ${report.from_version} → ${report.to_version}：${report.items.length} 项变更，${report.conflicts} 个冲突保留了您的版本。`);
  box.append(el("p", { class: "pack-plan-head", "data-dry-run": String(report.dry_run), "data-conflicts": String(report.conflicts) }, head));
  const table = el("table", { class: "history pack-plan-items" });
  const tr = el("tr");
  tr.append(...[T("Kind", "类型"), T("Key", "键"), T("Change", "变更")].map((h) => el("th", {}, h)));
  table.append(tr);
  for (const item of report.items) {
    const row = el("tr", { class: "pack-plan-item", "data-action": item.action, "data-kind": item.kind, "data-key": item.key });
    const verb = VERB[item.action] || [item.action, item.action];
    const key = el("td");
    key.append(el("code", {}, item.key));
    row.append(el("td", {}, item.kind), key, el("td", {}, zh ? verb[1] : verb[0]));
    table.append(row);
    if (item.action === "conflict") {
      const detail = el("tr", { class: "pack-conflict" });
      const cell = el("td", { colspan: "3" });
      const sides = el("div", { class: "pack-conflict-sides" });
      const side = (title, value, cls) => { const d = el("div", { class: cls }); d.append(el("strong", {}, title), el("pre", {}, pretty(value))); return d; };
      sides.append(side(T("Yours (kept)", "您的版本（保留）"), item.ours, "ours"), side(T("The new pack's", "新版本"), item.theirs, "theirs"));
      cell.append(sides);
      detail.append(cell);
      table.append(detail);
    }
  }
  box.append(table);
}

function upgradeScreen() {
  if (!$("pack-upgrade")) return;
  wireSource($("pu-source"), $("pu-upload-row"), $("pu-files"), $("pu-files-chosen"), () => { $("pu-apply").disabled = true; });
  let previewed = null;
  const run = async (dryRun) => {
    const issues = $("pu-issues");
    issues.innerHTML = "";
    try {
      const files = dryRun ? await packFiles($("pu-source").value, $("pu-files").files) : previewed;
      if (dryRun) $("pu-plan").innerHTML = "";
      const report = await api("POST", `/api/v1/bases/${config.baseId}/pack/upgrade`, { ...files, dry_run: dryRun, prune: $("pu-prune").checked });
      showPlan($("pu-plan"), report);
      previewed = dryRun ? files : null;
      $("pu-apply").disabled = !dryRun;
      if (!dryRun) {
        const current = $("pack-current");
        current.dataset.version = report.to_version;
        current.querySelector("strong").textContent = report.to_version;
      }
    } catch (err) { showError(issues, err); }
  };
  $("pu-preview").addEventListener("click", () => run(true));
  $("pu-apply").addEventListener("click", () => run(false));
  $("pu-prune").addEventListener("change", () => { $("pu-apply").disabled = true; });
}

if (document.getElementById("pack-install")) installScreen();
upgradeScreen();
