"""Lay out a PDF edition part by part (front matter, each chapter, colophon),
in parallel processes, reuse the parts that did not change, and join them.

Why parts and not one document: WeasyPrint lays a document out in one
process, and drawing and writing the PDF take another 40 % on top of the
layout. A chapter laid out on its own is the same, page for page, as the same
chapter inside the whole book, provided it starts on the same page number and
the same side (the page counter and the mirrored margins are all it inherits
from the chapters before it). So each part is laid out by itself, with
``html { break-before: left | right }`` and ``@page :first { counter-reset:
page N }`` added, and written as a tagged PDF of its own; the parts are then
joined with pikepdf (qpdf) into one file, which gets one structure tree (the parts'
``/Document`` children under one ``/Document``, the parent tree renumbered),
one name tree of destinations, one outline (built from WeasyPrint's bookmarks
of every part, nested as WeasyPrint nests them), and links between parts
turned back into links to named destinations. Drawing all pages through one
WeasyPrint writer would keep the font subsets single but cannot be spread over
processes (laid-out pages cannot leave the process that made them), and it
would cost the drawing of every page on each edit.

Chapters and the colophon are laid out without their folios, which the join
stamps (:mod:`pipeline.render.folios`): their layout then depends on the side
they start on, not on the page number. Which side depends on the page counts
of the parts before it. They are known from earlier builds
(``.pipeline-cache/pdf-parts/``, keyed by the part's HTML) or, on a first
build, from the worker laying the part out: it reports its page count as soon
as the layout is done, before drawing, so the next chapter can start while
this one is drawn; a part that opens on a side of its own (a chapter file's
chapter, on a recto) does not wait. A part whose HTML and starting side are
unchanged is not laid out again: its PDF is read from the cache, even when it
moved by two pages. The contents are laid out last, with the page numbers of
the chapters written in, and keep their folios.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from .. import __version__
from ..errors import RenderError
from ..fsutil import write_atomic
from .folios import SHEET_PAGES, FoliosDiffer, first_of, sheet, sheet_path

if TYPE_CHECKING:
    from .model import Edition

__all__ = [
    "CACHE_FOLDER",
    "MAX_PARTS",
    "BackgroundLayout",
    "Driver",
    "Part",
    "PartLayout",
    "join_parts",
    "lay_out_edition",
    "lay_out_part",
    "prune",
    "split_edition",
]

log = logging.getLogger(__name__)

CACHE_FOLDER = "pdf-parts"
"""Folder of ``.pipeline-cache/`` holding laid-out parts (safe to delete)."""

_FORMAT = "5"
"""Version of the cached parts: bump it when what a part's PDF holds changes."""

_SENTINEL = "https://pipeline.invalid/anchor/"
"""A link to an anchor in another part is written as a link to this URL plus
the anchor's name; :func:`join_parts` turns it back into an internal link."""


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of an edition laid out by itself."""

    kind: str
    """``front`` (title page, contents), ``chapter`` or ``back`` (colophon)."""
    html: str
    """The part's HTML: the edition's template with only this part's content."""
    edition: Edition | None = None
    """For a chapter set on facing pages: the one-section edition whose spreads
    the worker plans (:func:`pipeline.render.pdf.facing_html`)."""
    toc: tuple[str, ...] = ()
    """For the front part: the anchors its table of contents points to."""
    side: str = ""
    """``right`` or ``left`` if the part must start on a recto or a verso (a
    blank page is put before it if need be), empty if on any page."""
    sheet: str = ""
    """For the front part: the document the edition's folio sheets are laid
    out from (:func:`pipeline.render.html.folio_sheet`)."""
    digest: str = field(init=False, default="")
    """What the part's layout depends on, apart from where it starts."""
    sheet_digest: str = field(init=False, default="")
    """What the folio sheets depend on (empty without :attr:`sheet`)."""

    def __post_init__(self) -> None:
        from .. import stamps  # here: the workers that lay parts out never make one

        text = "\0".join(
            [
                _FORMAT,
                __version__,
                stamps.code_stamp("render"),
                _weasyprint_version(),
                os.environ.get("SOURCE_DATE_EPOCH", ""),
                self.kind,
                "facing" if self.edition is not None else "",
                self.html,
            ]
        )
        object.__setattr__(self, "digest", hashlib.sha256(text.encode()).hexdigest())
        if self.sheet:
            made_by = f"{_FORMAT}\0{__version__}\0{stamps.code_stamp('render')}"
            epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
            text = f"{made_by}\0{_weasyprint_version()}\0{epoch}\0{self.sheet}"
            object.__setattr__(self, "sheet_digest", hashlib.sha256(text.encode()).hexdigest())


