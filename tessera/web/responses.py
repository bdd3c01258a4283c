"""JSON responses serialized with orjson."""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import JSONResponse

__all__ = ["ORJSONResponse", "json_response"]


class ORJSONResponse(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS, default=str)
        except TypeError:  # integers beyond 64 bits: the standard library handles them
            return json.dumps(content, default=str, ensure_ascii=False).encode()


def json_response(content: Any, *, status_code: int = 200) -> ORJSONResponse:
    return ORJSONResponse(content, status_code=status_code)
