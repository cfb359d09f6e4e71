"""The project's translation memory: reviewed translations, reused.

For one target language the memory holds

- every **reviewed** entry of every book's catalogue (``content/<lang>/*.po``),
  named after its book (``other-book``) — machine output and unreviewed work
  stay out;
- every unit of the TMX files the publisher imported (``content/tm/*.tmx``,
  see :func:`import_tmx`), named ``imported:<file>``: an imported unit counts
  as reviewed.

Where two translations share a source, the books come before the imported
files, the most recently approved first; imported files in name order, a
file's first unit first. At most :data:`MAX_UNITS` units per language are
kept (the books' first).

Sources are compared after :func:`normalize` (Unicode NFC, runs of white space
as one space). :meth:`Memory.exact` finds the translation of the same source;
:meth:`Memory.suggest` the most similar ones (:func:`rapidfuzz.fuzz.ratio`
at least :data:`FUZZY_THRESHOLD`), through one index built when the memory is
loaded — load it once per build (:class:`Memories`).
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from ..catalog.catalog import Catalog, State
from ..config import Config
from ..errors import CatalogError, ExchangeError, OutputError, PipelineError
from ..fsutil import write_atomic
from ..lang import primary
from ..project import find_books, relative
from .tmxread import TmxMemory, read_tmx

__all__ = [
    "ENGINE",
    "FUZZY_THRESHOLD",
    "IMPORTED",
    "MAX_UNITS",
    "ImportResult",
    "Memories",
    "Memory",
    "Suggestion",
    "Unit",
    "fill_from_memory",
    "import_tmx",
    "imported_files",
    "label",
    "load_memory",
    "memory_digest",
    "memory_dir",
    "memory_inputs",
    "memory_stamp",
    "normalize",
]

log = logging.getLogger(__name__)

ENGINE = "tm"
"""The engine name recorded for a translation taken from the memory (``mt tm other-book``)."""
IMPORTED = "imported:"
"""What starts the name of an imported memory (``imported:publisher.tmx``)."""
FUZZY_THRESHOLD = 75.0
"""Smallest :func:`rapidfuzz.fuzz.ratio` (0 to 100) of a suggestion."""
MAX_UNITS = 100_000
"""Most units of the memory considered per language."""
FOLDER = "tm"
"""The folder of ``content/`` holding the imported TMX files."""


def normalize(text: str) -> str:
    """``text`` as the memory compares it: NFC, white space runs as one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True, slots=True)
class Unit:
    """One translation in the memory."""

    source: str
    """The source text (inline Markdown)."""
    target: str
    """Its reviewed translation (inline Markdown)."""
    origin: str
    """The memory it comes from: a book id, or ``imported:<file>``."""
    ref: str
    """Where in it: the segment id, or the TMX unit's ``tuid`` (else ``line N``)."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A similar translation the memory offers."""

    unit: Unit
    """The translation."""
    score: float
    """Similarity of its source to the segment's (:func:`rapidfuzz.fuzz.ratio`, 0 to 100)."""

    @property
    def percent(self) -> int:
        """The score as a whole percentage, rounded down (74.9 is never shown as 75)."""
        return int(self.score)


class Memory:
    """The translation memory of one target language, indexed for look-ups."""

    def __init__(self, lang: str, units: Iterable[Unit], *, limit: int = MAX_UNITS) -> None:
        """Index ``units`` (best first: for a source already held, later ones are
        ignored), keeping at most ``limit``."""
        self.lang = lang
        """Target language."""
        self._exact: dict[str, Unit] = {}
        dropped = 0
        for unit in units:
            key = normalize(unit.source)
            if not key or key in self._exact:
                continue
            if len(self._exact) >= limit:
                dropped += 1
                continue
            self._exact[key] = unit
        if dropped:
            log.warning(
                "translation memory [%s]: %d unit(s) beyond the first %d left out",
                lang,
                dropped,
                limit,
            )
        self._keys = list(self._exact)
        self._units = list(self._exact.values())

    def __len__(self) -> int:
        return len(self._units)

    def units(self) -> list[Unit]:
        """The units, best first."""
        return list(self._units)

    def origins(self) -> dict[str, int]:
        """Units per origin (book id or ``imported:<file>``), in the memory's order."""
        counts: dict[str, int] = {}
        for unit in self._units:
            counts[unit.origin] = counts.get(unit.origin, 0) + 1
        return counts

    def exact(self, source: str) -> Unit | None:
        """The translation of the same source (after :func:`normalize`), if any."""
        return self._exact.get(normalize(source))

    def suggest(
        self,
        source: str,
        *,
        current: str | None = None,
        limit: int = 1,
        cutoff: float = FUZZY_THRESHOLD,
    ) -> list[Suggestion]:
        """Up to ``limit`` translations of similar sources (ratio ≥ ``cutoff``), most
        similar first; those equal to ``current`` (the entry's translation) and
        repeated translations are left out."""
        if not self._keys:
            return []
        found: list[Suggestion] = []
        seen = {normalize(current)} if current else set()
        for _key, score, index in process.extract(
            normalize(source),
            self._keys,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=cutoff,
            limit=limit + 5,
        ):
            unit = self._units[index]
            target = normalize(unit.target)
            if target in seen:
                continue
            seen.add(target)
            found.append(Suggestion(unit, float(score)))
            if len(found) >= limit:
                break
        return found


