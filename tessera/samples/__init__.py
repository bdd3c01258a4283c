"""Sample-data generators, one registry: a pack's ``sample_data.generator`` names one.

A generator fills an installed pack's base with realistic data::

    @register("clinic")
    def generate(engine, install_result, count, seed, options) -> None: ...

    get_generator("clinic")(engine, result, 300, 7, {"specialty": "dental"})

``install_result`` is whatever the pack installer returned (an object or mapping carrying
``base_id``, or the base id itself): generators find their tables by name in that base, so
they do not depend on the installer's result type. Generators are deterministic: the same
seed and options give the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tessera.errors import NotFoundError

__all__ = ["Generator", "UnknownGenerator", "register", "get_generator", "generator_names", "base_id_of"]

Generator = Callable[[Any, Any, int, int, Mapping[str, Any]], None]

_GENERATORS: dict[str, Generator] = {}


class UnknownGenerator(NotFoundError, LookupError):
    """No generator of that name (a LookupError too, for callers that catch those)."""
_DEFAULT_PLUGINS = ("tessera.samples.clinic",)


def register(name: str) -> Callable[[Generator], Generator]:
    """Decorator: register a generator under ``name`` (the pack's ``sample_data.generator``)."""
    def wrap(fn: Generator) -> Generator:
        _GENERATORS[name] = fn
        return fn
    return wrap


def _load_builtins() -> None:
    import importlib

    for module in _DEFAULT_PLUGINS:
        importlib.import_module(module)


def get_generator(name: str) -> Generator:
    """The generator registered as ``name``; NotFoundError (en + zh) names the known ones."""
    _load_builtins()
    try:
        return _GENERATORS[name]
    except KeyError:
        raise UnknownGenerator("sample generator", name) from None


def generator_names() -> list[str]:
    _load_builtins()
    return sorted(_GENERATORS)


def base_id_of(install_result: Any) -> int:
    """The base id carried by an install result (attribute, mapping key, or the id itself)."""
    if isinstance(install_result, int):
        return install_result
    if isinstance(install_result, Mapping):
        return int(install_result["base_id"])
    base_id = getattr(install_result, "base_id", None)
    if base_id is None and hasattr(install_result, "base"):
        base_id = getattr(install_result.base, "id", None)
    if base_id is None:
        raise TypeError("install_result must carry base_id")
    return int(base_id)
