"""Fingerprints: what a build of a book depends on, so that a rebuild with
nothing changed does nothing (kept in ``.pipeline-cache/``, safe to delete)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from . import __version__
from .catalog.catalog import Catalog
from .config import Config
from .fsutil import tree_stamp, write_atomic
from .project import Book, relative, select_langs
from .qa.glossary import FILES as GLOSSARIES
from .source.images import IMAGE_TYPES
from .source.includes import included_files
from .tm import memory_digest

__all__ = [
    "BuildStamp",
    "code_stamp",
    "output_current",
    "output_key",
    "outputs",
    "record_output",
]

_CODE = Path(__file__).parent
CODE_FILES = (".py", ".css", ".html", ".xsd", ".dtd")
"""The suffixes of the pipeline's own files a build depends on."""


@cache
def code_stamp(package: str = "") -> str:
    """A checksum of pipeline's own files (those of the subpackage ``package``,
    e.g. ``render``, or all of them) by size and time, read once a process:
    what was made by other code is made again."""
    return tree_stamp(_CODE / package if package else _CODE, CODE_FILES)


def outputs(config: Config, book: Book, langs: Sequence[str] | None) -> list[Path]:
    """The files a build of ``book`` writes into ``output/``."""
    editions = select_langs(config, langs, targets_only=False)
    dirs = list(editions)
    if config.bilingual:
        dirs += [f"{config.source_lang}-{lang}" for lang in editions if lang != config.source_lang]
    return [config.output_dir / d / f"{book.id}.{fmt}" for d in dirs for fmt in config.formats]


class BuildStamp:
    """The fingerprint of one book's build with given settings, computed once."""

    def __init__(self, config: Config, book: Book, langs: Sequence[str] | None, settings: str):
        self.config = config
        """The project."""
        self.book = book
        """The book."""
        self.langs = langs
        """The languages asked for (``None``: all)."""
        self.settings = settings
        """The build settings the fingerprint covers."""
        self.path = config.cache_path.parent / "stamps" / f"{book.id}.sha256"
        """Where the last build's fingerprint is kept."""
        self.value = _fingerprint(config, book, settings)
        """The fingerprint of the inputs as they were when the stamp was made."""

    def up_to_date(self) -> bool:
        """Whether the last build had exactly these inputs and its outputs are all
        still there (then nothing needs doing: a no-op rebuild is instant)."""
        try:
            recorded = self.path.read_text()
        except OSError:
            return False
        if recorded != self.value:
            return False
        return all(path.is_file() for path in outputs(self.config, self.book, self.langs))

    def save(self, *, loaded: Mapping[Path, Catalog] | None = None) -> None:
        """Record that a build has finished, with the inputs as they are now (the
        build itself wrote the catalogues: ``loaded``, by path, spare reading
        them again for the translation memory's digest)."""
        self.value = _fingerprint(self.config, self.book, self.settings, loaded)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, self.value)


def _fingerprint(
    config: Config, book: Book, settings: str, loaded: Mapping[Path, Catalog] | None = None
) -> str:
    """A checksum of everything a build of ``book`` depends on: the project file,
    the source, the catalogues, the glossary, the translation memory, the
    pictures, the settings, the code's version."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{settings}\0".encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode() + b"\0")
    digest.update(code_stamp().encode() + b"\0")
    inputs = [config.path, *book.inputs(), *(config.content_dir / name for name in GLOSSARIES)]
    inputs += [book.catalog_path(config, lang) for lang in config.target_langs]
    for path in inputs:
        digest.update(str(path).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<missing>")
        digest.update(b"\0")
    # The listings its code blocks include (mdBook's {{#include}}), by size and time.
    for chapter in book.inputs():
        try:
            text = chapter.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for listing in included_files(chapter, text):
            try:
                stat = listing.stat()
                digest.update(f"{listing}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())
            except (OSError, ValueError):
                digest.update(f"{listing}:<missing>\0".encode())
    # The translation memory: other books' reviewed translations, imported TMX files.
    digest.update(memory_digest(config, loaded=loaded).encode() + b"\0")
    # The pictures an edition may embed: by size and time, as make does (a book
    # may use any picture under content/, and reading them all would be slow).
    for path in sorted(config.content_dir.rglob("*")):
        if path.suffix.lower() in IMAGE_TYPES and path.is_file():
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest() + "\n"


def output_key(*parts: object) -> str:
    """A checksum of what an output is made from (with the code's version, the
    renderers' files by size and time, and ``SOURCE_DATE_EPOCH``): a changed
    renderer makes the output again."""
    text = "\0".join(
        [
            __version__,
            code_stamp("render"),
            os.environ.get("SOURCE_DATE_EPOCH", ""),
            *map(str, parts),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _output_stamp(config: Config, path: Path) -> Path:
    return config.cache_path.parent / "pdf" / f"{relative(config, path).replace('/', '__')}.sha256"


def output_current(config: Config, path: Path, key: str) -> bool:
    """Whether ``path`` exists and was last made from what ``key`` sums up."""
    stamp = _output_stamp(config, path)
    return path.is_file() and stamp.is_file() and stamp.read_text().strip() == key


def record_output(config: Config, path: Path, key: str) -> None:
    """Note that ``path`` was made from what ``key`` sums up."""
    write_atomic(_output_stamp(config, path), key + "\n")
