// API values ↔ what a cell shows and what an editor starts with, per field type.
export const READ_ONLY = new Set(["formula", "lookup", "rollup", "autonumber", "created_time", "modified_time"]);
export const NUMERIC = new Set(["number", "currency", "percent", "autonumber"]);

export function isReadOnly(field) {
  return field.read_only || READ_ONLY.has(field.type);
}

function scalarText(value) {
  if (value === null || value === undefined || value === false) return "";
  if (value === true) return "✓";
  if (typeof value === "object" && value.error) return value.error;
  return String(value);
}

export function displayText(field, value, labels) {
  if (value === null || value === undefined) return "";
  if (field.type === "link" && Array.isArray(value)) {
    const names = (labels && labels[String(field.id)]) || {};
    return value.map((id) => names[String(id)] || "#" + id).join(", ");
  }
  if (Array.isArray(value)) return value.map(scalarText).join(", ");
  if (field.type === "datetime" && typeof value === "string") return value.replace("T", " ").replace(/Z$/, "");
  return scalarText(value);
}

export function editText(field, value) {
  if (value === null || value === undefined) return "";
  if (field.type === "checkbox") return value ? "TRUE" : "FALSE";
  if (Array.isArray(value)) return value.join(", ");
  if (field.type === "datetime" && typeof value === "string") return value.replace("T", " ").replace(/Z$/, "");
  return String(value);
}

// Text typed or pasted → the value sent to the server (which parses it by the field's type).
export function fromText(field, text) {
  const s = text === null || text === undefined ? "" : String(text);
  if (s.trim() === "") return field.type === "checkbox" ? false : null;
  if (field.type === "checkbox") return ["true", "1", "yes", "y", "✓", "是", "x"].includes(s.trim().toLowerCase());
  if (field.type === "multi_select") return s.split(/[,，]/).map((p) => p.trim()).filter(Boolean);
  if (field.type === "link") return s.split(/[,，]/).map((p) => p.trim().replace(/^#/, "")).filter(Boolean).map(Number).filter((n) => Number.isInteger(n));
  return s;
}

export function choiceLabels(field) {
  return ((field.options && field.options.choices) || []).map((c) => (typeof c === "string" ? c : c.label));
}
