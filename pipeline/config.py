"""The project file, ``pipeline.toml``.

Example::

    [book]
    title = "From Pablo Escobar to the Tren de Aragua"
    author = "Ignacio De León"

    [languages]
    source = "en"
    targets = ["es"]

    [editions]
    formats = ["html", "pdf", "epub"]
    bilingual = true

    [translate]
    engine = "apertium"

    [qa.es]
    quotes = "“”"
    nbsp_before = ["%", "€"]

Every key is checked: an unknown or mistyped key is an error that names it.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .lang import QUOTE_STYLES, Style, normalize, primary
from .lang import get as get_language
from .render.registry import formats

CONFIG_NAME = "pipeline.toml"
FORMATS = formats()
"""The output formats pipeline can build (:mod:`pipeline.render.registry`), in build order."""
TYPOGRAPHY = ("native", "as-written")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "book": {"title": str, "author": str, "subtitle": str},
    "languages": {"source": str, "targets": list},
    "editions": {
        "formats": list,
        "languages": list,
        "bilingual": bool,
        "facing_pages": bool,
        "typography": str,
        "reviewer_emails": bool,
    },
    "translate": {"engine": str},
}
_REQUIRED = {
    ("book", "title"),
    ("book", "author"),
    ("languages", "source"),
    ("languages", "targets"),
}


@dataclass(slots=True, frozen=True)
class InLanguage:
    """What ``[book.<lang>]`` (or ``[books.<id>.<lang>]``) says: the book's title
    and description in one target language, each empty when not given."""

    title: str = ""
    """The title of the editions in that language."""
    description: str = ""
    """Their description (``<meta name="description">``, the PDF's subject, the
    EPUB's ``dc:description``)."""


_IN_LANGUAGE_KEYS = ("title", "description")


@dataclass(slots=True, frozen=True)
class BookSettings:
    """What ``[books.<id>]`` says about one book of a project with several."""

    title: str = ""
    """Title (default: ``book.title``)."""
    author: str = ""
    """Author (default: ``book.author``)."""
    subtitle: str = ""
    """Subtitle (default: ``book.subtitle``)."""
    chapters: tuple[str, ...] = ()
    """Chapter files, in reading order, inside ``content/<source>/<id>/``; empty for a
    book that is one file, ``content/<source>/<id>.md``."""
    in_languages: Mapping[str, InLanguage] = field(default_factory=dict)
    """Title and description in each target language that has a
    ``[books.<id>.<lang>]`` table; an edition in another shows the source's."""


@dataclass(slots=True, frozen=True)
class LanguageSettings:
    """What ``[languages.<code>]`` says about one target language."""

    via: str = ""
    """The language this one is translated from instead of the source (a pivot:
    Portuguese through the Spanish), or empty for the source itself."""
    variant: str = ""
    """The variant the engine writes (``pt-BR``), or empty for the plain code."""


_LANGUAGE_KEYS: dict[str, type] = {"via": str, "variant": str}

_BOOK_KEYS: dict[str, type] = {"title": str, "author": str, "subtitle": str, "chapters": list}

_QA_KEYS: dict[str, tuple[type, ...]] = {
    "quotes": (str,),
    "nbsp_before": (list,),
    "max_length_ratio": (int, float),
    "min_length_ratio": (int, float),
    "min_length": (int,),
}
"""Keys of ``[qa.<lang>]``: the fields of :class:`pipeline.lang.Style`."""


@dataclass(slots=True, frozen=True)
class Config:
    """What ``pipeline.toml`` says."""

    root: Path
    """The project directory (where pipeline.toml is)."""
    title: str
    """Book title in the source language."""
    author: str
    """Author's name as printed."""
    source_lang: str
    """Language the content is written in (``content/<source_lang>/``)."""
    target_langs: tuple[str, ...]
    """Languages to translate into."""
    formats: tuple[str, ...] = FORMATS
    """Edition formats to build."""
    edition_langs: tuple[str, ...] = ()
    """Languages to build editions in (default: source and targets)."""
    bilingual: bool = True
    """Also build a bilingual edition (source and translation side by side) per target."""
    facing_pages: bool = False
    """Set the bilingual PDF on facing pages (source left, translation right) instead of
    in two columns on every page."""
    typography: str = "native"
    """``native``: set each language's typographic conventions (Spanish quotes and
    rayas); ``as-written``: keep the text's typography as it is."""
    reviewer_emails: bool = False
    """Print the reviewers' e-mail addresses in the colophon (default: names only)."""
    engine: str = "apertium"
    """Default translation engine."""
    subtitle: str = ""
    """Optional subtitle."""
    books: dict[str, BookSettings] = field(default_factory=dict)
    """Per-book settings (``[books.<id>]``): title, author, chapters."""
    in_languages: Mapping[str, InLanguage] = field(default_factory=dict)
    """Title and description in each target language that has a ``[book.<lang>]``
    table (for one book, its own ``[books.<id>.<lang>]`` over it)."""

    def in_language(self, lang: str) -> InLanguage:
        """The book's title and description in ``lang`` (empty where not given)."""
        return self.in_languages.get(lang) or InLanguage()

    language_settings: dict[str, LanguageSettings] = field(default_factory=dict)
    """Per-language settings (``[languages.<code>]``): pivot and variant."""

    def pivot(self, lang: str) -> str:
        """The language ``lang`` is translated from: its ``via`` language, else the source."""
        own = self.language_settings.get(lang)
        return own.via if own and own.via else self.source_lang

    def engine_code(self, lang: str) -> str:
        """The code the engine is asked to write for ``lang`` (its variant, e.g. ``pt-BR``)."""
        own = self.language_settings.get(lang)
        return own.variant if own and own.variant else lang

    def translation_order(self, langs: Sequence[str]) -> list[str]:
        """``langs`` with every pivot language before the languages made from it."""
        ordered: list[str] = []

        def visit(lang: str) -> None:
            if lang in ordered:
                return
            pivot = self.pivot(lang)
            if pivot in langs and pivot != lang:
                visit(pivot)
            ordered.append(lang)

        for lang in langs:
            visit(lang)
        return ordered

    qa: Mapping[str, Style] = field(default_factory=dict)
    """The QA style of each target language with a ``[qa.<lang>]`` table (the
    language's default with the table's keys over it)."""

    def qa_style(self, lang: str) -> Style:
        """The QA style for translations into ``lang``: ``[qa.<lang>]`` if the
        project has one, else the language's default."""
        return self.qa.get(lang) or get_language(lang).style

    def for_book(self, book_id: str) -> Config:
        """This configuration with one book's own title, author, subtitle and
        titles in other languages."""
        own = self.book(book_id)
        return dataclasses.replace(
            self,
            title=own.title,
            author=own.author,
            subtitle=own.subtitle,
            in_languages=own.in_languages,
        )

    def book(self, book_id: str) -> BookSettings:
        """Title, author and chapters of one book (``[books.<id>]`` over ``[book]``)."""
        own = self.books.get(book_id)
        return BookSettings(
            title=own.title if own and own.title else self.title,
            author=own.author if own and own.author else self.author,
            subtitle=own.subtitle if own and own.subtitle else self.subtitle,
            chapters=own.chapters if own else (),
            in_languages=own.in_languages if own else {},
        )

    def with_formats(self, formats: Sequence[str] | None) -> Config:
        """This configuration building only ``formats`` (all configured ones when
        ``None`` or empty); a format pipeline does not know is a :class:`ConfigError`."""
        if not formats:
            return self
        for fmt in formats:
            if fmt not in FORMATS:
                raise ConfigError(
                    f"unknown format {fmt!r}", hint="choose from: " + ", ".join(FORMATS)
                )
        return dataclasses.replace(self, formats=tuple(dict.fromkeys(formats)))

    @property
    def path(self) -> Path:
        """The pipeline.toml file."""
        return self.root / CONFIG_NAME

    @property
    def content_dir(self) -> Path:
        """``content/``."""
        return self.root / "content"

    @property
    def output_dir(self) -> Path:
        """``output/``."""
        return self.root / "output"

    @property
    def cache_path(self) -> Path:
        """The machine-translation cache (safe to delete)."""
        return self.root / ".pipeline-cache" / "mt.sqlite3"

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages with an edition, source first."""
        return self.edition_langs or (self.source_lang, *self.target_langs)


def _line_of(text: str, table: str, key: str | None) -> int | None:
    """Best-effort line number of ``[table]`` or of ``key`` inside it."""
    current = ""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("["):
            current = line.strip("[] ")
            if key is None and current == table:
                return number
            continue
        if key is not None and current == table and re.match(rf"{re.escape(key)}\s*=", line):
            return number
    return None


def load_config(root: Path) -> Config:
    """Read and check ``root/pipeline.toml``."""
    path = root / CONFIG_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            "project file not found",
            path=path,
            hint="run pipeline in the project directory or pass --project DIR",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read project file: {exc.strerror or exc}", path=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not valid UTF-8 (byte {exc.start})",
            path=path,
            line=raw[: exc.start].count(b"\n") + 1,
            hint="save the file as UTF-8",
        ) from None
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ConfigError(
            "not valid TOML: values nested too deeply", path=path, hint="simplify the file"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(
            f"not valid TOML: {message}",
            path=path,
            line=int(match.group(1)) if match else None,
            hint="fix the syntax (see https://toml.io)",
        ) from None
    return _check(root, path, text, data)


def _check(root: Path, path: Path, text: str, data: dict[str, Any]) -> Config:
    def fail(message: str, table: str, key: str | None, hint: str) -> ConfigError:
        return ConfigError(message, path=path, line=_line_of(text, table, key), hint=hint)

    raw_books = data.pop("books", {})
    title_tables = {"book": _language_tables(data.get("book"))}
    if isinstance(raw_books, dict):
        for book_id, values in raw_books.items():
            title_tables[f"books.{book_id}"] = _language_tables(values)
    books = _check_books(raw_books, fail)
    raw_languages = data.get("languages")
    sub_tables: dict[str, Any] = {}
    if isinstance(raw_languages, dict):
        sub_tables = {k: v for k, v in raw_languages.items() if isinstance(v, dict)}
        for key in sub_tables:
            del raw_languages[key]
    qa_tables = data.pop("qa", {})
    for table, value in data.items():
        if table not in _SCHEMA:
            close = difflib.get_close_matches(table, list(_SCHEMA), n=1)
            hint = (
                f"did you mean [{close[0]}]?"
                if close
                else "known tables: " + ", ".join(f"[{t}]" for t in _SCHEMA)
            )
            raise fail(f"unknown table [{table}]", table, None, hint)
        if not isinstance(value, dict):
            raise fail(f"{table} must be a table", table, None, f"write it as [{table}]")
        for key, item in value.items():
            schema = _SCHEMA[table]
            if key not in schema:
                raise _unknown_key(table, key, schema, fail)
            expected = schema[key]
            if not isinstance(item, expected):
                kind = "a list" if expected is list else "a string"
                if expected is bool:
                    kind = "true or false"
                raise fail(f"{table}.{key} must be {kind}", table, key, "see the README")
    for table, key in sorted(_REQUIRED):
        if key not in data.get(table, {}):
            raise fail(f"missing key {table}.{key}", table, None, f"add {key} = … under [{table}]")

    def langs(table: str, key: str, values: list[Any]) -> tuple[str, ...]:
        for value in values:
            if not isinstance(value, str) or not _LANG.match(value):
                raise fail(
                    f"{table}.{key}: {value!r} is not a language code",
                    table,
                    key,
                    'use codes such as "en" or "es"',
                )
        return tuple(values)

    book = data["book"]
    languages = data["languages"]
    source = langs("languages", "source", [languages["source"]])[0]
    targets = langs("languages", "targets", languages["targets"])
    if not targets:
        raise fail(
            "languages.targets is empty",
            "languages",
            "targets",
            'name at least one language to translate into, e.g. targets = ["es"]',
        )
    if len(set(targets)) != len(targets):
        raise fail(
            "languages.targets names a language twice", "languages", "targets", "list each once"
        )
    if source in targets:
        raise fail(
            "languages.targets contains the source language",
            "languages",
            "targets",
            f"remove {source!r} from targets",
        )
    editions = data.get("editions", {})
    formats = tuple(editions.get("formats", FORMATS))
    for fmt in formats:
        if fmt not in FORMATS:
            raise fail(
                f"editions.formats: unknown format {fmt!r}",
                "editions",
                "formats",
                "choose from: " + ", ".join(FORMATS),
            )
    typography = editions.get("typography", "native")
    if typography not in TYPOGRAPHY:
        raise fail(
            f"editions.typography: unknown value {typography!r}",
            "editions",
            "typography",
            "choose from: " + ", ".join(f'"{t}"' for t in TYPOGRAPHY),
        )
    edition_langs = langs("editions", "languages", editions.get("languages", []))
    for lang in edition_langs:
        if lang != source and lang not in targets:
            raise fail(
                f"editions.languages: {lang!r} is neither the source nor a target language",
                "editions",
                "languages",
                "add it to languages.targets or remove it",
            )
    language_settings = _check_languages(sub_tables, source, targets, fail)
    for key in ("title", "author"):
        if not book[key].strip():
            raise fail(f"book.{key} is empty", "book", key, f"give the book's {key}")
    qa = _check_qa(qa_tables, targets, fail)
    in_languages = {
        where: _check_in_languages(where, t, targets, fail) for where, t in title_tables.items()
    }
    books = {
        book_id: dataclasses.replace(settings, in_languages=in_languages[f"books.{book_id}"])
        for book_id, settings in books.items()
    }
    return Config(
        root=root,
        title=book["title"].strip(),
        author=book["author"].strip(),
        subtitle=book.get("subtitle", "").strip(),
        source_lang=source,
        target_langs=targets,
        formats=formats,
        edition_langs=edition_langs,
        bilingual=editions.get("bilingual", True),
        facing_pages=editions.get("facing_pages", False),
        typography=typography,
        reviewer_emails=editions.get("reviewer_emails", False),
        engine=data.get("translate", {}).get("engine", "apertium"),
        books=books,
        in_languages=in_languages["book"],
        language_settings=language_settings,
        qa=qa,
    )


def _language_tables(values: Any) -> dict[str, Any]:
    """Take the sub-tables (``[book.es]``) out of a book's table and return them."""
    if not isinstance(values, dict):
        return {}
    found = {key: value for key, value in values.items() if isinstance(value, dict)}
    for key in found:
        del values[key]
    return found


def _target_table(
    table: str,
    lang: str,
    targets: Sequence[str],
    fail: Callable[[str, str, str | None, str], ConfigError],
    hint: str,
) -> None:
    """A ``[<x>.<lang>]`` table must be for a target language."""
    if lang not in targets:
        raise fail(f"[{table}]: {lang!r} is not a target language", table, None, hint)


def _check_in_languages(
    where: str,
    tables: dict[str, Any],
    targets: Sequence[str],
    fail: Callable[[str, str, str | None, str], ConfigError],
) -> dict[str, InLanguage]:
    """Check the ``[<where>.<lang>]`` tables: a target language each, holding
    the book's ``title`` and ``description`` in that language."""
    found: dict[str, InLanguage] = {}
    for lang, values in tables.items():
        table = f"{where}.{lang}"
        hint = f"name a language of languages.targets (the source's is {where}), or remove it"
        _target_table(table, lang, targets, fail, hint)
        for key, value in values.items():
            if key not in _IN_LANGUAGE_KEYS:
                raise _unknown_key(table, key, _IN_LANGUAGE_KEYS, fail)
            if not isinstance(value, str) or not value.strip():
                raise fail(
                    f"{table}.{key} must be the book's {key} in {lang!r}",
                    table,
                    key,
                    f'write {key} = "…" under [{table}]',
                )
        found[lang] = InLanguage(
            " ".join(values.get("title", "").split()),
            " ".join(values.get("description", "").split()),
        )
    return found


def _unknown_key(
    table: str,
    key: str,
    known: Iterable[str],
    fail: Callable[[str, str, str | None, str], ConfigError],
) -> ConfigError:
    """The error for ``key``, not one of ``known`` in ``[table]``: the closest known
    key as a suggestion, else the list of them."""
    names = list(known)
    close = difflib.get_close_matches(key, names, n=1)
    hint = f"did you mean {table}.{close[0]}?" if close else "known keys: " + ", ".join(names)
    return fail(f"unknown key {table}.{key}", table, key, hint)


def _check_languages(
    tables: dict[str, Any],
    source: str,
    targets: tuple[str, ...],
    fail: Callable[[str, str, str | None, str], ConfigError],
) -> dict[str, LanguageSettings]:
    """Check ``[languages.<code>]`` tables: a target language, known keys, a pivot
    that is another language of the project, a variant of the language itself."""
    settings: dict[str, LanguageSettings] = {}
    for code, values in tables.items():
        where = f"languages.{code}"
        _target_table(where, code, targets, fail, "add it to languages.targets or remove the table")
        for key, value in values.items():
            if key not in _LANGUAGE_KEYS:
                raise _unknown_key(where, key, _LANGUAGE_KEYS, fail)
            if not isinstance(value, str) or not _LANG.match(value.replace("_", "-")):
                raise fail(f"{where}.{key} must be a language code", where, key, 'e.g. "es"')
        via = values.get("via", "")
        if via and (via == code or via not in (source, *targets)):
            raise fail(
                f"{where}.via: {via!r} is not another language of this project",
                where,
                "via",
                'name the source or another target language, e.g. via = "es"',
            )
        variant = normalize(values.get("variant", "")) if values.get("variant") else ""
        if variant and primary(variant) != primary(code):
            raise fail(
                f"{where}.variant: {variant!r} is not a variant of {code!r}",
                where,
                "variant",
                f'e.g. variant = "{code}-BR"',
            )
        settings[code] = LanguageSettings(via=via if via != source else "", variant=variant)
    chain = {code: s.via for code, s in settings.items() if s.via}
    for code in chain:
        seen = {code}
        step = chain.get(code)
        while step:
            if step in seen:
                raise fail(
                    f"languages.{code}.via: the pivots go round in a circle",
                    f"languages.{code}",
                    "via",
                    "one of them must be translated from the source",
                )
            seen.add(step)
            step = chain.get(step)
    return settings


def _check_books(
    table: Any, fail: Callable[[str, str, str | None, str], ConfigError]
) -> dict[str, BookSettings]:
    """Check ``[books.<id>]`` tables: known keys, right types, sane chapter names."""
    if not isinstance(table, dict):
        raise fail("books must be a table", "books", None, "write it as [books.<book-id>]")
    books: dict[str, BookSettings] = {}
    for book_id, values in table.items():
        where = f"books.{book_id}"
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", book_id):
            raise fail(
                f"[{where}]: not a valid book id", where, None, "use letters, digits, - and _"
            )
        if not isinstance(values, dict):
            raise fail(f"{where} must be a table", where, None, f"write it as [{where}]")
        for key, value in values.items():
            if key not in _BOOK_KEYS:
                raise _unknown_key(where, key, _BOOK_KEYS, fail)
            if not isinstance(value, _BOOK_KEYS[key]):
                kind = "a list of file names" if key == "chapters" else "a string"
                raise fail(f"{where}.{key} must be {kind}", where, key, "see the README")
        chapters = values.get("chapters", [])
        for name in chapters:
            if (
                not isinstance(name, str)
                or not name.endswith(".md")
                or "/" in name
                or "\\" in name
                or name.startswith(".")
            ):
                raise fail(
                    f"{where}.chapters: {name!r} is not a chapter file name",
                    where,
                    "chapters",
                    f"give Markdown file names inside content/<source>/{book_id}/"
                    ' such as "01-intro.md"',
                )
        if len(set(chapters)) != len(chapters):
            raise fail(f"{where}.chapters lists a file twice", where, "chapters", "list each once")
        books[book_id] = BookSettings(
            title=values.get("title", "").strip(),
            author=values.get("author", "").strip(),
            subtitle=values.get("subtitle", "").strip(),
            chapters=tuple(chapters),
        )
    return books


def _check_qa(
    table: Any, targets: Sequence[str], fail: Callable[[str, str, str | None, str], ConfigError]
) -> dict[str, Style]:
    """Check ``[qa.<lang>]`` tables (a target language each; the keys of
    :class:`pipeline.lang.Style`) and build each language's style."""
    if not isinstance(table, dict):
        raise fail("qa must be a table", "qa", None, "write it as [qa.<language>]")
    styles: dict[str, Style] = {}
    for lang, values in table.items():
        where = f"qa.{lang}"
        _target_table(
            where, lang, targets, fail, "use a code of languages.targets: " + ", ".join(targets)
        )
        if not isinstance(values, dict):
            raise fail(f"{where} must be a table", where, None, f"write it as [{where}]")
        settings: dict[str, Any] = {}
        for key, value in values.items():
            if key not in _QA_KEYS:
                raise _unknown_key(where, key, _QA_KEYS, fail)
            settings[key] = _qa_value(where, key, value, fail)
        try:
            styles[lang] = dataclasses.replace(get_language(lang).style, **settings)
        except ValueError as exc:
            key = "min_length_ratio" if "min_length_ratio" in values else "max_length_ratio"
            raise fail(f"{where}: {exc}", where, key, "see the README") from None
    return styles


def _qa_value(
    where: str, key: str, value: Any, fail: Callable[[str, str, str | None, str], ConfigError]
) -> Any:
    """One ``[qa.<lang>]`` value, checked and converted for :class:`pipeline.lang.Style`."""
    if key == "nbsp_before" and isinstance(value, str):
        value = list(value)
    ok = isinstance(value, _QA_KEYS[key]) and not isinstance(value, bool)
    if key == "nbsp_before":
        ok = ok and all(isinstance(c, str) and len(c) == 1 for c in value)
    elif key == "quotes":
        ok = ok and value in QUOTE_STYLES
    elif ok:
        ok = value > 0 if key.endswith("_ratio") else value >= 0
    if not ok:
        kind = {
            "quotes": "one of " + ", ".join(f"'{q}'" for q in QUOTE_STYLES),
            "nbsp_before": 'a list of single characters, e.g. ["%", "€"]',
            "min_length": "a whole number, 0 or more",
        }.get(key, "a number more than 0")
        raise fail(f"{where}.{key} must be {kind}", where, key, "see the README")
    if key == "nbsp_before":
        return "".join(dict.fromkeys(value))
    return float(value) if key.endswith("_ratio") else value
