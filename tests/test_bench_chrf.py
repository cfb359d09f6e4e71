"""The chrF benchmark's data (bench/chrf/) and its scoring, without Apertium."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from markdown_it import MarkdownIt

from pipeline.qa.glossary import Glossary

BENCH = Path(__file__).resolve().parent.parent / "bench"
DATA = BENCH / "chrf"


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_chrf", BENCH / "chrf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


chrf = _load_bench()
EN = chrf.segments(DATA / "en.md")
ES = chrf.segments(DATA / "es.md")
PAIRS = list(zip(EN, ES, strict=False))
_MD = MarkdownIt("commonmark")


def _markup(source: str) -> tuple[set[str], Counter[str], Counter[str]]:
    """The kinds of inline markup in a segment, its code spans and its link URLs."""
    kinds: set[str] = set()
    codes: Counter[str] = Counter()
    urls: Counter[str] = Counter()
    [inline] = [t for t in _MD.parseInline(source) if t.type == "inline"]
    for child in inline.children or []:
        if child.type in ("em_open", "strong_open", "link_open", "code_inline", "image"):
            kinds.add(child.type)
        if child.type == "code_inline":
            codes[child.content] += 1
        if child.type == "link_open":
            urls[str(child.attrs["href"])] += 1
    return kinds, codes, urls


def test_one_reference_per_segment() -> None:
    assert len(EN) >= 300
    assert len(ES) == len(EN)
    assert len(set(EN)) == len(EN), "a repeated English segment"
    assert all(s.strip() for s in EN + ES)


def test_questions_exclamations_and_markup_are_there() -> None:
    assert sum("?" in s for s in EN) >= 25
    assert sum("!" in s for s in EN) >= 25
    with_markup = sum(bool(_markup(s)[0]) for s in EN)
    assert len(EN) // 4 <= with_markup <= len(EN) // 2


def test_each_reference_keeps_the_markup() -> None:
    wrong = []
    for number, (en, es) in enumerate(PAIRS, 1):
        (en_kinds, en_codes, en_urls), (es_kinds, es_codes, es_urls) = _markup(en), _markup(es)
        for what, ok in [
            ("markup kinds", es_kinds == en_kinds),
            ("code spans", es_codes == en_codes),
            ("link URLs", es_urls == en_urls),
        ]:
            if not ok:
                wrong.append(f"segment {number}: {what} differ")
    assert not wrong


def test_reference_spanish_punctuation() -> None:
    wrong = []
    for number, (en, es) in enumerate(PAIRS, 1):
        for what, ok in [
            ("¿…? unbalanced", es.count("¿") == es.count("?")),
            # A literal program output ("Hello, world!") may keep its English "!".
            ("¡ without !", es.count("¡") <= es.count("!")),
            ("question lost", ("?" in en) == ("?" in es)),
            ('"…" instead of «…»', '"' not in es and "“" not in es),
        ]:
            if not ok:
                wrong.append(f"segment {number}: {what}")
    assert not wrong


def test_glossary_loads_and_the_references_use_it() -> None:
    glossary = Glossary.load(DATA / "glossary.csv")
    assert len(glossary) >= 15
    assert sum(term.source == term.target for term in glossary) >= 5  # never translated
    used: set[str] = set()
    for number, (en, es) in enumerate(PAIRS, 1):
        en_text, es_text = chrf.plain(en), chrf.plain(es)
        for term in glossary:
            source = r"\s+".join(re.escape(w) for w in term.source.split())
            if re.search(rf"(?<!\w){source}(?:e?s)?(?!\w)", en_text, re.I):
                used.add(term.source)
                target = r"\s+".join(re.escape(w) + "(?:e?s)?" for w in term.target.split())
                assert re.search(rf"(?<!\w){target}(?!\w)", es_text, re.I), (
                    f"segment {number}: {term.source!r} is not {term.target!r}"
                )
    assert used == {term.source for term in glossary}, "a glossary term the texts never use"


def test_plain_strips_markup_only() -> None:
    assert chrf.plain("Run `pip install` and *read* [the **docs**](https://example.org).") == (
        "Run pip install and read the docs."
    )
    assert chrf.strip_tags("<p>Caf&eacute;\n  <b>con</b> leche</p>") == "Café con leche"


def test_segments_rejects_anything_but_paragraphs(tmp_path: Path) -> None:
    md = tmp_path / "x.md"
    md.write_text("One.\n\nTwo\nlines.\n", encoding="utf-8")
    assert chrf.segments(md) == ["One.", "Two\nlines."]
    md.write_text("One.\n\n## A heading\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a paragraph"):
        chrf.segments(md)


def test_score_on_three_segments() -> None:
    pytest.importorskip("sacrebleu")
    references = [
        "La casa es **grande**.",
        "¿Dónde está el [puerto](https://example.org)?",
        "Ejecuta `pip install` ahora.",
    ]
    same_words = [
        "La casa es grande.",
        "¿Dónde está el puerto?",
        "Ejecuta `pip install` ahora.",
    ]
    worse = [
        "El casa es grande.",
        "Dónde es el puerto?",
        "Ejecuta pip instala ahora.",
    ]
    perfect = chrf.score_markdown(references, references)
    assert perfect == pytest.approx(100.0)
    assert chrf.score_markdown(same_words, references) == pytest.approx(100.0)
    assert 0 < chrf.score_markdown(worse, references) < perfect
    with pytest.raises(ValueError):
        chrf.score(["uno"], ["uno", "dos"])
