"""Raw HTML in books: its text translated, its pictures embedded, what a page
cannot show left out with a warning, unknown elements kept in valid markup.

The fixture project ``tests/fixtures/rawhtml`` holds a GitHub README (centred
logo, badges, ``<picture>``, ``<details>``, a video, a button, a form) and an
mdBook/MDX-style guide (``<Listing>``, ``<Tabs><TabItem>``, ``<Callout>``, an
SVG figure drawn by Graphviz with a DOCTYPE and a link to another file).
"""

from __future__ import annotations

import base64
import logging
import re
import shutil
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import lxml.html
import pytest
from helpers import edition_body

from pipeline.build import build
from pipeline.config import load_config
from pipeline.mt.pseudo import PseudoEngine
from pipeline.render.edition import assemble, assemble_bilingual
from pipeline.render.rawhtml import RawHTML
from pipeline.source.images import ImageEmbedder
from pipeline.source.markdown import md, parse_document
from pipeline.source.svgclean import clean_data_url, clean_svg

FIXTURE = Path(__file__).parent / "fixtures" / "rawhtml"
README = FIXTURE / "content" / "en" / "fastran" / "README.md"
GUIDE = FIXTURE / "content" / "en" / "guide" / "ch01-getting-started.md"
SVG = FIXTURE / "content" / "en" / "guide" / "img" / "trpl04-01.svg"


EPUBCHECK = Path("/usr/share/java/epubcheck.jar")


