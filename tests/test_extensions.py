"""Markdown extensions as books really use them: attribute lists, admonitions
in three syntaxes, GitHub alerts, MDX, templating, definition and task lists.

The fixtures in ``tests/fixtures/extensions/`` are pages written the way
MkDocs Material, GitHub READMEs, Docusaurus (MDX) and Jekyll users write them.
What a reader must see: no extension syntax in the text of any edition, boxes
with the label of their kind in the edition's language, translated titles and
bodies; what a translator must see: no extension syntax in the catalogue,
templating never sent to the engine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from corpus_checks import epubcheck
from helpers import edition_body, make_project
from lxml import html as lxml_html

from pipeline.build import build
from pipeline.config import load_config
from pipeline.mt.pseudo import IdentityEngine, PseudoEngine
from pipeline.render.edition import assemble, assemble_bilingual
from pipeline.source import apply
from pipeline.source.inline import decode, encode
from pipeline.source.markdown import Document, md, parse_document, segment_id

FIXTURES = Path(__file__).parent / "fixtures" / "extensions"
EPUBCHECK = Path("/usr/share/java/epubcheck.jar")

BOOKS = {
    "mkdocs": "mkdocs-material.md",
    "readme": "github-readme.md",
    "mdx": "docusaurus.mdx",
    "jekyll": "jekyll-post.md",
}
"""Book id → fixture (each is one book of the project built below)."""

MARKERS = re.compile(
    r"\{\s*:?\s*[#.][\w-]|!!!|\?\?\?|///|:::|\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]"
    r"|\{/\*|\*/\}|^import |^export |md-button|width=|===|\*\[",
    re.I | re.M,
)
"""Extension syntax a reader must never see (templating is kept on purpose)."""

SPANISH_LABELS = {
    "note": "Nota",
    "tip": "Consejo",
    "important": "Importante",
    "warning": "Advertencia",
    "caution": "Precaución",
    "danger": "Peligro",
}


def text_of(html: str) -> str:
    """What a reader of an HTML page sees: its text, without style or script."""
    tree = lxml_html.fromstring(html)
    for element in tree.xpath("//style|//script|//head"):
        element.drop_tree()
    return str(tree.text_content())


_HAS = "contains(concat(' ', @class, ' '), ' %s ')"
"""XPath: the element has this class."""


def titles(html: str) -> list[str]:
    """The title of every admonition box, in order."""
    tree = lxml_html.fromstring(html)
    return [
        " ".join(p.text_content().split())
        for p in tree.xpath(f"//div[{_HAS % 'admonition'}]/p[{_HAS % 'admonition-title'}]")
    ]


def doc_of(markdown: str) -> Document:
    return parse_document(markdown, "page.md")


def sources(markdown: str) -> list[str]:
    return [seg.source for seg in doc_of(markdown).segments]


def identity_html(doc: Document) -> str:
    """``doc`` sent through an engine that changes nothing and put back as the
    editions put it back."""
    texts: dict[str, str] = {}
    encoded = [encode(seg.source, doc.env) for seg in doc.segments]
    outputs = IdentityEngine().translate([e.tagged for e in encoded], "en", "es")
    for seg, enc, out in zip(doc.segments, encoded, outputs, strict=True):
        texts[seg.id], problems = decode(out, enc, doc.env)
        assert problems == [], (seg.source, problems)
    return apply.translated_tokens(doc, texts).render()


# --------------------------------------------------------------------------- attribute lists


@pytest.mark.parametrize(
    "heading",
    [
        "## Install it {#install}",
        "## Install it { #install .wide }",
        "## Install it {: #install }",
        "## Install it {:#install .wide}",
        "Install it {#install}\n----------",
    ],
)
def test_heading_attribute_list_is_honoured_and_never_part_of_the_segment(heading: str) -> None:
    doc = doc_of(f"# Guide\n\n{heading}\n\nRun the installer.\n")
    assert [s.source for s in doc.segments] == ["Guide", "Install it", "Run the installer."]
    # The segment is the one the heading has without an attribute list.
    assert doc.segments[1].id == doc_of("## Install it\n").segments[0].id
    opener = doc.tokens[doc.token_index[doc.segments[1].id] - 1]
    assert opener.type == "heading_open" and opener.attrGet("id") == "install"
    rendered = md().render(doc.text)
    assert "{" not in text_of(rendered)
    assert 'id="install"' in rendered


def test_heading_ids_and_classes_reach_the_edition_without_the_braces() -> None:
    doc = doc_of("# Guide\n\n## Install it { #install .wide }\n\nText.\n")
    edition = assemble(doc, lang="es", source_lang="en", title="Guide", author="A")
    assert [entry.text for entry in edition.toc] == ["Install it"]
    body = edition.sections[0].html
    assert 'class="wide"' in body and "{" not in text_of(body)


@pytest.mark.parametrize(
    "heading",
    [
        "## The `{}` operator",
        "## Sets {a, b} and maps",
        "## Title {}",
        "## Emoji {:smile:}",
        "## Liquid {% raw %}",
        "## Ends with a brace }",
    ],
)
def test_headings_without_an_attribute_list_keep_their_segment(heading: str) -> None:
    doc = doc_of(heading + "\n")
    [segment] = doc.segments
    text = heading.removeprefix("## ")
    assert segment.source == text and segment.id == segment_id(text)


def test_paragraph_and_inline_attribute_lists() -> None:
    markdown = (
        "You need a server.\n{: .lead }\n\n"
        "{#intro .note}\nA paragraph with its attributes above it.\n\n"
        "[Download](#get){ .md-button } and ![Screen](screen.png){ width=300 }\n"
    )
    doc = doc_of(markdown)
    assert [s.source for s in doc.segments][:2] == [
        "You need a server.",
        "A paragraph with its attributes above it.",
    ]
    rendered = md().render(markdown)
    assert '<p class="lead">You need a server.</p>' in rendered
    assert '<p id="intro" class="note">' in rendered
    assert '<a href="#get" class="md-button">Download</a>' in rendered
    assert 'width="300"' in rendered
    assert "{" not in text_of(rendered)
    # The element's attribute list travels with it through an engine.
    assert identity_html(doc) == rendered
    encoded = encode(doc.segments[2].source, doc.env)
    assert "md-button" not in encoded.tagged and "width" not in encoded.tagged


def test_kramdown_attribute_lists_after_links_and_pictures() -> None:
    markdown = 'Read [the guide](guide.md){: .button } first.\n\n![Map](map.png){: width="300" }\n'
    doc = doc_of(markdown)
    rendered = md().render(markdown)
    assert '<a href="guide.md" class="button">the guide</a> first.' in rendered
    assert '<img src="map.png" alt="Map" width="300" />' in rendered
    assert "{" not in text_of(rendered)
    assert identity_html(doc) == rendered


def test_an_unreadable_attribute_list_stays_text() -> None:
    rendered = md().render("[Go](#x){: not valid! } and {Note}\n")
    assert "{: not valid! } and {Note}" in rendered


# --------------------------------------------------------------------------- admonitions

ADMONITIONS = {
    "python-markdown": '!!! warning "Mind the gap"\n    Stand behind the line.\n',
    "collapsible": '??? warning "Mind the gap"\n    Stand behind the line.\n',
    "collapsible-open": '???+ warning "Mind the gap"\n    Stand behind the line.\n',
    "pymdownx-blocks": "/// warning | Mind the gap\nStand behind the line.\n///\n",
    "docusaurus": ":::warning[Mind the gap]\nStand behind the line.\n:::\n",
}


@pytest.mark.parametrize("markdown", ADMONITIONS.values(), ids=ADMONITIONS.keys())
def test_admonition_with_a_title_is_a_box_whose_title_is_a_segment(markdown: str) -> None:
    assert sources(markdown) == ["Mind the gap", "Stand behind the line."]
    rendered = md().render(markdown)
    assert rendered.startswith('<div class="admonition warning')
    assert titles(rendered) == ["Mind the gap"]
    assert not MARKERS.search(text_of(rendered))
    doc = doc_of(markdown)
    assert identity_html(doc) == rendered


LABELLED = {
    "python-markdown": "!!! tip\n    Stand behind the line.\n",
    "pymdownx-blocks": "/// tip\nStand behind the line.\n///\n",
    "docusaurus": ":::tip\nStand behind the line.\n:::\n",
    "github": "> [!TIP]\n> Stand behind the line.\n",
}


@pytest.mark.parametrize("markdown", LABELLED.values(), ids=LABELLED.keys())
def test_admonition_without_a_title_gets_the_label_of_its_kind_in_each_language(
    markdown: str,
) -> None:
    doc = doc_of(markdown)
    assert [s.source for s in doc.segments] == ["Stand behind the line."]
    english = assemble(doc, lang="en", source_lang="en", title="T", author="A")
    spanish = assemble(
        doc,
        lang="es",
        source_lang="en",
        title="T",
        author="A",
        texts={doc.segments[0].id: "Quédese detrás de la línea."},
    )
    assert titles(edition_body(english)) == ["Tip"]
    assert titles(edition_body(spanish)) == ["Consejo"]
    assert "Quédese detrás de la línea." in edition_body(spanish)
    assert not MARKERS.search(text_of(edition_body(spanish)))


def test_python_markdown_admonition_with_an_empty_title_has_none() -> None:
    rendered = md().render('!!! note ""\n    Just the body.\n')
    assert titles(rendered) == []
    assert "Just the body." in rendered


def test_pymdownx_admonition_options_are_read_not_shown() -> None:
    markdown = "/// details | Older versions\n    type: warning\n\nRead another folder.\n///\n"
    assert sources(markdown) == ["Older versions", "Read another folder."]
    rendered = md().render(markdown)
    assert 'class="admonition warning details collapsible"' in rendered
    assert "type:" not in rendered


@pytest.mark.parametrize("kind", ["NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION", "note"])
def test_github_alerts_are_boxes_with_the_spanish_label(kind: str) -> None:
    doc = doc_of(f"> [!{kind}]\n> Back up your notes first.\n>\n> Then upgrade.\n")
    assert [s.source for s in doc.segments] == ["Back up your notes first.", "Then upgrade."]
    edition = assemble(doc, lang="es", source_lang="en", title="T", author="A")
    assert titles(edition_body(edition)) == [SPANISH_LABELS[kind.lower()]]
    assert "<blockquote>" not in edition_body(edition)
    assert "[!" not in text_of(edition_body(edition))


def test_github_alert_marker_alone_in_its_paragraph() -> None:
    doc = doc_of("> [!CAUTION]\n>\n> Deleted notes are gone.\n")
    assert [s.source for s in doc.segments] == ["Deleted notes are gone."]
    assert titles(md().render(doc.text)) == ["Caution"]


def test_a_quotation_that_is_no_alert_stays_a_quotation() -> None:
    rendered = md().render("> [!SHRUG]\n> Who knows.\n")
    assert rendered.startswith("<blockquote>") and "[!SHRUG]" in rendered


def test_bilingual_rows_show_each_language_label() -> None:
    doc = doc_of("## Part\n\n> [!WARNING]\n> The folder is emptied.\n")
    edition = assemble_bilingual(
        doc, source_lang="en", target_lang="es", title="T", author="A", texts={}
    )
    [row] = [r for r in edition.sections[0].rows if "admonition" in r.source_html]
    assert titles(row.source_html) == ["Warning"]
    assert row.translation_html is not None and titles(row.translation_html) == ["Advertencia"]


# --------------------------------------------------------------------------- MDX, templating


def test_mdx_comments_imports_and_exports_are_kept_out_of_the_text() -> None:
    markdown = (FIXTURES / "docusaurus.mdx").read_text()
    doc = doc_of(markdown)
    for seg in doc.segments:
        assert not re.search(r"\{/\*|import |export |<Tab", seg.source), seg.source
    rendered = md().render(markdown)
    assert "TODO" not in rendered and "check the exact version" not in rendered
    assert "@theme/Tabs" not in rendered and "minimum" not in rendered
    assert "Open a terminal and run the installer." in rendered  # a component's content
    # The inline comment is no word the engine gets.
    [requirement] = [s for s in doc.segments if s.source.startswith("The toolkit")]
    assert "check" not in encode(requirement.source, doc.env).tagged


def test_an_import_sentence_in_prose_stays_prose() -> None:
    assert sources("We import coffee from Brazil.\n\nimport this, please\n") == [
        "We import coffee from Brazil.",
        "import this, please",
    ]


def test_templating_is_kept_verbatim_and_never_sent_to_the_engine() -> None:
    markdown = (FIXTURES / "jekyll-post.md").read_text()
    doc = doc_of(markdown)
    for seg in doc.segments:
        tagged = encode(seg.source, doc.env).tagged
        assert "{{" not in tagged and "{%" not in tagged and "site" not in tagged, tagged
        assert not seg.source.startswith(("{%", "{{"))
    engine = PseudoEngine()
    texts: dict[str, str] = {}
    for seg in doc.segments:
        enc = encode(seg.source, doc.env)
        [out] = engine.translate([enc.tagged], "en", "es")
        texts[seg.id], _ = decode(out, enc, doc.env)
    rendered = apply.translated_tokens(doc, texts).render()
    assert "{{ site.title }}" in rendered  # not "{{ síté.títlé }}"
    assert "{% post_url 2024-03-01-seeds %}" in rendered
    assert '<p class="template"><code>{% include toc.html %}</code></p>' in rendered
    assert '<code class="language-ruby">def water(plant)\n' in rendered  # highlight: code
    assert "Remember" not in rendered and "comment" not in rendered  # comment: dropped
    assert "highlight" not in rendered


def test_hugo_shortcodes_are_kept_and_its_highlight_is_code() -> None:
    markdown = (
        "Build the site.\n\n"
        '{{< highlight go "linenos=table" >}}\nfunc main() {}\n{{< /highlight >}}\n\n'
        "{{% notice tip %}}\nThe notice body is text.\n{{% /notice %}}\n"
    )
    assert sources(markdown) == ["Build the site.", "The notice body is text."]
    rendered = md().render(markdown)
    assert '<pre><code class="language-go">func main() {}\n</code></pre>' in rendered
    assert "notice tip" not in rendered  # a box: see below


HUGO_BOXES = """# Upgrading

