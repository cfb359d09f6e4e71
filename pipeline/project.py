"""The books of a project and a per-book session that every stage shares.

:func:`find_books` discovers the books (a Markdown file, or a folder of chapter
files listed in ``pipeline.toml`` or in mdBook's ``SUMMARY.md``, or ordered by
their Hugo ``weight``); :class:`BookSession` holds one book's parsed source and,
per language, its catalogue merged with that source, loaded once and used by
translation, QA and rendering alike.
"""

from __future__ import annotations

import dataclasses
import logging
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .catalog.catalog import Catalog
from .config import Config
from .errors import ConfigError, ContentError
from .source.markdown import (
    Document,
    front_matter_weight,
    load_chapters,
    load_document,
    md,
    plain_text,
    read_markdown,
)
from .source.outline import html_title, outline

log = logging.getLogger(__name__)

__all__ = [
    "Book",
    "BookSession",
    "book_config",
    "find_books",
    "open_book",
    "relative",
    "select_langs",
    "source_location",
    "source_place",
    "warn_unused_language_tables",
]


@dataclass(slots=True, frozen=True)
class Book:
    """One book of the project: a Markdown file in ``content/<source>/``, or a
    folder ``content/<source>/<id>/`` of chapter files listed in pipeline.toml."""

    id: str
    """File stem (or folder name), used for catalogues and outputs."""
    path: Path
    """The source Markdown file, or the folder of its chapters."""
    chapters: tuple[Path, ...] = ()
    """The chapter files in reading order, for a book of several files."""
    listing: Path | None = None
    """The file that lists the chapters, when pipeline.toml does not: mdBook's
    ``SUMMARY.md``."""

    def load(self) -> Document:
        """Read and parse the book's source."""
        if self.chapters:
            return load_chapters(self.path, list(self.chapters))
        return load_document(self.path)

    def inputs(self) -> list[Path]:
        """The source files of the book (and the file listing its chapters)."""
        listing = [self.listing] if self.listing else []
        return [*self.chapters, *listing] or [self.path]

    @property
    def folder(self) -> Path:
        """The folder of the book's Markdown, where its image paths start."""
        return self.path if self.chapters else self.path.parent

    def catalog_path(self, config: Config, lang: str) -> Path:
        """``content/<lang>/<book>.po``."""
        return config.content_dir / lang / f"{self.id}.po"


