// "Save view" on the kanban, calendar and form pages: the server put the page's kind and
// layout (what the page shows now) on the button; this stores them in the open view, or asks
// for a name and creates a view, then opens it on its page.
import { api } from "./api.js";

const button = document.getElementById("btn-save-view");
const statusEl = document.getElementById("status");

function say(text) {
  if (statusEl) statusEl.textContent = text;
}

if (button) {
  button.addEventListener("click", async () => {
    const { tableId, viewId, kind } = button.dataset;
    const body = { kind, layout: JSON.parse(button.dataset.layout || "{}") };
    try {
      if (viewId) {
        await api("PATCH", `/api/v1/views/${viewId}`, body);
        say(button.dataset.saved || "✓");
        button.dataset.savedOk = "true";
        return;
      }
      const name = window.prompt(button.dataset.prompt || "View name");
      if (!name) return;
      const view = await api("POST", `/api/v1/tables/${tableId}/views`, { name, ...body });
      window.location.assign(`${window.location.pathname}?view=${view.id}`);
    } catch (err) { say(err.message); }
  });
}
