"""The ``argos`` engine: installed Argos Translate packages, driven through
CTranslate2 and SentencePiece directly, a whole batch at a time.

argostranslate itself translates one paragraph per call, splits sentences with
a model it downloads at run time, and sends CTranslate2 a few tokens per
batch. This engine reads the package's files itself (see :mod:`pipeline.mt.packages`)
and, for every batch of texts it is given:

1. turns each tagged text into plain text plus *marks* (the placeholders),
   remembering where each mark was (see "Placeholders" below);
2. splits the plain text into sentences with :mod:`pipeline.mt.sentences`
   (never inside a placeholder span);
3. tokenises every sentence of the batch with the package's SentencePiece
   model, sorts them by length and translates them in **one**
   ``Translator.translate_batch`` call (sub-batches of ``ARGOS_BATCH_SIZE``
   tokens, default :data:`DEFAULT_BATCH_TOKENS`), with argostranslate's own
   decoding options (beam size ``ARGOS_BEAM_SIZE``, default 4; length penalty
   0.2; unknown tokens replaced from the source; the package's target prefix),
   so a sentence comes out exactly as argostranslate would translate it;
4. puts the sentences back together with the source's own spacing and puts
   the marks back into each translated sentence.

One ``Translator`` per package and settings is loaded per process and reused.
``ARGOS_DEVICE_TYPE``, ``ARGOS_COMPUTE_TYPE``, ``ARGOS_INTER_THREADS`` and
``ARGOS_INTRA_THREADS`` are honoured as argostranslate honours them (the
environment, then argostranslate's ``settings.json``).

Placeholders
------------
An Argos model has never seen ``<span id="g1">`` and would mangle it, so the
model only ever sees words:

- paired placeholders (``g``: emphasis, links) are taken out; the words inside
  stay in the sentence;
- atoms whose hint is a number or a roman numeral (``x``: numbers the encoder
  protects) stay in the sentence as that number, which models copy; where the
  number comes back unchanged the atom takes its place exactly; so do glossary
  terms (``xt`` atoms, shown as their target: :attr:`ArgosEngine.term_hint`);
- other atoms (code, images, inline HTML, line breaks) are taken out.

Each mark is put back by *anchored proportional alignment*: numbers found in
the translation, and the separate translation of each span's words (sent in
the same batch, as argostranslate's tag injection does) when found in the
sentence's translation, are anchors; every other mark goes to the token
boundary at the same relative position between its two nearest anchors. Marks
keep their source order, so spans stay properly nested, and a span with words
keeps at least one word. Every placeholder therefore comes back exactly once;
:mod:`pipeline.source.inline` still checks and repairs what it receives.

Unknown words
-------------
A word of the source that the package's SentencePiece model can only spell
with its ``<unk>`` piece (characters it never saw: another script, an emoji,
a rare letter) is an unknown word. The model copies an unknown token from the
source (``replace_unknowns``), so the first occurrence of the word in the
translated sentence comes back as ``<mark>word</mark>``
(:data:`pipeline.mt.tagged.UNKNOWN`) and is recorded on the entry. A word
the model dropped or changed is not recorded. Words the model knows but
copied untranslated (names, or words it could not translate) are not
reported: telling them apart from names is not something the engine knows.
"""

from __future__ import annotations

import itertools
import logging
import re
import string
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import EngineError, EngineNotAvailable, UnsupportedPair
from . import tagged
from .base import EngineBase
from .glossary import is_term
from .packages import (
    INSTALL_HINT,
    ModelPackage,
    argos_setting,
    installed_packages,
    newest_per_pair,
    packages_dir,
)
from .sentences import split

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_BATCH_TOKENS", "ArgosEngine", "ArgosSettings", "TranslationStats"]

DEFAULT_BATCH_TOKENS = 4096
"""Source tokens per CTranslate2 sub-batch when ``ARGOS_BATCH_SIZE`` is not set.

argostranslate's default (32 tokens) makes nearly every sentence its own
batch; a few thousand tokens keep both CPU cores busy with large matrix
products while memory stays small (the sentences are sorted by length first,
so there is little padding)."""

LENGTH_PENALTY = 0.2
"""argostranslate's length penalty, kept so output matches argostranslate's."""