@dataclass(slots=True)
class PartLayout:
    """What the join needs to know of a laid-out part (kept next to its PDF)."""

    pages: int
    """Number of pages."""
    anchors: dict[str, int] = field(default_factory=dict)
    """Each anchor of the part and the page it is on (from 0)."""
    bookmarks: list[list[Any]] = field(default_factory=list)
    """WeasyPrint's bookmarks of each page: ``[level, label, [x, y], state]``."""
    heights: list[float] = field(default_factory=list)
    """Each page's height in CSS pixels (for the outline's coordinates)."""
    folios: list[str | None] = field(default_factory=list)
    """For a part laid out without its folios: each page's folio as lifted
    (:func:`pipeline.render.folios.lift`), ``None`` for a page without one;
    empty for a part laid out with its folios in place."""
    laid_at: int = 0
    """The page number the part was laid out from (its folios' numbers)."""


@cache
def _weasyprint_version() -> str:
    """WeasyPrint's version, without importing it (this process may not lay anything out)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("weasyprint")
    except PackageNotFoundError:  # pragma: no cover - checked by the renderer first
        return ""


MAX_PARTS = 40
"""Chapters per edition beyond which consecutive chapters share a part: each
part costs a fixed share (stylesheet, fonts, a PDF of its own) whatever its
length, so a book of 110 short chapters is laid out in about 40 parts."""


def split_edition(
    edition: Edition, *, facing: bool = False, per_part: int | None = None
) -> list[Part]:
    """The parts of ``edition``: front matter, its sections, and the colophon.

    Each part is the edition's own HTML template filled with that part only,
    so it carries the same stylesheet, title, language and running title.
    ``facing`` sets a bilingual edition on facing pages. A part holds
    ``per_part`` consecutive sections (by default one, or as many as keep
    the parts at most :data:`MAX_PARTS`).
    """
    from . import folios
    from .html import folio_sheet, render_html

    facing = facing and edition.bilingual
    layout = "facing" if facing else "columns"
    t = edition.translation
    quiet = replace(t, colophon=[]) if t is not None else None
    front = replace(edition, sections=[], colophon=[], translation=quiet)
    # The title page shows only in the front part: the others leave it empty,
    # and keep of the review counts only whether the edition is a draft (its
    # running label), so that a paragraph added or approved anywhere, which
    # changes the counts, changes no other chapter.
    counts = {"new": 1} if edition.draft else {}
    if t is not None:
        t = replace(t, title_page_html="")
        quiet = replace(t, colophon=[])
    edition = replace(edition, title_page_html="", counts=counts, translation=t)
    sheet = folio_sheet(edition, layout=layout, pages=folios.SHEET_PAGES)
    parts = [
        Part("front", render_html(front, layout=layout), toc=_toc_anchors(edition), sheet=sheet)
    ]
    sections = edition.sections
    step = per_part or max(1, -(-len(sections) // MAX_PARTS))
    for first in range(0, len(sections), step):
        some = replace(
            edition, sections=sections[first : first + step], toc=[], colophon=[], translation=quiet
        )
        # print.css: the first chapter, and a chapter file's chapter, opens on
        # a recto; facing.css: every spread opens on a verso.
        recto = first == 0 or sections[first].opens_right
        side = "left" if facing else "right" if recto else ""
        html = render_html(some, layout=layout)
        parts.append(Part("chapter", html, some if facing else None, side=side))
    if edition.colophon or (t is not None and t.colophon):
        back = replace(edition, sections=[], toc=[])
        parts.append(Part("back", render_html(back, layout=layout)))
    return parts


def _toc_anchors(edition: Edition) -> tuple[str, ...]:
    return tuple(entry.anchor for entry in edition.toc)


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal."""
    escaped = "".join(c if c.isalnum() or c in " -_.:" else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def _extra_css(part: Part, start: int, numbers: Sequence[tuple[str, int]]) -> str:
    """The rules that put ``part`` where it goes in the whole book."""
    side = "right" if start % 2 else "left"
    rules = [
        f"html {{ break-before: {side} !important; }}",
        f"@page :first {{ counter-reset: page {start} !important; }}",
        # The part's section is its document's first: it must not ask for a recto.
        "main > section:first-child { break-before: auto !important; }",
    ]
    if part.kind != "front":
        rules.append(".title-page { display: none !important; }")
    if part.kind != "chapter":
        rules.append("main { display: none !important; }")  # empty: no page, no tag
    if part.kind == "back":
        rules.append(".colophon { break-before: auto !important; }")
    for anchor, number in numbers:
        rules.append(
            f"@media print {{ .toc a[href={_css_string('#' + anchor)}]::after {{ content: "
            f'"\\2002" leader(". ") "\\2009" "{number}" !important; }} }}'
        )
    return "\n".join(rules) + "\n"


@lru_cache(maxsize=4096)
def _key(digest: str, place: str, numbers: tuple[tuple[str, int], ...]) -> str:
    text = f"{digest}\0{place}\0" + "\0".join(f"{a}\0{n}" for a, n in numbers)
    return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- the worker side


@dataclass(frozen=True, slots=True)
class LayoutTask:
    """One part to lay out, starting at page ``start``."""

    part: Part
    start: int
    numbers: tuple[tuple[str, int], ...]
    """For the front part: the page of each anchor its contents list."""
    base_url: Path | None
    folder: Path
    """The cache folder the part's PDF and description are written to."""
    index: int = 0
    """The part's place in its edition (0: the front matter)."""
    epoch: str = field(default_factory=lambda: os.environ.get("SOURCE_DATE_EPOCH", ""))
    """``SOURCE_DATE_EPOCH`` of the build that asked for the part: a worker
    forked from the forkserver has the environment the server started with,
    and the font subsets it writes are dated from this variable."""
    stamped: bool = False
    """Laid out without its folios, which the join stamps: the layout then
    depends only on the side its first page is on, not on its number."""

    @property
    def key(self) -> str:
        """The name of the part's files in :attr:`folder`."""
        place = f"side {self.start % 2}" if self.stamped else str(self.start)
        return _key(self.part.digest, place, self.numbers)


def cached_layout(folder: Path, key: str) -> PartLayout | None:
    """The description of a part laid out before, if its PDF is still there
    (both files are marked as used now, see :func:`prune`)."""
    meta, pdf = folder / f"{key}.json", folder / f"{key}.pdf"
    if not (meta.is_file() and pdf.is_file()):
        return None
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        layout = PartLayout(
            data["pages"],
            data["anchors"],
            data["bookmarks"],
            data["heights"],
            data["folios"],
            data["laid_at"],
        )
        os.utime(meta)
        os.utime(pdf)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return layout


KEEP_DAYS = 14
"""Parts no build has used for this many days are deleted from the cache."""


def prune(folder: Path, *, days: float = KEEP_DAYS) -> int:
    """Delete the cached parts no build has used for ``days`` days; how many files went."""
    import time

    limit = time.time() - days * 86400
    gone = 0
    for path in folder.glob("*"):
        try:
            old = path.stat().st_mtime < limit
            if path.suffix in (".pdf", ".json", ".pages", ".font", ".sheet") and old:
                path.unlink()
                gone += 1
        except OSError:
            continue
    return gone


def known_pages(folder: Path, digest: str) -> int | None:
    """How many pages a part of this content had the last time it was laid out."""
    path = folder / f"{digest}.pages"
    try:
        pages = int(path.read_text())
        os.utime(path)
    except (OSError, ValueError):
        return None
    return pages


def lay_out_part(task: LayoutTask) -> PartLayout:
    """Lay out one part, write its PDF and description into the cache, describe it."""
    from . import folios, jobs
    from .common import weasyprint_logs_forwarded
    from .pdf import facing_html, html_document, load_weasyprint, weasyprint_patched, write_tagged

    weasyprint = load_weasyprint()  # a RenderError with an install hint if it cannot load

    began = time.perf_counter()
    part = task.part
    html = part.html
    css = weasyprint.CSS(string=_extra_css(part, task.start, task.numbers))
    with _epoch(task.epoch), weasyprint_logs_forwarded(log), weasyprint_patched():
        try:
            if part.edition is not None:
                html = facing_html(part.edition, base_url=task.base_url)
            document = html_document(html, task.base_url).render(stylesheets=[css])
            jobs.report_pages(task.key, len(document.pages))
            layout = _describe(document)
            if task.stamped:
                layout.folios = folios.lift(document)
                layout.laid_at = task.start
            _foreign_links(document)
            pdf = write_tagged(document)
        except RenderError:
            raise
        except Exception as exc:  # WeasyPrint, Pillow, fontTools: anything can break
            raise RenderError(
                f"WeasyPrint cannot lay out the edition: {_name(exc)}: {exc}",
                hint="see the warnings above; a damaged image or font is the usual cause",
            ) from exc
    write_atomic(task.folder / f"{task.key}.pdf", pdf)
    write_atomic(
        task.folder / f"{task.key}.json",
        json.dumps(
            {
                "pages": layout.pages,
                "anchors": layout.anchors,
                "bookmarks": layout.bookmarks,
                "heights": layout.heights,
                "folios": layout.folios,
                "laid_at": layout.laid_at,
            },
            sort_keys=True,
        ),
    )
    write_atomic(task.folder / f"{part.digest}.pages", str(layout.pages))
    log.debug(
        "laid out a %s part: %d pages from page %d in %.2f s",
        part.kind,
        layout.pages,
        task.start,
        time.perf_counter() - began,
    )
    return layout


def _make_sheet(html: str, number: int, folder: Path, version: str, epoch: str) -> None:
    """Lay out the folio sheet of page ``number`` and keep it, dated as the
    build that asks for it (a worker's task: the join then finds it made)."""
    with _epoch(epoch):
        sheet(html, number, folder, version)


def _name(exc: BaseException) -> str:
    return type(exc).__name__


@contextlib.contextmanager
def _epoch(value: str) -> Iterator[None]:
    """``SOURCE_DATE_EPOCH`` set to ``value`` (unset if empty) while laying out."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    if value:
        os.environ["SOURCE_DATE_EPOCH"] = value
    else:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def _describe(document: Any) -> PartLayout:
    anchors: dict[str, int] = {}
    bookmarks: list[list[Any]] = []
    heights: list[float] = []
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, number)
        bookmarks.append(
            [[level, label, [x, y], state] for level, label, (x, y), state in page.bookmarks]
        )
        heights.append(float(page.height))
    return PartLayout(len(document.pages), anchors, bookmarks, heights)


def _foreign_links(document: Any) -> None:
    """Turn links to anchors outside the part into links :func:`join_parts` restores."""
    names = {name for page in document.pages for name in page.anchors}
    for page in document.pages:
        page.links = [
            ("external", _SENTINEL + quote(target, safe=""), rect, box)
            if kind == "internal" and target not in names
            else (kind, target, rect, box)
            for kind, target, rect, box in page.links
        ]


# --------------------------------------------------------------------------- planning


@dataclass(slots=True)
class _Edition:
    """The state of one edition being laid out by parts."""

    name: str
    """The edition's name, for messages (``en-es``)."""
    parts: list[Part]
    base_url: Path | None
    folder: Path
    done: Callable[[bytes], None]
    """Called with the joined PDF."""
    progress: Callable[[], None] | None = None
    """Called when one more of the parts is laid out or found in the cache."""
    results: dict[str, PartLayout] = field(default_factory=dict)
    """Laid-out parts by key."""
    reported: dict[str, int] = field(default_factory=dict)
    """Page counts reported by workers still drawing, by key."""
    submitted: set[str] = field(default_factory=set)
    pages_of: dict[int, int] = field(default_factory=dict)
    """The last known page count of each part, by index."""
    predicted: dict[int, int | None] = field(default_factory=dict)
    """Page counts of parts of the same content in earlier builds, by index."""
    joining: bool = False
    sheets: set[int] = field(default_factory=set)
    """Folio sheets looked for (by their first page number): found kept by an
    earlier build, or asked of the workers."""
    sheets_pending: set[int] = field(default_factory=set)
    """Those of :attr:`sheets` not made yet: the join waits for them."""
    finished: bool = False
    laid_out: int = 0
    """Layouts made in this build (a part may be laid out twice if a page count
    it was placed by turned out wrong)."""
    reused: int = 0
    """Parts read from the cache."""
    placed: set[int] = field(default_factory=set)
    """The parts laid out or found in the cache at least once."""
    version: int = 0
    """Bumped whenever a part is placed or a page count reported: the plan
    changes only then."""
    stepped: int = -1
    """The :attr:`version` the driver last planned this edition at."""
    planned: tuple[int, tuple[list[LayoutTask], list[LayoutTask], int]] | None = None
    """The last plan and the :attr:`version` it was made at."""
    inline: bool = False
    """Whether the parts are laid out with their folios in place: only when
    the folio sheets turned out not to match them (:class:`FoliosDiffer`)."""

    def count(self, index: int) -> int | None:
        if index in self.pages_of:
            return self.pages_of[index]
        if index not in self.predicted:
            pages = known_pages(self.folder, self.parts[index].digest)
            if pages is None and index == 0:
                # Contents never laid out (the review counts on the title
                # page changed, say): most likely as long as last time's.
                pages = known_pages(self.folder, self.front_record)
            self.predicted[index] = pages
        return self.predicted[index]

    @property
    def front_record(self) -> str:
        """The name under which the edition's last front matter's page count is kept."""
        front = self.parts[0]
        text = "\0".join([self.name, front.sheet_digest, *front.toc])
        return hashlib.sha256(text.encode()).hexdigest()

    def plan(self) -> tuple[list[LayoutTask], list[LayoutTask], int]:
        """``(ready, wanted, front_pages)``: the tasks whose start is known;
        ``ready`` is all of them when every part's place is known, the contents
        (first) with their page numbers, for front matter of ``front_pages``
        (made again only when the edition's :attr:`version` changed)."""
        if self.planned is not None and self.planned[0] == self.version:
            return self.planned[1]
        made = self._plan()
        self.planned = (self.version, made)
        return made

    def _plan(self) -> tuple[list[LayoutTask], list[LayoutTask], int]:
        front = self.parts[0]
        front_pages = self.count(0)
        tasks: list[LayoutTask] = []
        if front_pages is None:
            # A first layout of the contents, to learn how long they are.
            guess = tuple((anchor, 100) for anchor in front.toc)
            return [], [LayoutTask(front, 1, guess, self.base_url, self.folder), *self._ahead(0)], 0
        page = front_pages + 1
        placed: dict[int, LayoutTask] = {}
        complete = True
        for index in range(1, len(self.parts)):
            side = self.parts[index].side
            if (side == "right" and page % 2 == 0) or (side == "left" and page % 2 == 1):
                page += 1  # a blank page before it
            task = LayoutTask(
                self.parts[index],
                page,
                (),
                self.base_url,
                self.folder,
                index,
                stamped=not self.inline,
            )
            placed[index] = task
            tasks.append(task)
            layout = self.results.get(task.key)
            pages = layout.pages if layout is not None else self.reported.get(task.key)
            if layout is None:
                complete = False
            if pages is None:
                pages = self.count(index)
            if pages is None:
                tasks.extend(self._ahead(index))
                break
            page += pages
        if not complete or len(placed) < len(self.parts) - 1:
            return [], tasks, front_pages
        numbers: list[tuple[str, int]] = []
        for anchor in front.toc:
            for task in placed.values():
                layout = self.results[task.key]
                if anchor in layout.anchors:
                    numbers.append((anchor, task.start + layout.anchors[anchor]))
                    break
        tasks.insert(0, LayoutTask(front, 1, tuple(numbers), self.base_url, self.folder))
        return tasks, tasks, front_pages

    def _ahead(self, after: int) -> list[LayoutTask]:
        """The parts after the part ``after`` that open on a side of their own
        (a chapter file's chapter on a recto, a facing spread on a verso): laid
        out without their folios they depend on that side only, so each can be
        laid out before the pages before it are counted, from page 1 or 2."""
        if self.inline:
            return []
        return [
            LayoutTask(
                part,
                1 if part.side == "right" else 2,
                (),
                self.base_url,
                self.folder,
                index,
                stamped=True,
            )
            for index, part in enumerate(self.parts)
            if index > after and part.side
        ]


def lay_out_edition(
    edition: Edition,
    *,
    base_url: Path | None,
    folder: Path,
    facing: bool = False,
    per_part: int | None = None,
) -> bytes:
    """The PDF of ``edition`` laid out by parts in this process (for tests and
    one-off use; a build lays out every edition's parts on every core through
    :func:`pipeline.render.jobs.run_parts`)."""
    out: list[bytes] = []
    parts = split_edition(edition, facing=facing, per_part=per_part)
    state = _Edition(edition.slug, parts, base_url, folder, out.append)
    run_editions([state], workers=1)
    return out[0]


def new_edition(
    edition: Edition,
    *,
    base_url: Path | None,
    folder: Path,
    facing: bool,
    done: Callable[[bytes], None],
    progress: Callable[[], None] | None = None,
) -> _Edition:
    """The state of ``edition`` to be laid out by :func:`run_editions`."""
    parts = split_edition(edition, facing=facing)
    return _Edition(edition.slug, parts, base_url, folder, done, progress)


def run_editions(editions: Sequence[_Edition], *, workers: int) -> None:
    """Lay out every part of ``editions`` and join each edition as soon as it can be.

    With ``workers`` at most 1 everything happens in this process, in order.
    """
    from . import jobs

    with jobs.part_pool(workers) as pool:
        driver = Driver(pool)
        for state in editions:
            driver.add(state)
        while not driver.step():
            pass
    driver.prune()


def reuse_cached(state: _Edition) -> bool:
    """Place every part of ``state`` whose layout for its place is in the cache
    (placing parts tells where the next ones start); whether any was found."""
    found = False
    while True:
        more = False
        for task in state.plan()[1]:
            if task.key in state.results or task.key in state.submitted:
                continue
            cached = cached_layout(state.folder, task.key)
            if cached is not None:
                _record(state, task, cached, fresh=False)
                more = found = True
        if not more:
            return found


class Driver:
    """Submits the tasks each edition's plan allows to a
    :class:`~pipeline.render.jobs.PartPool`, records what comes back, and joins
    each edition once all its parts are placed; editions may be added while
    others are being laid out."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.editions: list[_Edition] = []
        self._owners: dict[Any, tuple[_Edition, LayoutTask | Path | None]] = {}
        """What each future is: a part's layout, a folio sheet (where it is
        kept) or an edition's join (``None``)."""
        self._sheets: dict[Path, list[tuple[_Edition, int]]] = {}
        """The folio sheets being made, and the editions waiting for each
        (with the sheet's first page number)."""
        self._rounds = 0

    def add(self, state: _Edition) -> None:
        """Lay out ``state``'s edition too."""
        state.folder.mkdir(parents=True, exist_ok=True)
        self.editions.append(state)

    def done(self) -> bool:
        """Whether every edition added so far is joined."""
        return all(state.finished for state in self.editions)

    def prune(self) -> None:
        """Drop the parts no build has used for weeks from the editions' caches."""
        for folder in {state.folder for state in self.editions}:
            prune(folder)

    def step(self) -> bool:
        """Submit what can be submitted, or collect what the workers finished
        (waiting a little for it); whether every edition is joined."""
        pool = self.pool
        progressed = False
        for rank, state in enumerate(self.editions):
            if state.finished or state.joining or state.stepped == state.version:
                continue  # nothing placed or reported since: nothing new to submit
            state.stepped = state.version
            if reuse_cached(state):
                progressed = True
            ready, wanted, front_pages = state.plan()
            for task in wanted:
                if task.key in state.results or task.key in state.submitted:
                    continue
                state.submitted.add(task.key)
                # The editions handed over first (the bilingual) take longest:
                # their tasks go to the workers first.
                self._owners[pool.submit(lay_out_part, task, priority=rank)] = (state, task)
            epoch = wanted[0].epoch if wanted else ""
            for first, path in _sheets_wanted(state, wanted):
                state.sheets.add(first)
                if path.is_file():  # kept by an earlier build
                    continue
                state.sheets_pending.add(first)
                if path in self._sheets:  # another edition's too (English and Spanish share)
                    self._sheets[path].append((state, first))
                    continue
                self._sheets[path] = [(state, first)]
                front = state.parts[0]
                args = (front.sheet, first, state.folder, front.sheet_digest, epoch)
                self._owners[pool.submit(_make_sheet, *args, priority=rank)] = (state, path)
            if (
                ready
                and not state.sheets_pending
                and all(task.key in state.results for task in ready)
                and state.results[ready[0].key].pages == front_pages
            ):
                layouts = [state.results[t.key] for t in ready]
                future = pool.submit(join_parts, ready, layouts, priority=rank)
                self._owners[future] = (state, None)
                state.joining = True
                progressed = True
        if self.done():
            return True
        if progressed:
            return False
        if not pool.busy():
            self._rounds += 1
            if self._rounds > 50:  # pragma: no cover - page counts that never settle
                raise RenderError("the chapters' page numbers do not settle")
            return False
        for key, pages in pool.reports():
            for state in self.editions:
                if key in state.submitted:
                    state.reported[key] = pages
                    state.version += 1
        for future in pool.finished():
            owner, job = self._owners.pop(future)
            if isinstance(job, Path):  # a folio sheet, kept for the join
                future.result()
                for state, first in self._sheets.pop(job):
                    state.sheets_pending.discard(first)
                    state.version += 1
                continue
            if job is None:
                try:
                    data = future.result()
                except FoliosDiffer as exc:
                    log.warning(
                        "%s PDF: %s; it is laid out again with its folios in place",
                        owner.name,
                        exc.message,
                    )
                    owner.inline = True
                    owner.joining = False
                    owner.version += 1
                    continue
                owner.done(data)
                owner.finished = True
                log.info(
                    "%s PDF: %d parts; %d layouts made, %d parts from the cache",
                    owner.name,
                    len(owner.parts),
                    owner.laid_out,
                    owner.reused,
                )
                continue
            owner.submitted.discard(job.key)
            _record(owner, job, future.result(), fresh=True)
        return self.done()


