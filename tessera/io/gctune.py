"""Fewer garbage collections while an import runs.

An import allocates a container per row (the reader's row lists) and keeps a chunk of them
alive, so CPython's default thresholds (700, 10, 10) run hundreds of collections that free
nothing but walk every live row each time: ≈ 12 % of a 100,000-row import's CPU (measured
with bench/bench_xlsx.py's file). While at least one import runs, the thresholds are raised;
the collector stays on (cycles are still freed, only less often), and the thresholds in force
before come back when the last running import ends, on errors too. Thresholds are
process-wide: for those seconds other threads collect less often as well, which costs them
only some cyclic garbage held a little longer."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["fewer_collections", "IMPORT_THRESHOLDS"]

IMPORT_THRESHOLDS = (100_000, 50, 1000)

_lock = threading.Lock()
_running = 0
_saved: tuple[int, ...] = ()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the collector's thresholds for the ``with`` block (nests, thread-safe)."""
    global _running, _saved
    with _lock:
        if not _running:
            _saved = gc.get_threshold()
            gc.set_threshold(*IMPORT_THRESHOLDS)
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if not _running:
                gc.set_threshold(*_saved)
