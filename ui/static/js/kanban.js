// Kanban: drag a card (or press ←/→ on a focused card) to another stack; the record's
// single select is updated through the REST API and the counts follow.
import { api } from "./api.js";

const board = document.getElementById("kanban");
const statusEl = document.getElementById("status");

function recount() {
  for (const column of board.querySelectorAll(".kanban-column")) {
    column.querySelector(".count").textContent = String(column.querySelectorAll(".kanban-card").length);
  }
}

async function move(card, column) {
  const from = card.parentElement;
  if (from === column) return;
  column.append(card);
  recount();
  const value = column.dataset.value || null;
  try {
    await api("PATCH", `/api/v1/tables/${board.dataset.tableId}/records/${card.dataset.recordId}`,
              { fields: { [`f_${board.dataset.fieldId}`]: value } });
    statusEl.textContent = "✓";
    card.dataset.moved = value || "";
  } catch (err) {
    from.append(card);
    recount();
    statusEl.textContent = err.message;
  }
}

if (board && !board.dataset.readonly) {  // read-only: stacked by a computed field
  let dragged = null;
  board.addEventListener("dragstart", (e) => {
    dragged = e.target.closest(".kanban-card");
    if (dragged) e.dataTransfer.setData("text/plain", dragged.dataset.recordId);
  });
  board.addEventListener("dragover", (e) => {
    const column = e.target.closest(".kanban-column");
    if (column && dragged) { e.preventDefault(); column.classList.add("drop-target"); }
  });
  board.addEventListener("dragleave", (e) => {
    const column = e.target.closest(".kanban-column");
    if (column) column.classList.remove("drop-target");
  });
  board.addEventListener("drop", (e) => {
    const column = e.target.closest(".kanban-column");
    if (!column || !dragged) return;
    e.preventDefault();
    column.classList.remove("drop-target");
    move(dragged, column);
    dragged = null;
  });
  board.addEventListener("keydown", (e) => {
    const card = e.target.closest(".kanban-card");
    if (!card || (e.key !== "ArrowLeft" && e.key !== "ArrowRight")) return;
    const columns = [...board.querySelectorAll(".kanban-column")];
    const i = columns.indexOf(card.parentElement) + (e.key === "ArrowRight" ? 1 : -1);
    if (i >= 0 && i < columns.length) { e.preventDefault(); move(card, columns[i]).then(() => card.focus()); }
  });
}