class BackgroundLayout:
    """Lays out PDF editions in worker processes while this process goes on
    (translating, writing the other editions' HTML and EPUB): the workers start
    at once, editions are handed over with :meth:`add` as soon as they are
    assembled, and :meth:`finish` waits for the last one to be joined. A
    thread of this process drives the workers; it never lays anything out
    itself, so it does not compete with this process's own work."""

    def __init__(self, workers: int) -> None:
        import queue
        import threading

        self._workers = max(1, workers)
        self._added: queue.Queue[_Edition] = queue.Queue()
        self._closed = threading.Event()
        self._cancelled = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pdf-layout", daemon=True)
        self._thread.start()

    def add(self, state: _Edition) -> None:
        """Lay out ``state``'s edition as soon as a worker is free."""
        # The cache is read here, in the caller's thread: read by the layout
        # thread, each file would wait for the interpreter lock while this
        # thread works, and the first part would start a second later.
        reuse_cached(state)
        written = state.done

        def done(data: bytes) -> None:
            if not self._cancelled.is_set():  # after an error elsewhere, no PDF is written
                written(data)

        state.done = done
        self._added.put(state)

    def finish(self) -> None:
        """Wait until every edition added is joined (and handed to its ``done``);
        raise the first error of any of them."""
        self._closed.set()
        self._thread.join()
        if self._error is not None:
            raise self._error

    def cancel(self) -> None:
        """Stop: parts not started are not laid out, and nothing more is joined."""
        self._cancelled.set()
        self._closed.set()
        self._thread.join()

    def _run(self) -> None:
        import queue

        from . import jobs

        try:
            # One core: the parts are laid out in this thread (there is no
            # other core to win, and no worker to start).
            with jobs.part_pool(self._workers, always=self._workers > 1) as pool:
                pool.warm_up(self._workers)
                driver = Driver(pool)
                while not self._cancelled.is_set():
                    try:
                        while True:
                            driver.add(self._added.get_nowait())
                    except queue.Empty:
                        pass
                    if not driver.done():
                        driver.step()
                    elif self._closed.is_set() and self._added.empty():
                        break
                    else:
                        with contextlib.suppress(queue.Empty):
                            driver.add(self._added.get(timeout=0.05))
                if self._cancelled.is_set():
                    pool.cancel()
            driver.prune()
        except BaseException as exc:  # handed to the thread that waits in finish()
            self._error = exc


