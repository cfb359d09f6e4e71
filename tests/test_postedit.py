"""Spanish conventions set on machine output (``Language.postedit``, applied
to words only by :func:`pipeline.source.inline.edit_words`), and the seed book
re-translated with Apertium: no QA errors, no formatting warnings."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers import run

from pipeline.build import translate
from pipeline.config import load_config
from pipeline.lang import get
from pipeline.lang.base import unchanged
from pipeline.project import open_book
from pipeline.source.inline import edit_words

es = get("es").postedit


# --------------------------------------------------------------------------- the hook


def test_every_other_language_keeps_the_engines_text() -> None:
    for tag in ("en", "pt", "pt-BR", "fr"):
        assert get(tag).postedit is unchanged
    assert get("es-MX").postedit is es


# --------------------------------------------------------------------------- ¿ and ¡


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        ("Qué es la Idea Grande?", "¿Qué es la Idea Grande?"),
        ("I. Qué es la Idea Grande?", "I. ¿Qué es la Idea Grande?"),
        ("II. Qué Define Narco-Socialismo?", "II. ¿Qué Define Narco-Socialismo?"),
        ("1. Qué pasa?", "1. ¿Qué pasa?"),
        ("Es tarde. Vienes?", "Es tarde. ¿Vienes?"),
        ("Quién sabe! Obra.", "¡Quién sabe! Obra."),
        ("Pregunta: qué es?", "Pregunta: ¿qué es?"),
        ("Dijo «qué es eso?» y se fue.", "Dijo «¿qué es eso?» y se fue."),
        ("Vale (verdad?) sí.", "Vale (¿verdad?) sí."),
        ("¿Qué es? Quién?", "¿Qué es? ¿Quién?"),
        ("El Sr. García vino. Por qué?", "El Sr. García vino. ¿Por qué?"),
        ("Ya está.", "Ya está."),
        ("Ver http://x.com/a?b=1 ahora.", "Ver http://x.com/a?b=1 ahora."),
        ("Qué?! No.", "Qué?! No."),
    ],
)
def test_opening_marks_go_where_the_question_or_exclamation_starts(
    engine: str, expected: str
) -> None:
    assert es(engine) == expected


# --------------------------------------------------------------------------- capitals


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        ("Obra. es bien.", "Obra. Es bien."),
        ("Ya es 3.5 veces. y más.", "Ya es 3.5 veces. Y más."),
        ("El Sr. garcía vino.", "El Sr. garcía vino."),
        ("Vino J. K. rowling.", "Vino J. K. rowling."),
        ("Los EE. UU. tienen.", "Los EE. UU. tienen."),
        ("Qué tal? bien.", "¿Qué tal? Bien."),
        ("Corrido \ufffc Para listar.", "Corrido \ufffc para listar."),
        ("Corrido \ufffc Python es.", "Corrido \ufffc Python es."),
        ("Hecho. \ufffc El resto.", "Hecho. \ufffc El resto."),
        ("la casa.", "la casa."),
    ],
)
def test_capitals_at_sentence_starts_and_not_after_markup_mid_sentence(
    engine: str, expected: str
) -> None:
    assert es(engine) == expected


# --------------------------------------------------------------------------- compounds, spaces


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        ("De Pablo a Narco-el socialismo.", "De Pablo a Narco-Socialismo."),
        ("Narco-El socialismo no obra.", "Narco-Socialismo no obra."),
        ("Con narco-los estados.", "Con narco-estados."),
        ("Un narco-estado y el socialismo.", "Un narco-estado y el socialismo."),
        ("porque  es el Estado", "porque es el Estado"),
        ("delitos. “ Estamos luchando”", "delitos. “Estamos luchando”"),
        ("el cártel .", "el cártel."),
        ("una línea\ncon  dos", "una línea\ncon dos"),
    ],
)
def test_compounds_kept_whole_and_single_spaces(engine: str, expected: str) -> None:
    assert es(engine) == expected


# --------------------------------------------------------------------------- words only


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("I. Qué es la *Idea Grande*?", "I. ¿Qué es la *Idea Grande*?"),
        ("No creen  *en* socialismo", "No creen *en* socialismo"),
        (
            "Corrido `ls  x` Para listar [el  enlace](http://a.b/?q=1) . Qué?",
            "Corrido `ls  x` para listar [el enlace](http://a.b/?q=1). ¿Qué?",
        ),
        ("**Narco-el socialismo** es bueno", "**Narco-Socialismo** es bueno"),
        ("Qué es `x?` Y <http://a.b/c?d>", "Qué es `x?` y <http://a.b/c?d>"),
        ("Sin cambios.", "Sin cambios."),
    ],
)
def test_edits_touch_words_only_never_markup(markdown: str, expected: str) -> None:
    assert edit_words(markdown, es) == expected


def test_an_edit_that_changes_markup_or_numbers_is_not_applied() -> None:
    assert edit_words("Vale `x` 500 veces.", lambda t: t.replace("\ufffc", "")) == (
        "Vale `x` 500 veces."
    )
    assert edit_words("Vale 500 veces.", lambda t: t.replace("500", "501")) == "Vale 500 veces."


def test_heading_text_keeps_its_escapes() -> None:
    assert edit_words("1. Qué es?", es, block_start=False) == "1. ¿Qué es?"
    assert edit_words("1\\. Qué es?", es, block_start=True) == "1\\. ¿Qué es?"


# --------------------------------------------------------------------------- the seed, end to end


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed book translated again with Apertium, its catalogue made from scratch."""
    if shutil.which("apertium") is None:
        pytest.skip("no apertium")
    root = Path(__file__).resolve().parent.parent
    dest = tmp_path_factory.mktemp("seed") / "book"
    dest.mkdir()
    shutil.copy(root / "pipeline.toml", dest / "pipeline.toml")
    shutil.copytree(root / "content" / "en", dest / "content" / "en")
    translate(load_config(dest), engine="apertium")
    return dest


