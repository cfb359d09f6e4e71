"""Protected text and the words around markup.

URLs, e-mail addresses, paths and repository names written as plain text are
never translated (pipeline.source.protect); code spans, links and numbers
never swallow or glue the words next to them. The Apertium tests translate
tests/fixtures/prose/technical-prose.md (sentences in the style of The Rust
Book, MkDocs and GitHub READMEs) with the real engine through the translate
stage, and look at the Spanish a reader gets.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import lxml.html
import polib
import pytest
from helpers import edition_body, make_project, po_path

from pipeline.build import translate
from pipeline.config import load_config
from pipeline.render.edition import assemble
from pipeline.source.inline import decode, encode
from pipeline.source.markdown import md, parse_document
from pipeline.source.protect import find

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "prose" / "technical-prose.md"
needs_apertium = pytest.mark.skipif(shutil.which("apertium") is None, reason="no apertium")


def found(text: str) -> list[str]:
    return [text[start:end] for start, end in find(text)]


# --------------------------------------------------------------------------- what is protected


@pytest.mark.parametrize(
    ("text", "protected"),
    [
        ("Save it in ~/projects/hello_world, then run it.", ["~/projects/hello_world"]),
        ("Open ./src/main.rs or ../lib/mod.rs.", ["./src/main.rs", "../lib/mod.rs"]),
        ("Edit /etc/hosts as root.", ["/etc/hosts"]),
        (r"It lives in C:\Users\x on Windows.", [r"C:\Users\x"]),
        ("Open src/lib.rs and the docs/ folder.", ["src/lib.rs", "docs/"]),
        ("Clone rust-lang/book or tokio-rs/tokio.", ["rust-lang/book", "tokio-rs/tokio"]),
        ("Files go in content/en/chapters here.", ["content/en/chapters"]),
        ("See https://example.com/a?b=c for more.", ["https://example.com/a?b=c"]),
        (
            "Visit www.example.org, or mail info@example.com.",
            ["www.example.org", "info@example.com"],
        ),
        ("Edit mkdocs.yml and .gitignore first.", ["mkdocs.yml", ".gitignore"]),
        ("Open http://localhost:8000/docs/ (the dev server).", ["http://localhost:8000/docs/"]),
    ],
)
def test_urls_addresses_paths_and_repository_names_are_found(
    text: str, protected: list[str]
) -> None:
    assert found(text) == protected


@pytest.mark.parametrize(
    "text",
    [
        "Use and/or when you must.",
        "The speed is 30 km/h at most.",
        "An input/output error, a read/write lock, the on/off switch.",
        "TCP/IP, client/server and Python/Java developers.",
        "Read it, e.g. this one, i.e. the first. The end.",
        "Version 3.5 costs 1,000 dollars.",
    ],
)
def test_word_pairs_abbreviations_and_numbers_stay_words(text: str) -> None:
    assert found(text) == []


def test_protected_text_is_not_sent_as_words_and_the_source_is_unchanged() -> None:
    source = "Create it in ~/projects/hello_world and see https://example.com/a?b=c now."
    enc = encode(source)
    assert "projects" not in enc.tagged and "example" not in enc.tagged
    assert "Create it in" in enc.tagged and "now." in enc.tagged
    # The identity engine gives back the source, as the author wrote it.
    text, problems = decode(enc.tagged, enc)
    assert (text, problems) == (source, [])


def test_an_engine_that_translates_everything_cannot_touch_protected_text() -> None:
    enc = encode("Clone rust-lang/book into ~/projects/hello_world today.")
    engine_output = re.sub(r"(?<=>)[^<]+(?=<)", "PALABRAS", enc.tagged)
    text, problems = decode(engine_output, enc)
    assert "rust-lang/book" in text and "~/projects/hello_world" in text
    assert problems == []


def test_protected_text_keeps_its_place_in_the_rendered_html() -> None:
    source = r"Open C:\Users\x and src/\*.rs and /usr/local/bin here."
    enc = encode(source)
    text, problems = decode(enc.tagged, enc)
    assert md().render(text) == md().render(source)
    assert problems == []


# --------------------------------------------------------------------------- with Apertium


@pytest.fixture(scope="module")
def spanish(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The fixture translated into Spanish with Apertium: msgid → msgstr."""
    if shutil.which("apertium") is None:
        pytest.skip("no apertium")
    root = make_project(
        tmp_path_factory.mktemp("prose"),
        {"guide": FIXTURE.read_text(encoding="utf-8")},
        engine="apertium",
    )
    translate(load_config(root), engine="apertium")
    po = polib.pofile(str(po_path(root, "es", "guide")))
    return {entry.msgid: entry.msgstr for entry in po if entry.msgid}


def plain(markdown: str) -> str:
    """What a reader sees, as text (code spans kept)."""
    html = md().renderInline(markdown)
    return re.sub(r"<[^>]+>", "", html).replace("&amp;", "&").replace("&quot;", '"')