def _sheets_wanted(state: _Edition, wanted: Sequence[LayoutTask]) -> list[tuple[int, Path]]:
    """The folio sheets (their first page number, and where they are kept) the
    join of ``state`` will need as far as its plan tells, not looked at yet."""
    if state.inline or not any(task.stamped for task in wanted):
        return []
    highest = 1
    for task in wanted:
        highest = max(highest, task.start + (state.count(task.index) or 0))
    front = state.parts[0]
    return [
        (first, sheet_path(front.sheet, first, state.folder, front.sheet_digest))
        for first in range(1, first_of(highest) + 1, SHEET_PAGES)
        if first not in state.sheets
    ]


def _record(state: _Edition, task: LayoutTask, layout: PartLayout, *, fresh: bool) -> None:
    state.results[task.key] = layout
    state.version += 1
    index = task.index
    state.pages_of[index] = layout.pages
    if index == 0 and fresh:
        write_atomic(state.folder / f"{state.front_record}.pages", str(layout.pages))
    if fresh:
        state.laid_out += 1
    else:
        state.reused += 1
    if index not in state.placed:
        state.placed.add(index)
        if state.progress is not None:
            state.progress()


# --------------------------------------------------------------------------- the join


def join_parts(tasks: Sequence[LayoutTask], layouts: Sequence[PartLayout]) -> bytes:
    """One PDF of the parts laid out for ``tasks`` (front first), in order
    (:func:`_join`; the merged fonts are dated as the parts are)."""
    began = time.perf_counter()
    with _epoch(tasks[0].epoch):
        data = _join(tasks, layouts)
    log.debug("joined %d parts in %.2f s", len(tasks), time.perf_counter() - began)
    return data


