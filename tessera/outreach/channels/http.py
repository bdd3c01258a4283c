"""The one HTTP call the HTTP channels make, with one rule for what is worth retrying:
unreachable, timeouts, 429 and 5xx are transient; other 4xx are permanent."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from tessera.outreach.errors import PermanentError, TransientError

__all__ = ["post", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 10.0


def post(channel: str, url: str, body: bytes, headers: Mapping[str, str], *,
         timeout: float = DEFAULT_TIMEOUT) -> tuple[int, Any]:
    """POST ``body``; returns (status, parsed JSON or text) for a 2xx answer."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            status, text = resp.status, resp.read(1 << 20).decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        kind = TransientError if exc.code == 429 or exc.code >= 500 else PermanentError
        raise kind(channel, f"the server answered HTTP {exc.code}", status=exc.code) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise TransientError(channel, f"{url} could not be reached ({exc})") from exc
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text
