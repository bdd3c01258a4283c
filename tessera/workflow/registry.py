"""The two extension points of the workflow engine: triggers and actions.

Each entry declares everything about itself in one place — name, en/zh label, the options it
takes (a small JSON Schema), and its implementation — and registers with ``define_trigger`` /
``define_action``. Built-ins live in :mod:`tessera.workflow.triggers` and
:mod:`tessera.workflow.actions`; a plugin adds entries the same way."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tessera.errors import TesseraError

__all__ = ["TriggerSpec", "ActionSpec", "TRIGGERS", "ACTIONS", "define_trigger", "define_action",
           "OptionsError", "validate_options", "param", "WIDGETS"]


class OptionsError(TesseraError):
    def __init__(self, what: str, problem_en: str, problem_zh: str) -> None:
        super().__init__(f"{what}: {problem_en}", f"{what}：{problem_zh}",
                         code="workflow.options", details={"what": what})


@dataclass(frozen=True)
class TriggerSpec:
    """``kind`` says how runs are raised: ``record`` (the outbox hook calls ``on_change``),
    ``sweep`` (the daily sweep calls ``sweep``), ``schedule``, ``manual`` or ``webhook``."""

    name: str
    label_en: str
    label_zh: str
    kind: str
    options_schema: Mapping[str, Any]
    on_change: Callable[..., None] | None = None
    sweep: Callable[..., int] | None = None
    on_enable: Callable[..., None] | None = None
    validate: Callable[[dict[str, Any]], None] | None = None
    needs_table: bool = True


@dataclass(frozen=True)
class ActionSpec:
    """``external`` actions leave the database (their effect is recorded before and after under
    the step's idempotency key); the rest commit in the step's own transaction."""

    name: str
    label_en: str
    label_zh: str
    options_schema: Mapping[str, Any]
    run: Callable[..., dict[str, Any]]
    external: bool = False
    max_attempts: int = 3
    control: str | None = None      # "wait" | "branch" | "stop": handled by the runner
    describe: Callable[..., str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# How the visual automation editor (ui/static/js/automation_form.js) edits a parameter: the
# ``widget`` of each property in an options schema. A property without one is edited by its JSON
# type (string → text, number → number, boolean → checkbox, array → list, object → JSON).
WIDGETS = frozenset({
    "text", "textarea", "number", "integer", "boolean", "enum", "list", "formula", "template",
    "field", "fields", "link_field", "date_field", "user_field", "table", "values", "map",
    "actions", "json", "cron", "timezone"})


def param(json_type: str | list[str], widget: str, label_en: str, label_zh: str,
          **extra: Any) -> dict[str, Any]:
    """One option of a trigger or action: its JSON type (what ``validate_options`` checks),
    the editor's widget and its label in both languages; ``extra`` adds schema keywords
    (``enum``, ``description``, ``help_en``/``help_zh``)."""
    if widget not in WIDGETS:
        raise ValueError(f"unknown widget {widget!r}; known: {', '.join(sorted(WIDGETS))}")
    return {"type": json_type, "widget": widget, "label_en": label_en, "label_zh": label_zh,
            **extra}


TRIGGERS: dict[str, TriggerSpec] = {}
ACTIONS: dict[str, ActionSpec] = {}


def define_trigger(spec: TriggerSpec) -> TriggerSpec:
    TRIGGERS[spec.name] = spec
    return spec


def define_action(spec: ActionSpec) -> ActionSpec:
    ACTIONS[spec.name] = spec
    return spec


_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
          "array": list, "object": dict}


def validate_options(what: str, schema: Mapping[str, Any], options: Mapping[str, Any]) -> None:
    """Check required keys and simple types (a formula string ``=...`` fits any type)."""
    props = schema.get("properties", {})
    for key in schema.get("required", ()):
        if key not in options:
            raise OptionsError(what, f"the option {key!r} is required",
                               f"缺少必填选项 {key!r}")
    for key, value in options.items():
        if key not in props:
            raise OptionsError(what, f"unknown option {key!r}; known: {', '.join(props)}",
                               f"未知选项 {key!r}；可用：{', '.join(props)}")
        expected = props[key].get("type")
        if expected is None or value is None:
            continue
        types = expected if isinstance(expected, list) else [expected]
        if isinstance(value, str) and value.startswith("="):
            continue
        if not any(isinstance(value, _TYPES[t]) and not (t in ("integer", "number")
                   and isinstance(value, bool)) for t in types):
            raise OptionsError(what, f"the option {key!r} must be {' or '.join(types)}",
                               f"选项 {key!r} 的类型应为 {' 或 '.join(types)}")
