"""The engine protocol and the registry of engines.

Engines translate *tagged text*: plain text with the characters ``&``, ``<``
and ``>`` escaped as HTML entities, and inline markup replaced by numbered
placeholders written as HTML spans::

    I have <span id="g1">a big</span> house, run <span id="x2">ls -l</span>.

``g`` ids wrap translatable text (emphasis, links); ``x`` ids are atomic
(code spans, images, inline HTML): their content is only a hint for the
engine and is restored from the source afterwards. A newline is a soft line
break. An engine returns the same format; it may move, duplicate or drop
placeholders, which :mod:`pipeline.source.inline` repairs and flags.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from ..errors import EngineError


@runtime_checkable
class Engine(Protocol):
    """A machine-translation engine."""

    name: str
    """Short name used on the command line and in the catalogue (``apertium``)."""

    @property
    def version(self) -> str:
        """Version of the engine and its language data, recorded with its output."""
        ...

    def pairs(self) -> list[tuple[str, str]]:
        """The (source, target) language pairs this engine can translate."""
        ...

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Translate a batch of tagged texts; returns one result per input, in order."""
        ...


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


def check_pair(engine: Engine, source: str, target: str) -> None:
    """Raise :class:`~pipeline.errors.UnsupportedPair` unless the engine has the pair."""
    from ..errors import UnsupportedPair

    pairs = engine.pairs()
    if (source, target) not in pairs:
        have = ", ".join(f"{s}->{t}" for s, t in pairs) or "none"
        # An engine may say how to add a pair (argos: "install one: pipeline models …").
        extra = getattr(engine, "install_hint", None)
        raise UnsupportedPair(
            f"engine {engine.name!r} cannot translate {source}->{target}",
            hint=f"it supports: {have}" + (f"; {extra}" if extra else ""),
        )
