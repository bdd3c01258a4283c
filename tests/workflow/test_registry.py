"""Keep the registries honest: every trigger and action declares labels and options, and is
documented in docs/workflows.md; the migration round-trips."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

import tessera.workflow as wf
from tessera.db import create_engine
from tessera.migrate import alembic_config, upgrade

DOC = (Path(__file__).resolve().parents[2] / "docs" / "workflows.md").read_text()
ENTRIES = [("trigger", s) for s in wf.TRIGGERS.values()] + [("action", s) for s in wf.ACTIONS.values()]


@pytest.mark.parametrize(("kind", "spec"), ENTRIES, ids=[f"{k}-{s.name}" for k, s in ENTRIES])
def test_entry_declares_itself_and_is_documented(kind, spec) -> None:
    assert spec.label_en and spec.label_zh and spec.label_en != spec.label_zh
    assert isinstance(spec.options_schema.get("properties"), dict)
    assert set(spec.options_schema.get("required", ())) <= set(spec.options_schema["properties"])
    assert f"| `{spec.name}`" in DOC or f"`{spec.name}` /" in DOC or f"/ `{spec.name}`" in DOC
    for option in spec.options_schema["properties"]:
        assert f"`{option}`" in DOC, f"option {option} of {spec.name} is not documented"


def test_migration_downgrades_and_upgrades(backend_url) -> None:
    engine = create_engine(backend_url)
    upgrade(engine)
    tables = {"wf_automations", "wf_runs", "wf_steps", "wf_run_log", "wf_effects",
              "wf_condition_state", "wf_notifications", "wf_assignments"}
    assert tables <= set(sa.inspect(engine).get_table_names())
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    assert not tables & set(sa.inspect(create_engine(backend_url)).get_table_names())
    upgrade(engine)
    assert tables <= set(sa.inspect(create_engine(backend_url)).get_table_names())
    engine.dispose()
