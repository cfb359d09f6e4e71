"""Every glyph drawn, nothing off the page: a GitHub-README-style document with
emoji, symbols, five scripts and long code, built to every edition.

The fallback fonts (``pipeline/render/glyphs.py``) must draw what Libertine
cannot, be embedded as subsets, and stay out of a book that does not need them;
long code lines and tokens must stay inside the text block, in one-language
and in bilingual (narrow columns) PDFs.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import make_project

from pipeline.build import build
from pipeline.config import load_config
from pipeline.render import glyphs
from pipeline.render.html import stylesheet
from pipeline.render.pdf import render_pdf

FIXTURE = Path(__file__).parent / "fixtures" / "glyphs" / "launchpad-readme.md"
EPOCH = "1700000000"
EDITIONS = ("en", "es", "en-es")
MM = 72 / 25.4
MARGINS = {"en": (21, 17), "es": (21, 17), "en-es": (22, 18)}
"""Right margin of rectos and versos, in mm (print.css; columns.css for en-es)."""

SAMPLES = ("🚀", "✓", "⌘", "สวัสดีครับ", "你好", "こんにちは", "안녕하세요", "नमस्ते", "👩\u200d💻")
FALLBACKS = (
    "Noto-Color-Emoji",
    "Symbola",
    "Noto-Sans-Thai",
    "Noto-Sans-CJK-SC",
    "Noto-Sans-Devanagari",
)

pytestmark = pytest.mark.skipif(
    not shutil.which("pdffonts") or not shutil.which("apertium"),
    reason="needs poppler-utils and apertium (bash scripts/setup.sh test)",
)


def run(*command: str | Path) -> str:
    out = subprocess.run([str(c) for c in command], check=True, capture_output=True).stdout
    return out.decode("utf-8", "replace")


def fonts(pdf: Path) -> list[tuple[str, str, str]]:
    """(name without subset tag, embedded, subset) of every font ``pdffonts`` lists."""
    rows = run("pdffonts", pdf).splitlines()[2:]
    return [(r.split()[0].partition("+")[2], r.split()[-5], r.split()[-4]) for r in rows]


def words_off_the_page(pdf: Path, margins: tuple[int, int]) -> list[tuple[int, str, float]]:
    """Words whose right edge passes the text block (page width less the right margin)."""
    off = []
    pages = run("pdftotext", "-enc", "UTF-8", "-bbox", pdf, "-").split("<page ")[1:]
    for number, page in enumerate(pages, start=1):
        width = float(re.match(r'width="([\d.]+)"', page)[1])  # type: ignore[index]
        limit = width - (margins[0] if number % 2 else margins[1]) * MM
        for match in re.finditer(r'xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', page):
            if float(match[1]) > limit + 0.5:
                off.append((number, match[2], round(float(match[1]) - limit, 1)))
    return off


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The fixture built to every edition in PDF (and EPUB), with the warnings logged."""
    root = make_project(
        tmp_path_factory.mktemp("glyphs"),
        {"launchpad": FIXTURE.read_text(encoding="utf-8")},
        formats=("pdf", "epub"),
        engine="apertium",
    )
    records: list[str] = []

    class Records(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Records(logging.WARNING)
    logging.getLogger("pipeline").addHandler(handler)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
            build(load_config(root))
    finally:
        logging.getLogger("pipeline").removeHandler(handler)
    return root, records


def pdf_of(root: Path, edition: str) -> Path:
    return root / "output" / edition / "launchpad.pdf"


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_glyph_is_drawn_by_an_embedded_subset(
    built: tuple[Path, list[str]], edition: str
) -> None:
    root, _ = built
    pdf = pdf_of(root, edition)
    found = fonts(pdf)
    names = {name.removesuffix("-Bold").removesuffix("-Oblique") for name, _, _ in found}
    assert all(embedded == "yes" and subset == "yes" for _, embedded, subset in found), found
    for family in FALLBACKS:
        assert any(name.startswith(family) for name in names), (family, names)
    # Book fonts and the chosen fallbacks only: no font picked by fontconfig's guess.
    assert all(
        "Libertine" in name or any(name.startswith(f) for f in FALLBACKS) for name in names
    ), names
    text = run("pdftotext", "-enc", "UTF-8", pdf, "-")
    for sample in SAMPLES:
        assert sample in text, sample
    assert "\ufffd" not in text


def test_no_notdef_and_no_missing_font_warnings(built: tuple[Path, list[str]]) -> None:
    _, records = built
    assert not [r for r in records if ".notdef" in r or "no installed font" in r], records


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_word_beyond_the_page_box(built: tuple[Path, list[str]], edition: str) -> None:
    root, _ = built
    pdf = pdf_of(root, edition)
    assert words_off_the_page(pdf, MARGINS[edition]) == []
    if edition == "en-es":
        return  # text extraction mixes the two columns' lines
    text = run("pdftotext", "-enc", "UTF-8", pdf, "-")
    # The long tokens are all there, only broken across lines (pdftotext drops
    # a hyphen that ends a line, so hyphens and continuation marks are left out).
    flat = re.sub(r"[\s\-\u2010\u21aa]+", "", text)
    for token in (
        "only=AbstractSingletonProxyFactoryBeanDefinitionRegistryPostProcessorConfiguration",
        "LAUNCHPAD_S3_SECRET_ACCESS_KEY_FOR_THE_PRODUCTION_ACCOUNT_ONLY",
        "s3://my-very-long-bucket-name-for-production-assets/releases/2026-12-06/",
    ):
        assert token.replace("-", "") in flat, token


def book_page(body: str, lang: str = "es") -> str:
    """A page of the edition's HTML, its stylesheet included."""
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>T</title>'
        f"<style>{stylesheet()}</style></head><body><main><section>{body}</section></main>"
        "</body></html>"
    )