MAX_FRAGMENT_TOKENS = 30
"""Longest span (in tokens) whose words are also translated alone as an anchor."""

EXTRA_HINT = "pip install 'pipeline[argos]' (see README: Machine translation with Argos models)"
"""How to install the Python packages the engine needs."""

_COPYABLE = re.compile(r"\d+(?:[.,:]\d+)*|[IVXLCDM]+")
_TOKEN = re.compile(r"\d+|[^\W\d_]+|\S")
_STOPS = ".!?…"


# --------------------------------------------------------------------------- settings


def _int_setting(name: str, default: int, minimum: int, environ: Mapping[str, str] | None) -> int:
    raw = argos_setting(name, environ)
    if raw is None or not str(raw).strip():
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise EngineError(
            f"{name} must be a whole number of at least {minimum}, not {raw!r}",
            hint="fix the environment variable or argostranslate's settings.json",
        )
    return value


@dataclass(frozen=True, slots=True)
class ArgosSettings:
    """How the engine runs CTranslate2 (argostranslate's ``ARGOS_*`` settings)."""

    device: str = "cpu"
    """``ARGOS_DEVICE_TYPE``: ``cpu`` or ``cuda``."""
    compute_type: str = "auto"
    """``ARGOS_COMPUTE_TYPE``: CTranslate2 compute type (``auto``, ``int8``, ``float32``…)."""
    inter_threads: int = 1
    """``ARGOS_INTER_THREADS``: batches translated in parallel."""
    intra_threads: int = 0
    """``ARGOS_INTRA_THREADS``: threads per batch (0: CTranslate2's default)."""
    beam_size: int = 4
    """``ARGOS_BEAM_SIZE``: beam search width (argostranslate's default is 4)."""
    batch_tokens: int = DEFAULT_BATCH_TOKENS
    """``ARGOS_BATCH_SIZE``: source tokens per sub-batch (see :data:`DEFAULT_BATCH_TOKENS`)."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ArgosSettings:
        """Read the settings as argostranslate does: environment, then settings.json.

        Raises :class:`EngineError` for a value that is not a valid number.
        """
        device = (argos_setting("ARGOS_DEVICE_TYPE", environ) or "cpu").strip() or "cpu"
        compute = (argos_setting("ARGOS_COMPUTE_TYPE", environ) or "auto").strip() or "auto"
        return cls(
            device=device,
            compute_type=compute,
            inter_threads=_int_setting("ARGOS_INTER_THREADS", 1, 1, environ),
            intra_threads=_int_setting("ARGOS_INTRA_THREADS", 0, 0, environ),
            beam_size=_int_setting("ARGOS_BEAM_SIZE", 4, 1, environ),
            batch_tokens=_int_setting("ARGOS_BATCH_SIZE", DEFAULT_BATCH_TOKENS, 1, environ),
        )


@dataclass(slots=True)
class TranslationStats:
    """What the last :meth:`ArgosEngine.translate` call did (also logged)."""

    texts: int = 0
    """Tagged texts translated."""
    sentences: int = 0
    """Sentences they were split into."""
    fragments: int = 0
    """Span texts translated alone, as anchors for placing the spans."""
    model_inputs: int = 0
    """Distinct strings sent to the model."""
    calls: int = 0
    """``translate_batch`` calls made (one per non-empty batch)."""
    seconds: float = 0.0
    """Time spent in the model."""


# --------------------------------------------------------------------------- loading


@dataclass(slots=True)
class _Loaded:
    translator: Any
    """``ctranslate2.Translator``."""
    tokenizer: Any
    """``sentencepiece.SentencePieceProcessor``."""


_LOADED: dict[tuple[object, ...], _Loaded] = {}
_LOAD_LOCK = threading.Lock()


def _load(package: ModelPackage, settings: ArgosSettings) -> _Loaded:
    """The package's translator and tokenizer, loaded once per process."""
    model_bin = package.model_dir / "model.bin"
    try:
        info = model_bin.stat()
    except OSError as exc:
        raise EngineNotAvailable(
            f"the model of {package.label} is missing: {exc.strerror or exc}",
            path=model_bin,
            hint=f"install the package again; {INSTALL_HINT}",
        ) from exc
    key: tuple[object, ...] = (
        str(package.path.resolve()),
        info.st_size,
        info.st_mtime_ns,
        settings.device,
        settings.compute_type,
        settings.inter_threads,
        settings.intra_threads,
    )
    with _LOAD_LOCK:
        loaded = _LOADED.get(key)
        if loaded is not None:
            return loaded
        try:
            import ctranslate2
            import sentencepiece
        except ImportError as exc:
            raise EngineNotAvailable(
                f"the argos engine needs the Python package {exc.name or 'ctranslate2'}",
                hint=EXTRA_HINT,
            ) from exc
        started = time.perf_counter()
        try:
            translator = ctranslate2.Translator(
                str(package.model_dir),
                device=settings.device,
                compute_type=settings.compute_type,
                inter_threads=settings.inter_threads,
                intra_threads=settings.intra_threads,
            )
            tokenizer = sentencepiece.SentencePieceProcessor(
                model_file=str(package.sentencepiece_model)
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise EngineError(
                f"cannot load the model of {package.label}: {exc}",
                path=package.path,
                hint="the package may be damaged or made for another CTranslate2 version; "
                f"install it again ({INSTALL_HINT}); check ARGOS_DEVICE_TYPE/ARGOS_COMPUTE_TYPE",
            ) from exc
        loaded = _Loaded(translator, tokenizer)
        # A package reinstalled in the same process replaces its old entry.
        for old in [k for k in _LOADED if k[0] == key[0]]:
            del _LOADED[old]
        _LOADED[key] = loaded
        logger.info("loaded %s in %.2f s", package.label, time.perf_counter() - started)
        return loaded


def _decode(tokenizer: Any, tokens: list[str], prefix: str) -> str:
    """Detokenise like argostranslate: SentencePiece, then ``▁``/``_`` as spaces,
    without the target prefix and the space the tokenizer puts first."""
    value: str = tokenizer.decode_pieces(tokens).replace("\u2581", " ").replace("_", " ")
    if prefix and value.startswith(prefix):
        value = value[len(prefix) :]
    if value.startswith(" "):
        value = value[1:]
    return value


# --------------------------------------------------------------------------- tagged text


@dataclass(slots=True)
class _Mark:
    """A placeholder of the tagged text, and where it goes in the translation."""

    item: tagged.Open | tagged.Close | tagged.Atom | tagged.Break
    """The placeholder as read (a ``g`` span's tags, an ``x`` span, a ``<br>``)."""
    seq: int = 0
    """Position in the text's stream of marks (source order)."""
    partner: int = -1
    """For ``open``/``close``: the ``seq`` of the other tag of the span."""

    @property
    def kind(self) -> str:
        """``open``/``close`` (a span's tags) or ``atom`` (``x`` span or ``<br>``)."""
        if isinstance(self.item, tagged.Open):
            return "open"
        if isinstance(self.item, tagged.Close):
            return "close"
        return "atom"

    @property
    def tag(self) -> str:
        """What is written out: the tag (an atom with its hint)."""
        return tagged.write([self.item])

    @property
    def hint(self) -> str:
        """Unescaped hint of an atom."""
        return self.item.hint if isinstance(self.item, tagged.Atom) else ""


Item = str | _Mark


def _parse(text: str) -> list[Item]:
    """Tagged text → unescaped text runs and marks. Unbalanced ``</span>`` are
    dropped and unclosed spans closed at the end (the decoder flags the text)."""
    items: list[Item] = [
        item.text if isinstance(item, tagged.Text) else _Mark(item)
        for item in tagged.balanced(tagged.parse(text))
    ]
    # Number the marks and pair the span tags.
    opened: list[_Mark] = []
    seq = 0
    for item in items:
        if isinstance(item, _Mark):
            item.seq = seq
            seq += 1
            if item.kind == "open":
                opened.append(item)
            elif item.kind == "close":
                start = opened.pop()
                start.partner, item.partner = item.seq, start.seq
    return items


def _serialise(items: Sequence[Item]) -> str:
    return "".join(tagged.escape(i) if isinstance(i, str) else i.tag for i in items)


def _copyable(mark: _Mark) -> bool:
    """An atom the model sees as words: a number or roman numeral, or a
    glossary term (its target, :attr:`ArgosEngine.term_hint`), that it will copy."""
    if mark.kind != "atom":
        return False
    return bool(_COPYABLE.fullmatch(mark.hint)) or (is_term(mark.item.id) and bool(mark.hint))


def _has_letter(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def _normalise(text: str) -> str:
    return " ".join(text.split())


@dataclass(slots=True)
class _Placed:
    """A mark inside one sentence: its offset in the sentence's plain text."""

    mark: _Mark
    offset: int
    length: int = 0
    """Characters of the plain text that stand for the mark: a copyable atom's
    hint, or the space put after a line break that touches a word."""


@dataclass(slots=True)
class _Sentence:
    """One sentence of a text: its plain text, marks, and model inputs."""

    text: str
    marks: list[_Placed]
    model_input: str | None
    """What the model translates (``None``: nothing to translate, kept as is)."""
    fragments: dict[int, str] = field(default_factory=dict)
    """``seq`` of a span's open tag → the span's words, translated alone as an anchor."""


@dataclass(slots=True)
class _Plan:
    """A tagged text cut into verbatim pieces and sentences to translate."""

    parts: list[list[Item] | _Sentence]

    def inputs(self) -> list[str]:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, _Sentence):
                if part.model_input is not None:
                    out.append(part.model_input)
                out.extend(part.fragments.values())
        return out

    def sentences(self) -> int:
        return sum(1 for p in self.parts if isinstance(p, _Sentence) and p.model_input is not None)


def _plan(text: str, lang: str) -> _Plan:
    """Cut a tagged text into sentences (with their marks) and the verbatim
    whitespace and marks around and between them."""
    items = _parse(text)
    plain: list[str] = []
    offset = 0
    located: list[_Placed] = []
    for item in items:
        stand_in = ""
        if isinstance(item, str):
            stand_in = item
        elif _copyable(item):
            stand_in = item.hint
        elif isinstance(item.item, tagged.Break) and plain and not plain[-1][-1:].isspace():
            stand_in = " "  # a line break keeps the words around it apart
        if isinstance(item, _Mark):
            located.append(_Placed(item, offset, len(stand_in)))
        if stand_in:
            plain.append(stand_in)
            offset += len(stand_in)
    full = "".join(plain)
    opens = {p.mark.seq: p.offset for p in located if p.mark.kind == "open"}
    keep = [
        (opens[p.mark.partner], p.offset)
        for p in located
        if p.mark.kind == "close" and p.mark.partner in opens
    ]
    spans = split(full, lang, keep=keep)
    if not spans:
        return _Plan([items])
    parts: list[list[Item] | _Sentence] = []
    # Marks and text between sentences stay verbatim; walk the items in step.
    marks_by_sentence: list[list[_Placed]] = [[] for _ in spans]
    outside: dict[int, list[_Placed]] = {}
    index = 0
    for placed in located:
        while index < len(spans) and placed.offset > spans[index][1]:
            index += 1
        if index < len(spans) and spans[index][0] <= placed.offset:
            marks_by_sentence[index].append(placed)
        else:
            outside.setdefault(index, []).append(placed)
    previous_end = 0
    for number, (start, end) in enumerate(spans):
        parts.append(_verbatim(full, previous_end, start, outside.get(number, [])))
        parts.append(_sentence(full[start:end], start, marks_by_sentence[number]))
        # (a line break's stand-in space may run past the sentence: not source text)
        previous_end = max([end] + [p.offset + p.length for p in marks_by_sentence[number]])
    parts.append(_verbatim(full, previous_end, len(full), outside.get(len(spans), [])))
    return _Plan(parts)


def _verbatim(full: str, start: int, end: int, marks: list[_Placed]) -> list[Item]:
    """The text ``full[start:end]`` (whitespace) with the marks that sit in it."""
    out: list[Item] = []
    pos = start
    for placed in marks:
        if placed.offset > pos:
            out.append(full[pos : placed.offset])
            pos = placed.offset
        out.append(placed.mark)  # an atom's tag holds its hint: skip the hint's text
        pos = placed.offset + placed.length
    if end > pos:
        out.append(full[pos:end])
    return out


def _sentence(text: str, start: int, marks: list[_Placed]) -> _Sentence:
    local = [_Placed(p.mark, p.offset - start, p.length) for p in marks]
    model_input = _normalise(text)
    sentence = _Sentence(text, local, model_input if _has_letter(model_input) else None)
    if sentence.model_input is None:
        return sentence
    total = len(_TOKEN.findall(text))
    opens = {p.mark.seq: p for p in local if p.mark.kind == "open"}
    for placed in local:
        if placed.mark.kind != "close" or placed.mark.partner not in opens:
            continue
        inner = text[opens[placed.mark.partner].offset : placed.offset]
        count = len(_TOKEN.findall(inner))
        words = _normalise(inner)
        if _has_letter(words) and count < total and count <= MAX_FRAGMENT_TOKENS:
            sentence.fragments[placed.mark.partner] = words
    return sentence


# --------------------------------------------------------------------------- alignment


def _tokens(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _TOKEN.finditer(text)]


def _coordinate(tokens: list[tuple[int, int]], offset: int) -> float:
    """Where ``offset`` falls, in tokens: tokens ending at or before it, plus
    the fraction of a token it cuts."""
    count = 0.0
    for start, end in tokens:
        if end <= offset:
            count += 1
        elif start < offset:
            count += (offset - start) / (end - start)
            break
        else:
            break
    return count


def _occurrences(
    needle: str, text: str, tokens: list[tuple[int, int]], *, fold: bool
) -> list[tuple[int, int]]:
    """Token-aligned occurrences of ``needle`` in ``text``, as token index ranges."""
    starts = {s: i for i, (s, _) in enumerate(tokens)}
    ends = {e: i + 1 for i, (_, e) in enumerate(tokens)}
    flags = re.IGNORECASE if fold else 0
    found: list[tuple[int, int]] = []
    for match in re.finditer(re.escape(needle), text, flags):
        if match.start() in starts and match.end() in ends:
            found.append((starts[match.start()], ends[match.end()]))
    return found


def _clean_fragment(translation: str, source: str) -> str:
    """A span's separate translation, without the stop or ``¿``/``¡`` a model
    adds to a fragment."""
    out = translation.strip()
    if source.rstrip()[-1:] not in _STOPS:
        out = out.rstrip(_STOPS).rstrip()
    if source.lstrip()[:1] not in "¿¡":
        out = out.lstrip("¿¡").lstrip()
    return out


Point = tuple[float, int, float]
"""(source coordinate, mark seq, target coordinate) of an anchor."""


def _monotone(points: list[Point]) -> bool:
    ordered = sorted(points, key=lambda p: (p[0], p[1]))
    return all(a[2] <= b[2] for a, b in itertools.pairwise(ordered))


def _interpolate(points: list[Point], x: float, seq: int) -> float:
    """Target coordinate of source point ``(x, seq)`` between its nearest anchors."""
    ordered = sorted(points, key=lambda p: (p[0], p[1]))
    before = max((p for p in ordered if (p[0], p[1]) <= (x, seq)), key=lambda p: (p[0], p[1]))
    after = min((p for p in ordered if (p[0], p[1]) >= (x, seq)), key=lambda p: (p[0], p[1]))
    if after[0] <= before[0]:
        return before[2]
    return before[2] + (x - before[0]) * (after[2] - before[2]) / (after[0] - before[0])


def _place(sentence: _Sentence, translation: str, fragments: Mapping[int, str]) -> str:
    """Write the translated sentence as tagged text with every mark put back."""
    src_tokens = _tokens(sentence.text)
    tgt_tokens = _tokens(translation)
    n_src, n_tgt = len(src_tokens), len(tgt_tokens)
    base: list[Point] = [(0.0, -1, 0.0), (float(n_src), 1 << 30, float(n_tgt))]
    points = list(base)
    coords = {p.mark.seq: _coordinate(src_tokens, p.offset) for p in sentence.marks}
    placed_by_seq = {p.mark.seq: p for p in sentence.marks}
    anchored: dict[int, tuple[int, int]] = {}  # seq → target token range
    used: set[tuple[int, int]] = set()

    def try_anchor(
        seq: int, x0: float, x1: float, end_seq: int, ranges: list[tuple[int, int]]
    ) -> None:
        guess = _interpolate(base, x0, seq)
        for t0, t1 in sorted(ranges, key=lambda r: abs(r[0] - guess)):
            if (t0, t1) in used:
                continue
            extra: list[Point] = [(x0, seq, float(t0)), (x1, end_seq, float(t1))]
            if _monotone(points + extra):
                points.extend(extra)
                used.add((t0, t1))
                anchored[seq] = (t0, t1)
                return

    # Anchors: numbers the model copied, then spans whose words were found.
    for placed in sentence.marks:
        if placed.length and _copyable(placed.mark):
            x0 = coords[placed.mark.seq]
            x1 = _coordinate(src_tokens, placed.offset + placed.length)
            ranges = _occurrences(placed.mark.hint, translation, tgt_tokens, fold=False)
            try_anchor(placed.mark.seq, x0, x1, placed.mark.seq, ranges)
    for seq, words in fragments.items():
        close = placed_by_seq[seq].mark.partner
        source_words = sentence.fragments[seq]
        found = _clean_fragment(words, source_words)
        if found and _has_letter(found):
            ranges = _occurrences(found, translation, tgt_tokens, fold=True)
            try_anchor(seq, coords[seq], coords[close], close, ranges)

    def start_of(k: int) -> int:
        return tgt_tokens[k][0] if k < n_tgt else len(translation)

    def end_of(k: int) -> int:
        return tgt_tokens[k - 1][1] if k > 0 else 0

    # Each mark: (position, insertion, end of the text it replaces).
    spots: list[tuple[int, str, int]] = []
    boundary: dict[int, int] = {}
    for placed in sentence.marks:
        mark = placed.mark
        seq = mark.seq
        if seq in anchored and mark.kind == "atom":
            t0, t1 = anchored[seq]
            spots.append((start_of(t0), mark.tag, end_of(t1)))
            continue
        if seq in anchored:  # a span's open tag
            k = anchored[seq][0]
        elif mark.kind == "close" and mark.partner in anchored:
            k = anchored[mark.partner][1]
        else:
            k = min(max(int(_interpolate(points, coords[seq], seq) + 0.5), 0), n_tgt)
        # A span with words in the source keeps at least one word.
        if mark.kind == "open" and n_tgt and coords.get(mark.partner, 0.0) > coords[seq]:
            k = min(k, n_tgt - 1)
        if mark.kind == "close" and n_tgt and coords[seq] > coords.get(mark.partner, 1e9):
            k = max(k, boundary.get(mark.partner, 0) + 1)
        boundary[seq] = k
        if mark.kind == "open":
            spots.append((start_of(k), mark.tag, -1))
        elif mark.kind == "close":
            spots.append((end_of(k), mark.tag, -1))
        else:
            spots.append(_atom_spot(sentence.text, placed.offset, translation, k, mark.tag))

    out: list[str] = []
    cursor = 0
    for position, insertion, replaced_end in spots:
        if replaced_end >= 0 and position < cursor:
            replaced_end = -1  # an anchor that would go backwards: keep the model's text
        position = max(position, cursor)
        out.append(tagged.escape(translation[cursor:position]))
        out.append(insertion)
        cursor = max(position, replaced_end)
    out.append(tagged.escape(translation[cursor:]))
    return "".join(out)


def _atom_spot(
    source: str, offset: int, translation: str, k: int, tag: str
) -> tuple[int, str, int]:
    """Where an atom the model did not see goes: at token boundary ``k``, next to
    the word it touched in the source, with the source's spacing around it."""
    tokens = _tokens(translation)
    space_before = offset > 0 and source[offset - 1].isspace()
    space_after = offset < len(source) and source[offset].isspace()
    touches_before = offset > 0 and not space_before
    touches_after = offset < len(source) and not space_after
    if touches_before and k > 0:
        position = tokens[k - 1][1]
    elif touches_after or k == 0:
        position = tokens[k][0] if k < len(tokens) else len(translation)
    else:
        position = tokens[k - 1][1]
    lead = " " if space_before and position > 0 and not translation[position - 1].isspace() else ""
    trail = (
        " "
        if space_after and position < len(translation) and not translation[position].isspace()
        else ""
    )
    return position, lead + tag + trail, -1


def _render(
    plan: _Plan, outputs: Mapping[str, str], unknown: Mapping[str, Sequence[str]] | None = None
) -> str:
    """The translated tagged text of a plan, given every model input's output
    (and the words of each input the model's vocabulary lacks, see
    :func:`_mark_unknown`)."""
    out: list[str] = []
    for part in plan.parts:
        if isinstance(part, list):
            out.append(_serialise(part))
            continue
        if part.model_input is None:  # nothing to translate: the source as it was
            out.append(_serialise(_verbatim(part.text, 0, len(part.text), part.marks)))
            continue
        translation = outputs[part.model_input].strip()
        if not translation:
            logger.warning("the model returned nothing for %r; kept the source", part.text)
            translation = part.model_input
        fragments = {seq: outputs[words] for seq, words in part.fragments.items()}
        placed = _place(part, translation, fragments)
        words = (unknown or {}).get(part.model_input, ())
        out.append(_mark_unknown(placed, words) if words else placed)
    return "".join(out)


_EDGE_PUNCTUATION = string.punctuation + "«»“”¿¡…\u2018\u2019"


def _unknown_in(tokenizer: Any, text: str) -> list[str]:
    """The words of ``text`` (split at whitespace, without the punctuation at
    their edges) that the SentencePiece model can only spell with ``<unk>``."""
    unk = tokenizer.unk_id()
    found: list[str] = []
    for word in text.split():
        if unk in tokenizer.encode(word, out_type=int):
            bare = word.strip(_EDGE_PUNCTUATION).replace(",", "")
            found.append(bare or word)
    return list(dict.fromkeys(found))


def _mark_unknown(text: str, words: Sequence[str]) -> str:
    """A sentence's tagged translation with the first occurrence of each unknown
    word (the model copies an unknown token from the source) as
    ``<mark>word</mark>``; a word the translation does not hold is left out."""
    items: list[tagged.Item] = []
    pending = list(words)
    for item in tagged.parse(text):
        if not isinstance(item, tagged.Text) or not pending:
            items.append(item)
            continue
        rest = item.text
        while pending:
            hits = [(m, w) for w in pending for m in [_whole_word(w, rest)] if m is not None]
            if not hits:
                break
            match, word = min(hits, key=lambda h: h[0].start())
            if match.start():
                items.append(tagged.Text(rest[: match.start()]))
            items.extend(tagged.unknown(word))
            rest = rest[match.end() :]
            pending.remove(word)
        if rest:
            items.append(tagged.Text(rest))
    return tagged.write(items)


def _whole_word(word: str, text: str) -> re.Match[str] | None:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)