{{% notice tip %}}
Read the *changelog* first.
{{% /notice %}}

{{< alert title="Before you upgrade" color="warning" >}}
Back up your **database**.

- Stop the server.
- Copy the data folder.
{{< /alert >}}

{{% pageinfo %}}
This page is a work in progress.
{{% /pageinfo %}}

{{< admonition tip "Keep the old version" >}}
You can go back at any time.
{{< /admonition >}}

{{< callout type="error" >}}
Version 1 is no longer supported.
{{< /callout >}}

{{< hint danger >}}
Never edit the index by hand.
{{< /hint >}}

{{< notice info >}}
A box never closed stays templating.
"""


def test_hugo_theme_boxes_are_admonitions_with_spanish_labels_and_translated_titles() -> None:
    doc = parse_document(HUGO_BOXES)
    found = [(seg.line, seg.source) for seg in doc.segments]
    assert found == [
        (1, "Upgrading"),
        (4, "Read the *changelog* first."),
        (7, "Before you upgrade"),  # Docsy's title: a segment at its line
        (8, "Back up your **database**."),
        (10, "Stop the server."),
        (11, "Copy the data folder."),
        (15, "This page is a work in progress."),
        (18, "Keep the old version"),
        (19, "You can go back at any time."),
        (23, "Version 1 is no longer supported."),
        (27, "Never edit the index by hand."),
        (31, "A box never closed stays templating."),
    ]
    texts = {seg.id: PseudoEngine().translate([seg.source], "en", "es")[0] for seg in doc.segments}
    spanish = edition_body(
        assemble(doc, lang="es", source_lang="en", title="T", author="A", texts=texts)
    )
    page = lxml_html.fromstring(spanish)
    boxes = [
        (box.get("class"), box.xpath("./p[@class='admonition-title']")[0].text_content())
        for box in page.xpath("//div[@role='note']")
    ]
    pseudo = PseudoEngine().translate(["Before you upgrade", "Keep the old version"], "en", "es")
    assert boxes == [
        ("admonition tip", "Consejo"),
        ("admonition warning", pseudo[0]),
        ("admonition info", "Información"),
        ("admonition tip", pseudo[1]),
        ("admonition error", "Error"),
        ("admonition danger", "Peligro"),
    ]
    assert len(page.xpath("//div[@role='note']//li")) == 2  # Markdown inside a box
    assert "{{< notice info >}}" in text_of(spanish)  # never closed: as written
    assert "/alert" not in spanish and "pageinfo" not in spanish


def test_hugo_boxes_survive_an_identity_round_trip_and_keep_bilingual_rows() -> None:
    doc = parse_document(HUGO_BOXES)
    assert identity_html(doc) == md().render(HUGO_BOXES)
    texts = {seg.id: PseudoEngine().translate([seg.source], "en", "es")[0] for seg in doc.segments}
    both = assemble_bilingual(
        doc, source_lang="en", target_lang="es", title="T", author="A", texts=texts
    )
    rows = [row for section in both.sections for row in section.rows]
    labels = [row.translation_html or "" for row in rows if "admonition-title" in row.source_html]
    assert any("Consejo" in label for label in labels), labels


# --------------------------------------------------------------------------- lists


def test_definition_lists_translate_terms_and_definitions() -> None:
    markdown = "Note\n: A text file written in Markdown.\n\nSite\n: The pages written.\n"
    doc = doc_of(markdown)
    assert [s.source for s in doc.segments] == [
        "Note",
        "A text file written in Markdown.",
        "Site",
        "The pages written.",
    ]
    spanish = assemble(
        doc,
        lang="es",
        source_lang="en",
        title="T",
        author="A",
        texts={doc.segments[0].id: "Nota", doc.segments[1].id: "Un archivo de texto."},
        states={s.id: "machine" for s in doc.segments},
    )
    page = edition_body(spanish)
    assert "<dt" in page and "<dd" in page and "Un archivo de texto." in page
    # Each definition carries its review mark, as list items do.
    assert page.count('data-state="machine"') == 4
    assert identity_html(doc) == md().render(markdown)


def test_task_list_checkboxes_are_kept_and_never_translated() -> None:
    markdown = "- [x] Build the site\n- [ ] Search every note\n- Plain item\n"
    doc = doc_of(markdown)
    assert [s.source for s in doc.segments] == [
        "Build the site",
        "Search every note",
        "Plain item",
    ]
    rendered = md().render(markdown)
    assert rendered.count('class="task-list-item"') == 2
    assert "\u2611 </span>" not in rendered
    assert '<span class="task-box">\u2611</span> Build' in rendered
    assert '<span class="task-box">\u2610</span> Search' in rendered
    assert "[x]" not in rendered and "[ ]" not in rendered
    assert identity_html(doc) == rendered


@pytest.mark.parametrize("name", BOOKS.values())
def test_every_fixture_survives_an_identity_round_trip(name: str) -> None:
    doc = doc_of((FIXTURES / name).read_text())
    assert identity_html(doc) == md().render(doc.text)


# --------------------------------------------------------------------------- built editions


def build_books(root: Path, books: tuple[str, ...], formats: tuple[str, ...]) -> Path:
    texts = {book: (FIXTURES / BOOKS[book]).read_text() for book in books}
    make_project(root, texts, formats=formats)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
        build(load_config(root), engine="pseudo")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four fixture pages built as books into every edition, HTML and EPUB."""
    return build_books(tmp_path_factory.mktemp("extensions"), tuple(BOOKS), ("html", "epub"))


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MkDocs page and the README built into every edition as PDF."""
    return build_books(tmp_path_factory.mktemp("printed"), ("mkdocs", "readme"), ("pdf",))


def page(root: Path, edition: str, book: str) -> str:
    return (root / "output" / edition / f"{book}.html").read_text()


def pdf_text(root: Path, edition: str, book: str) -> str:
    assert shutil.which("pdftotext"), "pdftotext is missing: apt-get install poppler-utils"
    path = root / "output" / edition / f"{book}.pdf"
    result = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
    return result.stdout


@pytest.mark.parametrize("edition", ["en", "es", "en-es"])
@pytest.mark.parametrize("book", BOOKS)
def test_no_extension_syntax_in_any_html_edition(built: Path, book: str, edition: str) -> None:
    text = text_of(page(built, edition, book))
    assert not MARKERS.search(text), MARKERS.search(text)


@pytest.mark.parametrize("edition", ["en", "es", "en-es"])
@pytest.mark.parametrize("book", ["mkdocs", "readme"])
def test_no_extension_syntax_in_any_pdf(printed: Path, book: str, edition: str) -> None:
    text = pdf_text(printed, edition, book)
    assert re.search("Lantern|Láñtérñ|Stop the old|Stöp thé öld", text)  # the body is there
    assert not MARKERS.search(text), MARKERS.search(text)


@pytest.mark.parametrize("book", BOOKS)
def test_catalogue_holds_no_extension_syntax(built: Path, book: str) -> None:
    catalogue = polib.pofile(str(built / "content" / "es" / f"{book}.po"))
    assert len(catalogue) > 3
    for entry in catalogue:
        found = MARKERS.search(entry.msgid)
        # A link's or image's attribute list is part of its markup, like its URL.
        if found and re.search(r"\]\([^)]*\)\{", entry.msgid):
            continue
        assert not found, entry.msgid
        assert not entry.msgid.startswith(("{%", "{{")), entry.msgid


def test_spanish_readme_has_each_alert_as_a_box_with_its_label(built: Path, printed: Path) -> None:
    spanish = page(built, "es", "readme")
    assert titles(spanish) == ["Nota", "Consejo", "Importante", "Advertencia", "Precaución"]
    assert titles(page(built, "en", "readme")) == [
        "Note",
        "Tip",
        "Important",
        "Warning",
        "Caution",
    ]
    tree = lxml_html.fromstring(spanish)
    bodies = tree.xpath(f"//div[{_HAS % 'admonition'}]/p[not({_HAS % 'admonition-title'})]")
    assert bodies and all("[!!" in p.text_content() for p in bodies)  # translated
    pdf = pdf_text(printed, "es", "readme")
    for label in ("Nota", "Consejo", "Importante", "Advertencia", "Precaución", "\u2611"):
        assert label in pdf
    assert "[!SHRUG]" not in pdf and "[!SHRÜG]" in pdf  # a quotation, translated as one
    # The book font's ☑ is an empty glyph: the boxes are set in a font that draws them.
    fonts = subprocess.run(
        ["pdffonts", str(printed / "output" / "es" / "readme.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "DejaVu-Sans" in fonts


def test_spanish_mkdocs_page_translates_titles_and_labels(built: Path) -> None:
    spanish = page(built, "es", "mkdocs")
    found = titles(spanish)
    assert "Advertencia" in found and "Peligro" in found and "Consejo" in found
    explicit = [t for t in found if t.startswith("[!!")]
    # "About the examples", "Keeping the logs", two /// titles and two content tabs
    assert len(explicit) == 6
    assert 'class="md-button md-button--primary"' in spanish
    bilingual = page(built, "en-es", "mkdocs")
    assert "Warning" in titles(bilingual) and "Advertencia" in titles(bilingual)


def test_content_tabs_are_shown_one_after_the_other_under_their_labels(built: Path) -> None:
    for edition, label, window in (
        ("en", "Linux", "Services window"),
        ("es", "[!! Líñüx !!]", "Sérvíçés wíñdöw"),
    ):
        tree = lxml_html.fromstring(page(built, edition, "mkdocs"))
        [linux, windows] = tree.xpath(f"//div[{_HAS % 'tabbed'}]")
        assert linux.xpath(f"string(p[{_HAS % 'admonition-title'}])") == label
        assert "systemctl start lantern" in linux.xpath("string(.//pre)")  # code, not prose
        assert window in windows.text_content()
        assert linux.get("role") is None  # a tab is no note
    catalogue = {e.msgid: e for e in polib.pofile(str(built / "content" / "es" / "mkdocs.po"))}
    assert catalogue["Linux"].occurrences[0][0].endswith("mkdocs.md")
    assert "Windows" in catalogue
    assert "Then check that the service answers." in catalogue  # after the tabs: prose again


def test_keys_emoji_abbreviations_and_snippets_of_pymdownx(built: Path) -> None:
    catalogue = {e.msgid: e for e in polib.pofile(str(built / "content" / "es" / "mkdocs.po"))}
    keys = "Press ++ctrl+alt+del++ to restart the server, or ++page-up++ to scroll the logs."
    assert "++ctrl+alt+del++" in catalogue[keys].msgstr  # the keys are never translated
    assert not [m for m in catalogue if m.startswith("*[") or "Hyper Text" in m]
    assert not [m for m in catalogue if "8<" in m]
    for edition in ("en", "es", "en-es"):
        html = page(built, edition, "mkdocs")
        assert '<kbd class="keys"><kbd>Ctrl</kbd>+<kbd>Alt</kbd>+<kbd>Del</kbd></kbd>' in html
        assert "<kbd>Page Up</kbd>" in html
        assert "\u2705" in html  # :white_check_mark:
        text = text_of(html)
        assert "Hyper Text Markup Language" not in text and "check-circle" not in text
        assert '--8<-- "includes/abbreviations.md"' in text  # shown as written, like templating
        assert "++" not in text and ":white_check_mark:" not in text and ":material" not in text


@pytest.mark.parametrize("book", ["mkdocs", "readme", "jekyll"])
def test_epubs_with_extensions_pass_epubcheck(built: Path, book: str) -> None:
    # The bilingual edition holds the markup of both languages. The MDX page's
    # components (<Tabs>) are custom elements: their markup in an EPUB is the
    # raw-HTML handling's concern, not this one's.
    edition = "en-es"
    java = shutil.which("java")
    assert java and EPUBCHECK.is_file(), "run `bash scripts/setup.sh test` (epubcheck)"
    epub = built / "output" / edition / f"{book}.epub"
    result = subprocess.run(
        [java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(EPUBCHECK), str(epub)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors / 0 warnings" in result.stdout


def test_boxes_and_task_lists_pass_axe_in_light_and_dark_mode(built: Path) -> None:
    from playwright.sync_api import sync_playwright
    from test_a11y import AXE, CHROMIUM, CHROMIUM_ARGS, SETUP

    assert CHROMIUM.is_file() and AXE.is_file(), SETUP
    found: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for scheme in ("light", "dark"):
                tab = browser.new_page(color_scheme=scheme)  # type: ignore[arg-type]
                for edition, book in [("es", "readme"), ("en-es", "readme"), ("es", "mkdocs")]:
                    tab.goto((built / "output" / edition / f"{book}.html").as_uri())
                    tab.add_script_tag(path=str(AXE))
                    violations = tab.evaluate(
                        "async () => (await axe.run(document, {resultTypes: ['violations']}))"
                        ".violations"
                    )
                    found[f"{edition}/{book} ({scheme})"] = [
                        f"{v['impact']}: {v['id']}" for v in violations
                    ]
                tab.close()
        finally:
            browser.close()
    assert not any(found.values()), found


def test_each_edition_of_a_document_gets_tokens_of_its_own() -> None:
    """The document is parsed once for all its editions; each one still gets
    tokens it may change without changing another's (here: the translation,
    a footnote's id prefix)."""
    doc = parse_document("Intro with a note.[^n]\n\n[^n]: The note.\n", "book.md")
    sid = doc.segments[0].id
    first = apply.translated_tokens(doc, {sid: "Introducción con una nota.[^n]"}, doc_id="es")
    second = apply.translated_tokens(doc, {})
    first.tokens[0].attrSet("class", "changed")
    assert second.tokens[0].attrGet("class") is None
    assert "Introducción" in first.render() and "Introducción" not in second.render()
    assert 'id="fn-es-1"' in first.render() and 'id="fn1"' in second.render()
    assert apply.translated_tokens(doc, {}).render() == second.render()