def without_code(markdown: str) -> str:
    """The words of a segment: code spans and protected text taken out."""
    text = re.sub(r"<code>.*?</code>", " ", md().renderInline(markdown))
    text = re.sub(r"<[^>]+>", "", text).replace("&amp;", "&")
    for start, end in reversed(find(text)):
        text = text[:start] + " " + text[end:]
    return text


@needs_apertium
def test_apertium_leaves_urls_paths_and_repository_names_as_written(
    spanish: dict[str, str],
) -> None:
    expected = [
        "~/projects/hello_world",
        "src/main.rs",
        r"C:\Users\ferris\projects",
        "/etc/hosts",
        "rust-lang/book",
        "tokio-rs/tokio",
        "./configure",
        "../README.md",
        "https://example.com/docs/install?lang=en",
        "www.example.org",
        "info@example.com",
        "mkdocs.yml",
        ".gitignore",
        "docs/",
    ]
    translated = " ".join(plain(text) for text in spanish.values())
    for token in expected:
        assert token in translated, token
    assert "proyectos" not in translated and "hola" not in translated
    # Word pairs are not protected: they are translated.
    pairs = spanish[
        "Use and/or in prose: speeds in km/h, input/output errors and TCP/IP are words."
    ]
    assert "errores" in pairs


def _unknown_to_spanish(texts: list[str]) -> set[str]:
    """The words of ``texts`` that Apertium's Spanish analyser does not know
    (it marks them ``*`` when translating them back)."""
    done = subprocess.run(
        ["apertium", "-f", "txt", "spa-eng"],
        input="\n\n".join(texts),
        capture_output=True,
        text=True,
        check=True,
    )
    return {m.group(1) for m in re.finditer(r"\*(\w+)", done.stdout)}


@needs_apertium
def test_apertium_output_has_no_glued_words(spanish: dict[str, str]) -> None:
    glued: list[str] = []
    source_words = {w.casefold() for text in spanish for w in re.findall(r"\w+", plain(text))}
    for target in spanish.values():
        for word in re.findall(r"[^\W\d_]+", without_code(target)):
            if word.casefold() not in source_words and re.search(r"[a-záéíóúñü][A-ZÁÉÍÓÚÑÜ]", word):
                glued.append(word)  # "TiposdePunto"
    unknown = _unknown_to_spanish([without_code(target) for target in spanish.values()])
    # Words the engine left in English (names, words it does not know) are in the source.
    glued += sorted(w for w in unknown if w.casefold() not in source_words)  # "númerosdepunto"
    assert glued == []


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _neighbours(source: str) -> list[str]:
    """The words of four letters or more right before and after each code span
    or number of a segment (not across a clause's punctuation)."""
    words = re.sub(r"<code>.*?</code>", " \ufffc ", md().renderInline(source))
    words = re.sub(r"<[^>]+>", "", words)
    words = re.sub(r"(?<![\w.])\d+(?:[.,]\d+)*", " \ufffc ", words)
    tokens = re.findall(r"\ufffc|[^\W\d_]+|[.,;:!?()]", words)
    out: list[str] = []
    for i, token in enumerate(tokens):
        if token != "\ufffc":
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(tokens) and len(tokens[j]) >= 4 and tokens[j].isalpha():
                out.append(tokens[j])
    return out


@needs_apertium
def test_apertium_keeps_the_words_next_to_code_spans_and_numbers(
    spanish: dict[str, str],
) -> None:
    from pipeline.mt.apertium import ApertiumEngine

    wanted = {source: _neighbours(source) for source in spanish}
    words = sorted({w for ws in wanted.values() for w in ws})
    assert len(words) > 12  # the fixture has such words
    alone = dict(zip(words, ApertiumEngine().translate(words, "en", "es"), strict=True))
    lost: list[tuple[str, str, str]] = []
    for source, neighbours in wanted.items():
        target = [_fold(w) for w in re.findall(r"[^\W\d_]+", without_code(spanish[source]))]
        for word in neighbours:
            translation = [_fold(w) for w in re.findall(r"[^\W\d_]+", alone[word])]
            if not any(
                t[: min(4, len(t), len(w))] == w[: min(4, len(t), len(w))]
                for t in translation
                for w in target
            ):
                lost.append((word, source, spanish[source]))
    assert lost == []


# --------------------------------------------------------------------------- words in placeholders


def test_code_spans_are_sent_without_their_words() -> None:
    enc = encode("The `String` Type and `Option` values")
    assert enc.tagged == 'The <span id="x1"></span> Type and <span id="x2"></span> values'


def test_words_an_engine_puts_inside_a_code_span_are_kept_after_it_and_noted() -> None:
    # Apertium, shown the code's words, made "The `String` Type" into
    # "El <x1>Tipo</x1> de Serie": "Tipo" went where the code span is restored.
    enc = encode("The `String` Type")
    text, problems = decode('El <span id="x1">Tipo</span> de Serie', enc)
    assert text == "El `String` Tipo de Serie"
    assert problems == ["words “Tipo” put inside code or a URL by the engine; kept after it"]