# --------------------------------------------------------------------------- engine


class ArgosEngine(EngineBase):
    """Translate with the installed Argos Translate packages (see the module doc)."""

    name = "argos"
    install_hint = INSTALL_HINT
    """Appended to the error for a language pair no package translates."""

    term_hint = "target"
    """A glossary term is shown as its target, which the model copies in place."""

    def __init__(
        self, directory: Path | None = None, settings: ArgosSettings | None = None
    ) -> None:
        self.directory = directory if directory is not None else packages_dir()
        """Where the packages are installed (see :func:`pipeline.mt.packages.packages_dir`)."""
        self._settings = settings
        self.stats = TranslationStats()
        """What the last :meth:`translate` call did."""

    @cached_property
    def settings(self) -> ArgosSettings:
        """The ``ARGOS_*`` settings in force (read once)."""
        return self._settings or ArgosSettings.from_environment()

    @cached_property
    def packages(self) -> list[ModelPackage]:
        """The installed translation packages (read once)."""
        return installed_packages(self.directory)

    @cached_property
    def version(self) -> str:
        """The packages' names and versions, the CTranslate2 version and the beam
        size: ``translate-en_es 1.9, translate-es_en 1.9 (ctranslate2 4.5.0, beam 4)``."""
        from importlib import metadata

        try:
            ct2 = f"ctranslate2 {metadata.version('ctranslate2')}"
        except metadata.PackageNotFoundError:
            ct2 = "ctranslate2 not installed"
        labels = ", ".join(p.label for p in self._chosen()) or "no packages"
        return f"{labels} ({ct2}, beam {self.settings.beam_size})"

    def _chosen(self) -> list[ModelPackage]:
        """One package per language pair: the newest version."""
        return newest_per_pair(self.packages)

    def pairs(self) -> list[tuple[str, str]]:
        """The language pairs of the installed packages.

        Raises :class:`EngineNotAvailable` when no package is installed.
        """
        pairs = [(p.source, p.target) for p in self._chosen()]
        if not pairs:
            raise EngineNotAvailable(
                f"no Argos Translate packages are installed in {self.directory}",
                hint=f"{INSTALL_HINT}, or set ARGOS_PACKAGES_DIR",
            )
        return pairs

    def package_for(self, source: str, target: str) -> ModelPackage:
        """The package translating ``source`` into ``target``; raises
        :class:`UnsupportedPair` (listing the installed pairs) if none does."""
        for package in self._chosen():
            if (package.source, package.target) == (source, target):
                return package
        have = ", ".join(f"{s}->{t}" for s, t in self.pairs())
        raise UnsupportedPair(
            f"no Argos package translates {source}->{target}",
            hint=f"installed: {have}; {INSTALL_HINT}",
        )

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Translate tagged texts with one ``translate_batch`` call; one result per
        text, in order. Blank texts and sentences without letters are kept as is."""
        package = self.package_for(source, target)
        self.stats = TranslationStats(texts=len(texts))
        if not texts:
            return []
        plans = [_plan(text, source) for text in texts]
        inputs = list(dict.fromkeys(i for plan in plans for i in plan.inputs()))
        self.stats.sentences = sum(plan.sentences() for plan in plans)
        self.stats.fragments = sum(
            len(p.fragments) for plan in plans for p in plan.parts if isinstance(p, _Sentence)
        )
        self.stats.model_inputs = len(inputs)
        outputs = self._translate_strings(package, inputs)
        unknown = self._unknown_words(package, inputs)
        results = [_render(plan, outputs, unknown) for plan in plans]
        logger.info(
            "argos %s->%s (%s): %d texts, %d sentences, %d span anchors; "
            "%d model inputs in %d call(s), %.2f s",
            source,
            target,
            package.label,
            self.stats.texts,
            self.stats.sentences,
            self.stats.fragments,
            self.stats.model_inputs,
            self.stats.calls,
            self.stats.seconds,
        )
        return results

    def _unknown_words(self, package: ModelPackage, inputs: list[str]) -> dict[str, list[str]]:
        """For each input holding any: the words the package's SentencePiece model
        maps to ``<unk>`` (characters it never saw: another script, an emoji)."""
        if not inputs:
            return {}
        tokenizer = _load(package, self.settings).tokenizer
        unk = tokenizer.unk_id()
        pieces: list[list[int]] = tokenizer.encode(inputs, out_type=int)
        return {
            text: _unknown_in(tokenizer, text)
            for text, ids in zip(inputs, pieces, strict=True)
            if unk in ids
        }

    def _translate_strings(self, package: ModelPackage, inputs: list[str]) -> dict[str, str]:
        """Translate plain strings with one ``translate_batch`` call, shortest first."""
        if not inputs:
            return {}
        loaded = _load(package, self.settings)
        started = time.perf_counter()
        try:
            tokens: list[list[str]] = loaded.tokenizer.encode(inputs, out_type=str)
            order = sorted(range(len(inputs)), key=lambda i: len(tokens[i]))
            batch = [tokens[i] for i in order]
            prefix = package.target_prefix
            results = loaded.translator.translate_batch(
                batch,
                target_prefix=[[prefix]] * len(batch) if prefix else None,
                max_batch_size=self.settings.batch_tokens,
                batch_type="tokens",
                beam_size=self.settings.beam_size,
                num_hypotheses=1,
                length_penalty=LENGTH_PENALTY,
                replace_unknowns=True,
            )
            outputs: dict[str, str] = {}
            for index, result in zip(order, results, strict=True):
                outputs[inputs[index]] = _decode(loaded.tokenizer, result.hypotheses[0], prefix)
        except (RuntimeError, ValueError, IndexError) as exc:
            raise EngineError(
                f"{package.label} failed to translate: {exc}",
                hint="run with --verbose for details; try ARGOS_COMPUTE_TYPE=float32 or a "
                "smaller ARGOS_BATCH_SIZE",
            ) from exc
        self.stats.calls += 1
        self.stats.seconds += time.perf_counter() - started
        return outputs