def _join(tasks: Sequence[LayoutTask], layouts: Sequence[PartLayout]) -> bytes:
    """One PDF of the parts laid out for ``tasks`` (front first), in order.

    Pages are copied with pikepdf (qpdf); the structure trees become one, the
    named destinations one name tree, links between parts internal links
    again, and the outline is built from every part's bookmarks as WeasyPrint
    builds it. The catalogue's language, metadata and viewer preferences come
    from the front part. Objects are written in object streams, and the file
    identifier is made from the content, so the bytes are reproducible.
    """
    import io
    import warnings

    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    from .folios import Stamper

    out = pikepdf.new()
    tree_root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=tree_root))
    kids = Array()
    nums = Array()
    names: dict[str, Any] = {}
    links: list[tuple[Any, str]] = []
    offset = 0
    page_offsets: list[int] = []
    sources = [pikepdf.open(task.folder / f"{task.key}.pdf") for task in tasks]
    version = max(source.pdf_version for source in sources)
    stamper = Stamper(out, tasks[0].part.sheet, tasks[0].folder, tasks[0].part.sheet_digest)
    try:
        for task, source, layout in zip(tasks, sources, layouts, strict=True):
            box = source.pages[0].mediabox
            while len(out.pages) + 1 < task.start:
                size = (float(box[2]) - float(box[0]), float(box[3]) - float(box[1]))
                out.add_blank_page(page_size=size)
            first = len(out.pages)
            page_offsets.append(first)
            with warnings.catch_warnings():
                # Named destinations are carried over below, into one name tree.
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                out.pages.extend(source.pages)
            top = _copy_structure(out, source, document, kids, nums, offset)
            for page in out.pages[first:]:
                _renumber(page.obj, offset, links)
            for number, lifted in enumerate(layout.folios):
                if lifted is not None:
                    stamper.check(layout.laid_at + number, lifted)
                    stamper.stamp(out.pages[first + number].obj, task.start + number)
            offset += top
            for name, value in _named_destinations(source.Root):
                names.setdefault(name, _copy(out, value, source))
        for annot, anchor in links:
            if anchor in names:
                annot[Name.Dest] = String(anchor)
            else:  # as WeasyPrint has it when the book is laid out whole
                log.warning("No anchor #%s for internal URI reference", anchor)
        document[Name.K] = kids
        tree_root[Name.K] = Array([document])
        tree_root[Name.ParentTree] = out.make_indirect(Dictionary(Nums=nums))
        tree_root[Name.ParentTreeNextKey] = offset
        out.Root[Name.StructTreeRoot] = tree_root
        front = sources[0].Root
        for key in ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata", "/PageMode"):
            if key in front:
                out.Root[Name(key)] = _copy(out, front[key], sources[0])
        dests = Array()
        for name in sorted(names):
            dests.extend([String(name), names[name]])
        out.Root[Name.Names] = Dictionary(Dests=Dictionary(Names=dests))
        _outline(out, layouts, page_offsets)
        if "/Info" in sources[0].trailer:
            out.trailer[Name.Info] = _copy(out, sources[0].trailer.Info, sources[0])
        from .pdf_fonts import merge_font_subsets

        merge_font_subsets(out, tasks[0].folder)
        data = io.BytesIO()
        out.save(
            data,
            min_version=version,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            deterministic_id=True,
        )
    finally:
        stamper.close()
        for source in sources:
            source.close()
    return data.getvalue()