def relative(config: Config, path: Path | str) -> str:
    """``path`` relative to the project folder (as written in messages)."""
    try:
        return Path(path).relative_to(config.root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def source_place(config: Config, doc: Document, line: int) -> tuple[str, int]:
    """Project-relative file and line of a line of a (possibly multi-chapter) document."""
    path, at = doc.locate(line)
    return relative(config, path), at


def source_location(config: Config, doc: Document, line: int) -> str:
    """``content/en/book.md:12`` for a line of a (possibly multi-chapter) document."""
    path, at = source_place(config, doc, line)
    return f"{path}:{at}"


def find_books(config: Config, only: Sequence[str] | None = None) -> list[Book]:
    """The books of the project, in name order (only those named in ``only``).

    Two sources for one book id (``guide.md`` beside a chapter folder
    ``guide/``) are a :class:`ConfigError` naming both. A folder that holds no
    Markdown file and has no ``[books.<id>]`` chapter list (``assets/``,
    ``img/`` beside a README) is not a book: its pictures belong to the books
    that show them.
    """
    source_dir = config.content_dir / config.source_lang
    if not config.content_dir.is_dir():
        raise ContentError(
            "content directory not found",
            path=config.content_dir,
            hint=f"create it with your Markdown in content/{config.source_lang}/",
        )
    if not source_dir.is_dir():
        raise ContentError(
            "source language directory not found",
            path=source_dir,
            hint=f"put the book's Markdown files in content/{config.source_lang}/",
        )
    books = {p.stem: Book(p.stem, p) for p in sorted(source_dir.glob("*.md")) if p.is_file()}
    for folder in sorted(p for p in source_dir.iterdir() if p.is_dir()):
        own = config.books.get(folder.name)
        if not (own and own.chapters) and not _holds_markdown(folder):
            continue
        if folder.name in books:
            twin = books[folder.name].path
            raise ConfigError(
                f"two sources for book {folder.name!r}: {relative(config, twin)} and "
                f"{relative(config, folder)}/",
                path=twin,
                hint="rename or remove one of them (a book is one file or one chapter folder)",
            )
        books[folder.name] = _chapter_book(config, folder)
    for book_id, settings in config.books.items():
        if settings.chapters and not (source_dir / book_id).is_dir():
            raise ContentError(
                f"book folder for [books.{book_id}] not found",
                path=source_dir / book_id,
                hint="create it with the chapter files, or remove the [books] table",
            )
    if not books:
        raise ContentError(
            "no Markdown files found", path=source_dir, hint="add a .md file for each book"
        )
    chosen = [books[key] for key in sorted(books)]
    if only:
        unknown = [name for name in only if name not in books]
        if unknown:
            raise ConfigError(
                f"unknown book {unknown[0]!r}",
                path=source_dir,
                hint="books: " + ", ".join(sorted(books)),
            )
        chosen = [b for b in chosen if b.id in only]
    return chosen


def _holds_markdown(folder: Path) -> bool:
    """Whether there is a Markdown file in ``folder`` or any folder inside it."""
    return any(p.is_file() for p in folder.rglob("*.md"))


SUMMARY = "SUMMARY.md"
"""mdBook's table of contents: the chapter files of a book, in reading order."""


def _summary_chapters(config: Config, summary: Path) -> tuple[Path, ...]:
    """The chapter files mdBook's ``SUMMARY.md`` links to, in its order: every
    link to a Markdown file in the book's folder, each once (a draft chapter,
    ``[Title]()``, has none; part titles and separators are not chapters).
    A link to a file that is not there is a :class:`ContentError` at its line."""
    folder = summary.parent
    tokens = md().parse(read_markdown(summary))
    found: dict[Path, None] = {}
    for token in tokens:
        for child in token.children or []:
            href = str(child.attrGet("href") or "") if child.type == "link_open" else ""
            target = urllib.parse.unquote(href.split("#")[0])
            if not target.endswith(".md") or "://" in target or target.startswith("/"):
                continue
            path = (folder / target).resolve()
            line = token.map[0] + 1 if token.map else None
            if not path.is_relative_to(folder.resolve()):
                raise ContentError(
                    f"chapter {target!r} is outside the book's folder",
                    path=relative(config, summary),
                    line=line,
                    hint="move it into the folder, or list the chapters in pipeline.toml",
                )
            if not path.is_file():
                raise ContentError(
                    f"chapter {target!r} not found",
                    path=relative(config, summary),
                    line=line,
                    hint="fix the link, or make it a draft chapter: [Title]()",
                )
            found[folder / path.relative_to(folder.resolve())] = None
    if not found:
        raise ContentError(
            "SUMMARY.md links to no chapter file",
            path=relative(config, summary),
            hint="list the chapters as links, - [Introduction](intro.md), as mdBook reads them",
        )
    return tuple(found)


HUGO_INDEX = "_index.md"
"""Hugo's section page: the first chapter of a folder ordered by weight."""


def _weighted_chapters(config: Config, folder: Path) -> tuple[Path, ...] | None:
    """A Hugo section's pages in Hugo's order: ``_index.md`` first, then by the
    ``weight`` of their front matter (then by file name); None when no page
    gives a weight. Once one does, every page must (a ContentError naming the
    first that does not): a page left out of the order would be misplaced."""
    pages = sorted(p for p in folder.glob("*.md") if p.name != HUGO_INDEX)
    weights: dict[Path, int | None] = {}
    for page in pages:
        try:
            weights[page] = front_matter_weight(page)
        except ContentError as exc:
            exc.path = relative(config, page)
            raise
    if all(weight is None for weight in weights.values()):
        return None
    missing = [page for page, weight in weights.items() if weight is None]
    if missing:
        raise ContentError(
            "no weight in its front matter, where the other pages of the folder have one",
            path=relative(config, missing[0]),
            line=1,
            hint="give it weight = N (Hugo's page order), or list the chapters in pipeline.toml",
        )
    index = [folder / HUGO_INDEX] if (folder / HUGO_INDEX).is_file() else []
    return (*index, *sorted(pages, key=lambda page: (weights[page] or 0, page.name)))


def warn_unused_language_tables(config: Config) -> None:
    """Warn that ``[book.<lang>]`` goes unused in a project of several books: it
    is the one book's, as ``[book]``'s title is (a build says it once, before
    its books are built)."""
    if not config.in_languages or _one_book(config):
        return
    tables = ", ".join(f"[book.{lang}]" for lang in sorted(config.in_languages))
    log.warning(
        "%s: %s not used: the project has several books (give each its own [books.<id>.<lang>])",
        relative(config, config.path),
        tables,
    )


def _warn_left_out(config: Config, folder: Path, chapters: set[Path], why: str) -> None:
    """Warn of the Markdown files under ``folder`` (subfolders too) that are not
    ``chapters``: they are left out of the book."""
    left = sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*.md") if p not in chapters
    )
    if left:
        log.warning("%s: %s, left out: %s", relative(config, folder), why, ", ".join(left))


