"""``validate``: a pack source → a ``ValidatedPack`` (normalized data, index, the dependency
order of its computed fields) or every problem found, each with file, line, column and path.

Stages: JSON Schema (shape), then reference checks and formula type checks (meaning). The
second stage only runs on a well-shaped pack, so its findings are never knock-on effects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tessera.packs.errors import PackIssue, PackValidationError
from tessera.packs.formulas import FormulaProblem, FormulaTyper
from tessera.packs.index import PackField, PackIndex
from tessera.packs.jsonschema_check import schema_issues
from tessera.packs.normalize import normalize
from tessera.packs.semantics import reference_issues
from tessera.packs.source import PackSource

__all__ = ["ValidatedPack", "check_pack", "validate"]


@dataclass(frozen=True)
class ValidatedPack:
    source: PackSource
    pack: dict[str, Any]  # normalized
    index: PackIndex
    computed_order: tuple[PackField, ...]  # formula/lookup/rollup fields, dependencies first


def _formula_issue(source: PackSource, problem: FormulaProblem) -> PackIssue:
    mark = source.position(problem.path)
    issue = source.issue(problem.path, problem.message_en, problem.message_zh, "pack.formula")
    if problem.error is None:
        return issue
    fline, fcol = problem.error.position
    line, column = mark.line, mark.column
    if mark.style in ("|", ">"):  # the text starts on the next line, indented
        line = mark.line + fline
        column = source.indent(mark.file, mark.line + 1) + fcol
    elif fline == 1:
        column = mark.column + (1 if mark.style in ("'", '"') else 0) + fcol - 1
    else:
        line, column = mark.line + fline - 1, fcol
    err = problem.error
    return PackIssue(mark.file, line, column, issue.path,
                     f"formula error at column {fcol} of the formula: {err.messages['en']}",
                     f"公式第 {fcol} 列有误：{err.messages['zh-CN']}", f"pack.formula.{err.code}")


def check_pack(source: PackSource) -> tuple[ValidatedPack | None, list[PackIssue]]:
    """(the validated pack or None, the problems found)."""
    issues = schema_issues(source)
    if issues:
        return None, issues
    pack = normalize(source.data, source.locales)
    index = PackIndex.build(pack)
    typer = FormulaTyper(index)
    issues = reference_issues(source, pack, index, typer)
    typer.run()
    issues += [_formula_issue(source, p) for p in typer.problems]
    issues.sort(key=lambda i: (i.file != "pack.yaml", i.file, i.line, i.column))
    if issues:
        return None, issues
    return ValidatedPack(source, pack, index, tuple(typer.order)), []


def validate(source: PackSource) -> ValidatedPack:
    """The validated pack; raises ``PackValidationError`` listing every problem."""
    validated, issues = check_pack(source)
    if validated is None:
        raise PackValidationError(issues)
    return validated
