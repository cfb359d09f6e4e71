"""The Apertium engine: rule-based, offline, fast, driven through its command.

A whole batch goes through one ``apertium -z -f html <mode>`` process: each
tagged text becomes one ``<p id="sN">`` block, and the output is split back on
those blocks. The blocks are separated by NUL characters, which ``-z``
(null-flush) makes Apertium translate one by one: a block tag alone is no
sentence boundary to it, so a text without final punctuation (a heading, a
list item) used to be read together with the next one and words moved between
them ("The military of the U.S" + "Fortune companies grow." gave "El ejército
de las empresas" + "de Fortuna de los EE.UU. crece.").

Apertium's HTML mode keeps our ``<span id=…>`` placeholders, but as
blanks between words: when a rule reorders words, a tag stays where the
blank was, so a span may end up around other words ("The <x1>String</x1>
Type" came back as "El <x1>Tipo</x1> de Serie"). That is why code spans and
other markup kept whole are sent empty, and why emphasis and links are
realigned by :mod:`pipeline.source.inline`, which also repairs a span
Apertium duplicates around a word it splits.

Unknown words: run without ``-u``, Apertium marks each word it does not know
with ``*`` (``*shadowy``). A literal ``*`` of the text is sent as ``&#42;``
(Apertium's HTML mode leaves character references alone), so every bare ``*``
in the output is a mark: the marked word comes back wrapped in
``<mark>…</mark>`` (:data:`pipeline.mt.tagged.UNKNOWN`), which decoding keeps
as a word and records; a mark inside a placeholder's hint (code, whose words
are restored from the source) is simply dropped.

An atom's hint (a code span's words) is sent without ``*`` and without a final
``.``, ``?`` or ``!``: Apertium would take it for a sentence's end and
capitalise the next word.

Hyphenated words: a transfer rule that reorders a hyphenated compound takes
the blanks between its words from the source, where the hyphen leaves none
("floating-point numbers" came back as "númerosdepunto flotante"). Each
hyphen between two word characters is sent with an empty ``<wbr>`` on each
side, so that the rule has a blank to copy: a ``<wbr>`` that comes back is a
space, one on each side of a hyphen is nothing ("números de punto
flotante", "construido-en").

Whitespace: a soft line break (``\\n``) inside a text is whitespace to
Apertium and comes back as a newline near the same words. The space Apertium
adds at the start or end of a block is dropped, and the text's own leading and
trailing whitespace (normally none) is put back.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

from ..errors import EngineError, EngineNotAvailable, UnsupportedPair
from . import tagged
from .base import EngineBase

logger = logging.getLogger(__name__)

INSTALL_HINT = "install it: apt-get install -y apertium apertium-eng-spa"
"""What to tell a user whose machine lacks Apertium or its language data."""

MODES: dict[tuple[str, str], str] = {
    ("en", "es"): "eng-spa",
    ("es", "en"): "spa-eng",
    ("es", "pt"): "es-pt",
    ("es", "pt-BR"): "es-pt_BR",
    ("pt", "es"): "pt-es",
}
"""Apertium mode (translation direction) for each language pair we use."""

PACKAGES = ("apertium", "apertium-eng-spa", "apertium-es-pt")
"""Debian packages whose versions make up :attr:`ApertiumEngine.version`."""

DEFAULT_TIMEOUT = 600.0
"""Seconds one Apertium process may run (about 1,000 paragraphs take 2.5 s)."""

_ASCII_SPACE = " \t\r\n"
# Our own block wrappers in Apertium's output. Lenient about case, quoting and
# spacing; the texts inside cannot contain tags of this kind (checked on input).
_BLOCK = re.compile(
    r"""<p\s+id\s*=\s*["']?s(\d+)["']?\s*>(.*?)</p\s*>""", re.IGNORECASE | re.DOTALL
)
_P_TAG = re.compile(r"</?p[\s>/]", re.IGNORECASE)


