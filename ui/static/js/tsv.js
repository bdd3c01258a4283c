// Cell ranges as tab-separated text, the way Excel and WPS put them on the clipboard:
// cells holding a tab, a newline or a quote are quoted and their quotes doubled.
export function toTSV(rows) {
  return rows.map((cells) => cells.map(quoteCell).join("\t")).join("\r\n");
}

function quoteCell(text) {
  const s = text === null || text === undefined ? "" : String(text);
  return /[\t\r\n"]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

export function parseTSV(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let i = 0;
  let quoted = false;
  let atStart = true;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i += 2; continue; }
      if (ch === '"') { quoted = false; i += 1; continue; }
      cell += ch; i += 1; continue;
    }
    if (ch === '"' && atStart) { quoted = true; atStart = false; i += 1; continue; }
    if (ch === "\t") { row.push(cell); cell = ""; atStart = true; i += 1; continue; }
    if (ch === "\r" || ch === "\n") {
      row.push(cell); rows.push(row); row = []; cell = ""; atStart = true;
      i += ch === "\r" && text[i + 1] === "\n" ? 2 : 1;
      continue;
    }
    cell += ch; atStart = false; i += 1;
  }
  if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
  return rows;
}