@pytest.mark.parametrize(
    ("markdown", "shown"),
    [
        ("Thanks :+1: and :smile:.", "Thanks 👍 and 😄."),
        ("At 10:30:00, see std::vec::Vec.", "At 10:30:00, see std::vec::Vec."),
        ("Not :notanemoji: here.", "Not :notanemoji: here."),
        ("C++ and i++ + j++ stay text.", "C++ and i++ + j++ stay text."),
        ("Press ++f5++.", 'Press <kbd class="keys"><kbd>F5</kbd></kbd>.'),
        ("In C, ++i++ is undefined.", "In C, ++i++ is undefined."),
        ("See https://x.org/a/:smile:/b.", "See https://x.org/a/:smile:/b."),
    ],
)
def test_shortcodes_and_keys_only_where_they_are_meant(markdown: str, shown: str) -> None:
    assert md().renderInline(markdown) == shown


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        # Emphasis, not an abbreviation; and no definition inside a paragraph.
        ("*[Deprecated]: use `foo` instead.*", "<p><em>[Deprecated]: use <code>foo</code>"),
        ("Some text\n*[HTML]: more words", "<p>Some text\n*[HTML]: more words</p>"),
        # A tab needs its content under it, and never cuts a paragraph.
        ('Prose\n=== "final"\nmore', "<p>Prose\n=== &quot;final&quot;\nmore</p>"),
        ('=== "Empty"\n\nNot indented.', "<p>=== &quot;Empty&quot;</p>\n<p>Not indented.</p>"),
        # Snippets: the block form is kept whole; scissors in prose are prose.
        (
            "--8<--\nfile1.md\nfile2.md\n--8<--\n\nAfter.",
            '<p class="template"><code>--8&lt;--\nfile1.md\nfile2.md\n--8&lt;--</code></p>',
        ),
        ("--8<-- cut here", "<p>--8&lt;-- cut here</p>"),
    ],
)
def test_pymdownx_blocks_only_where_they_are_meant(markdown: str, html: str) -> None:
    assert md().render(markdown).startswith(html)


