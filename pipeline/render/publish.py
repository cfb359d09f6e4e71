"""The editions of a book session: what each edition shows, before any format.

:func:`language_edition` and :func:`bilingual_edition` assemble the
:class:`~pipeline.render.model.Edition` that every output format renders.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from ..catalog.catalog import Catalog
from ..errors import ConfigError
from ..project import BookSession
from ..report import counts
from ..source.images import ImageEmbedder
from ..source.includes import IncludeExpander
from ..source.links import LinkResolver
from .colophon import colophon
from .edition import assemble, assemble_bilingual
from .model import Edition
from .rawhtml import RawHTML

__all__ = [
    "bilingual_edition",
    "edition_date",
    "image_embedder",
    "include_expander",
    "language_edition",
    "link_resolver",
    "raw_html",
]


def edition_date(session: BookSession) -> datetime:
    """The date an edition carries (EPUB ``dcterms:modified``, zip entries):
    ``SOURCE_DATE_EPOCH`` when set, else the newest modification time of the
    book's source and catalogues, so a rebuild of unchanged content gives the
    same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError, OSError):
            raise ConfigError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds",
                hint="set it to a Unix time, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
            ) from None
    config, book = session.config, session.book
    inputs = [*book.inputs(), *(book.catalog_path(config, lang) for lang in config.target_langs)]
    times = [int(p.stat().st_mtime) for p in inputs if p.is_file()]
    return datetime.fromtimestamp(max(times, default=0), UTC)


def image_embedder(session: BookSession) -> ImageEmbedder:
    """What the editions of the book show its pictures from (``data:`` URLs)."""
    return ImageEmbedder(
        session.book.folder,
        session.config.content_dir,
        session.location,
        lambda line: session.doc.locate(line)[0],
    )


def link_resolver(session: BookSession) -> LinkResolver:
    """Where the links of the book go in its editions (dead ones reported once)."""
    return LinkResolver(session.doc, session.location)


def include_expander(session: BookSession) -> IncludeExpander:
    """The listings mdBook's ``{{#include}}`` lines in the book's code blocks name."""
    doc = session.doc
    return IncludeExpander(
        lambda line: doc.locate(line)[0] if line else doc.path,
        session.config.root,
        session.location,
    )


def raw_html(
    session: BookSession, images: ImageEmbedder | None, links: LinkResolver | None = None
) -> RawHTML:
    """What the editions of the book make of its raw HTML (one warning per book),
    its ``<a href>`` led where ``links`` leads the book's links."""
    return RawHTML(images, session.location, links)


def _texts(session: BookSession, cat: Catalog) -> tuple[dict[str, str], dict[str, str]]:
    """Each segment's translation (when it has one) and review state, by segment id."""
    texts: dict[str, str] = {}
    states: dict[str, str] = {}
    for seg in session.doc.segments:
        states[seg.id] = cat.state(seg.id).value
        translation = cat.translation(seg.id)
        if translation:
            texts[seg.id] = translation
    return texts, states


def language_edition(
    session: BookSession,
    lang: str,
    revision: str | None,
    images: ImageEmbedder | None = None,
    links: LinkResolver | None = None,
    code: IncludeExpander | None = None,
    html: RawHTML | None = None,
) -> Edition:
    """The edition in one language: the source itself, or a translation."""
    config, doc = session.config, session.doc
    cat = None if lang == config.source_lang else session.catalog(lang)
    texts, states = _texts(session, cat) if cat is not None else (None, None)
    own = config.in_language(lang)
    edition = assemble(
        doc,
        lang=lang,
        source_lang=config.source_lang,
        title=own.title or config.title,
        author=config.author,
        texts=texts,
        states=states,
        counts=counts(cat) if cat is not None else None,
        colophon=colophon(config, lang, cat, len(doc.segments), revision),
        conventions=config.typography == "native",
        images=images,
        links=links,
        code=code,
        prefer_heading=session.title_from_document() and not own.title,
        html=html,
    )
    # The description the front matter gives is a segment, translated (assemble).
    edition.description = own.description or edition.description
    return edition


def bilingual_edition(
    session: BookSession,
    lang: str,
    revision: str | None,
    images: ImageEmbedder | None = None,
    links: LinkResolver | None = None,
    code: IncludeExpander | None = None,
    html: RawHTML | None = None,
) -> Edition:
    """The source and its ``lang`` translation side by side, colophon in both languages."""
    config, doc = session.config, session.doc
    cat = session.catalog(lang)
    texts, states = _texts(session, cat)
    total = len(doc.segments)
    edition = assemble_bilingual(
        doc,
        source_lang=config.source_lang,
        target_lang=lang,
        title=config.title,
        translated_title=config.in_language(lang).title,
        author=config.author,
        texts=texts,
        states=states,
        counts=counts(cat),
        colophon=colophon(config, config.source_lang, cat, total, revision),
        translation_colophon=colophon(config, lang, cat, total, revision),
        conventions=config.typography == "native",
        images=images,
        links=links,
        code=code,
        prefer_heading=session.title_from_document(),
        html=html,
    )
    edition.description = doc.meta.get("description", "")
    return edition