def epubcheck(path: Path) -> subprocess.CompletedProcess[str]:
    java = shutil.which("java")
    assert java and EPUBCHECK.is_file(), "epubcheck is not installed: bash scripts/setup.sh test"
    return subprocess.run(
        [java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(EPUBCHECK), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def pseudo(text: str) -> str:
    return PseudoEngine().translate([text], "en", "es")[0]


# --- text inside HTML blocks is segmented -----------------------------------------------------


def test_text_inside_html_blocks_is_segmented_with_its_inline_tags() -> None:
    doc = parse_document(README.read_text(encoding="utf-8"), README)
    sources = {seg.source: seg for seg in doc.segments}
    assert "A fast offline translator" in sources  # <p align="center">…</p>
    assert "Show the answer" in sources  # <summary>
    assert "Keep your dictionaries up to date." in sources  # <div class="note">
    assert "Fastran" in sources  # <h1 align="center">
    link = 'See the <a href="https://fastran.example/demo">online demo</a> for a tour.'
    assert link in sources  # an inline element stays inside its run
    assert sources["Show the answer"].line == 27
    everything = "\n".join(sources)
    for never in ("analytics", "fastran --from", "Copy to clipboard", "Demo video", "email"):
        assert never not in everything  # script, pre, button, an iframe's title, attributes
    # The descriptions of pictures outside running text are segments of their own,
    # after the text of their block (the ids of its runs stay as they were).
    assert (sources["Fastran logo"].kind, sources["Fastran logo"].line) == ("alt-text", 2)
    assert (sources["build status"].kind, sources["build status"].line) == ("alt-text", 10)
    assert sources["MIT licence"].kind == "alt-text"
    assert sources["The main window"].kind == "alt-text"  # the <img> of a <picture>


def test_markdown_segment_ids_do_not_change_when_html_text_is_segmented() -> None:
    markdown = "# Guide\n\nThe same words.\n\nOther words.\n\nThe same words.\n"
    with_html = (
        '# Guide\n\n<p align="center">The same words.</p>\n\nThe same words.\n\n'
        "<div>\nOther words.\n</div>\n\nOther words.\n\nThe same words.\n"
    )
    before = [(s.source, s.id) for s in parse_document(markdown).segments]
    after = parse_document(with_html).segments
    assert [(s.source, s.id) for s in after if s.line not in {3, 8}] == before
    html_ids = [s.id for s in after if s.line in {3, 8}]
    assert [s.source for s in after if s.line in {3, 8}] == ["The same words.", "Other words."]
    assert len(set(html_ids) | {sid for _, sid in before}) == len(html_ids) + len(before)


@pytest.mark.parametrize(
    "block",
    [
        "<pre>\nkeep these words\n</pre>",
        "<script>\nvar words = 'keep these words';\n</script>",
        "<style>\n.words::after { content: 'keep these words'; }\n</style>",
        "<!-- keep these words -->",
        "<div><code>keep these words</code></div>",
        "<div><textarea>keep these words</textarea></div>",
    ],
)
def test_code_scripts_styles_and_comments_in_html_are_never_segments(block: str) -> None:
    doc = parse_document(f"Intro words.\n\n{block}\n\nOutro words.\n")
    assert [seg.source for seg in doc.segments] == ["Intro words.", "Outro words."]


def test_html_text_is_shown_as_written_and_its_translation_keeps_the_tags() -> None:
    source = (
        '<div class="note">\nUse *stars*, [brackets] and `ticks`; run <code>ls</code>, '
        "press <kbd>Ctrl</kbd>.\n</div>\n"
    )
    doc = parse_document(source)
    (seg,) = doc.segments
    assert "<code>" not in seg.source and "`ls`" in seg.source  # a code span: never translated
    english = assemble(doc, lang="en", source_lang="en", title="T", author="A")
    assert "Use *stars*, [brackets] and `ticks`; run <code>ls</code>" in edition_body(english)
    texts = {seg.id: seg.source.replace("Use", "Usa").replace("press", "pulsa")}
    spanish = assemble(doc, lang="es", source_lang="en", title="T", author="A", texts=texts)
    assert (
        '<div class="note">\nUsa *stars*, [brackets] and `ticks`; run <code>ls</code>, '
        "pulsa <kbd>Ctrl</kbd>.\n</div>"
    ) in edition_body(spanish)


def test_carets_tildes_and_equals_signs_in_html_are_shown_as_written() -> None:
    """HTML is no Markdown: E = mc^2^, ==words== and ^^words^^ there are text,
    in its runs and in its attributes, in every language."""
    source = (
        "<p>Energy is E = mc^2^ and ==not marked== and ^^not new^^ in H~2~O.</p>\n\n"
        '<p align="center"><img src="missing.png" alt="The formula x^2^ and ==the house=="></p>\n'
    )
    doc = parse_document(source)
    run, alt = doc.segments

    def nowhere(url: str, line: int | None) -> str:
        return ""

    english = edition_body(
        assemble(doc, lang="en", source_lang="en", title="T", author="A", images=nowhere)
    )
    assert "E = mc^2^ and ==not marked== and ^^not new^^ in H~2~O." in english
    assert "The formula x^2^ and ==the house==" in english
    texts = {run.id: run.source, alt.id: alt.source.replace("The formula", "La fórmula")}
    spanish = edition_body(
        assemble(
            doc, lang="es", source_lang="en", title="T", author="A", texts=texts, images=nowhere
        )
    )
    assert "E = mc^2^ and ==not marked== and ^^not new^^ in H~2~O." in spanish
    assert "La fórmula x^2^ and ==the house==" in spanish
    assert not re.search(r"<(sub|sup|mark|ins)>", english + spanish)


def test_a_translation_cannot_add_html_tags_to_a_run() -> None:
    doc = parse_document('<p align="center">A fast offline translator</p>\n')
    (seg,) = doc.segments
    texts = {seg.id: "Un <script>alert(1)</script> traductor"}
    spanish = assemble(doc, lang="es", source_lang="en", title="T", author="A", texts=texts)
    assert "<script>" not in edition_body(spanish)
    assert "&lt;script&gt;" in edition_body(spanish)


def test_unreviewed_html_text_is_marked_and_bilingual_rows_keep_html_blocks_whole() -> None:
    doc = parse_document(
        '# Title\n\n## Part\n\n<p align="center">A fast offline translator</p>\n\n'
        "<details>\n<summary>Show the answer</summary>\n\nThe answer.\n\n</details>\n"
    )
    texts = {s.id: pseudo(s.source) for s in doc.segments}
    states = dict.fromkeys(texts, "machine")
    spanish = assemble(
        doc, lang="es", source_lang="en", title="T", author="A", texts=texts, states=states
    )
    assert (
        '<p style="text-align: center"><span class="unreviewed" data-state="machine">'
        f"{pseudo('A fast offline translator')}</span></p>"
    ) in spanish.sections[0].html
    both = assemble_bilingual(
        doc, source_lang="en", target_lang="es", title="T", author="A", texts=texts
    )
    rows = both.sections[0].rows
    centred = next(r for r in rows if "A fast offline translator" in r.source_html)
    assert centred.kind == "block"
    assert centred.source_html == '<p style="text-align: center">A fast offline translator</p>\n'
    assert centred.translation_html == (
        f'<p style="text-align: center">{pseudo("A fast offline translator")}</p>\n'
    )
    summary = next(r for r in rows if "Show the answer" in r.source_html)
    assert f"<summary>{pseudo('Show the answer')}</summary>" in (summary.translation_html or "")
    assert summary.source_html.startswith('<details open="">\n<summary>')


# --- words in attributes ---------------------------------------------------------------------

ATTRIBUTES = (
    "# Tides\n\n"
    '<p align="center"><img src="harbour.png" alt=\'The old "harbour" map\' width=80></p>\n\n'
    "<table>\n<tr>\n"
    '<td title="Opens in a new window"><img src="tide.png" alt="Tide icon"></td>\n'
    '<td aria-label="Tide table">High water at 6 &amp; 18.</td>\n'
    "</tr>\n</table>\n\n"
    '<div><img src="rule.png" alt=""><iframe title="Video player"></iframe>'
    '<input placeholder="Your name" title="Name field"></div>\n\n'
    '<p>Read <abbr title="High water">HW</abbr> as high water.</p>\n'
)


def test_descriptions_tooltips_and_labels_in_html_are_segments_of_their_own() -> None:
    doc = parse_document(ATTRIBUTES)
    found = [(seg.kind, seg.line, seg.source) for seg in doc.segments]
    assert found == [
        ("heading", 1, "Tides"),
        ("alt-text", 3, 'The old "harbour" map'),
        ("tooltip", 7, "Opens in a new window"),
        ("alt-text", 7, "Tide icon"),
        ("label", 8, "Tide table"),
        ("paragraph", 8, "High water at 6 &amp; 18."),
        # Inside running text a tag is one placeholder, kept whole with its title.
        ("paragraph", 14, 'Read <abbr title="High water">HW</abbr> as high water.'),
    ]
    # An attribute's value takes its id after the text runs: theirs do not change.
    bare = ATTRIBUTES
    for attribute in (""" alt='The old "harbour" map'""", ' alt="Tide icon"', ' title="Opens'):
        bare = bare.replace(attribute, " ")
    without = {seg.source: seg.id for seg in parse_document(bare).segments}
    assert len(without) == 4
    assert without.items() <= {seg.source: seg.id for seg in doc.segments}.items()


def test_translated_attributes_are_written_into_their_tags_and_nothing_else_moves() -> None:
    doc = parse_document(ATTRIBUTES)
    spanish = {
        'The old "harbour" map': 'El mapa del "puerto" viejo & sus islas',
        "Opens in a new window": "Se abre en una ventana nueva",
        "Tide icon": "Icono de marea",
        "Tide table": "Tabla de mareas",
        "Tides": "Mareas",
    }
    texts = {seg.id: spanish[seg.source] for seg in doc.segments if seg.source in spanish}
    edition = assemble(doc, lang="es", source_lang="en", title="T", author="A", texts=texts)
    body = edition_body(edition)
    page = lxml.html.fromstring(body)
    alts = {img.get("src"): img.get("alt") for img in page.iter("img")}
    assert alts["harbour.png"] == 'El mapa del "puerto" viejo & sus islas'
    assert alts["tide.png"] == "Icono de marea"
    assert alts["rule.png"] == ""
    assert 'alt="El mapa del &quot;puerto&quot; viejo &amp; sus islas" width="80">' in body
    assert page.xpath("//td[@title]")[0].get("title") == "Se abre en una ventana nueva"
    assert page.xpath("//td[@aria-label]")[0].get("aria-label") == "Tabla de mareas"
    assert "Tide table" not in body and "Tide icon" not in body and "new window" not in body
    # The source edition keeps its tags as written (pictures are rewritten anyway).
    english = edition_body(assemble(doc, lang="en", source_lang="en", title="T", author="A"))
    assert 'alt="The old &quot;harbour&quot; map" width="80">' in english
    assert '<td title="Opens in a new window"><img src="tide.png" alt="Tide icon">' in english
    assert '<td aria-label="Tide table">High water at 6 &amp; 18.</td>' in english
    # Rendered without an edition (no words put in), a tag shows its source.
    assert md().render(ATTRIBUTES).count("Tide icon") == 1


def test_attributes_keep_templating_and_the_source_edition_keeps_its_tags() -> None:
    markdown = (
        '<p align="center">\n<img src="a.png" alt="The {{ .Site.Title }} logo :tada:">\n</p>\n\n'
        '> Quote text.\n>\n> <p align="center"><img src="b.png" alt="Logo"></p>\n'
    )
    doc = parse_document(markdown)
    english = edition_body(assemble(doc, lang="en", source_lang="en", title="T", author="A"))
    assert 'alt="The {{ .Site.Title }} logo :tada:"' in english  # as written
    texts = {doc.segments[0].id: "El logo de {{ .Site.Title }} :tada:"}
    spanish = edition_body(
        assemble(doc, lang="es", source_lang="en", title="T", author="A", texts=texts)
    )
    assert 'alt="El logo de {{ .Site.Title }} \U0001f389"' in spanish
    # A quotation's picture is one row: no empty quotation beside it.
    both = assemble_bilingual(doc, source_lang="en", target_lang="es", title="T", author="A")
    rows = [row for section in both.sections for row in section.rows]
    assert not any(re.fullmatch(r"<blockquote>\s*</blockquote>\s*", r.source_html) for r in rows)
    assert any('alt="Logo"' in row.source_html and row.kind == "shared" for row in rows)


def test_a_picture_shown_as_its_description_shows_the_translation() -> None:
    doc = parse_document('<p align="center"><img src="missing.png" alt="Harbour map"></p>\n')
    (seg,) = doc.segments
    texts = {seg.id: "Mapa del puerto"}

    def nowhere(url: str, line: int | None) -> str:
        return ""

    edition = assemble(
        doc, lang="es", source_lang="en", title="T", author="A", texts=texts, images=nowhere
    )
    assert '<p style="text-align: center">Mapa del puerto</p>' in edition_body(edition)


def test_bilingual_rows_show_pictures_once_and_translated_tooltips_in_their_column() -> None:
    doc = parse_document(ATTRIBUTES)
    texts = {seg.id: pseudo(seg.source) for seg in doc.segments}
    both = assemble_bilingual(
        doc, source_lang="en", target_lang="es", title="T", author="A", texts=texts
    )
    rows = [row for section in both.sections for row in section.rows]
    harbour = next(row for row in rows if "harbour.png" in row.source_html)
    assert harbour.kind == "shared" and harbour.translation_html is None
    table = next(row for row in rows if "tide.png" in row.source_html)
    assert 'title="Opens in a new window"' in table.source_html
    cell = lxml.html.fromstring(table.translation_html or "").xpath("//td[@title]")[0]
    assert cell.get("title") == pseudo("Opens in a new window")


# --- raw HTML rewritten for a book ------------------------------------------------------------


PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


@pytest.fixture
def images(tmp_path: Path) -> ImageEmbedder:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "logo.png").write_bytes(PNG_1X1)
    shutil.copy(SVG, tmp_path / "docs" / "figure.svg")
    return ImageEmbedder(tmp_path, tmp_path, lambda line: f"README.md:{line}")


def rewrite(markdown: str, images: ImageEmbedder | None) -> str:
    doc = parse_document(markdown)
    html = RawHTML(images, lambda line: f"README.md:{line}")
    return edition_body(
        assemble(doc, lang="en", source_lang="en", title="T", author="A", images=images, html=html)
    )


def test_html_pictures_are_embedded_or_replaced_by_their_description(
    images: ImageEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    markdown = (
        '<p align="center">\n  <img src="docs/logo.png" width="200" alt="Fastran logo">\n</p>\n\n'
        'Badges: <img src="https://img.shields.io/badge/ci-passing-green.svg" alt="CI passing">\n'
        'and <img src="docs/missing.png" alt="A missing picture" srcset="docs/logo.png 2x">.\n\n'
        '<img src="https://img.shields.io/badge/ci-passing-green.svg" alt="CI passing">\n'
    )
    with caplog.at_level(logging.WARNING):
        html = rewrite(markdown, images)
    logo = base64.b64encode(PNG_1X1).decode()
    assert f'<img src="data:image/png;base64,{logo}" width="200" alt="Fastran logo">' in html
    assert "Badges: CI passing\nand A missing picture." in html
    assert "srcset" not in html and "shields.io" not in html
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2, warnings  # the badge is reported once, at its first line
    assert warnings[0].startswith("README.md:5: image https://img.shields.io/badge/ci-passing")
    assert warnings[1].startswith("README.md:6: image docs/missing.png is not there")


def test_picture_keeps_only_its_img_or_the_first_source(images: ImageEmbedder) -> None:
    html = rewrite(
        '<picture>\n  <source media="(prefers-color-scheme: dark)" srcset="docs/logo.png">\n'
        '  <img src="docs/logo.png" alt="Logo">\n</picture>\n\n'
        '<picture>\n  <source srcset="docs/logo.png 1x, docs/big.png 2x">\n'
        "  <img>\n</picture>\n",
        images,
    )
    assert "<picture" not in html and "<source" not in html and "srcset" not in html
    assert html.count('<img src="data:image/png;base64,') == 2
    assert html.count('alt="') == 2


def test_svg_pictures_lose_doctype_scripts_and_outside_references(images: ImageEmbedder) -> None:
    html = rewrite('<img src="docs/figure.svg" alt="Ownership" style="width: 50%;">\n', images)
    match = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert match is not None
    svg = base64.b64decode(match.group(1)).decode()
    assert "<!DOCTYPE" not in svg and "pointer.png" not in svg and "<image" not in svg
    assert "doc.rust-lang.org" not in svg  # a picture's links cannot be followed
    assert "<text" in svg and ">s1</text>" in svg
    svg_ns = b'<svg xmlns="http://www.w3.org/2000/svg">'
    scripted = svg_ns + b'<script>alert(1)</script><rect onclick="x()"/></svg>'
    declaration = b"<?xml version='1.0' encoding='utf-8'?>\n"
    assert clean_svg(scripted) == declaration + svg_ns + b"<rect/></svg>"
    assert clean_svg(b"not xml <") == b"not xml <"
    assert clean_data_url("data:image/png;base64,AAAA") == "data:image/png;base64,AAAA"


def test_svg_drawn_in_html_becomes_a_picture(caplog: pytest.LogCaptureFixture) -> None:
    markdown = (
        '<p align="center">\n<svg width="120" height="20"><title>Made with Rust</title>'
        '<a xlink:href="#top"><text x="10" y="14">Made with Rust</text></a></svg>\n</p>\n\n'
        'Status: <svg width="12" height="12" aria-label="passing"><circle r="5"/></svg> today.\n\n'
        '<svg width="10" height="10"><rect width="10" height="10"/>\n\n</svg>\n\n'
        "<svg><rect></svg>\n"
    )
    with caplog.at_level(logging.WARNING):
        html = rewrite(markdown, None)
    pictures = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]*)">', html)
    assert [alt for _, alt in pictures] == ["Made with Rust", "passing"]
    assert "<svg" not in html and "<rect" not in html and "<circle" not in html
    assert "Status: " in html and " today." in html
    badge = base64.b64decode(pictures[0][0]).decode()
    assert 'xmlns="http://www.w3.org/2000/svg"' in badge and "xlink:href" not in badge
    assert [r.getMessage() for r in caplog.records] == [
        "README.md:7: <svg> cannot be shown in a book: left out: its end tag is not in the "
        "same block (keep the drawing free of blank lines)",
        "README.md:11: <svg> cannot be shown in a book: left out: it is not well-formed XML "
        "(check its tags)",
    ]


