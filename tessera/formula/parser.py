"""Text → AST. Wraps Lark (LALR, positions, cached) and turns its errors into
:class:`FormulaSyntaxError` with the position and the expected tokens in words."""

from __future__ import annotations

from functools import lru_cache

from lark import (
    Lark,
    Token,
    Transformer,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
    v_args,
)

from tessera.formula import ast
from tessera.formula.errors import FormulaSyntaxError

__all__ = ["parse", "lark_parser", "TOKEN_WORDS"]

TOKEN_WORDS = {
    "NUMBER": ("a number", "数字"),
    "STRING": ('a text in "quotes"', '带引号的文本'),
    "ERROR": ("an error value", "错误值"),
    "FIELD": ("a {field}", "{字段}"),
    "NAME": ("a function name", "函数名"),
    "LPAR": ('"("', '"("'),
    "RPAR": ('")"', '")"'),
    "COMMA": ('","', '","'),
    "CMPOP": ("a comparison", "比较运算符"),
    "ADDOP": ('"+" or "-"', '"+" 或 "-"'),
    "MULOP": ('"*" or "/"', '"*" 或 "/"'),
    "AMPERSAND": ('"&"', '"&"'),
    "CIRCUMFLEX": ('"^"', '"^"'),
    "PERCENT": ('"%"', '"%"'),
    "DOT": ('"."', '"."'),
    "$END": ("the end of the formula", "公式结尾"),
}


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    return Lark.open(
        "grammar.lark", rel_to=__file__, parser="lalr", propagate_positions=True,
        maybe_placeholders=True, cache=True,
    )


def _span_of_token(tok: Token) -> ast.Span:
    return ast.Span(tok.start_pos, tok.end_pos, tok.line, tok.column)


def _span(meta) -> ast.Span:
    return ast.Span(meta.start_pos, meta.end_pos, meta.line, meta.column)


def _field_name(tok: Token) -> str:
    return str(tok)[1:-1].strip()


@v_args(meta=True)
class _ToAst(Transformer):
    def start(self, meta, children):
        lead, expr = children
        if lead is not None and str(lead) != "=":
            raise _syntax_at(lead, f'unexpected "{lead}" at the start', f'开头不应有 "{lead}"')
        return expr

    def number(self, meta, children):
        return ast.Number(_span(meta), float(children[0]))

    def string(self, meta, children):
        return ast.Text(_span(meta), str(children[0])[1:-1].replace('""', '"'))

    def error(self, meta, children):
        return ast.ErrorLiteral(_span(meta), str(children[0]).upper())

    def field(self, meta, children):
        return ast.FieldRef(_span(meta), _field_name(children[0]))

    def link_field(self, meta, children):
        return ast.LinkFieldRef(_span(meta), _field_name(children[0]), _field_name(children[1]))

    def bare_name(self, meta, children):
        tok = children[0]
        upper = str(tok).upper()
        if upper in ("TRUE", "FALSE"):
            return ast.Boolean(_span(meta), upper == "TRUE")
        raise _syntax_at(
            tok,
            f'"{tok}" is not a value: put text in "quotes", a field in {{braces}}, or call it as {upper}(...)',
            f'"{tok}" 不是值：文本请加引号，字段请用 {{花括号}}，函数请写成 {upper}(...)',
        )

    def call(self, meta, children):
        name_tok, args = children
        name = str(name_tok).upper()
        if name == "ALL" and len(args) == 1 and isinstance(args[0], ast.FieldRef):
            return ast.ColumnRef(_span(meta), args[0].name)
        return ast.Call(_span(meta), name, args, _span_of_token(name_tok))

    def arglist(self, meta, children):
        if len(children) == 1 and children[0] is None:
            return ()
        # An omitted argument has no text: place it at the call (any position inside is fine).
        span = _span(meta) if not getattr(meta, "empty", True) else ast.Span(0, 0, 1, 1)
        return tuple(ast.Empty(span) if c is None else c for c in children)

    def compare(self, meta, children):
        left, op, right = children
        return ast.Binary(_span(meta), str(op), left, right)

    def binary(self, meta, children):
        left, op, right = children
        return ast.Binary(_span(meta), str(op), left, right)

    def concat(self, meta, children):
        return ast.Binary(_span(meta), "&", children[0], children[1])

    def power(self, meta, children):
        return ast.Binary(_span(meta), "^", children[0], children[1])

    def percent(self, meta, children):
        return ast.Percent(_span(meta), children[0])

    def unary(self, meta, children):
        op, operand = children
        return ast.Unary(_span(meta), str(op), operand)