def test_a_heading_with_emoji_or_keys_keeps_its_github_anchor_and_shows_them() -> None:
    doc = parse_document("# Book\n\n## Intro :tada:\n\n## Use ++ctrl+c++ to copy\n")
    edition = assemble(doc, lang="en", source_lang="en", title="Book", author="A")
    # The anchor GitHub makes of the words as written; the words as shown.
    assert [(e.anchor, e.text) for e in edition.toc] == [
        ("intro-tada", "Intro \U0001f389"),
        ("use-ctrlc-to-copy", "Use Ctrl+C to copy"),
    ]
    titled = parse_document("# Release :rocket: notes\n\nText.\n")
    shown = assemble(titled, lang="en", source_lang="en", title="Book", author="A")
    assert shown.title == "Release \U0001f680 notes"


# --------------------------------------------------------------------------- Hugo figures

HUGO_POST = """+++
title = "A walk to the lighthouse"
date = 2024-05-02
+++

We left the harbour at dawn and followed the coast path north.

{{< figure src="harbour.png" alt="Fishing boats in the harbour" title="The harbour" \
caption="Boats waiting for the *morning* tide" attr="Photo: Ana Ruiz" \
attrlink="https://example.org/ana" >}}

The path climbs through the dunes before it reaches the cliffs.

{{% figure
    src="cliffs.png"
    caption="The cliffs from the \\"old\\" path"
    width="400" class="wide" %}}

{{< figure src="missing-map.png" alt="Map of the coast path" >}}

{{< figure "positional.png" >}}
"""


