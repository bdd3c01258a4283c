"""Accept-Language negotiation."""

from __future__ import annotations

import pytest

from tessera.web.i18n import MESSAGES, negotiate

CASES = [
    (None, "en"),
    ("", "en"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    ("en-US,en;q=0.9,zh;q=0.8", "en"),
    ("fr-FR, zh;q=0.5", "zh"),
    ("en;q=0.2, zh-TW;q=0.7", "zh"),
    ("zh;q=0", "en"),
    ("de, fr", "en"),
    ("zh;q=abc, en", "en"),
]


@pytest.mark.parametrize(("header", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_negotiate(header, expected) -> None:
    assert negotiate(header) == expected


def test_every_ui_message_has_both_languages() -> None:
    missing = [k for k, v in MESSAGES.items() if not (v.get("en") and v.get("zh"))]
    assert missing == []