class ApertiumEngine(EngineBase):
    """Translate English ↔ Spanish with the installed ``apertium`` command."""

    name = "apertium"

    output_revision = 2
    """2: texts of a batch are translated one by one (``-z``), code spans are
    sent empty and hyphenated compounds are kept apart; outputs cached from
    revision 1 may hold words of a neighbouring text, or glued words."""

    concurrent_calls = 2
    """Calls :func:`~pipeline.mt.cache.translate_with_cache` may make at once:
    each is its own Apertium processes, so while one call drains its pipeline
    the next one keeps the cores busy."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        """Seconds one Apertium process may run before :class:`EngineError`."""

    @cached_property
    def version(self) -> str:
        """Package versions, e.g. ``3.8.3-1+b2, apertium-eng-spa 0.8.1-2`` (the
        engine's own version first, then its language data).

        Read once with ``dpkg-query``; ``unknown`` where that is impossible.
        """
        dpkg = shutil.which("dpkg-query")
        if dpkg is None:
            return "unknown"
        try:
            done = subprocess.run(
                [dpkg, "-W", "-f", "${Package} ${Version}\\n", *PACKAGES],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            logger.debug("dpkg-query failed: %s", exc)
            return "unknown"
        # A package that is not installed is reported on stderr (exit 1); keep the others.
        found = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
        parts = [
            found[pkg].strip() if pkg == "apertium" else f"{pkg} {found[pkg].strip()}"
            for pkg in PACKAGES
            if found.get(pkg, "").strip()
        ]
        return ", ".join(parts) or "unknown"

    def pairs(self) -> list[tuple[str, str]]:
        """The pairs whose Apertium mode is installed (asked once, ``apertium -l``).

        Raises :class:`EngineNotAvailable` when Apertium or all of its
        English-Spanish data is missing, so the user is told what to install.
        """
        pairs = [pair for pair, mode in MODES.items() if mode in self._modes]
        if not pairs:
            raise EngineNotAvailable(
                "Apertium's English-Spanish data (apertium-eng-spa) is not installed",
                hint=INSTALL_HINT,
            )
        return pairs

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Translate tagged texts; one result per text, in order.

        A batch goes to one Apertium process, or, when it is large, is split
        into one part per core, translated by parallel Apertium processes
        (Apertium is a pipeline of single-threaded programs, so a second
        process uses the second core). An empty batch starts nothing.
        """
        mode = MODES.get((source, target))
        if mode is None:
            have = ", ".join(f"{s}->{t}" for s, t in MODES)
            raise UnsupportedPair(
                f"engine 'apertium' cannot translate {source}->{target}",
                hint=f"it supports: {have}",
            )
        if not texts:
            return []
        if mode not in self._modes:
            raise EngineNotAvailable(
                f"the Apertium mode {mode} ({source}->{target}) is not installed",
                hint=INSTALL_HINT,
            )
        for index, text in enumerate(texts):
            if _P_TAG.search(text):
                raise EngineError(
                    f"text {index} holds a raw <p> tag, so it is not tagged text",
                    hint="escape &, < and > as &amp;, &lt; and &gt; before translating",
                )
        started = time.perf_counter()
        parts = _split_evenly(list(texts), self.workers if len(texts) >= PARALLEL_FROM else 1)
        if len(parts) == 1:
            results = self._translate_part(parts[0], mode)
        else:
            with ThreadPoolExecutor(max_workers=len(parts)) as pool:
                done = list(pool.map(lambda part: self._translate_part(part, mode), parts))
            results = [text for part in done for text in part]
        logger.debug(
            "apertium %s: %d texts in %.2f s (%d process(es))",
            mode,
            len(texts),
            time.perf_counter() - started,
            len(parts),
        )
        return results

    @cached_property
    def workers(self) -> int:
        """Apertium processes to run at once on a large batch: one per core."""
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not Linux
            return max(1, os.cpu_count() or 1)

    def _translate_part(self, texts: list[str], mode: str) -> list[str]:
        payload = "".join(f'<p id="s{i}">{_outgoing(text)}</p>\0' for i, text in enumerate(texts))
        output = self._run(["-z", "-f", "html", mode], payload, len(texts)).replace("\0", "")
        return [_unknown_marked(_tidy(_unbroken(result))) for result in _split(output, texts)]

    @cached_property
    def _modes(self) -> frozenset[str]:
        """Names of the installed Apertium modes."""
        output = self._run(["-l"], "", 0)
        return frozenset(line.strip() for line in output.splitlines() if line.strip())

    def _run(self, args: list[str], payload: str, count: int) -> str:
        """Run ``apertium`` with ``args`` on ``payload``; return its standard output."""
        exe = shutil.which("apertium")
        if exe is None:
            raise EngineNotAvailable(
                "Apertium is not installed (no apertium command)", hint=INSTALL_HINT
            )
        try:
            done = subprocess.run(
                [exe, *args],
                input=payload,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise EngineError(
                f"apertium did not finish {count} texts within {self.timeout:g} s",
                hint="translate fewer texts at a time or raise the engine timeout",
            ) from None
        except OSError as exc:
            raise EngineNotAvailable(
                f"cannot run apertium: {exc.strerror or exc}", hint=INSTALL_HINT
            ) from exc
        if done.returncode != 0:
            first = next((ln.strip() for ln in done.stderr.splitlines() if ln.strip()), "")
            raise EngineError(
                f"apertium failed (exit {done.returncode}): {first or 'no message'}",
                hint="run the same apertium command by hand to see the whole error",
            )
        if done.stderr.strip():
            logger.debug("apertium stderr: %s", done.stderr.strip())
        return done.stdout


def _split(output: str, texts: Sequence[str]) -> list[str]:
    """Split Apertium's output back into one result per input text.

    Raises :class:`EngineError` unless the blocks ``s0``…``sN`` come back exactly
    once, in order, with nothing but whitespace around them.
    """
    results: list[str] = []
    position = 0
    for match in _BLOCK.finditer(output):
        index = int(match.group(1))
        if index != len(results) or index >= len(texts) or output[position : match.start()].strip():
            break
        results.append(_restore_space(match.group(2), texts[index]))
        position = match.end()
    else:
        if len(results) == len(texts) and not output[position:].strip():
            return results
    raise EngineError(
        f"cannot split apertium's output back into {len(texts)} texts",
        hint="a text may hold markup apertium rewrites; translate it alone to find it",
    )


def _restore_space(result: str, text: str) -> str:
    """Drop the whitespace Apertium put around ``result``; keep ``text``'s own."""
    body = text.strip(_ASCII_SPACE)
    if not body:  # empty or blank text: nothing to translate, give it back
        return text
    lead = text[: len(text) - len(text.lstrip(_ASCII_SPACE))]
    trail = text[len(text.rstrip(_ASCII_SPACE)) :]
    return f"{lead}{result.strip(_ASCII_SPACE)}{trail}"


PARALLEL_FROM = 200
"""Batches at least this large are split over several Apertium processes."""


def _split_evenly(texts: list[str], parts: int) -> list[list[str]]:
    """``texts`` cut into ``parts`` consecutive runs of about the same total length."""
    if parts <= 1 or len(texts) < 2:
        return [texts]
    total = sum(len(t) for t in texts)
    out: list[list[str]] = [[]]
    size = 0
    for text in texts:
        if size >= total * len(out) / parts and len(out) < parts:
            out.append([])
        out[-1].append(text)
        size += len(text)
    return [part for part in out if part]


_SPACE_RUN = re.compile(r"(?<=\S) {2,}(?=\S)")
_SPACE_BEFORE_PUNCT = re.compile(r"(?<=\S) +(?=[.,;:!?)\]»”](?:\s|<|$))")


def _tidy(text: str) -> str:
    """Undo two spacing slips of Apertium's: the double space left where it drops
    a pronoun ("—  utilizan") and the space it puts before a final stop ("cártel .")."""
    return _SPACE_BEFORE_PUNCT.sub("", _SPACE_RUN.sub(" ", text))


_STAR = "&#42;"
"""A literal ``*`` as sent to Apertium, so that a bare ``*`` in its output is
always its mark of an unknown word."""
_MARKED = re.compile(r"\*(\w+)")
_HINT_END = ".?!…:;"


_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")
_WBR = r"<wbr\s*/?>"
_WBR_HYPHEN = re.compile(rf"{_WBR}-{_WBR}", re.IGNORECASE)
_WBR_BLANK = re.compile(rf" *{_WBR} *", re.IGNORECASE)


def _breakable(text: str) -> str:
    """Tagged text with a ``<wbr>`` on each side of every hyphen between two
    word characters (see the module documentation)."""
    return _HYPHEN.sub("<wbr>-<wbr>", text)


def _unbroken(text: str) -> str:
    """Apertium's output with the ``<wbr>`` of :func:`_breakable` gone: a
    hyphen between two is a hyphen; any other ``<wbr>`` is a space."""
    return _WBR_BLANK.sub(" ", _WBR_HYPHEN.sub("-", text))


def _outgoing(text: str) -> str:
    """A tagged text as Apertium gets it: literal ``*`` as ``&#42;``, and each
    atom's hint without a final stop, question or exclamation mark, which would
    make Apertium start a sentence after it (its words are restored from the
    source anyway)."""
    if "<span" in text:
        items = [
            tagged.Atom(item.id, _hint(item.hint)) if isinstance(item, tagged.Atom) else item
            for item in tagged.parse(text)
        ]
        text = tagged.write(items)
    # A NUL would end the text early for ``-z``; the parser never lets one in.
    return _breakable(text.replace("*", _STAR).replace("\0", "\ufffd"))


def _hint(hint: str) -> str:
    """An atom's hint without ``*`` and without the final punctuation that
    would end a sentence for Apertium (an empty hint stays as it was)."""
    return hint.replace("*", " ").strip().rstrip(_HINT_END).strip() or hint.replace("*", "")


def _unknown_marked(text: str) -> str:
    """Apertium's output with each ``*word`` (a word it did not know) as
    ``<mark>word</mark>``; marks inside an atom's hint are dropped."""
    if "*" not in text.replace(_STAR, ""):
        return text
    items: list[tagged.Item] = []
    for item in tagged.parse(text.replace(_STAR, "\x00")):
        if isinstance(item, tagged.Text):
            at = 0
            for match in _MARKED.finditer(item.text):
                if match.start() > at:
                    items.append(tagged.Text(item.text[at : match.start()]))
                items.extend(tagged.unknown(match.group(1)))
                at = match.end()
            if at < len(item.text):
                items.append(tagged.Text(item.text[at:]))
        elif isinstance(item, tagged.Atom):
            items.append(tagged.Atom(item.id, _MARKED.sub(r"\1", item.hint)))
        else:
            items.append(item)
    return tagged.write(items).replace("\x00", "*")