def test_what_a_page_cannot_show_is_left_out_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    markdown = (
        "Intro.\n\n"
        '<iframe src="https://www.youtube.com/embed/x" title="Demo"></iframe>\n\n'
        '<video src="demo.mp4" controls>Watch the demo on our website.</video>\n\n'
        '<p><button type="button">Copy to clipboard</button> Copy the command.</p>\n\n'
        '<form action="/subscribe"><input type="email"> Subscribe.</form>\n\n'
        '<script>console.log("analytics");</script>\n\n'
        '<object data="chart.pdf" type="application/pdf">The chart as a table.</object>\n\n'
        'A <button>Copy</button> inline <embed src="x.swf"> button.\n'
    )
    with caplog.at_level(logging.WARNING):
        html = rewrite(markdown, None)
    for gone in ("iframe", "video", "button", "form", "input", "script", "object", "embed"):
        assert f"<{gone}" not in html and f"</{gone}" not in html
    for gone in ("youtube", "demo.mp4", "Copy to clipboard", "analytics", "chart.pdf"):
        assert gone not in html
    for kept in (
        "Watch the demo on our website.",
        "Copy the command.",
        "Subscribe.",
        "The chart as a table.",
        "A  inline  button.",
    ):
        assert kept in html
    warnings = [r.getMessage().split(" cannot")[0] for r in caplog.records]
    assert warnings == [
        "README.md:3: <iframe>",
        "README.md:5: <video>",
        "README.md:7: <button>",
        "README.md:9: <form>",
        "README.md:9: <input>",
        "README.md:11: <script>",
        "README.md:13: <object>",
        "README.md:15: <button>",
        "README.md:15: <embed>",
    ]


