"""Who is asking: the principal every request, CLI command and automation acts as.

This is the contract between authentication (who you are: tessera/auth) and authorization
(what you may see and do: tessera/access). Read paths take a Principal and apply its base role,
field permissions and row rules; ``SYSTEM`` bypasses them (migrations, the worker's own
bookkeeping, CLI commands run by the server's operator).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Principal", "SYSTEM"]


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    username: str
    is_admin: bool = False
    # An API token's scope: the bases it may reach (None: every base the user may reach).
    token_base_ids: frozenset[int] | None = None

    @property
    def is_system(self) -> bool:
        return self.user_id is None and self.is_admin


SYSTEM = Principal(user_id=None, username="system", is_admin=True)