SPANISH = (
    "<h2>Capítulo 1</h2>\n<p>La zona cero \u2014\u2060el primer piloto de 2024\u2060\u2014 del "
    "programa costó 1\u202f234 euros (n.\u00ba 5, #7, 3\u20094 páginas) y se repitió en 2025.</p>\n"
    "<pre><code>pipeline build --lang es # 12 34\n</code></pre>\n"
)


def test_book_without_such_characters_embeds_the_book_fonts_only(tmp_path: Path) -> None:
    """Rayas bound by word joiners, digits, # and thin spaces never pull in a fallback font."""
    path = tmp_path / "plain.pdf"
    path.write_bytes(render_pdf(book_page(SPANISH)))
    names = {name for name, _, _ in fonts(path)}
    assert names and all("Libertine" in name for name in names), names
    assert "—el primer piloto de 2024—" in run("pdftotext", path, "-")


def test_an_emoji_brings_in_the_emoji_font_only_for_itself(tmp_path: Path) -> None:
    path = tmp_path / "emoji.pdf"
    path.write_bytes(render_pdf(book_page(SPANISH.replace("euros", "euros 🎉"))))
    names = {name for name, _, _ in fonts(path)}
    assert "Noto-Color-Emoji" in names
    assert all("Libertine" in name or name == "Noto-Color-Emoji" for name in names), names


def test_a_missing_fallback_font_is_named_with_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(glyphs, "FALLBACK_FONTS", (("No Such Emoji Font", "fonts-no-such-emoji"),))
    (tmp_path / "x.pdf").write_bytes(render_pdf(book_page("<p>Launch 🚀 now.</p>")))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "U+1F680" in w and "apt-get install -y fonts-no-such-emoji" in w for w in warnings
    ), warnings


def test_fallback_spans_leave_markup_alone() -> None:
    html = book_page('<p class="x">Hi 🎉 <a href="#a">ไทย</a> &amp; <code>✓ ok</code></p>')
    out = glyphs.fallback_spans(html)
    assert out.count('<span class="glyph-fallback">') == 3
    assert out.count('<span class="glyph-fallback cjk">') == 0
    stripped = re.sub(r'<span class="glyph-fallback">|</span>', "", out)
    assert stripped.replace(re.search(r"<style>\n\.glyph.*?</style>\n", out, re.S)[0], "") == html  # type: ignore[index]
    assert glyphs.fallback_spans(book_page(SPANISH)) == book_page(SPANISH)


@pytest.mark.parametrize("edition", EDITIONS)
def test_wrapped_code_lines_carry_a_continuation_mark(
    built: tuple[Path, list[str]], edition: str
) -> None:
    root, _ = built
    lines = run("pdftotext", "-enc", "UTF-8", "-layout", pdf_of(root, edition), "-").splitlines()
    marked = [line.strip() for line in lines if "\u21aa" in line]
    assert len(marked) >= 6, marked  # the curl line, the TOML and Python ones
    assert all(line.startswith("\u21aa") or "\u21aa" in line.split("  ")[-1] for line in marked)
    # Every line of a code block that does not start a source line is marked:
    # the continuation of the 200-character curl command starts with the mark.
    text = "\n".join(lines)
    assert re.search(r"\u21aa\s*\S*raw\.githubusercontent|\u21aa\s*\S*install\.sh", text), text


def test_short_code_lines_are_left_alone() -> None:
    from pipeline.render.codewrap import wrap_code

    html = book_page("<pre><code>ls -la\nmake test\n</code></pre>")

    def measure(numbered: str) -> dict[int, int]:
        raise AssertionError("no layout is spent on short lines")

    assert wrap_code(html, measure) == html


def test_code_breaks_at_the_measured_column_with_entities_kept_whole() -> None:
    from pipeline.render.codewrap import MARK, wrap_code

    line = "if a &lt; b &amp;&amp; c: " + "x" * 40
    out = wrap_code(book_page(f"<pre><code>{line}\n</code></pre>"), lambda html: {0: 20})
    code = out[out.index("<code>") + 6 : out.index("</code>")]
    assert code.count(MARK) == 3
    assert "&lt;" in code and "&amp;&amp;" in code
    assert 'data-code-block="0"' in out


# --------------------------------------------------------------------------- EPUB