def test_hugo_figures_are_figures_whose_words_are_segments() -> None:
    doc = parse_document(HUGO_POST)
    found = [(seg.kind, seg.line, seg.source) for seg in doc.segments]
    assert found == [
        ("title", 2, "A walk to the lighthouse"),
        ("paragraph", 6, "We left the harbour at dawn and followed the coast path north."),
        ("alt-text", 8, "Fishing boats in the harbour"),
        ("paragraph", 8, "The harbour"),
        ("paragraph", 8, "Boats waiting for the <em>morning</em> tide"),
        ("paragraph", 8, '<a href="https://example.org/ana">Photo: Ana Ruiz</a>'),
        ("paragraph", 10, "The path climbs through the dunes before it reaches the cliffs."),
        ("paragraph", 12, 'The cliffs from the "old" path'),
        ("alt-text", 17, "Map of the coast path"),
    ]
    html = md().render(HUGO_POST)
    assert (
        '<figure class="wide"><img src="cliffs.png" alt="" width="400"><figcaption>'
        "<p>The cliffs from the &quot;old&quot; path</p></figcaption></figure>"
    ) in html
    # A figure given by position is no figure Hugo knows: templating, as written.
    assert '<p class="template"><code>{{&lt; figure &quot;positional.png&quot; &gt;}}' in html


