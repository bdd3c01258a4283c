"""Password hashing with Argon2id (memory-hard), through argon2-cffi.

The hasher's cost is a module-level setting so a test suite can swap in a cheap profile with
:func:`use_profile`; production keeps argon2-cffi's RFC 9106 "low memory" defaults (64 MiB,
3 passes). ``needs_rehash`` lets a login upgrade old hashes after the cost is raised."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_password", "verify_password", "needs_rehash", "use_profile"]

_PROFILES = {
    "default": PasswordHasher(),
    # Only for test suites: still Argon2id, but 1 pass over 1 MiB so hundreds of logins are quick.
    "test": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}
_hasher = _PROFILES["default"]
# Verified when a username does not exist, so a miss costs as much time as a wrong password.
_dummy_hashes: dict[int, str] = {}


def use_profile(name: str) -> None:
    global _hasher
    _hasher = _PROFILES[name]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if stored_hash is None:
        dummy = _dummy_hashes.setdefault(id(_hasher), _hasher.hash("tessera-dummy"))
        stored_hash, password = dummy, password + "\x00"
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
