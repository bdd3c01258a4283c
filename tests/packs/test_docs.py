"""docs/packs.md documents the public format: every key of the JSON Schema (top level and
every object in $defs) has to appear in it, so the docs cannot fall behind the schema."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.packs.jsonschema_check import pack_schema

from .conftest import ROOT

DOC = (ROOT / "docs" / "packs.md").read_text(encoding="utf-8")


def _keys(node: Any, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in (node.get("properties") or {}).items():
            out.add(key)
            _keys(value, out)
        for part in ("allOf", "anyOf", "then", "items"):
            sub = node.get(part)
            for s in sub if isinstance(sub, list) else [sub]:
                _keys(s, out)
    return out


KEYS = sorted(_keys(pack_schema(), set()) | {k for d in pack_schema()["$defs"].values()
                                             for k in _keys(d, set())})


@pytest.mark.parametrize("key", KEYS)
def test_every_schema_key_is_documented(key: str) -> None:
    assert f"`{key}`" in DOC, f"docs/packs.md does not document the key {key!r}"


def test_readme_links_the_packs_page() -> None:
    assert "docs/packs.md" in (ROOT / "README.md").read_text(encoding="utf-8")
