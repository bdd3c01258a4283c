// fetch() wrapper for the grid and panels: JSON in and out, the CSRF header read from
// <meta name="csrf-token"> (the same header csrf.js gives htmx), the page's language for
// server messages, and one error type carrying the server's {code, message, details}.
export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || "http_" + status;
    this.details = err.details || {};
  }
}

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") || "" : "";
}

export function pageLanguage() {
  return document.documentElement.lang || "en";
}

export async function api(method, url, body, options = {}) {
  const headers = { "accept": "application/json", "accept-language": pageLanguage() };
  const token = csrfToken();
  if (token) headers["X-CSRF-Token"] = token;
  const init = { method, headers, credentials: "same-origin", signal: options.signal };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch (e) {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export function query(params) {
  const parts = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    const text = typeof value === "string" || typeof value === "number" ? String(value) : JSON.stringify(value);
    parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(text));
  }
  return parts.length ? "?" + parts.join("&") : "";
}