def test_epub_embeds_the_fallback_fonts_it_needs_as_subsets(built: tuple[Path, list[str]]) -> None:
    import io
    import zipfile

    from fontTools.ttLib import TTFont

    root, _ = built
    package = zipfile.ZipFile(root / "output" / "en-es" / "launchpad.epub")
    names = [n for n in package.namelist() if n.startswith("OEBPS/fonts/")]
    css = package.read("OEBPS/css/book.css").decode()
    drawn: dict[str, set[int]] = {}
    for name in names:
        data = package.read(name)
        font = TTFont(io.BytesIO(data), fontNumber=0)
        drawn[name] = set(font.getBestCmap())
        if "Libertine" not in name:
            assert len(data) < 200_000, name  # a subset, not the font (CJK alone is 20 MB)
            assert f'src: url("../{name.removeprefix("OEBPS/")}")' in css
    for sample in ("🚀", "✓", "ค", "你", "こ", "안", "न"):
        assert any(ord(sample) in cmap for cmap in drawn.values()), sample
    assert ord("中") not in set().union(*drawn.values())  # only what the book uses
    for family in ("Noto Color Emoji", "Symbola", "Noto Sans CJK SC", "Noto Sans Thai"):
        assert f'"{family}"' in css.split("Fallback fonts")[1]


def test_epub_with_fallback_fonts_passes_epubcheck(built: tuple[Path, list[str]]) -> None:
    java = Path("/usr/share/java/epubcheck.jar")
    if not shutil.which("java") or not java.is_file():
        pytest.fail("epubcheck is not installed: run `bash scripts/setup.sh test`")
    root, _ = built
    result = subprocess.run(
        [
            "java",
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-jar",
            str(java),
            str(root / "output" / "en-es" / "launchpad.epub"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "0 fatals / 0 errors / 0 warnings" in result.stdout + result.stderr, result.stdout


def test_pdf_with_fallbacks_and_wrapped_code_is_reproducible(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    page = book_page(
        "<p>Ship it 🚀 — สวัสดี 你好</p><pre><code>" + "x = 1  # " * 30 + "\n</code></pre>", "en"
    )
    first = render_pdf(page)
    assert first == render_pdf(page)


@pytest.mark.parametrize("edition", ["en", "es"])
def test_long_inline_code_starts_on_the_line_of_the_word_before_it(
    built: tuple[Path, list[str]], edition: str
) -> None:
    """The token breaks where the line ends instead of moving down whole and
    leaving the justified line before it stretched thin."""
    root, _ = built
    xml = run("pdftotext", "-enc", "UTF-8", "-bbox", pdf_of(root, edition), "-")
    words = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)<', xml)
    index = next(i for i, (_, word) in enumerate(words) if word.startswith("LAUNCHPAD_S3"))
    assert abs(float(words[index][0]) - float(words[index - 1][0])) < 3, words[
        index - 1 : index + 1
    ]


def test_facing_pages_keep_every_word_inside_the_page_box(tmp_path: Path) -> None:
    root = make_project(
        tmp_path, {"launchpad": FIXTURE.read_text(encoding="utf-8")}, formats=("pdf",)
    )
    toml = root / "pipeline.toml"
    toml.write_text(
        toml.read_text().replace("[editions]\n", "[editions]\nfacing_pages = true\n"),
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        build(load_config(root))
    pdf = pdf_of(root, "en-es")
    assert words_off_the_page(pdf, MARGINS["en"]) == []  # facing pages: the A5 book's margins
    assert "\u21aa" in run("pdftotext", "-enc", "UTF-8", pdf, "-")


@pytest.mark.parametrize(
    ("text", "run"),
    [
        ("coder 👩\u200d💻 at work", "👩\u200d💻"),
        ("press 1\ufe0f\u20e3 now", "1\ufe0f\u20e3"),
        ("Scotland 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f wins", None),
        ("a flag 🇪🇸 here", "🇪🇸"),
        ("a thumb 👍🏽 up", "👍🏽"),
        ("नमस्ते दुनिया", "नमस्ते"),
    ],
)
def test_emoji_and_combining_sequences_stay_in_one_run(text: str, run: str | None) -> None:
    out = glyphs.fallback_spans(book_page(f"<p>{text}</p>"))
    runs = re.findall(r'<span class="glyph-fallback[^"]*">([^<]*)</span>', out)
    if run is None:  # a subdivision flag: the black flag and its tags together
        run = text.split()[1]
    assert run in runs, runs
    assert "1" not in "".join(runs).replace("1\ufe0f\u20e3", "")  # digits stay in Libertine


def test_tabs_count_to_the_next_tab_stop() -> None:
    from pipeline.render.codewrap import MARK, wrap_code

    line = "\t\tif x:\treturn 1"  # 16 + 3 + 5 (to 24) + 8 = 32 columns, not 14
    out = wrap_code(book_page(f"<pre><code>{'y' * 30}\n{line}\n</code></pre>"), lambda h: {0: 30})
    code = out[out.index("<code>") + 6 : out.index("</code>")]
    assert code.count(MARK) == 1
    assert code.split("\n")[1] == "\t\tif x:\treturn"
