"""Authorization: base roles, field permissions, row-level rules (docs/access.md).

* :mod:`roles` — the action × role table, the one answer to "may this role do X".
* :mod:`members` — grant / revoke / list roles; ``role_of(bind, principal, base_id)``.
* :mod:`rules` — field permissions (hidden / read-only / editable) and row rules (formulas).
* :mod:`scope` — a principal's view of one table and the SQL that enforces it; the query
  layer, the records service, exports and the API all go through it.
* :mod:`api_policy` — which action each API route needs, checked before its handler runs.
"""

from tessera.access.errors import ForbiddenError, SignInRequiredError
from tessera.access.members import Member, bases_of, grant, list_members, revoke, role_of
from tessera.access.roles import ACTIONS, ROLES, role_allows
from tessera.access.rules import (
    FIELD_MODES,
    RowRule,
    field_permissions,
    row_rules,
    set_field_permission,
    set_row_rule,
)
from tessera.access.scope import TableScope, filter_links, require, table_scope

__all__ = ["ACTIONS", "ROLES", "FIELD_MODES", "ForbiddenError", "SignInRequiredError", "Member",
           "RowRule", "TableScope", "bases_of", "field_permissions", "filter_links", "grant",
           "list_members", "require", "revoke", "role_allows", "role_of", "row_rules",
           "set_field_permission", "set_row_rule", "table_scope"]