def test_an_element_left_open_ends_with_its_block() -> None:
    html = rewrite(
        "A <button>Copy, never closed.\n\nThe next paragraph stays.\n\n"
        "Some <math><mi>x</mi> never closed.\n\n<Callout>After the formula</Callout>\n",
        None,
    )
    assert "<p>The next paragraph stays.</p>" in html
    assert '<span class="callout">After the formula</span>' in html
    assert "Copy" not in html


def test_unknown_elements_become_divs_and_spans_with_their_content() -> None:
    markdown = (
        '<Listing number="1-1" file-name="src/main.rs" caption="Hello">\n\n'
        "```rust\nfn main() {}\n```\n\n</Listing>\n\n"
        '<Tabs groupId="os">\n<TabItem value="win" label="Windows">\n\nRun the installer.\n\n'
        "</TabItem>\n</Tabs>\n\n"
        '<Callout type="warning" class="loud">Never run it as root.</Callout>\n\n'
        "<p>Version <Badge>2.0</Badge> is out.</p>\n\n"
        "<center>Thank you for reading.</center>\n"
    )
    html = rewrite(markdown, None)
    assert (
        '<div class="listing" data-number="1-1" data-file-name="src/main.rs" data-caption="Hello">'
        in html
    )
    assert '<pre><code class="language-rust">fn main() {}\n</code></pre>\n</div>' in html
    # A tab is shown under its label, in the box of a content tab.
    assert (
        '<div class="tabs" data-groupid="os">\n'
        '<div class="tab-item admonition tabbed" data-value="win" data-label="Windows">'
        '<p class="admonition-title">Windows</p>' in html
    )
    assert "<p>Run the installer.</p>\n</div>\n</div>" in html
    assert (
        '<p><span class="callout loud" data-type="warning">Never run it as root.</span></p>' in html
    )
    assert '<p>Version <span class="badge">2.0</span> is out.</p>' in html
    assert '<div style="text-align: center">Thank you for reading.</div>' in html
    assert not re.search(r"</?(Listing|Tabs|TabItem|Callout|center)\b", html, re.IGNORECASE)


