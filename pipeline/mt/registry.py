"""The registry of engines: each engine by name, its module imported only when
it is asked for (heavy imports happen inside each engine)."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import EngineError
from .base import Engine

__all__ = ["DEFAULT_ENGINE", "ENGINES", "EngineFactory", "get_engine"]

EngineFactory = Callable[[], Engine]


def _apertium() -> Engine:
    from .apertium import ApertiumEngine

    return ApertiumEngine()


def _pseudo() -> Engine:
    from .pseudo import PseudoEngine

    return PseudoEngine()


def _identity() -> Engine:
    from .pseudo import IdentityEngine

    return IdentityEngine()


def _argos() -> Engine:
    from .argos import ArgosEngine

    return ArgosEngine()


ENGINES: dict[str, EngineFactory] = {
    "apertium": _apertium,
    "argos": _argos,
    "pseudo": _pseudo,
    "identity": _identity,
}
"""Engines by name; heavy imports happen inside each factory."""

DEFAULT_ENGINE = "apertium"


def get_engine(name: str) -> Engine:
    """Return a new engine by name, or raise :class:`EngineError`."""
    try:
        factory = ENGINES[name]
    except KeyError:
        known = ", ".join(sorted(ENGINES))
        raise EngineError(f"unknown engine {name!r}", hint=f"choose one of: {known}") from None
    return factory()