def test_an_image_description_is_still_translated_inside_its_placeholder() -> None:
    enc = encode("A ![big cat](cat.png) sleeps")
    text, problems = decode('Un <span id="x1">gato grande</span> duerme', enc)
    assert (text, problems) == ("Un ![gato grande](cat.png) duerme", [])


# --------------------------------------------------------------------------- keys and HTML code


@pytest.mark.parametrize(
    "element",
    [
        "<kbd>Home</kbd>",
        "<kbd><kbd>Ctrl</kbd>+<kbd>End</kbd></kbd>",
        '<KBD class="key">Tab</KBD>',
        "<samp>File not found</samp>",
        "<var>project name</var>",
        "<code>git push --force</code>",
        "<tt>make install</tt>",
        "<math><mi>x</mi><mo>=</mo><mn>2</mn></math>",
    ],
)
def test_keys_program_output_and_code_in_html_are_sent_without_their_words(
    element: str,
) -> None:
    source = f"First press {element} and then wait."
    enc = encode(source)
    assert enc.tagged == 'First press <span id="x1"></span> and then wait.'
    # An engine that translates every word it is shown cannot reach the element.
    text, problems = decode('Primero pulsa <span id="x1"></span> y luego espera.', enc)
    assert (text, problems) == (f"Primero pulsa {element} y luego espera.", [])
    assert element in md().renderInline(text)  # shown as the author wrote it


def test_words_an_engine_puts_inside_a_key_are_kept_after_it_and_noted() -> None:
    enc = encode("Press <kbd>Home</kbd> to start.")
    text, problems = decode('Pulsa <span id="x1">Casa</span> para empezar.', enc)
    assert text == "Pulsa <kbd>Home</kbd> Casa para empezar."
    assert problems == ["words “Casa” put inside code or a URL by the engine; kept after it"]


@pytest.mark.parametrize(
    ("source", "word"),
    [
        ("An <abbr>HTML</abbr> page and <small>small print</small>", "print"),  # prose elements
        ("Open <kbd>Home and never close it", "Home"),  # no end tag
        ("Bad *<kbd>Home* y</kbd> z", "Home"),  # emphasis that ends inside the key
    ],
)
def test_prose_elements_and_unclosed_keys_keep_their_words_for_the_engine(
    source: str, word: str
) -> None:
    enc = encode(source)
    assert word in re.sub(r"<[^>]+>", " ", enc.tagged).split()
    text, problems = decode(enc.tagged, enc)
    assert (text, problems) == (source, [])


@needs_apertium
def test_apertium_leaves_keys_program_output_and_html_code_as_written(
    spanish: dict[str, str],
) -> None:
    # Shown the words, Apertium makes "Home" a house and "Shift" a work shift:
    # "Press Home" became "Casa de prensa", "Shift" "Turno", "Enter" "Introduce".
    expected = {
        "Press <kbd>Home</kbd> to go": ["<kbd>Home</kbd>", "<kbd>End</kbd>", "línea"],
        "Use <kbd>Ctrl</kbd>": ["<kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Tab</kbd>", "anterior"],
        "Hold <kbd><kbd>": ["<kbd><kbd>Shift</kbd>+<kbd>Enter</kbd></kbd>", "mensaje"],
        "The installer prints": ["<samp>Setup complete</samp>", "instalador"],
        "Replace <var>": ["<var>project</var>", "repositorio"],
        "Run <code>": ["<code>mkdocs serve</code>", "ordenador"],
    }
    for start, wanted in expected.items():
        (source,) = [s for s in spanish if s.startswith(start)]
        for piece in wanted:
            assert piece in spanish[source], (piece, spanish[source])
    translated = " ".join(spanish.values())
    for wrong in ("Casa", "Turno", "Introduce", "Fin</kbd>"):
        assert wrong not in translated


@needs_apertium
def test_apertium_translates_the_descriptions_and_tooltips_of_html_pictures(
    spanish: dict[str, str],
) -> None:
    # README-style raw HTML: a centred screenshot, an icon with a tooltip in a table.
    assert spanish["The settings window of the application"] == (
        "La ventana de encuadres de la aplicación"
    )
    assert spanish["Folder icon"] == "Icono de carpeta"
    assert spanish["Opens the project folder"] == "Abre la carpeta de proyecto"
    doc = parse_document(FIXTURE.read_text(encoding="utf-8"), FIXTURE)
    texts = {seg.id: spanish[seg.source] for seg in doc.segments}
    edition = assemble(doc, lang="es", source_lang="en", title="T", author="A", texts=texts)
    page = lxml.html.fromstring(edition_body(edition))
    alts = {img.get("src"): img.get("alt") for img in page.iter("img")}
    assert alts["docs/settings.png"] == "La ventana de encuadres de la aplicación"
    assert alts["docs/folder.svg"] == "Icono de carpeta"
    (cell,) = page.xpath("//td[@title]")
    assert cell.get("title") == "Abre la carpeta de proyecto"