@pytest.fixture(scope="module")
def hugo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The Hugo post built into every edition (HTML and EPUB), and its warnings."""
    from PIL import Image

    root = tmp_path_factory.mktemp("hugo")
    make_project(root, {"walk": HUGO_POST}, formats=("html", "epub"))
    for name, colour in (("harbour.png", "navy"), ("cliffs.png", "olive")):
        Image.new("RGB", (40, 30), colour).save(root / "content" / "en" / name)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "-C", str(root), "--engine", "pseudo"],
        capture_output=True,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return root, result.stderr


def test_hugo_figures_show_their_pictures_and_translated_captions(
    hugo: tuple[Path, str],
) -> None:
    root, stderr = hugo
    spanish = lxml_html.fromstring(page(root, "es", "walk"))
    figures = spanish.xpath("//figure")
    assert len(figures) == 3
    harbour, cliffs, missing = figures
    (picture,) = harbour.xpath(".//img")
    assert picture.get("src", "").startswith("data:image/png")
    assert (
        picture.get("alt")
        == PseudoEngine().translate(["Fishing boats in the harbour"], "en", "es")[0]
    )
    caption = [p.text_content() for p in harbour.xpath(".//figcaption/p")]
    pseudo = PseudoEngine().translate(
        ["The harbour", "Boats waiting for the morning tide", "Photo: Ana Ruiz"], "en", "es"
    )
    assert [" ".join(c.split()) for c in caption] == pseudo
    assert harbour.xpath(".//p[@class='attribution']//a/@href") == ["https://example.org/ana"]
    assert cliffs.get("class") == "wide" and cliffs.xpath(".//img/@width") == ["400"]
    assert cliffs.xpath(".//img/@alt") == [""]  # its caption describes it
    # A missing picture is described in the edition's language, with a warning.
    assert not missing.xpath(".//img")
    assert PseudoEngine().translate(["Map of the coast path"], "en", "es")[0] in (
        missing.text_content()
    )
    assert "content/en/walk.md:17: image missing-map.png" in stderr
    text = text_of(page(root, "es", "walk"))
    assert "figure src" not in text and "{{% figure" not in text
    assert '{{< figure "positional.png" >}}' in text
    ok, report = epubcheck(root / "output" / "es" / "walk.epub")
    assert ok, report


def test_a_hugo_figure_with_a_caption_is_a_row_of_two_columns(hugo: tuple[Path, str]) -> None:
    root, _ = hugo
    both = lxml_html.fromstring(page(root, "en-es", "walk"))
    captions = [" ".join(p.text_content().split()) for p in both.xpath("//figcaption/p")]
    assert "Boats waiting for the morning tide" in captions
    assert PseudoEngine().translate(["Boats waiting for the morning tide"], "en", "es")[0] in (
        captions
    )


# --------------------------------------------------------------------------- MDX tabs


def test_mdx_tab_items_are_shown_under_their_translated_labels(built: Path) -> None:
    for edition, label in (
        ("en", "Linux"),
        ("es", PseudoEngine().translate(["Linux"], "en", "es")[0]),
    ):
        tree = lxml_html.fromstring(page(built, edition, "mdx"))
        (tab,) = tree.xpath("//div[contains(@class, 'tab-item')]")
        assert "tabbed" in (tab.get("class") or "")  # the box of a content tab
        assert tab.xpath("./p[@class='admonition-title']")[0].text_content() == label
        assert "installer" in tab.text_content() or "íñstállér" in tab.text_content()
    catalogue = polib.pofile(str(built / "content" / "es" / "mdx.po"))
    (entry,) = [e for e in catalogue if e.msgid == "Linux"]
    assert "tab-label" in entry.comment


def test_a_tab_item_without_a_label_is_shown_under_its_value() -> None:
    markdown = '<Tabs>\n<TabItem value="npm">\n\nRun npm install.\n\n</TabItem>\n</Tabs>\n'
    doc = parse_document(markdown)
    assert [seg.source for seg in doc.segments] == ["Run npm install."]  # a value is no words
    body = edition_body(assemble(doc, lang="en", source_lang="en", title="T", author="A"))
    assert '<p class="admonition-title">npm</p>' in body


def test_hugo_box_corner_cases_lose_no_words_and_move_no_ids() -> None:
    # Closed outside the list item it opens in: no box, every word kept.
    listed = "- item\n  {{% notice tip %}}\n  In list\n- item two\n  {{% /notice %}}\n"
    assert sources(listed) == ["item", "In list", "item two"]
    assert "item two" in md().render(listed)
    # A title in escaped quotes is still a segment.
    escaped = '{{< alert title="My \\"tip\\"" >}}\nBody\n{{< /alert >}}\n'
    assert sources(escaped) == ['My "tip"', "Body"]
    # A box's title is numbered after the words read before: no id moves.
    before = parse_document("Body\n\nWarning\n").segments
    boxed = parse_document('{{< alert title="Warning" >}}\nBody\n{{< /alert >}}\n\nWarning\n')
    ids = {(seg.line, seg.source): seg.id for seg in boxed.segments}
    assert ids[(5, "Warning")] == before[1].id and ids[(2, "Body")] == before[0].id
    assert ids[(1, "Warning")] == f"{before[1].id}-2"
    # In a quotation, a figure is one row of a bilingual edition.
    quoted = parse_document('> {{< figure src="a.png" caption="In quote" >}}\n')
    texts = {seg.id: "Entre comillas" for seg in quoted.segments}
    both = assemble_bilingual(
        quoted, source_lang="en", target_lang="es", title="T", author="A", texts=texts
    )
    (row,) = [row for section in both.sections for row in section.rows]
    assert "<figcaption><p>In quote</p></figcaption></figure>" in row.source_html
    assert "<figcaption><p>Entre comillas</p></figcaption></figure>" in (row.translation_html or "")


def test_hugo_ref_and_relref_are_links_and_survive_a_round_trip() -> None:
    markdown = (
        'See [the *install* guide]({{< ref "install.md" >}}) and '
        '[setup]({{% relref "setup#first-run" %}}), or {{< ref "alone.md" >}}.\n'
    )
    html = md().render(markdown)
    assert '<a href="install.md">the <em>install</em> guide</a>' in html
    assert '<a href="setup.md#first-run">setup</a>' in html
    assert "{{&lt; ref &quot;alone.md&quot; &gt;}}" in html  # no link: templating
    doc = parse_document(markdown)
    (seg,) = doc.segments
    assert "ref" not in encode(seg.source, doc.env).tagged  # the shortcode is markup
    assert identity_html(doc) == html


def test_hugo_embeds_are_shown_as_the_address_of_what_they_embed() -> None:
    markdown = (
        "Watch it:\n\n{{< youtube w7Ft2ymGmfc >}}\n\n"
        '{{< youtube id="w7Ft2ymGmfc" autoplay="true" >}}\n\n'
        "{{< gist spf13 7896402 >}}\n\n"
        '{{< x user="SanDiegoZoo" id="1453110110599868418" >}}\n\n'
        "{{< vimeo 146022717 >}}\n\n{{< tweet 1453110110599868418 >}}\n"
    )
    assert sources(markdown) == ["Watch it:"]  # an address is no words
    links = re.findall(r'<p class="embed"><a href="([^"]+)">\1</a></p>', md().render(markdown))
    assert links == [
        "https://www.youtube.com/watch?v=w7Ft2ymGmfc",
        "https://www.youtube.com/watch?v=w7Ft2ymGmfc",
        "https://gist.github.com/spf13/7896402",
        "https://x.com/SanDiegoZoo/status/1453110110599868418",
        "https://vimeo.com/146022717",
    ]
    # A tweet by its id alone has no address to give: templating, as written.
    assert "<code>{{&lt; tweet 1453110110599868418 &gt;}}</code>" in md().render(markdown)


HUGO_TABS = """# Install

