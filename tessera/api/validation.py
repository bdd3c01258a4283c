"""Request validation against the route table's JSON Schemas, with errors that name the
parameter, the value and what to send instead (English and Chinese)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from tessera.api.spec import ApiRoute, Param
from tessera.errors import TesseraError

__all__ = ["RequestValidationError", "validate_body", "parse_query", "parse_json_body"]


class RequestValidationError(TesseraError):
    """The request does not match the endpoint's declared schema (HTTP 400)."""

    http_status = 400
    code = "invalid_request"


def _where(location: str, path: list[Any]) -> str:
    return ".".join([location, *(str(p) for p in path)])


def _describe(error: ValidationError) -> tuple[str, str]:
    """(English, Chinese) sentence for one schema violation."""
    v, expected = error.validator, error.validator_value
    if v == "required":
        missing = next((p for p in expected if isinstance(error.instance, Mapping)
                        and p not in error.instance), expected[0])
        return (f"is missing the required property {missing!r}; add it",
                f"缺少必填属性 {missing!r}，请补上")
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return (f"has unknown propert{'y' if len(extra) == 1 else 'ies'} {', '.join(extra)}; "
                f"allowed: {allowed}", f"包含未知属性 {', '.join(extra)}；允许的属性：{allowed}")
    if v == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        return (f"must be of type {' or '.join(kinds)}, not {error.instance!r}",
                f"类型必须是 {' 或 '.join(kinds)}，而不是 {error.instance!r}")
    if v == "enum":
        choices = ", ".join(repr(c) for c in expected)
        return (f"must be one of {choices}, not {error.instance!r}",
                f"必须是 {choices} 之一，而不是 {error.instance!r}")
    if v in ("minLength", "maxLength"):
        word = ("at least", "至少") if v == "minLength" else ("at most", "至多")
        return (f"must have {word[0]} {expected} character(s)",
                f"必须{word[1]}有 {expected} 个字符")
    if v in ("minimum", "maximum"):
        word = ("at least", "不小于") if v == "minimum" else ("at most", "不大于")
        return (f"must be {word[0]} {expected}, not {error.instance!r}",
                f"必须{word[1]} {expected}，而不是 {error.instance!r}")
    if v in ("minItems", "maxItems"):
        word = ("at least", "至少") if v == "minItems" else ("at most", "至多")
        return (f"must list {word[0]} {expected} item(s)", f"必须{word[1]}包含 {expected} 项")
    if v == "minProperties":
        return (f"must set at least {expected} propert(ies)", f"至少需要设置 {expected} 个属性")
    return (error.message, error.message)


def _raise(location: str, errors: list[ValidationError]) -> None:
    errors = sorted(errors, key=lambda e: (len(e.path), list(map(str, e.path))))
    problems = []
    for error in errors:
        en, zh = _describe(error)
        problems.append({"location": _where(location, list(error.path)), "problem": en,
                         "problem_zh": zh, "value": _short(error.instance)})
    first = problems[0]
    raise RequestValidationError(
        f"{first['location']} {first['problem']}.",
        f"{first['location']} {first['problem_zh']}。",
        details={"errors": [{k: p[k] for k in ("location", "problem", "value")}
                            for p in problems]},
    )


def _short(value: Any) -> Any:
    text = orjson.dumps(value, default=str).decode()
    return value if len(text) <= 200 else text[:200] + "…"


@cache
def _validator(schema_json: bytes) -> Draft202012Validator:
    return Draft202012Validator(orjson.loads(schema_json))


def validate(location: str, schema: Mapping[str, Any], value: Any) -> None:
    validator = _validator(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))
    errors = list(validator.iter_errors(value))
    if errors:
        _raise(location, errors)


def parse_json_body(raw: bytes) -> Any:
    if not raw.strip():
        raise RequestValidationError(
            "The request body is empty; send a JSON object.", "请求体为空，请发送 JSON 对象。",
            code="invalid_json", details={"location": "body"})
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestValidationError(
            f"The request body is not valid JSON ({exc}); send a JSON object.",
            f"请求体不是有效的 JSON（{exc}），请发送 JSON 对象。",
            code="invalid_json", details={"location": "body"}) from None


def validate_body(route: ApiRoute, body: Any) -> None:
    if route.body is not None:
        validate("body", route.body, body)


def _coerce(param: Param, text: str) -> Any:
    if param.json:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            raise RequestValidationError(
                f"query.{param.name} must be JSON ({param.description}), not {text!r}.",
                f"查询参数 {param.name} 必须是 JSON（{param.description}），而不是 {text!r}。",
                details={"errors": [{"location": f"query.{param.name}",
                                     "problem": "is not valid JSON", "value": text}]},
            ) from None
    kind = param.schema.get("type")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return text  # the schema check reports it with the parameter's name
    if kind == "boolean" and text.lower() in ("true", "1", "false", "0"):
        return text.lower() in ("true", "1")
    return text


def parse_query(route: ApiRoute, query: Mapping[str, str]) -> dict[str, Any]:
    """Declared query parameters, converted and validated; unknown ones are refused."""
    declared = {p.name: p for p in route.params}
    unknown = sorted(set(query) - set(declared))
    if unknown:
        allowed = ", ".join(declared) or "none"
        raise RequestValidationError(
            f"Unknown query parameter(s) {', '.join(unknown)}; allowed: {allowed}.",
            f"未知的查询参数 {', '.join(unknown)}；允许的参数：{allowed}。",
            details={"errors": [{"location": f"query.{n}", "problem": "unknown parameter",
                                 "value": query[n]} for n in unknown]},
        )
    values: dict[str, Any] = {}
    for param in route.params:
        if param.name not in query:
            if param.required:
                raise RequestValidationError(
                    f"The query parameter {param.name!r} is required ({param.description}).",
                    f"缺少查询参数 {param.name!r}（{param.description}）。",
                    details={"errors": [{"location": f"query.{param.name}",
                                         "problem": "is required", "value": None}]},
                )
            continue
        value = _coerce(param, query[param.name])
        validate(f"query.{param.name}", param.schema, value)
        values[param.name] = value
    return values
