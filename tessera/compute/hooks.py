"""Wiring: computed fields register with the storage layer's extension points on import
(``tessera.schema.hooks.DEFAULT_PLUGINS`` names this module, so storage loads it by itself)."""

from __future__ import annotations

from tessera.compute.changes import on_record_change
from tessera.compute.maintenance import on_field_event, prepare_options
from tessera.records import RecordService
from tessera.schema import hooks

__all__ = ["install"]


def install() -> None:
    """Register the hooks (idempotent). The recompute runs first among ``after_change``
    callbacks so that automations see up-to-date formula values."""
    if prepare_options not in hooks.option_preparers:
        hooks.option_preparers.append(prepare_options)
    if on_field_event not in hooks.field_listeners:
        hooks.field_listeners.append(on_field_event)
    if on_record_change not in RecordService.after_change:
        RecordService.after_change.insert(0, on_record_change)


install()
