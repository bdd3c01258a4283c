"""Tessera's web app: ``create_app(url)`` serves the REST API (tessera.api), HTML pages and
static files with one error shape and security headers."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def create_app(url: str | None = None, **kwargs: Any) -> Any:
    """See ``tessera.web.app.create_app`` (imported lazily: tessera.api imports this package)."""
    from tessera.web.app import create_app as _create_app

    return _create_app(url, **kwargs)