def _copy(out: Any, obj: Any, source: Any) -> Any:
    """``obj`` of the PDF ``source`` as an object of ``out``: indirect objects
    are copied (once per source PDF: a page already copied is that copy); a
    direct array or dictionary is made an indirect object of ``source`` first,
    so that qpdf copies it whole (an indirect value is as good wherever the
    join puts one)."""
    import pikepdf

    if isinstance(obj, (pikepdf.Array, pikepdf.Dictionary)) and not obj.is_indirect:
        obj = source.make_indirect(obj)
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        return out.copy_foreign(obj)
    return obj


def _copy_structure(out: Any, source: Any, document: Any, kids: Any, nums: Any, offset: int) -> int:
    """Copy the children of ``source``'s ``/Document`` structure element under
    ``document`` and its parent tree into ``nums`` (keys moved on by ``offset``);
    the number of parent-tree keys the part used."""
    from pikepdf import Name

    struct = source.Root.get(Name.StructTreeRoot)
    if struct is None:
        return 0
    for child in _children(struct.get(Name.K)):
        for kid in _children(child.get(Name.K)):
            if Name.P in kid:
                del kid[Name.P]  # not the part's own /Document, which stays behind
            copied = _copy(out, kid, source)
            copied[Name.P] = document
            kids.append(copied)
    top = 0
    parent_tree = struct.get(Name.ParentTree)
    for key, value in _number_tree(parent_tree) if parent_tree is not None else ():
        nums.append(key + offset)
        nums.append(_copy(out, value, source))
        top = max(top, key + 1)
    return top


