"""Structure from the document: each book's title and author, front matter,
``#``-sectioned documents, the title page, the opening section, chapter files.

The books are in ``tests/fixtures/structure/``, written the way real projects
write them: a Zola post (TOML front matter, ``#`` sections), a Jekyll post
(YAML front matter, ``##`` sections), a GitHub README (badges under the
title), release notes without any heading, and a folder of mdBook-style
chapter files. They are built once, as one project of several books, to every
edition and format, and read the way a reader would.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from helpers import assert_one_line_error, make_project, run

from pipeline.source.markdown import md, parse_document

FIXTURES = Path(__file__).parent / "fixtures" / "structure"

CHAPTERS = ["foreword.md", "ch01-getting-started.md", "ch02-guessing-game.md", "appendix.md"]

PROJECT_TOML = f"""\
[book]
title = "Tidepool Project Notes"
author = "Docs Team"

[books.rust-like]
title = "The Little Systems Book"
author = "Ana Ortiz and Ben Wu"
chapters = [{", ".join(f'"{name}"' for name in CHAPTERS)}]

[languages]
source = "en"
targets = ["es"]

[editions]
formats = ["html", "pdf", "epub"]

[translate]
engine = "pseudo"
"""

_PSEUDO = str.maketrans("aeiouycnAEIOUYCN", "áéíöüýçñÁÉÍÖÜÝÇÑ")


def pseudo(text: str) -> str:
    """What the pseudo engine makes of a text (without its ``[!! !!]`` marks)."""
    return text.translate(_PSEUDO)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("structure")
    source = root / "content" / "en"
    shutil.copytree(FIXTURES, source)
    (root / "pipeline.toml").write_text(PROJECT_TOML, encoding="utf-8")
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    # Every edition in HTML; the PDFs and EPUBs the tests read (they take seconds each).
    for args in (
        ["build", "-f", "html"],
        ["render", "-f", "pdf", "-f", "epub", "-l", "en"],
        ["render", "-f", "pdf", "-l", "es", "-b", "zola-post", "-b", "rust-like"],
    ):
        result = run(*args, "-q", project=root, env=env)
        assert result.code == 0, result
    return root / "output"


def html(out: Path, edition: str, book: str) -> str:
    return (out / edition / f"{book}.html").read_text(encoding="utf-8")


def title_page(page: str) -> str:
    return page[page.index('<header class="title-page">') : page.index("</header>")]


def main(page: str) -> str:
    return page[page.index("<main>") : page.index("</main>")]


def toc(page: str) -> list[tuple[int, str]]:
    """(level, text) of each entry of the table of contents."""
    nav = page[page.index('<nav class="toc"') : page.index("</nav>")]
    return [
        (int(level), re.sub(r"<[^>]+>", "", text).strip())
        for level, text in re.findall(r'<li class="toc-level-(\d)"><a [^>]*>(.*?)</a>', nav)
    ]


def pdf_info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in out.stdout.splitlines())
    }


def pdf_pages(pdf: Path) -> list[str]:
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return out.stdout.split("\f")


def first_line(page: str) -> str:
    return next((line.strip() for line in page.splitlines() if line.strip()), "")


def epub_file(epub: Path, name: str) -> str:
    with zipfile.ZipFile(epub) as z:
        return z.read(f"OEBPS/{name}").decode("utf-8")


# --------------------------------------------------------------------------- front matter


def test_toml_front_matter_is_read_and_only_its_title_and_description_are_segments() -> None:
    doc = parse_document((FIXTURES / "zola-post.md").read_text(), "zola-post.md")
    assert doc.meta == {
        "title": "Shipping a Static Site Without Tears",
        "author": "Marta Quintero, Lev Adler",
        "date": "2024-03-18",
        "description": "What we learned moving our documentation to a static site generator.",
    }
    assert doc.tokens[0].type == "front_matter"
    title, description, first = doc.segments[:3]
    assert (title.kind, title.source, title.line) == (
        "title",
        "Shipping a Static Site Without Tears",
        2,
    )
    assert (description.kind, description.line) == ("description", 3)
    assert description.source == doc.meta["description"]
    assert first.source.startswith("Last spring we moved")
    assert not any(
        "+++" in s.source or "taxonomies" in s.source or "Marta" in s.source for s in doc.segments
    )
    assert "Shipping" not in md().render(doc.text)  # the title pages show it, not the body


def test_yaml_front_matter_is_read() -> None:
    doc = parse_document((FIXTURES / "jekyll-post.md").read_text(), "jekyll-post.md")
    assert doc.meta["title"] == "A Week With a Mechanical Keyboard"
    assert doc.meta["author"] == "Priya Raman"
    assert doc.meta["description"] == "Notes from a week of typing on tactile switches."
    assert doc.meta["date"].startswith("2023-11-02")


def test_a_plus_line_later_in_the_document_is_text() -> None:
    doc = parse_document("Intro words.\n\n+++\ntitle = 'x'\n+++\n")
    assert doc.meta == {}
    assert [s.source for s in doc.segments] == ["Intro words.", "+++\ntitle = 'x'\n+++"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('+++\ntitle = "Post"\ndate = 2024-13-45\n+++\n\nBody.\n', 3, "not valid TOML"),
        ("+++\ntitle = 'Never closed'\n\nBody.\n", 1, "TOML front matter is never closed"),
        ("---\ntitle: Post\nauthor: [Ann, Bob\n---\n\nBody.\n", 3, "not valid YAML"),
        ("---\ntitle:\n  first: nested\n---\n\nBody.\n", 1, "front matter 'title' is not text"),
    ],
    ids=["bad toml", "unclosed toml", "bad yaml", "title not text"],
)
def test_bad_front_matter_is_one_line_error_with_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    project = make_project(tmp_path, {"post": text})
    result = run("build", project=project)
    assert_one_line_error(result, f"content/en/post.md:{line}: ", message)


# --------------------------------------------------------------------------- titles and authors


@pytest.mark.parametrize(
    ("book", "title", "author"),
    [
        ("zola-post", "Shipping a Static Site Without Tears", "Marta Quintero, Lev Adler"),
        ("jekyll-post", "A Week With a Mechanical Keyboard", "Priya Raman"),
        ("readme", "tidepool", "Docs Team"),
        ("release-notes", "Release notes", "Docs Team"),
        ("rust-like", "The Little Systems Book", "Ana Ortiz and Ben Wu"),
    ],
)
def test_each_book_has_its_own_title_and_author_in_every_format(
    built: Path, book: str, title: str, author: str
) -> None:
    page = html(built, "en", book)
    assert f"<title>{title}</title>" in page
    assert f'<meta name="author" content="{author}">' in page
    info = pdf_info(built / "en" / f"{book}.pdf")
    assert (info["Title"], info["Author"]) == (title, author)
    opf = epub_file(built / "en" / f"{book}.epub", "content.opf")
    assert f"<dc:title>{title}</dc:title>" in opf
    assert f"<dc:creator>{author}</dc:creator>" in opf
    # The colophon names this book, never the project's [book] title.
    colophon = page[page.index('<footer class="colophon"') :]
    assert title in colophon and "Tidepool Project Notes" not in colophon


def test_every_edition_has_a_title_page_with_its_title(built: Path) -> None:
    for edition in ("en", "es", "en-es"):
        for book in ("zola-post", "release-notes", "rust-like"):
            header = title_page(html(built, edition, book))
            assert re.search(r"<h1[^>]*>[^<]+</h1>", header), (edition, book)
    assert "<h1>Release notes</h1>" in title_page(html(built, "es", "release-notes"))
    assert "<title>Release notes</title>" in html(built, "en-es", "release-notes")


def test_a_title_from_the_heading_or_the_front_matter_is_translated(built: Path) -> None:
    assert f"<title>[!! {pseudo('tidepool')} !!]</title>" in html(built, "es", "readme")
    # A title from the front matter is a segment too: each edition is titled in
    # its language, on its title page and in its metadata.
    title = "Shipping a Static Site Without Tears"
    spanish = f"[!! {pseudo(title)} !!]"
    page = html(built, "es", "zola-post")
    assert f"<title>{spanish}</title>" in page
    # On a draft's title page, marked unreviewed as the body's blocks are.
    assert f'<h1 class="unreviewed" data-state="machine">{spanish}</h1>' in title_page(page)
    assert title not in page[page.index("<main") : page.index("</main>")]  # nor in the body
    assert f"<title>{title}</title>" in html(built, "en", "zola-post")
    bilingual = html(built, "en-es", "zola-post")
    assert f"<h1>{title}</h1>" in bilingual
    assert f'<h1 class="unreviewed" data-state="machine">{spanish}</h1>' in bilingual
    assert pdf_info(built / "es" / "zola-post.pdf")["Title"] == spanish


def test_books_table_wins_over_front_matter_and_heading(tmp_path: Path) -> None:
    post = (FIXTURES / "zola-post.md").read_text()
    project = make_project(tmp_path, {"post": post, "readme": "# tidepool\n\nText.\n"})
    with (project / "pipeline.toml").open("a") as toml:
        toml.write('\n[books.post]\ntitle = "Static Sites"\n\n[books.readme]\nauthor = "Kai"\n')
    assert run("build", "-q", project=project).code == 0
    page = (project / "output" / "es" / "post.html").read_text()
    assert "<title>Static Sites</title>" in page
    assert "<h1>Static Sites</h1>" in title_page(page) and "Shipping" not in page
    assert '<meta name="author" content="Marta Quintero, Lev Adler">' in page
    page = (project / "output" / "en" / "readme.html").read_text()
    assert "<title>tidepool</title>" in page and '<meta name="author" content="Kai">' in page


def test_title_and_description_in_a_target_language_come_from_its_own_table(tmp_path: Path) -> None:
    # A Zola post titled in its front matter, a README titled by its heading.
    post = (FIXTURES / "zola-post.md").read_text()
    project = make_project(
        tmp_path, {"post": post, "readme": "# tidepool\n\nText.\n"}, formats=("html", "epub")
    )
    with (project / "pipeline.toml").open("a") as toml:
        toml.write(
            '\n[books.post.es]\ntitle = "Publicar un sitio estático sin lágrimas"\n'
            'description = "Lo que aprendimos al pasar la documentación a un sitio estático."\n'
            '\n[books.readme.es]\ntitle = "Charca de marea"\n'
        )
    assert run("build", "-q", project=project).code == 0
    out = project / "output"
    spanish, english = (
        "Publicar un sitio estático sin lágrimas",
        "Shipping a Static Site Without Tears",
    )
    page = html(out, "es", "post")
    assert f"<title>{spanish}</title>" in page and f"<h1>{spanish}</h1>" in title_page(page)
    # The colophon still names the book it is a translation of.
    assert english in page[page.index('<footer class="colophon"') :]
    assert f"<dc:title>{spanish}</dc:title>" in epub_file(out / "es" / "post.epub", "content.opf")
    assert f"<title>{english}</title>" in html(out, "en", "post")
    about = "Lo que aprendimos al pasar la documentación a un sitio estático."
    assert f'<meta name="description" content="{about}">' in page
    assert f"<dc:description>{about}</dc:description>" in epub_file(
        out / "es" / "post.epub", "content.opf"
    )
    assert "What we learned moving" in html(out, "en", "post")
    # The bilingual edition: the source's title, then the translation's.
    header = title_page(html(out, "en-es", "post"))
    assert english in header and spanish in header
    assert header.index(english) < header.index(spanish)
    # Over the translation of the title heading, too (the title page shows the
    # heading itself, a segment reviewed with the rest, as in the source edition).
    page = html(out, "es", "readme")
    assert "<title>Charca de marea</title>" in page
    assert f'id="tidepool">[!! {pseudo("tidepool")} !!]</h1>' in title_page(page)
    assert "<title>tidepool</title>" in html(out, "en", "readme")


def test_one_book_project_gives_the_translated_title_in_the_book_table(tmp_path: Path) -> None:
    text = (FIXTURES / "release-notes.md").read_text()
    project = make_project(tmp_path, {"notes": text}, title="Importer 2.0 Release Notes")
    with (project / "pipeline.toml").open("a") as toml:
        toml.write('\n[book.es]\ntitle = "Notas de la versión 2.0 del importador"\n')
    assert run("build", "-q", project=project).code == 0
    page = (project / "output" / "es" / "notes.html").read_text()
    assert "<title>Notas de la versión 2.0 del importador</title>" in page
    page = (project / "output" / "en" / "notes.html").read_text()
    assert "<title>Importer 2.0 Release Notes</title>" in page


def test_book_lang_table_of_a_project_of_several_books_is_reported_unused(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    text = (FIXTURES / "release-notes.md").read_text()
    project = make_project(tmp_path, {"notes": text, "other": "# Other\n\nWords.\n"})
    with (project / "pipeline.toml").open("a") as toml:
        toml.write('\n[book.es]\ntitle = "Notas de la versión 2.0 del importador"\n')
    result = run("build", "-f", "html", project=project)
    assert result.code == 0
    warning = (
        "pipeline.toml: [book.es] not used: the project has several books "
        "(give each its own [books.<id>.<lang>])"
    )
    assert (result.err + capfd.readouterr().err).count(warning) == 1
    page = (project / "output" / "es" / "notes.html").read_text()
    assert "Notas de la versión" not in page


def test_one_book_project_titles_a_headingless_document_from_the_config(tmp_path: Path) -> None:
    text = (FIXTURES / "release-notes.md").read_text()
    project = make_project(tmp_path, {"notes": text}, title="Importer 2.0 Release Notes")
    assert run("build", "-q", project=project).code == 0
    page = (project / "output" / "en" / "notes.html").read_text()
    assert "<title>Importer 2.0 Release Notes</title>" in page
    assert "<h1>Importer 2.0 Release Notes</h1>" in title_page(page)


def test_a_readme_titled_in_raw_html_gives_the_book_its_title(tmp_path: Path) -> None:
    """GitHub READMEs often centre their title: ``<h1 align="center">``, or a
    logo as the title with its name in ``alt``."""
    quarry = (
        '<p align="center">\n  <img src="https://example.org/logo.svg" alt="" width="96">\n</p>\n\n'
        '<h1 align="center">quarry &amp; <code>qr</code></h1>\n\n'
        '<p align="center">Cut tables out of <em>any</em> CSV.</p>\n\n'
        "## Install\n\nRun `pip install quarry`.\n\n## Usage\n\nRun `qr cut`.\n"
    )
    mason = (
        '<h1 align="center">\n  <img src="https://example.org/mason.png" alt="Mason">\n</h1>\n\n'
        "Builds walls.\n\n## Install\n\nRun it.\n"
    )
    project = make_project(tmp_path, {"quarry": quarry, "mason": mason})
    assert run("build", "-q", project=project).code == 0
    for edition in ("en", "es", "en-es"):
        page = (project / "output" / edition / "quarry.html").read_text()
        assert "<title>quarry &amp; qr</title>" in page, edition
        assert "<h1>quarry &amp; qr</h1>" in title_page(page)
        page = (project / "output" / edition / "mason.html").read_text()
        assert "<title>Mason</title>" in page, edition


def test_a_picture_folder_does_not_make_a_one_book_project_a_project_of_books(
    tmp_path: Path,
) -> None:
    text = (FIXTURES / "release-notes.md").read_text()
    project = make_project(tmp_path, {"notes": text}, title="Importer 2.0 Release Notes")
    (project / "content" / "en" / "img").mkdir()
    (project / "content" / "en" / "img" / "chart.svg").write_text("<svg/>")
    assert run("build", "-q", project=project).code == 0
    page = (project / "output" / "en" / "notes.html").read_text()
    assert "<title>Importer 2.0 Release Notes</title>" in page


# --------------------------------------------------------------------------- the title page


def test_title_page_holds_title_and_byline_only(built: Path) -> None:
    header = title_page(html(built, "en", "zola-post"))
    assert "<h1>Shipping a Static Site Without Tears</h1>" in header
    assert '<p class="byline">Marta Quintero, Lev Adler</p>' in header
    assert "<pre" not in header and "Last spring" not in header
    assert "+++" not in html(built, "en", "zola-post")


def test_readme_badges_and_contents_list_are_not_title_matter(built: Path) -> None:
    page = html(built, "en", "readme")
    header = title_page(page)
    assert re.search(r"<h1[^>]*>tidepool</h1>", header)
    assert "<img" not in header and "<ul>" not in header and "keeps a local mirror" not in header
    # What came before the first chapter opens the body, untitled.
    opening = main(page).split("</section>")[0]
    assert opening.startswith('<main>\n<section class="opening">')
    assert "Build status" in opening and "keeps a local mirror" in opening
    assert [text for _, text in toc(page)] == ["Installation", "Usage", "Licence"]


def test_seed_style_byline_paragraphs_stay_on_the_title_page(tmp_path: Path) -> None:
    text = (
        "# The Harbour Book\n\nBy Jane Doe\n\nIllustrated by Sam Roe\n\n"
        "A first paragraph that is long enough to be the start of the book itself rather "
        "than a byline: it goes on about the harbour, its boats, the people who work there "
        "and the weather that decides their days.\n\n## One\n\nText.\n"
    )
    project = make_project(tmp_path, {"harbour": text})
    assert run("build", "-q", project=project).code == 0
    page = (project / "output" / "en" / "harbour.html").read_text()
    header = title_page(page)
    assert "By Jane Doe" in header and "Illustrated by Sam Roe" in header
    assert "A first paragraph" not in header
    assert "A first paragraph" in main(page).split("</section>")[0]


# --------------------------------------------------------------------------- chapters


def test_hash_sections_are_the_chapters(built: Path) -> None:
    page = html(built, "en", "zola-post")
    assert toc(page) == [
        (2, "Why we moved"),
        (2, "The build"),
        (3, "Previews"),
        (2, "What we would do differently"),
    ]
    assert page.count("<h1") == 1  # the book's title; the sections are chapters (h2)
    assert re.search(r'<h2 id="[^"]+">Why we moved</h2>', page)
    assert re.search(r'<h3 id="[^"]+">Previews</h3>', page)
    assert main(page).count("<section") == 4  # the opening and three chapters


def test_hash_sections_start_pages_in_the_pdf(built: Path) -> None:
    pages = pdf_pages(built / "en" / "zola-post.pdf")
    openings = [first_line(p) for p in pages]
    for chapter in ("Why we moved", "The build", "What we would do differently"):
        assert chapter in openings, (chapter, openings)
    # The untitled opening comes first, on a page of its own.
    assert openings.index("Why we moved") > next(
        n for n, line in enumerate(openings) if line.startswith("Last spring we moved")
    )


def test_hash_sectioned_bilingual_edition_is_side_by_side(built: Path) -> None:
    page = html(built, "en-es", "zola-post")
    body = main(page)
    assert body.count('<div class="row heading"') == 4
    assert body.count('<div class="row paragraph"') == 7
    assert '<div class="row shared" data-row="0">\n\n</div>' not in body  # no front matter
    # The chapter's first paragraph and its translation share a row.
    row = body[body.index("The old site ran on") :]
    row = row[: row.index('<div class="row')]
    assert pseudo("The old site ran on") in row
    # In the PDF the English and the Spanish of a chapter are on the same page.
    pages = pdf_pages(built / "en-es" / "zola-post.pdf")
    [opening] = [p for p in pages if "Why we moved" in first_line(p)]
    assert pseudo("Why we moved") in opening
    assert "A static site is a folder" in opening and pseudo("A static site is") in opening


def test_chapter_files_are_chapters(built: Path) -> None:
    page = html(built, "en", "rust-like")
    header = title_page(page)
    assert "<h1>The Little Systems Book</h1>" in header
    assert "Foreword" not in header and "A good programming book" not in header
    titles = ["Foreword", "Getting Started", "Programming a Guessing Game", "Appendix: Keywords"]
    assert [text for level, text in toc(page) if level == 2] == titles
    assert (3, "Installation") in toc(page)
    assert "opens-right" in page


def test_chapter_files_start_on_right_hand_pages(built: Path) -> None:
    for edition in ("en", "es"):
        pages = pdf_pages(built / edition / "rust-like.pdf")
        titles = [
            "Foreword",
            "Getting Started",
            "Programming a Guessing Game",
            "Appendix: Keywords",
        ]
        if edition == "es":
            titles = [pseudo(t) for t in titles]
        for title in titles:
            numbers = [n for n, p in enumerate(pages, start=1) if title in first_line(p)]
            assert numbers, (edition, title)
            assert numbers[0] % 2 == 1, (edition, title, numbers)


def test_epub_nav_lists_the_chapters(built: Path) -> None:
    nav = epub_file(built / "en" / "rust-like.epub", "nav.xhtml")
    for title in ("Foreword", "Getting Started", "Programming a Guessing Game"):
        assert f">{title}</a>" in nav
    nav = epub_file(built / "en" / "zola-post.epub", "nav.xhtml")
    assert ">Why we moved</a>" in nav and ">What we would do differently</a>" in nav
    opening = epub_file(built / "en" / "zola-post.epub", "section-1.xhtml")
    assert "Last spring we moved" in opening and "aria-labelledby" not in opening


def epubcheck_errors(epub: Path) -> str:
    done = subprocess.run(
        ["java", "-jar", "/usr/share/java/epubcheck.jar", str(epub)],
        capture_output=True,
        text=True,
        check=False,
    )
    return "\n".join(
        line
        for line in done.stdout.splitlines() + done.stderr.splitlines()
        if line.startswith(("ERROR", "FATAL"))
    )


@pytest.mark.parametrize("book", ["zola-post", "rust-like", "release-notes"])
def test_epubs_of_every_layout_pass_epubcheck(built: Path, book: str) -> None:
    assert epubcheck_errors(built / "en" / f"{book}.epub") == ""


# --------------------------------------------------------------- the title page, block by block

NOT_TITLE_MATTER = {
    "code": "```sh\nmake install\n```",
    "list": "- one point\n- another point",
    "table": "| Key | Value |\n|-----|-------|\n| a | b |",
    "badges": "[![CI](https://ci.example.org/b.svg)](https://ci.example.org) ![Docs](d.svg)",
    "link menu": "[Docs](https://example.org/docs) | [Blog](https://example.org/blog)",
    "html block": '<p align="center">\n<img src="logo.png" alt="Logo">\n</p>',
    "picture": "![The harbour at dawn](harbour.jpg)",
    "quote": "> A harbour is a place to wait.",
    "inline code": "Run `make` first.",
}


@pytest.mark.parametrize("block", NOT_TITLE_MATTER.values(), ids=NOT_TITLE_MATTER.keys())
def test_title_page_never_takes_a_block_that_is_not_title_matter(block: str) -> None:
    from pipeline.render.edition import assemble, assemble_bilingual

    doc = parse_document(f"# The Harbour\n\nBy Jane Doe\n\n{block}\n\n## One\n\nText.\n", "h.md")
    for edition in (
        assemble(doc, lang="en", source_lang="en", title="T", author="Jane Doe"),
        assemble_bilingual(doc, source_lang="en", target_lang="es", title="T", author="A"),
    ):
        assert "The Harbour</h1>" in edition.title_page_html
        assert "By Jane Doe" in edition.title_page_html
        assert not re.search(r"<(pre|ul|table|img|blockquote|code|a)\b", edition.title_page_html)
        opening, chapter = edition.sections
        assert opening.anchor == "" and chapter.anchor == "one"
        body = opening.html + "".join(row.source_html for row in opening.rows)
        assert re.search(r"<(pre|ul|table|img|blockquote|code|a|p)\b", body)


def test_front_matter_description_is_the_editions_description(built: Path) -> None:
    about = "What we learned moving our documentation to a static site generator."
    for edition in ("en", "en-es"):
        assert f'<meta name="description" content="{about}">' in html(built, edition, "zola-post")
    assert pdf_info(built / "en" / "zola-post.pdf")["Subject"] == about
    # A segment of its own: the Spanish edition is described in Spanish.
    spanish = f"[!! {pseudo(about)} !!]"
    page = html(built, "es", "zola-post")
    assert f'<meta name="description" content="{html_lib.escape(spanish)}">' in page
    assert about not in page[page.index("<main") : page.index("</main>")]
    assert pdf_info(built / "es" / "zola-post.pdf")["Subject"] == spanish
    opf = epub_file(built / "en" / "zola-post.epub", "content.opf")
    assert f"<dc:description>{about}</dc:description>" in opf
    # A book that gives none has none.
    assert 'name="description"' not in html(built, "en", "readme")
    assert "Subject" not in pdf_info(built / "en" / "readme.pdf")


def test_logo_before_the_title_opens_the_body() -> None:
    from pipeline.render.edition import assemble

    doc = parse_document(
        '<p align="center">\n  <img src="docs/logo.svg" alt="tidepool logo" width="120">\n</p>\n\n'
        "# tidepool\n\nBy the tidepool authors\n\n## Install\n\nRun the installer.\n",
        "README.md",
    )
    edition = assemble(doc, lang="en", source_lang="en", title="T", author="A")
    assert edition.title == "tidepool"
    assert (
        "<img" not in edition.title_page_html
        and "By the tidepool authors" in edition.title_page_html
    )
    opening, install = edition.sections
    assert install.anchor == "install"
    assert opening.anchor == "" and opening.html.startswith('<p style="text-align: center">')
    assert [e.text for e in edition.toc] == ["Install"]


def test_document_with_only_minor_headings_has_a_title_and_contents() -> None:
    from pipeline.render.edition import assemble

    doc = parse_document("Some words.\n\n### First point\n\nMore.\n\n### Second point\n\nEnd.\n")
    edition = assemble(doc, lang="en", source_lang="en", title="Notes", author="A")
    assert edition.title_page_html == "<h1>Notes</h1>\n"
    assert [(e.level, e.text) for e in edition.toc] == [(3, "First point"), (3, "Second point")]
    [body] = edition.sections
    assert "Some words." in body.html and "Second point" in body.html