def test_seed_with_apertium_has_no_qa_errors_nor_formatting_warnings(seed: Path) -> None:
    _code, out, err = run("check", project=seed)
    report = out + err
    assert re.search(r"\b0 error\(s\)", report), report
    for check in ("formatting", "numbers", "es-inverted-marks", "space-before-punct"):
        assert f"[{check}]" not in report, report


def test_seed_with_apertium_keeps_markup_and_spanish_conventions(seed: Path) -> None:
    _, doc, cat = open_book(load_config(seed))
    by_source = {seg.source: cat.translation(seg.id) or "" for seg in doc.segments}

    def of(prefix: str) -> str:
        return next(t for s, t in by_source.items() if s.startswith(prefix))

    assert of("I. What's the Big Idea?").startswith("I. ¿Qué es")
    assert of("II. What Defines").startswith("II. ¿Qué")
    assert "No *creen* en socialismo" in of("They don't *believe*")
    assert "*es* el Estado" in of("It fuses ideology")
    assert "Fortune 500" in of("They recruit")
    assert of("They recruit").count("500") == 1
    assert "Narco-el" not in " ".join(by_source.values())
    for sid in cat.ids():
        text = cat.translation(sid) or ""
        assert "  " not in text, text
        assert cat.state(sid).value == "machine"
        assert cat.problems(sid) == [], (sid, cat.problems(sid))


_LONG_PARAGRAPH = """
from pipeline.lang import get
from pipeline.mt.pseudo import PseudoEngine
from pipeline.source.inline import decode_output, edit_words, encode, span_texts

text = "".join(
    f"Palabras aquí y un [enlace {i}](http://example.com/{i}) con `code` *de* {i}. qué es? "
    for i in range(1500)
)
edited = edit_words(text, get("es").postedit)
assert edited.count("¿Qué es?") == 1500, edited[:300]
enc = encode(text)
spans = span_texts(enc)
engine = PseudoEngine()
found = dict(zip(spans, engine.translate(list(spans.values()), "en", "es")))
decode_output(engine.translate([enc.tagged], "en", "es")[0], enc, span_translations=found)
"""


def test_long_paragraph_is_post_edited_and_aligned_in_linear_time() -> None:
    import subprocess
    import sys

    # In a child process, so that the time limit cannot leave this one half-way.
    subprocess.run(
        [sys.executable, "-c", _LONG_PARAGRAPH],
        timeout=10,  # about 2 s
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