class _SyntaxAt(Exception):
    def __init__(self, tok: Token, en: str, zh: str) -> None:
        self.error = FormulaSyntaxError(
            "syntax", en, zh, position=(tok.line, tok.column), span=(tok.start_pos, tok.end_pos)
        )


def _syntax_at(tok: Token, en: str, zh: str) -> _SyntaxAt:
    return _SyntaxAt(tok, en, zh)


def _expected_words(expected: set[str]) -> tuple[str, str]:
    names = sorted(expected)
    if len(names) > 6:
        return " expected a value", "，应为一个值"
    en = [TOKEN_WORDS.get(n, (n.lower(), n.lower()))[0] for n in names]
    zh = [TOKEN_WORDS.get(n, (n.lower(), n.lower()))[1] for n in names]
    return " expected " + " or ".join(en), "，应为 " + " 或 ".join(zh)


def _convert_lark_error(source: str, exc: UnexpectedInput) -> FormulaSyntaxError:
    line, column = exc.line, exc.column
    pos = getattr(exc, "pos_in_stream", None) or 0
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            line, column, pos = _end_position(source)
            words_en, words_zh = _expected_words(set(exc.expected))
            return FormulaSyntaxError(
                "syntax.unexpected_end",
                f"The formula ends too early;{words_en}".rstrip(";"),
                f"公式不完整{words_zh}",
                position=(line, column), span=(pos, pos),
            )
        words_en, words_zh = _expected_words(set(exc.expected))
        return FormulaSyntaxError(
            "syntax.unexpected_token",
            f'Unexpected "{tok}"' + (f";{words_en}" if words_en else ""),
            f'意外的 "{tok}"' + words_zh,
            position=(tok.line, tok.column), span=(tok.start_pos, tok.end_pos or tok.start_pos + len(tok)),
        )
    if isinstance(exc, UnexpectedCharacters):
        ch = source[exc.pos_in_stream] if exc.pos_in_stream < len(source) else ""
        if ch == '"':
            return FormulaSyntaxError(
                "syntax.unclosed_text", 'Text is not closed: add the closing "',
                '文本缺少结尾的引号 "', position=(line, column), span=(pos, len(source)),
            )
        if ch == "{":
            return FormulaSyntaxError(
                "syntax.unclosed_field", "Field name is not closed: add the closing }",
                "字段名缺少结尾的 }", position=(line, column), span=(pos, len(source)),
            )
        return FormulaSyntaxError(
            "syntax.unexpected_character", f'Unexpected character "{ch}"', f'意外的字符 "{ch}"',
            position=(line, column), span=(pos, pos + 1),
        )
    return FormulaSyntaxError(
        "syntax", "The formula cannot be read", "无法解析公式", position=(line or 1, column or 1)
    )


def _end_position(source: str) -> tuple[int, int, int]:
    lines = source.split("\n")
    return len(lines), len(lines[-1]) + 1, len(source)


@lru_cache(maxsize=2048)
def parse(source: str) -> ast.Node:
    """Parse formula text into an AST, or raise FormulaSyntaxError."""
    if not source.strip():
        raise FormulaSyntaxError("syntax.empty", "The formula is empty", "公式为空")
    try:
        tree = lark_parser().parse(source)
    except UnexpectedInput as exc:
        raise _convert_lark_error(source, exc) from None
    try:
        return _ToAst().transform(tree)
    except Exception as exc:  # lark wraps transformer errors in VisitError
        inner = getattr(exc, "orig_exc", exc)
        if isinstance(inner, _SyntaxAt):
            raise inner.error from None
        raise