# --- every edition ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The fixture project built to every edition and format with the pseudo engine,
    and the warnings of the build."""
    project = tmp_path_factory.mktemp("rawhtml") / "project"
    shutil.copytree(FIXTURE, project)
    messages: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
            build(load_config(project), engine="pseudo")
    finally:
        logging.getLogger().removeHandler(handler)
    return project, "\n".join(messages)


def test_build_warns_once_per_picture_and_element_naming_file_and_line(
    built: tuple[Path, str],
) -> None:
    _, err = built
    lines = err.splitlines()
    expected = [
        "content/en/fastran/README.md:10: image https://img.shields.io/github/actions",
        "content/en/fastran/README.md:11: image https://img.shields.io/badge/licence-MIT",
        "content/en/fastran/README.md:35: image docs/architecture.png is not there",
        "content/en/fastran/README.md:39: <iframe> cannot be shown",
        "content/en/fastran/README.md:41: <video> cannot be shown",
        "content/en/fastran/README.md:43: <button> cannot be shown",
        "content/en/fastran/README.md:45: <form> cannot be shown",
        "content/en/fastran/README.md:45: <input> cannot be shown",
        "content/en/fastran/README.md:47: <script> cannot be shown",
    ]
    for start in expected:
        assert sum(line.startswith(start) for line in lines) == 1, (start, err)
    assert "refused to fetch" not in err and "pointer.png" not in err


@pytest.mark.parametrize("edition", ["en", "es", "en-es"])
@pytest.mark.parametrize("book", ["fastran", "guide"])
def test_html_editions_are_self_contained(built: tuple[Path, str], edition: str, book: str) -> None:
    project, _ = built
    page = (project / "output" / edition / f"{book}.html").read_text(encoding="utf-8")
    root = lxml.html.fromstring(page)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in ("src", "srcset", "data", "poster", "href"):
            value = element.get(name)
            if value is None or (name == "href" and element.tag == "a"):
                continue
            assert value.startswith(("data:", "#")), (element.tag, name, value[:80])
        assert element.tag not in {"iframe", "video", "button", "form", "input", "script"} or (
            element.tag == "script" and not element.text  # the edition's own scripts only
        )
    assert page.count('<img src="data:') >= (2 if book == "fastran" else 1)


def test_spanish_html_translates_text_inside_html_blocks_with_the_tags_kept(
    built: tuple[Path, str],
) -> None:
    project, _ = built
    spanish = (project / "output" / "es" / "fastran.html").read_text(encoding="utf-8")
    marked = '<span class="unreviewed" data-state="machine">{}</span>'
    assert (
        '<p style="text-align: center">' + marked.format(pseudo("A fast offline translator"))
    ) in spanish
    assert "<summary>" + marked.format(pseudo("Show the answer")) + "</summary>" in spanish
    assert '<div class="note">' + marked.format(pseudo("Keep your dictionaries up to date."))
    assert "A fast offline translator" not in spanish
    assert f'alt="{pseudo("Fastran logo")}"' in spanish and 'alt="Fastran logo"' not in spanish
    po = (project / "content" / "es" / "fastran.po").read_text(encoding="utf-8")
    assert "#. alt-text\n#. pipeline: mt pseudo" in po and 'msgid "Fastran logo"' in po
    english = (project / "output" / "en" / "fastran.html").read_text(encoding="utf-8")
    assert '<p style="text-align: center">A fast offline translator</p>' in english
    assert "<summary>Show the answer</summary>" in english


def test_pdf_editions_leave_out_what_a_page_cannot_show(built: tuple[Path, str]) -> None:
    project, _ = built
    for edition in ("en", "es", "en-es"):
        pdf = project / "output" / edition / "fastran.pdf"
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Copy to clipboard" not in text and "analytics" not in text
        # A missing picture's description, and remote badges' (a bilingual edition
        # shows a block of pictures only once, as the source gives it).
        words = pseudo if edition == "es" else str
        assert words("Architecture diagram") in text
        assert words("build status") in text and words("MIT licence") in text
        answer = "network" if edition != "es" else "ñétwörk"
        assert answer in text  # the answer inside <details>, shown open
        images = subprocess.run(
            ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        assert len(images) >= 2, images  # the logo and the screenshot


def test_epub_editions_pass_epubcheck_and_carry_a_clean_svg(built: tuple[Path, str]) -> None:
    project, _ = built
    books = [
        project / "output" / e / f"{b}.epub"
        for e in ("es", "en-es")
        for b in ("fastran", "guide", "sextant")
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(epubcheck, books))
    for book, result in zip(books, results, strict=True):
        assert "0 fatals / 0 errors / 0 warnings" in result.stdout + result.stderr, (
            book,
            result.stdout[-3000:],
            result.stderr[-3000:],
        )
    with zipfile.ZipFile(project / "output" / "es" / "guide.epub") as epub:
        svgs = [n for n in epub.namelist() if n.endswith(".svg")]
        assert len(svgs) == 1
        svg = epub.read(svgs[0]).decode()
        assert "<!DOCTYPE" not in svg and "pointer.png" not in svg
        section = "".join(epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml"))
    assert '<div class="listing" data-number="1-1" data-file-name="main.rs"' in section
    label = pseudo("Windows")
    assert (
        f'<div class="tab-item admonition tabbed" data-value="win" data-label="{label}">'
        f'<p class="admonition-title">{label}</p>'
    ) in section
    assert not re.search(r"<(listing|tabs|tabitem|callout|center)\b", section, re.IGNORECASE)
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML"><mi>π</mi>' in section


def test_obsolete_attributes_become_styles_and_scripts_go(built: tuple[Path, str]) -> None:
    project, _ = built
    page = (project / "output" / "en" / "sextant.html").read_text(encoding="utf-8")
    root = lxml.html.fromstring(page)
    [table] = root.iter("table")
    assert table.get("style") == "width: 100%; border-spacing: 0px"
    assert not {"width", "cellpadding", "cellspacing", "border"} & set(table.attrib)
    first, second = table.iter("td")
    assert first.get("style") == "vertical-align: top; width: 120px; white-space: nowrap"
    assert second.get("style") == "vertical-align: top; background-color: #f6f8fa"
    [logo] = [img for img in root.iter("img") if img.get("alt") == "Sextant logo"]
    assert logo.get("width") == "100" and "hspace" not in logo.attrib  # a picture keeps its size
    assert "onclick" not in page and "copyToClipboard" not in page


def test_html_ids_are_given_once_in_every_edition_and_column(built: tuple[Path, str]) -> None:
    project, err = built
    assert sum("sextant.md:17: <p> cannot be shown" in line for line in err.splitlines()) == 1
    assert 'its id "note" is given twice' in err
    for edition in ("en", "es", "en-es"):
        root = lxml.html.fromstring((project / "output" / edition / "sextant.html").read_bytes())
        ids = [element.get("id") for element in root.iter() if element.get("id")]
        assert len(ids) == len(set(ids)), (edition, sorted(i for i in ids if ids.count(i) > 1))
    root = lxml.html.fromstring((project / "output" / "en-es" / "sextant.html").read_bytes())
    # The translation column's copy of the HTML has ids of its own, and its links go there.
    translation_ids = {e.get("id") for e in root.iter() if e.get("id", "").endswith("-es")}
    assert {"install-es", "note-es"} <= translation_ids
    # The anchor alone in its paragraph is a row shown once, across both columns:
    # both columns' links go to it.
    assert {a.get("name") for a in root.iter("a") if a.get("name")} == {"top"}
    links = [a.get("href") for a in root.iter("a") if a.get("href", "").startswith("#")]
    assert links.count("#top") == 2 and {"#note", "#note-es"} <= set(links)
    # Every link of every edition leads somewhere.
    for edition in ("en", "es", "en-es"):
        root = lxml.html.fromstring((project / "output" / edition / "sextant.html").read_bytes())
        targets = {e.get("id") for e in root.iter()} | {a.get("name") for a in root.iter("a")}
        for a in root.iter("a"):
            href = a.get("href") or ""
            assert not href.startswith("#") or href[1:] in targets, (edition, href)


HTML_BLOCKS = [
    '<p align="center">\n  <b>Fastran</b> &mdash; a fast, offline translator&nbsp;for\n  '
    "<em>your</em> documents.<br>\n  Made with &#10084; by AT&T fans\n</p>",
    "<div>\nStars *like these*, _these_, `ticks`, [brackets](x) and a \\ backslash.  \n"
    "Trailing spaces before this line.\n</div>",
    '<table>\n  <tr>\n    <td><a href="https://example.com/a?b=1&c=2" title="a > b">Download</a>'
    '</td>\n    <td>Version <code>1.2.3</code> for <abbr title="x86 &amp; ARM">all</abbr>'
    " systems</td>\n  </tr>\n</table>",
    "- <div>\n  Inside a list item, <kbd>Ctrl</kbd>+<kbd>K</kbd>\n  </div>\n\n"
    "> <p>Quoted <sup>[1]</sup> words</p>",
    '<p>Logo <img src="logo.png" alt="the logo"> and text <span class="x">in <i>nested'
    "</i> spans</span>.</p>",
    "<p>An unclosed <b>bold run</p>\n\n<p>A stray </i> end tag</p>\n\n<p>Fine words</p>",
]


@pytest.mark.parametrize("markdown", HTML_BLOCKS)
def test_html_text_survives_an_identity_round_trip(markdown: str) -> None:
    from pipeline.mt.pseudo import IdentityEngine
    from pipeline.source import apply
    from pipeline.source.inline import decode, encode
    from pipeline.source.markdown import md

    doc = parse_document(markdown)
    assert doc.segments
    encoded = [encode(seg.source, doc.env) for seg in doc.segments]
    outputs = IdentityEngine().translate([e.tagged for e in encoded], "en", "es")
    texts = {}
    for seg, enc, output in zip(doc.segments, encoded, outputs, strict=True):
        text, problems = decode(output, enc, doc.env, block_start=False)
        assert problems == []
        texts[seg.id] = text
    assert apply.translated_tokens(doc, texts).render() == md().render(markdown)
    # Shown as a browser shows the HTML: no Markdown read inside it.
    rendered = md().render(markdown)
    assert "<strong>" not in rendered and "<em>like" not in rendered