def _renumber(page: Any, offset: int, links: list[tuple[Any, str]]) -> None:
    """Move a copied page's parent-tree keys on by ``offset``, and note its links
    to other parts (``links``: the annotation and the anchor it leads to)."""
    from pikepdf import Name, String

    if Name.StructParents in page:
        page[Name.StructParents] = int(page.StructParents) + offset
    for annot in page.get(Name.Annots, None) or []:
        if Name.StructParent in annot:
            annot[Name.StructParent] = int(annot.StructParent) + offset
        action = annot.get(Name.A)
        uri = action.get(Name.URI) if action is not None else None
        if uri is not None and str(uri).startswith(_SENTINEL):
            anchor = unquote(str(uri)[len(_SENTINEL) :])
            del annot[Name.A]
            if Name.Contents in annot:
                annot[Name.Contents] = String(anchor)
            links.append((annot, anchor))


def _children(k: Any) -> list[Any]:
    """The items of a ``/K`` entry: an array's items, or the one object."""
    import pikepdf

    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _number_tree(node: Any) -> Iterator[tuple[int, Any]]:
    nums = node.get("/Nums")
    if nums is not None:
        for i in range(0, len(nums) - 1, 2):
            yield int(nums[i]), nums[i + 1]
    for kid in node.get("/Kids", None) or []:
        yield from _number_tree(kid)