def memory_dir(config: Config) -> Path:
    """``content/tm/``: the imported TMX files (the publisher's data, committed)."""
    return config.content_dir / FOLDER


def imported_files(config: Config) -> list[Path]:
    """The imported TMX files, in name order."""
    folder = memory_dir(config)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.tmx") if p.is_file())


def memory_inputs(config: Config) -> list[Path]:
    """Every file the memories are made of: the catalogues of every target
    language and the imported TMX files (for build fingerprints)."""
    paths: list[Path] = []
    for lang in config.target_langs:
        folder = config.content_dir / lang
        if folder.is_dir():
            paths += sorted(p for p in folder.glob("*.po") if p.is_file())
    return paths + imported_files(config)


def _book_units(
    config: Config, lang: str, loaded: Mapping[Path, Catalog] | None = None
) -> list[Unit]:
    """The reviewed entries of every book in ``lang``, most recently approved
    first (a catalogue of ``loaded`` that holds what its file holds is used
    instead of reading the file again)."""
    found: list[tuple[str, int, Unit]] = []
    for order, book in enumerate(find_books(config)):
        path = book.catalog_path(config, lang)
        if not path.is_file():
            continue
        catalog = (loaded or {}).get(path)
        try:
            if catalog is None or not catalog.matches_file():
                catalog = Catalog.load(
                    path, lang=lang, source_lang=config.source_lang, book=book.id
                )
        except CatalogError as exc:
            # Its own book's commands report it as an error; one message is enough.
            log.info("translation memory: %s left out: %s", relative(config, path), exc)
            continue
        for sid in catalog.ids():
            entry = catalog.entry(sid)
            if entry.state is not State.REVIEWED or not entry.translation:
                continue
            unit = Unit(entry.source, entry.translation, book.id, sid)
            found.append((entry.reviewed_at or "", -order, unit))
    # Newest approval first; on the same day, the first book in name order.
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [unit for _day, _order, unit in found]


def _imported_units(config: Config, lang: str) -> list[Unit]:
    """The pairs of the imported TMX files from the source language into ``lang``."""
    units: list[Unit] = []
    for path in imported_files(config):
        memory = _read(path, relative(config, path))
        name = IMPORTED + path.name
        units += [
            Unit(src, tgt, name, unit.id)
            for src, tgt, unit in memory.pairs(config.source_lang, lang)
        ]
    return units


def _read(path: Path, shown: str | Path) -> TmxMemory:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExchangeError(
            f"cannot read the TMX file: {exc.strerror or exc}",
            path=shown,
            hint="check that the file exists and is readable",
        ) from None
    return read_tmx(data, Path(shown))


def load_memory(
    config: Config, lang: str, *, loaded: Mapping[Path, Catalog] | None = None
) -> Memory:
    """The translation memory of the project in ``lang``: its books' reviewed
    translations, then the imported TMX files' (see the module documentation).
    ``loaded``: catalogues already in memory, by path, used where they hold
    what their file holds.

    A book's catalogue that cannot be read is left out with a warning; an
    imported TMX file that cannot be read is an :class:`ExchangeError`.
    """
    units = [*_book_units(config, lang, loaded), *_imported_units(config, lang)]
    memory = Memory(lang, units)
    log.info("translation memory [%s]: %d unit(s) %s", lang, len(memory), memory.origins())
    return memory


_DIGESTS: dict[tuple[object, ...], str] = {}


def memory_digest(config: Config, *, loaded: Mapping[Path, Catalog] | None = None) -> str:
    """A checksum of what the memories of every target language hold (for build
    fingerprints: a book is built again when its memory changed, not when another
    book's machine translations did). Computed again only when one of
    :func:`memory_inputs` changed: it is kept in this process and, for the next
    build, in ``.pipeline-cache/memory.sha256`` with the size and time of those
    files (safe to delete). ``loaded``: as for :func:`load_memory`."""
    key = (str(config.root), config.target_langs, *memory_stamp(config))
    if key not in _DIGESTS:
        stamp = hashlib.sha256(repr(key).encode()).hexdigest()
        path = config.cache_path.parent / "memory.sha256"
        try:
            kept_stamp, value = path.read_text().split()
        except (OSError, ValueError):
            kept_stamp = value = ""
        if kept_stamp != stamp:
            digest = hashlib.sha256()
            for lang in config.target_langs:
                for unit in load_memory(config, lang, loaded=loaded).units():
                    digest.update(
                        "\0".join(
                            [lang, unit.origin, unit.ref, unit.source, unit.target, ""]
                        ).encode()
                    )
            value = digest.hexdigest()
            try:
                write_atomic(path, f"{stamp} {value}\n")
            except OutputError:  # a cache that cannot be written is no cache
                log.debug("cannot keep the memory's digest in %s", path.parent)
        _DIGESTS.clear()  # one project at a time is enough
        _DIGESTS[key] = value
    return _DIGESTS[key]