def _chapter_book(config: Config, folder: Path) -> Book:
    settings = config.book(folder.name)
    summary = folder / SUMMARY
    if not settings.chapters and summary.is_file():
        chapters = _summary_chapters(config, summary)
        _warn_left_out(config, folder, {*chapters, summary}, "not in SUMMARY.md")
        return Book(folder.name, folder, chapters, summary)
    weighted = None if settings.chapters else _weighted_chapters(config, folder)
    if weighted:
        _warn_left_out(config, folder, set(weighted), "in a subfolder, not ordered by weight")
        return Book(folder.name, folder, weighted)
    if not settings.chapters:
        raise ConfigError(
            f"book folder content/{config.source_lang}/{folder.name}/ has no chapter list",
            path=config.path,
            hint=f'add [books.{folder.name}] chapters = ["01-….md", …] in reading order'
            " (or mdBook's SUMMARY.md, or Hugo's weight in each page's front matter)",
        )
    missing = [name for name in settings.chapters if not (folder / name).is_file()]
    if missing:
        raise ContentError(
            f"chapter {missing[0]!r} of book {folder.name!r} not found",
            path=folder / missing[0],
            hint=f"fix books.{folder.name}.chapters in pipeline.toml",
        )
    unlisted = sorted(p.name for p in folder.glob("*.md") if p.name not in settings.chapters)
    if unlisted:
        log.warning(
            "%s: not in books.%s.chapters, left out: %s", folder, folder.name, ", ".join(unlisted)
        )
    return Book(folder.name, folder, tuple(folder / n for n in settings.chapters))


def select_langs(config: Config, langs: Sequence[str] | None, *, targets_only: bool) -> list[str]:
    """The project's languages (targets only, or every edition language), limited
    to ``langs`` when given; an unknown language is a :class:`ConfigError`."""
    known = list(config.target_langs) if targets_only else list(config.languages)
    if not langs:
        return known
    for lang in langs:
        if lang not in (*config.target_langs, config.source_lang):
            raise ConfigError(
                f"unknown language {lang!r}",
                path=config.path,
                hint="languages of this project: "
                + ", ".join([config.source_lang, *config.target_langs]),
            )
    return [lang for lang in dict.fromkeys(langs) if lang in known]


@dataclass(slots=True)
class BookSession:
    """One book loaded once for a build: its settings, parsed source, and the
    catalogue of each target language merged with that source."""

    config: Config
    """The project configuration with this book's own title, author and subtitle."""
    book: Book
    """The book."""
    doc: Document
    """The parsed source."""
    catalogs: dict[str, Catalog] = field(default_factory=dict)
    """Catalogues opened so far, by language."""

    @classmethod
    def open(cls, config: Config, book: Book) -> BookSession:
        """Parse ``book`` (once) for a session; broken front matter is a
        :class:`ContentError` naming its file (relative to the project) and line."""
        try:
            doc = book.load()
        except ContentError as exc:
            if exc.path is not None:
                exc.path = relative(config, exc.path)
            raise
        return cls(book_config(config, book, doc), book, doc)

    def catalog(self, lang: str) -> Catalog:
        """The ``lang`` catalogue merged with the current source (loaded on first use)."""
        if lang not in self.catalogs:
            self.catalogs[lang] = load_catalog(self.config, self.book, self.doc, lang)
        return self.catalogs[lang]

    def title_from_document(self) -> bool:
        """Whether the editions take their title from the document, translated
        in each language (its front matter's title, else its title heading):
        when ``[books.<id>]`` does not give the title."""
        own = self.config.books.get(self.book.id)
        return not (own and own.title)

    def location(self, line: int | None) -> str:
        """``content/en/book.md:12`` for a line of the source (the book's path without one)."""
        if not line:
            return relative(self.config, self.book.path)
        return source_location(self.config, self.doc, line)

    @contextmanager
    def nesting_guard(self, line: int | None = None) -> Iterator[None]:
        """Turn Python's recursion limit, hit by absurdly deep inline markup, into a
        clear error at the segment (or at least the file) where it happened."""
        try:
            yield
        except (RecursionError, ContentError) as exc:
            if isinstance(exc, ContentError) and exc.path is not None:
                raise
            path, at = self.doc.locate(line) if line else (self.doc.path, None)
            raise ContentError(
                "inline markup nested too deeply to translate",
                path=relative(self.config, path),
                line=at,
                hint="simplify the emphasis and links of this paragraph",
            ) from None


