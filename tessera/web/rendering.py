"""Render a template with the request's language (``locale`` and ``t(key)`` in context)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tessera.web.i18n import request_locale, translate

__all__ = ["render_page"]


def render_page(request: Request, template: str, context: dict[str, Any], *,
                status_code: int = 200) -> Response:
    locale = request_locale(request)
    return request.app.state.templates.TemplateResponse(
        request, template,
        {**context, "locale": locale, "t": lambda key: translate(key, locale)},
        status_code=status_code,
        headers={"content-language": locale, "vary": "Accept-Language"})
