"""REGEXMATCH / REGEXEXTRACT / REGEXREPLACE with Python ``re`` syntax on every backend.

Patterns are case-sensitive and written in Python syntax. PostgreSQL's regular expressions
(ARE) differ, so :func:`to_postgres` translates the common subset — the same translation is
written in PL/pgSQL in ``tessera/formula/pg/40_regex.sql``:

* ``\\d \\w \\s`` (and ``\\D \\W \\S``) are ASCII classes everywhere (``[0-9]``,
  ``[A-Za-z0-9_]``, ``[ \\t\\n\\r\\f\\v]``): Python runs with ``re.ASCII``, PostgreSQL gets
  the explicit classes, so the server locale does not matter. ``\\w`` does not match 中文.
* ``\\b \\B`` (word boundaries) become ``\\y \\Y``; ``.`` becomes ``[^\\n]`` and ``$``
  becomes ``(?=\\n?$)`` (Python's meanings); ``(?P<name>...)`` becomes a plain group.
* Supported on both: literals and escapes, classes ``[...]``, groups ``(...)`` ``(?:...)``,
  quantifiers ``* + ? {m,n}`` and their lazy forms, anchors ``^ $ \\A \\Z``, alternation,
  look-ahead ``(?=...)`` ``(?!...)``, back-references ``\\1``.
* Not supported (the pattern is rejected as invalid on every backend): ``\\D \\W \\S``
  inside ``[...]``, named back-references ``(?P=name)``, atomic groups ``(?>...)``,
  possessive quantifiers, inline flags other than a leading ``(?i)``.
* Known differences that remain: PostgreSQL picks the longest alternative (``a|ab`` on
  "ab" extracts "ab", Python "a"); one pattern mixing greedy and lazy quantifiers may
  match a different extent; replacing empty matches (``x*``) may differ.

Invalid pattern → None / SQL NULL meaning #VALUE!. The replacement text writes groups as
``$1``–``$9``, the whole match as ``$0`` and a dollar as ``$$``; everything else is literal.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from typing import Any

from tessera.formula.excel import SqlFunction

__all__ = [
    "regexmatch",
    "regexextract",
    "regexreplace",
    "regex_valid",
    "to_postgres",
    "UnsupportedPattern",
    "SQLITE_FUNCTIONS",
]


class UnsupportedPattern(ValueError):
    """A Python pattern that cannot run identically on PostgreSQL."""


_CLASS_OUTSIDE = {
    "d": "[0-9]",
    "w": "[A-Za-z0-9_]",
    "s": "[ \\t\\n\\r\\f\\v]",
    "D": "[^0-9]",
    "W": "[^A-Za-z0-9_]",
    "S": "[^ \\t\\n\\r\\f\\v]",
    "b": "\\y",
    "B": "\\Y",
}
_CLASS_INSIDE = {"d": "0-9", "w": "A-Za-z0-9_", "s": " \\t\\n\\r\\f\\v"}


def to_postgres(pattern: str) -> str:
    """Translate a Python pattern to a PostgreSQL ARE with the same meaning (module docs).
    Raises UnsupportedPattern for constructs outside the common subset."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_start = 0
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise UnsupportedPattern("pattern ends with a backslash")
            e = pattern[i + 1]
            if in_class:
                if e in _CLASS_INSIDE:
                    out.append(_CLASS_INSIDE[e])
                elif e in "DWS":
                    raise UnsupportedPattern(f"\\{e} inside [...]")
                else:
                    out.append(c + e)
            else:
                out.append(_CLASS_OUTSIDE.get(e, c + e))
            i += 2
            continue
        if in_class:
            if c == "]" and i > class_start:
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            class_start = i + 1
            if pattern.startswith("^", class_start):
                class_start += 1
            out.append(c)
        elif c == ".":
            out.append("[^\\n]")
        elif c == "$":
            out.append("(?=\\n?$)")
        elif c == "(" and pattern.startswith("(?P<", i):
            close = pattern.find(">", i)
            if close < 0:
                raise UnsupportedPattern("unterminated group name")
            out.append("(")
            i = close + 1
            continue
        elif (
            c == "("
            and pattern.startswith("(?", i)
            and not pattern.startswith(("(?:", "(?=", "(?!", "(?<=", "(?<!"), i)
        ):
            if i > 0 or not pattern.startswith("(?i)"):
                raise UnsupportedPattern("unsupported (?...) group; only a leading (?i) flag")
            out.append(c)
        elif c in "*+?}" and pattern.startswith("+", i + 1):
            raise UnsupportedPattern("possessive quantifier")
        else:
            out.append(c)
        i += 1
    return "".join(out)


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        to_postgres(pattern)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # "possible nested set" notes
            return re.compile(pattern, re.ASCII)
    except (re.error, UnsupportedPattern):
        return None


def regex_valid(pattern: str) -> bool:
    """Whether ``pattern`` is a valid pattern in the supported subset."""
    return _compile(pattern) is not None


def regexmatch(text: str, pattern: str) -> bool | None:
    """REGEXMATCH: whether ``pattern`` matches anywhere in ``text``. None = #VALUE!
    (invalid pattern)."""
    compiled = _compile(pattern)
    if compiled is None:
        return None
    return compiled.search(text) is not None


def regexextract(text: str, pattern: str) -> str | None:
    """REGEXEXTRACT: the first match, or its first capture group when the pattern has one
    (a group that took no part gives ""). None = #N/A when nothing matches, #VALUE! when the
    pattern is invalid (tell them apart with :func:`regex_valid`)."""
    compiled = _compile(pattern)
    if compiled is None:
        return None
    match = compiled.search(text)
    if match is None:
        return None
    if compiled.groups:
        return match.group(1) or ""
    return match.group(0)


_DOLLAR = re.compile(r"\$(\$|[0-9])")


def regexreplace(text: str, pattern: str, replacement: str) -> str | None:
    """REGEXREPLACE: every match of ``pattern`` replaced; ``$1``–``$9`` insert groups (a group
    that does not exist or took no part inserts ""), ``$0`` the match, ``$$`` a dollar.
    None = #VALUE! (invalid pattern)."""
    compiled = _compile(pattern)
    if compiled is None:
        return None

    def expand(match: re.Match[str]) -> str:
        def one(ref: re.Match[str]) -> str:
            token = ref.group(1)
            if token == "$":
                return "$"
            index = int(token)
            if index > compiled.groups:
                return ""
            return match.group(index) or ""

        return _DOLLAR.sub(one, replacement)

    return compiled.sub(expand, text)


def _texts(fn: Any) -> Any:
    def wrapper(*args: Any) -> Any:
        if any(not isinstance(a, str) for a in args):
            return None
        return fn(*args)

    wrapper.__name__ = f"sqlite_{fn.__name__}"
    return wrapper


SQLITE_FUNCTIONS = [
    SqlFunction("tx_regexmatch", 2, _texts(regexmatch)),
    SqlFunction("tx_regexextract", 2, _texts(regexextract)),
    SqlFunction("tx_regexreplace", 3, _texts(regexreplace)),
    SqlFunction("tx_regex_valid", 1, _texts(regex_valid)),
]
