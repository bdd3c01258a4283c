// Live updates: the table's committed changes arrive as server-sent events; the grid
// re-reads only what changed and leaves an open editor alone.
export function subscribe(tableId, onChange, onReady) {
  if (!window.EventSource) return null;
  const source = new EventSource(`/ui/tables/${tableId}/events`);
  source.addEventListener("change", (e) => {
    try { onChange(JSON.parse(e.data)); } catch (err) { /* a malformed event is ignored */ }
  });
  source.addEventListener("ready", () => { if (onReady) onReady(); });
  return source;
}

export function applyChange(grid, change) {
  // this tab's own write already refreshed the grid: its echo would only re-read again,
  // possibly while the user types the next cell
  if (change.change_set_id && grid.ownChangeSets && grid.ownChangeSets.has(change.change_set_id)) {
    return Promise.resolve();
  }
  if (change.kind === "update") {
    const ids = new Set(change.record_ids);
    const touched = [...grid.blocks.entries()].filter(([, block]) => block.rows.some((r) => ids.has(r.id)));
    if (!touched.length) return Promise.resolve();
  }
  return grid.refresh();
}