{{< tabpane >}}
{{< tab header="Linux" lang="bash" >}}
sudo apt install quarry
{{< /tab >}}
{{% tab header="macOS" %}}
Install it with **Homebrew**.
{{% /tab %}}
{{< /tabpane >}}

{{< tabs "install" >}}
{{< tab "Windows" >}}
Run the installer.
{{< /tab >}}
{{< /tabs >}}

{{< tabs items="JSON, YAML" >}}
{{< tab >}}
Objects in braces.
{{< /tab >}}
  {{< tab >}}**YAML**: indented keys.{{< /tab >}}
{{< /tabs >}}

After the tabs.
"""


def test_hugo_tabs_are_shown_one_after_the_other_under_their_headers() -> None:
    doc = parse_document(HUGO_TABS)
    assert [(seg.line, seg.source) for seg in doc.segments] == [
        (1, "Install"),
        (4, "Linux"),
        (7, "macOS"),
        (8, "Install it with **Homebrew**."),
        (13, "Windows"),
        (14, "Run the installer."),
        (18, "JSON"),
        (20, "Objects in braces."),
        (18, "YAML"),
        (22, "**YAML**: indented keys."),
        (25, "After the tabs."),
    ]
    html = md().render(HUGO_TABS)
    # Docsy: a tab with a language holds code; tabs show no tags of their own.
    assert (
        '<div class="admonition tabbed">\n<p class="admonition-title">Linux</p>\n'
        '<pre><code class="language-bash">sudo apt install quarry\n</code></pre>\n</div>'
    ) in html
    assert '<p class="admonition-title">Windows</p>\n<p>Run the installer.</p>' in html
    # Hextra names its tabs above them (items="…"), and writes a tab on one line.
    assert (
        '<div class="admonition tabbed">\n<p class="admonition-title">JSON</p>\n'
        "<p>Objects in braces.</p>\n</div>"
    ) in html
    assert (
        '<p class="admonition-title">YAML</p>\n<p><strong>YAML</strong>: indented keys.</p>'
    ) in html
    assert "{{" not in html and "tabpane" not in html
    texts = {seg.id: PseudoEngine().translate([seg.source], "en", "es")[0] for seg in doc.segments}
    spanish = edition_body(
        assemble(doc, lang="es", source_lang="en", title="T", author="A", texts=texts)
    )
    tree = lxml_html.fromstring(spanish)
    titles = [p.text_content() for p in tree.xpath("//div[contains(@class, 'tabbed')]/p[1]")]
    assert titles[:3] == PseudoEngine().translate(["Linux", "macOS", "Windows"], "en", "es")
    assert titles[3:5] == PseudoEngine().translate(["JSON", "YAML"], "en", "es")
    assert identity_html(doc) == html


def test_hextra_tab_names_go_by_place_and_stay_in_their_set() -> None:
    """A tab set's names go to its tabs by place (a tab that names itself
    keeps its place), only while the set is open; a one-line tab nests."""
    markdown = """{{< tabs items="A,B" >}}
{{< tab name="X" >}}
First.
{{< /tab >}}
{{< tab >}}Second.{{< /tab >}}
{{< /tabs >}}