def memory_stamp(config: Config) -> tuple[tuple[str, int, int], ...]:
    """What tells that the memory's files changed: each one's path, modification
    time and size (cheap: nothing is read)."""
    return tuple(_file_stamp(path) for path in memory_inputs(config))


def _file_stamp(path: Path) -> tuple[str, int, int]:
    """A file's path, modification time and size (``-1`` when it is gone)."""
    try:
        stat = path.stat()
    except OSError:
        return str(path), -1, -1
    return str(path), stat.st_mtime_ns, stat.st_size


class Memories:
    """The memory of each target language of a project, each loaded once, when first asked."""

    def __init__(self, config: Config) -> None:
        """Nothing is read until :meth:`get`."""
        self.config = config
        """The project."""
        self._loaded: dict[str, Memory] = {}

    def get(self, lang: str) -> Memory:
        """The memory of ``lang``."""
        if lang not in self._loaded:
            self._loaded[lang] = load_memory(self.config, lang)
        return self._loaded[lang]


def label(unit: Unit) -> str:
    """The ``mt`` record of a translation taken from ``unit`` (``tm other-book``)."""
    return f"{ENGINE} {unit.origin}"


def fill_from_memory(catalog: Catalog, memory: Memory) -> list[str]:
    """Give every untranslated or machine-translated entry whose source the memory
    holds (an exact match) the memory's translation, as a machine translation
    (``fuzzy``: a person still approves it) recorded as ``mt tm <origin>``.

    Entries a person wrote or approved are never touched; an entry that already
    holds that translation from that memory is left as it is. Returns the ids
    of the entries whose translation now comes from the memory (in document
    order), which need no engine.
    """
    filled: list[str] = []
    for sid in catalog.ids():
        entry = catalog.entry(sid)
        if entry.state not in (State.NEW, State.MACHINE):
            continue
        unit = memory.exact(entry.source)
        if unit is None:
            continue
        filled.append(sid)
        if entry.translation == unit.target and entry.engine == label(unit):
            continue
        catalog.set_machine(sid, unit.target, ENGINE, unit.origin)
    return filled


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What :func:`import_tmx` did."""

    stored: Path
    """The copy in ``content/tm/``."""
    status: str
    """``added``, ``updated`` (a file of that name was replaced) or ``unchanged``."""
    pairs: dict[str, int]
    """Target language → units usable from the source language into it."""
    languages: tuple[str, ...]
    """The languages of the file, as written."""
    same_as: Path | None = None
    """For ``unchanged``: the file already holding the same content."""


def import_tmx(config: Config, file: Path, *, name: str | None = None) -> ImportResult:
    """Add the TMX file ``file`` to the project's memory.

    The file is checked (well-formed TMX, read safely; pairs from the source
    language into a target language, matched by primary subtag), then copied
    as it is into ``content/tm/<name>`` (``name`` defaults to the file's name,
    ``.tmx`` added when missing): it is the publisher's data, kept with the
    project. Importing the same content again changes nothing; a file of the
    same name with other content replaces the earlier one.

    Raises :class:`ExchangeError` for a file that cannot be read or is not
    TMX (with the line), or that holds no pair of the project's languages.
    """
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ExchangeError(
            f"cannot read the TMX file: {exc.strerror or exc}",
            path=file,
            hint="check the file name",
        ) from None
    memory = read_tmx(data, file)
    targets = [lang for lang in config.target_langs if primary(lang) != primary(config.source_lang)]
    pairs = {lang: sum(1 for _ in memory.pairs(config.source_lang, lang)) for lang in targets}
    if not any(pairs.values()):
        wanted = ", ".join(f"{config.source_lang}->{lang}" for lang in targets)
        held = ", ".join(memory.languages) or "none"
        raise ExchangeError(
            f"the memory holds no translation this project can use ({wanted}); "
            f"its languages: {held}",
            path=file,
            hint="export a memory with the project's source and target languages",
        )
    stored_name = _stored_name(name or file.name)
    folder = memory_dir(config)
    target = folder / stored_name
    for existing in imported_files(config):
        if existing.read_bytes() == data:
            return ImportResult(existing, "unchanged", pairs, memory.languages, same_as=existing)
    status = "updated" if target.exists() else "added"
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(target, data)
    log.info("%s: imported as %s (%s)", file, relative(config, target), status)
    return ImportResult(target, status, pairs, memory.languages)


def _stored_name(name: str) -> str:
    """A file name for ``content/tm/``: the base name, ending in ``.tmx``."""
    base = Path(name).name.strip()
    if not base or base in (".", "..") or base.startswith("."):
        raise PipelineError(
            f"{name!r} cannot name an imported memory",
            hint="give a plain file name with --name, e.g. publisher.tmx",
        )
    return base if base.lower().endswith(".tmx") else f"{Path(base).stem}.tmx"
