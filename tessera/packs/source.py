"""Reading a pack: ``pack.yaml`` (+ ``locales/<lang>.yaml``) parsed with PyYAML's composer so
every value keeps the line and column it came from.

``PackSource.data`` is the plain data; ``PackSource.position(path)`` gives (file, line,
column) for a JSON path, falling back to the nearest parent that has a mark, so every error
can point into the file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tessera.packs.errors import PackError, PackIssue, PackValidationError, json_path

__all__ = ["PackSource", "Mark", "load_pack", "load_text", "PACK_FILE"]

PACK_FILE = "pack.yaml"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    file: str
    line: int  # 1-based
    column: int  # 1-based
    style: str | None = None  # YAML scalar style: None (plain), "'", '"', "|", ">"


@dataclass
class PackSource:
    """A parsed pack: its data and where each value sits in which file."""

    data: dict[str, Any]
    marks: dict[Path_, Mark] = field(default_factory=dict)
    folder: Path | None = None
    locales: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: dict[str, list[str]] = field(default_factory=dict)  # file → its text lines

    def indent(self, file: str, line: int) -> int:
        """Leading spaces of a 1-based line of ``file`` (0 when unknown)."""
        text = self.lines.get(file, [])
        return len(text[line - 1]) - len(text[line - 1].lstrip(" ")) if 0 < line <= len(text) else 0

    def position(self, path: Path_) -> Mark:
        for cut in range(len(path), -1, -1):
            mark = self.marks.get(tuple(path[:cut]))
            if mark is not None:
                return mark
        return Mark(PACK_FILE, 1, 1)

    def issue(self, path: Path_, en: str, zh: str, code: str = "pack.invalid") -> PackIssue:
        mark = self.position(path)
        return PackIssue(mark.file, mark.line, mark.column, json_path(path), en, zh, code)


def _walk(node: yaml.Node, loader: Any, file: str, path: Path_,
          marks: dict[Path_, Mark]) -> Any:
    style = (node.style or None) if isinstance(node, yaml.ScalarNode) else None
    marks[path] = Mark(file, node.start_mark.line + 1, node.start_mark.column + 1, style)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(loader.construct_object(key_node, deep=True))
            if key in out:  # YAML loaders keep the last one silently; a pack must not
                raise PackValidationError([PackIssue(
                    file, key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                    json_path((*path, key)), f"the key {key!r} appears twice in this mapping; "
                    "keep one.", f"此映射中键 {key!r} 出现了两次，请只保留一个。",
                    "pack.duplicate_key")])
            out[key] = _walk(value_node, loader, file, (*path, key), marks)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, loader, file, (*path, i), marks) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


# libyaml's parser (when PyYAML was built with it) composes ~15x faster, with the same marks
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _reader_issue(text: str, file: str, exc: yaml.reader.ReaderError) -> PackValidationError:
    """A character YAML does not allow (a control character), at its line and column."""
    at = exc.position
    line, column = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
    return PackValidationError([PackIssue(
        file, line, column, "$", f"this is not valid YAML: the control character "
        f"U+{exc.character:04X} is not allowed; remove it.",
        f"这不是有效的 YAML：不允许控制字符 U+{exc.character:04X}，请删除它。",
        "pack.yaml_syntax")])


def _parse(text: str, file: str) -> tuple[Any, dict[Path_, Mark]]:
    marks: dict[Path_, Mark] = {}
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_issue(text, file, exc) from exc
    try:
        node = loader.get_single_node()
        data = None if node is None else _walk(node, loader, file, (), marks)
    except yaml.reader.ReaderError as exc:
        raise _reader_issue(text, file, exc) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = f"{exc.context + ', ' if exc.context else ''}{exc.problem}"
        raise PackValidationError([PackIssue(
            file, line, column, "$", f"this is not valid YAML: {problem}. Check indentation "
            "and quotes around this place.", f"这不是有效的 YAML：{problem}。请检查此处的缩进和引号。",
            "pack.yaml_syntax")]) from exc
    finally:
        loader.dispose()
    return data, marks


def load_text(text: str, *, file: str = PACK_FILE,
              locales: Mapping[str, str] | None = None) -> PackSource:
    """A pack from YAML (or JSON) text; ``locales`` maps a language to its overlay text."""
    data, marks = _parse(text, file)
    if not isinstance(data, dict):
        raise PackValidationError([PackIssue(file, 1, 1, "$", "pack.yaml must be a mapping "
                                             "with format, name, version and tables.",
                                             "pack.yaml 必须是包含 format、name、version 和 tables "
                                             "的映射。", "pack.not_mapping")])
    source = PackSource(data, marks, lines={file: text.splitlines()})
    for lang, overlay_text in (locales or {}).items():
        overlay, _ = _parse(overlay_text, f"locales/{lang}.yaml")
        if isinstance(overlay, dict):
            source.locales[lang] = overlay
    return source


def load_pack(folder: str | Path) -> PackSource:
    """Read a pack folder (``pack.yaml`` and any ``locales/*.yaml``)."""
    root = Path(folder)
    pack_file = root / PACK_FILE if root.is_dir() else root
    if not pack_file.is_file():
        raise PackError(f"No {PACK_FILE} in {root}; give the folder of an app pack.",
                        f"{root} 中没有 {PACK_FILE}，请指定应用包所在的文件夹。",
                        code="pack.not_found")
    locales = {p.stem: p.read_text(encoding="utf-8")
               for p in sorted((pack_file.parent / "locales").glob("*.yaml"))}
    source = load_text(pack_file.read_text(encoding="utf-8"), locales=locales)
    source.folder = pack_file.parent
    return source