{{< tabs items="Outer one,Outer two" >}}
{{< tab >}}
{{< tabs items="Inner one,Inner two" >}}
{{< tab >}}Inner words.{{< /tab >}}
{{< /tabs >}}
{{< /tab >}}
{{< tab >}}Outer words.{{< /tab >}}
{{< /tabs >}}

{{< tabs items="Never,Closed" >}}
{{< tab >}}
Inside.
{{< /tab >}}

{{< tab >}}
Later.
{{< /tab >}}
"""
    doc = parse_document(markdown)
    titles = [
        seg.source
        for seg in doc.segments
        if doc.tokens[doc.token_index[seg.id] - 1].type == "admonition_title_open"
    ]
    assert titles == ["X", "B", "Outer one", "Inner one", "Outer two"]
    html = md().render(markdown)
    assert "{{" not in html.split("Never")[0]  # the closed sets show no templating
    assert "<p>Inner words.</p>" in html and "<p>Outer words.</p>" in html
    assert "Closed" not in titles  # an unclosed set names no tab
    assert identity_html(doc) == html


def test_a_one_line_tab_takes_no_id_a_paragraph_had() -> None:
    text = "Run the installer."
    before = parse_document(f"{text}\n")
    doc = parse_document(
        f'{{{{< tabs items="A,B" >}}}}\n{{{{< tab >}}}}{text}{{{{< /tab >}}}}\n'
        f"{{{{< /tabs >}}}}\n\n{text}\n"
    )
    ids = {seg.line: seg.id for seg in doc.segments if seg.source == text}
    assert ids[5] == before.segments[0].id  # the paragraph keeps its id
    assert ids[2] == f"{before.segments[0].id}-2"
