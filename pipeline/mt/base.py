"""The engine protocol and the registry of engines.

Engines translate *tagged text* (see :mod:`pipeline.mt.tagged`): plain text
with the characters ``&``, ``<`` and ``>`` escaped, and inline markup
replaced by numbered placeholders written as HTML spans::

    I have <span id="g1">a big</span> house, run <span id="x2">ls -l</span>.

An engine returns the same format; it may move, duplicate or drop
placeholders, which :mod:`pipeline.source.inline` repairs and flags.

:class:`Engine` is everything the pipeline asks of an engine; every engine in
:data:`ENGINES` has all of it. :class:`EngineBase` gives the members most
engines need not think about (:attr:`~Engine.install_hint`,
:attr:`~Engine.concurrent_calls`, :attr:`~Engine.term_hint`, :meth:`~Engine.supports`)
their defaults.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class Engine(Protocol):
    """A machine-translation engine."""

    name: str
    """Short name used on the command line and in the catalogue (``apertium``)."""

    @property
    def version(self) -> str:
        """Version of the engine and its language data, recorded with its output."""
        ...

    @property
    def install_hint(self) -> str | None:
        """What to tell a user who needs a pair the engine lacks (how to add
        one), appended to :func:`check_pair`'s error; ``None`` to say nothing."""
        ...

    @property
    def term_hint(self) -> str:
        """What the engine is shown in a glossary term's placeholder (see
        :mod:`pipeline.mt.glossary`): ``source``, the words as written (a
        rule-based engine then analyses the sentence as without the glossary),
        or ``target``, the target term (a neural model copies it in place)."""
        ...

    @property
    def postedit(self) -> bool:
        """Whether the target language's post-editing of machine output (Spanish
        ``¿``/``¡``, capitals, spacing) applies to this engine's output: ``False``
        for test engines whose output is not text in the target language."""
        ...

    @property
    def output_revision(self) -> int:
        """Revision of the way this code drives the engine, part of the MT cache's
        key with :attr:`version`: raised when the same engine and data would now
        give other output (so that outputs cached before are not reused)."""
        ...

    @property
    def concurrent_calls(self) -> int:
        """How many :meth:`translate` calls :func:`~pipeline.mt.cache.translate_with_cache`
        may make at once (from threads); 1 for an engine that keeps a core busy alone."""
        ...

    def pairs(self) -> list[tuple[str, str]]:
        """The (source, target) language pairs to list for this engine.

        May raise :class:`~pipeline.errors.EngineNotAvailable` when the engine
        or its language data is not installed.
        """
        ...

    def supports(self, source: str, target: str) -> bool:
        """Whether the engine translates ``source`` into ``target``: one of
        :meth:`pairs`, or for an engine that needs no language data (``pseudo``,
        ``identity``) any pair of different language codes."""
        ...

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Translate a batch of tagged texts; returns one result per input, in order.

        Raises :class:`~pipeline.errors.UnsupportedPair` for a pair it does not
        :meth:`support <supports>`.
        """
        ...


class EngineBase(ABC):
    """Defaults for an engine: subclass it, set ``name`` and ``version`` and
    write :meth:`pairs` and :meth:`translate`."""

    install_hint: str | None = None
    """See :attr:`Engine.install_hint` (default: nothing to add)."""

    concurrent_calls: int = 1
    """See :attr:`Engine.concurrent_calls` (default: one call at a time)."""

    term_hint: str = "source"
    """See :attr:`Engine.term_hint` (default: the words as the source writes them)."""

    postedit: bool = True
    """See :attr:`Engine.postedit` (default: its output is text in the target language)."""

    output_revision: int = 1
    """See :attr:`Engine.output_revision` (default: the first)."""

    @abstractmethod
    def pairs(self) -> list[tuple[str, str]]:
        """See :meth:`Engine.pairs`."""

    def supports(self, source: str, target: str) -> bool:
        """Whether ``(source, target)`` is one of :meth:`pairs` (see :meth:`Engine.supports`)."""
        return (source, target) in self.pairs()

    @abstractmethod
    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """See :meth:`Engine.translate`."""


def check_pair(engine: Engine, source: str, target: str) -> None:
    """Raise :class:`~pipeline.errors.UnsupportedPair` unless the engine supports the pair.

    The error lists the engine's :meth:`~Engine.pairs` and its
    :attr:`~Engine.install_hint` (argos: "install one: pipeline models …").
    """
    from ..errors import UnsupportedPair

    if engine.supports(source, target):
        return
    have = ", ".join(f"{s}->{t}" for s, t in engine.pairs()) or "none"
    extra = engine.install_hint
    raise UnsupportedPair(
        f"engine {engine.name!r} cannot translate {source}->{target}",
        hint=f"it supports: {have}" + (f"; {extra}" if extra else ""),
    )
