"""The ``lost-words`` QA check: words lost next to code, URLs and numbers
(pipeline/qa/lost_words.py), on made-up pairs and on real Apertium output."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import make_project, run

from pipeline.qa.checks import CHECKS_BY_ID, check_segment
from pipeline.qa.finding import Severity

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "prose" / "technical-prose.md"
needs_apertium = pytest.mark.skipif(shutil.which("apertium") is None, reason="no apertium")


def lost(source: str, target: str) -> list[str]:
    findings = check_segment("s1", source, target, source_lang="en", target_lang="es")
    return [f.message for f in findings if f.check_id == "lost-words"]


def test_it_is_a_warning() -> None:
    assert CHECKS_BY_ID["lost-words"].severity is Severity.WARNING


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("The `String` Type", "El `String`"),  # "Type" gone
        ("Open the file ~/notes.txt in your editor.", "Abre ~/notes.txt."),
        ("We released version 2.0 with 15 new features.", "Versión 2.0 con 15."),
        ("See `Drop` below.", "`Drop`."),
        (
            "The `docs_dir` folder holds every Markdown source file of the whole site.",
            "El `docs_dir` de la web.",
        ),
    ],
)
def test_a_clause_that_lost_its_words_around_markup_is_flagged(source: str, target: str) -> None:
    [message] = lost(source, target)
    assert "lost" in message and "“" in message


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("The `String` Type", "El tipo `String`"),  # reordered, nothing lost
        ("`Vec<T>` Methods", "Métodos de `Vec<T>`"),
        ("Run `cargo build` now.", "Ejecuta `cargo build` ahora."),
        ("Type `exit`.", "Escribe `exit`."),  # no content word next to it in the source
        ("Hello, `world`!", "¡Hola, `world`!"),
        ("Open ~/projects/hello and src/main.rs.", "Abre ~/projects/hello y src/main.rs."),
        ("It costs 15 dollars, or 20 with tax.", "Cuesta 15 dólares, o 20 con impuestos."),
        # Different markup on each side: the placeholders check speaks, not this one.
        ("The `String` Type", "El tipo"),
    ],
)
def test_a_translation_that_keeps_the_words_is_not_flagged(source: str, target: str) -> None:
    assert lost(source, target) == []


# --------------------------------------------------------------------------- with Apertium


def _apertium(sources: list[str]) -> list[str]:
    """Real Apertium output as the translate stage makes it (post-edited)."""
    from pipeline.lang import get
    from pipeline.mt.apertium import ApertiumEngine
    from pipeline.source.inline import decode_output, edit_words, encode

    encoded = [encode(s) for s in sources]
    outputs = ApertiumEngine().translate([e.tagged for e in encoded], "en", "es")
    postedit = get("es").postedit
    return [
        edit_words(decode_output(o, e).text, postedit)
        for o, e in zip(outputs, encoded, strict=True)
    ]


@needs_apertium
def test_apertium_dropping_a_verb_next_to_code_is_flagged() -> None:
    # Apertium, shown "It does <code> else.", drops the verb: "Él `nothing` más."
    [target] = _apertium(["It does `nothing` else."])
    assert "hace" not in target and "`nothing`" in target
    [message] = lost("It does `nothing` else.", target)
    assert "It does … else" in message


@needs_apertium
def test_apertium_translations_of_technical_prose_are_not_flagged(tmp_path: Path) -> None:
    """31 segments with code spans, links, numbers, paths and URLs: no false alarm."""
    project = make_project(
        tmp_path, {"guide": FIXTURE.read_text(encoding="utf-8")}, engine="apertium"
    )
    code, out, err = run("translate", project=project)
    assert code == 0, err
    code, out, err = run("check", project=project)
    assert "lost-words" not in out + err
    assert "0 warning(s)" in out + err
