"""The one answer to "may a role do ACTION?": a table of actions × roles.

Roles are ranked (owner > admin > editor > commenter > viewer), but the table below lists the
roles allowed for each action explicitly rather than a minimum rank, so a reader sees the
whole policy at a glance and an unusual grant (say, viewers exporting) is one edit here.
Site administrators (``Principal.is_admin``) are owners of every base; ``SYSTEM`` is one too.

``records.update`` is the one action granted further than its rights reach: commenters and
viewers pass it, but may change only the fields their role has marked ``editable`` (field
permissions, tessera/access/rules.py); with none on a table they are refused like
``records.write`` (tessera/access/scope.py enforces both).
"""

from __future__ import annotations

from typing import Final

__all__ = ["ROLES", "ROLE_LABELS", "ACTIONS", "role_allows", "check_role", "rank"]

ROLES: Final = ("owner", "admin", "editor", "commenter", "viewer")

ROLE_LABELS: Final = {"owner": ("owner", "所有者"), "admin": ("schema admin", "结构管理员"),
                      "editor": ("editor", "编辑者"), "commenter": ("commenter", "评论者"),
                      "viewer": ("viewer", "查看者")}

_ALL = frozenset(ROLES)
_OWNER = frozenset({"owner"})
_SCHEMA = frozenset({"owner", "admin"})
_DATA = frozenset({"owner", "admin", "editor"})
_COMMENT = frozenset({"owner", "admin", "editor", "commenter"})

# action → the roles that may do it
ACTIONS: Final[dict[str, frozenset[str]]] = {
    "base.read": _ALL,             # see the base, its tables, fields and views
    "base.rename": _OWNER,
    "base.delete": _OWNER,
    "access.manage": _OWNER,       # grant/revoke roles, field permissions, row rules
    "schema.write": _SCHEMA,       # create/alter/delete tables, fields and views
    "records.read": _ALL,          # subject to field permissions and row rules
    "records.export": _ALL,        # idem: an export never shows more than a read
    "records.comment": _COMMENT,
    "records.write": _DATA,        # create/update/delete, subject to rules
    "records.update": _ALL,        # update only; below editor: just the `editable` fields
    "records.import": _DATA,
    "automations.read": _SCHEMA,
    "automations.write": _SCHEMA,
    "automations.run": _DATA,
}


def rank(role: str) -> int:
    """0 for owner … 4 for viewer (lower is stronger)."""
    return ROLES.index(role)


def check_role(role: str) -> str:
    from tessera.access.errors import invalid_role

    if role not in ROLES:
        raise invalid_role(role)
    return role


def role_allows(role: str | None, action: str) -> bool:
    """Whether ``role`` (None: no role on the base) may do ``action``."""
    if action not in ACTIONS:
        raise KeyError(f"unknown access action {action!r}")
    return role is not None and role in ACTIONS[action]