def _title_from_name(book_id: str) -> str:
    """A title made from a file name: ``getting-started`` → ``Getting started``."""
    words = " ".join(book_id.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:] if words else book_id


def book_config(config: Config, book: Book, doc: Document) -> Config:
    """``config`` with ``book``'s own title and author.

    Each comes from the book's ``[books.<id>]`` table if it gives it, else
    from the document's front matter, else (the title) from the document's
    one ``#`` heading (without one, its raw HTML ``<h1>``, as GitHub READMEs
    write it); ``[book]`` is the project-wide default, for the title
    only in a project of one book (several books cannot all be ``[book]``'s
    title: a book with none of its own is called after its file name). The
    title and description in a target language come from ``[books.<id>.<lang>]``,
    else (in a project of one book) from ``[book.<lang>]``.
    """
    if doc.meta_problem is not None:
        problem = doc.meta_problem
        raise ContentError(
            problem.message,
            path=relative(config, problem.path or book.path),
            line=problem.line,
            hint=problem.hint,
        )
    own = config.books.get(book.id)
    plan = outline(doc.tokens)
    if plan.title is not None:
        heading = plain_text(doc.tokens[plan.title + 1], shown=True)
    else:
        heading = html_title(doc.tokens, plan)
    title = (
        (own.title if own else "")
        or doc.meta.get("title", "")
        or heading
        or (config.title if _one_book(config) else _title_from_name(book.id))
    )
    author = (own.author if own else "") or doc.meta.get("author", "") or config.author
    subtitle = (own.subtitle if own else "") or config.subtitle
    in_languages = {
        **(config.in_languages if _one_book(config) else {}),
        **(own.in_languages if own else {}),
    }
    return dataclasses.replace(
        config, title=title, author=author, subtitle=subtitle, in_languages=in_languages
    )


def _one_book(config: Config) -> bool:
    """Whether the project has one book (``[book]`` is then that book's)."""
    source_dir = config.content_dir / config.source_lang
    try:
        found = [
            p
            for p in source_dir.iterdir()
            if p.suffix == ".md" or (p.is_dir() and _holds_markdown(p))
        ]
    except OSError:
        return True
    return len(found) <= 1


def load_catalog(config: Config, book: Book, doc: Document, lang: str) -> Catalog:
    """The ``lang`` catalogue of ``book``, merged with its parsed source ``doc``."""
    cat = Catalog.load(
        book.catalog_path(config, lang), lang=lang, source_lang=config.source_lang, book=book.id
    )
    cat.merge(doc.segments, lambda seg: source_place(config, doc, seg.line))
    adopted = cat.adopt_approvals()
    if adopted:
        log.info("%s: recorded %d approval(s) made in a translator's tool", cat.path, adopted)
    return cat


def open_book(
    config: Config, book_id: str | None = None, lang: str | None = None
) -> tuple[Book, Document, Catalog]:
    """The book, its parsed source and its catalogue in ``lang``, merged with the
    current source, for the review commands.

    ``book_id`` and ``lang`` may be left out when the project has only one.
    """
    books = find_books(config)
    if book_id is None:
        if len(books) > 1:
            raise ConfigError(
                "this project has several books",
                path=config.content_dir / config.source_lang,
                hint="choose one with --book: " + ", ".join(b.id for b in books),
            )
        book = books[0]
    else:
        [book] = find_books(config, [book_id])
    if lang is None:
        if len(config.target_langs) > 1:
            raise ConfigError(
                "this project has several target languages",
                path=config.path,
                hint="choose one with --lang: " + ", ".join(config.target_langs),
            )
        lang = config.target_langs[0]
    elif lang not in config.target_langs:
        raise ConfigError(
            f"{lang!r} is not a target language of this project",
            path=config.path,
            hint="target languages: " + ", ".join(config.target_langs),
        )
    doc = book.load()
    return book, doc, load_catalog(config, book, doc, lang)