def _named_destinations(catalog: Any) -> Iterator[tuple[str, Any]]:
    names = catalog.get("/Names")
    dests = names.get("/Dests") if names is not None else None
    if dests is None:
        return

    def walk(node: Any) -> Iterator[tuple[str, Any]]:
        flat = node.get("/Names")
        if flat is not None:
            for i in range(0, len(flat) - 1, 2):
                yield str(flat[i]), flat[i + 1]
        for kid in node.get("/Kids", None) or []:
            yield from walk(kid)

    yield from walk(dests)


def _outline(out: Any, layouts: Sequence[PartLayout], page_offsets: Sequence[int]) -> None:
    """The outline of the joined PDF, nested as WeasyPrint nests one document's."""
    from pikepdf import Array, Dictionary, Name, String
    from weasyprint.anchors import make_page_bookmark_tree
    from weasyprint.matrix import Matrix

    @dataclass
    class _Page:
        bookmarks: list[tuple[int, str, tuple[float, float], str]]

    root: list[Any] = []
    skipped: list[int] = []
    last_by_depth: list[Any] = [root]
    previous = 0
    for layout, first in zip(layouts, page_offsets, strict=True):
        for number, (marks, height) in enumerate(
            zip(layout.bookmarks, layout.heights, strict=True)
        ):
            page = _Page([(m[0], m[1], (m[2][0], m[2][1]), m[3]) for m in marks])
            matrix = Matrix(a=0.75, d=-0.75, f=height * 0.75)
            previous = make_page_bookmark_tree(
                page, skipped, last_by_depth, previous, first + number, matrix
            )
    if not root:
        return

    def add(items: list[Any], parent: Any) -> tuple[list[Any], int]:
        count = len(items)
        refs: list[Any] = []
        for title, (page, x, y), children, state in items:
            item = out.make_indirect(
                Dictionary(
                    Title=String(title),
                    Dest=Array([out.pages[page].obj, Name.XYZ, x, y, 0]),
                    Parent=parent,
                )
            )
            child_refs, child_count = add(children, item)
            item[Name.Count] = -child_count if state == "closed" else child_count
            if state != "closed":
                count += child_count
            if refs:
                item[Name.Prev] = refs[-1]
                refs[-1][Name.Next] = item
            if child_refs:
                item[Name.First] = child_refs[0]
                item[Name.Last] = child_refs[-1]
            refs.append(item)
        return refs, count

    outlines = out.make_indirect(Dictionary())
    refs, count = add(root, outlines)
    outlines[Name.Count] = count
    outlines[Name.First] = refs[0]
    outlines[Name.Last] = refs[-1]
    out.Root[Name.Outlines] = outlines
