"""Checking pack data against ``schemas/app-pack.schema.json`` (JSON Schema 2020-12), each
error turned into a positioned, bilingual ``PackIssue``."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from tessera.packs.errors import PackIssue
from tessera.packs.source import PackSource

__all__ = ["SCHEMA_PATH", "pack_schema", "schema_issues"]

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "app-pack.schema.json"


@lru_cache(maxsize=1)
def pack_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _leaf(error: ValidationError) -> ValidationError:
    """For anyOf/oneOf/if-then failures, the most specific sub-error."""
    while error.context:
        deepest = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.message)))
        if len(deepest.absolute_path) < len(error.absolute_path):
            break
        error = deepest
    return error


def _messages(error: ValidationError) -> tuple[tuple[str | int, ...], str, str]:
    path = tuple(error.absolute_path)
    kind, value = error.validator, error.validator_value
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties") or {})
        extra = [k for k in error.instance if k not in allowed] if isinstance(error.instance, dict) else []
        key = extra[0] if extra else "?"
        known = ", ".join(allowed)
        return ((*path, key), f"unknown key {key!r}; allowed here: {known}.",
                f"未知的键 {key!r}；此处可用：{known}。")
    if kind == "required":
        missing = [k for k in value if not isinstance(error.instance, dict) or k not in error.instance]
        name = missing[0] if missing else "?"
        return (path, f"the key {name!r} is required here; add it.",
                f"此处缺少必填键 {name!r}，请补上。")
    if kind == "enum":
        allowed = ", ".join(map(str, value))
        return (path, f"{error.instance!r} is not allowed; use one of: {allowed}.",
                f"不允许的值 {error.instance!r}；可用：{allowed}。")
    if kind == "const":
        return (path, f"must be {value!r}, not {error.instance!r}.",
                f"必须为 {value!r}，而不是 {error.instance!r}。")
    if kind == "pattern":
        return (path, f"{error.instance!r} does not have the required form (pattern {value}).",
                f"{error.instance!r} 格式不正确（应符合 {value}）。")
    if kind == "type":
        hint = " (write the version in quotes, e.g. '1.0.0')" if path and path[-1] == "version" else ""
        return (path, f"must be of type {value}, not {type(error.instance).__name__}{hint}.",
                f"类型应为 {value}，而不是 {type(error.instance).__name__}。")
    if kind in ("minItems", "minLength"):
        return (path, f"must not be empty ({error.message}).", f"不能为空（{error.message}）。")
    return (path, error.message + ".", f"不符合格式要求：{error.message}。")


def schema_issues(source: PackSource) -> list[PackIssue]:
    validator = Draft202012Validator(pack_schema())
    issues = []
    for error in sorted(validator.iter_errors(source.data), key=lambda e: list(map(str, e.absolute_path))):
        path, en, zh = _messages(_leaf(error))
        issues.append(source.issue(path, en, zh, "pack.schema"))
    return issues
