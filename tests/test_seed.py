"""The committed Spanish catalogue of the seed book is what the current code makes.

The seed is translated again with real Apertium, from nothing, and compared with
``content/es/executive-summary.po`` as committed: the same inline markup in every
segment, the same glossary terms, the same (empty) QA results. A regression in
markup handling, the glossary or Spanish post-editing fails here.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from pipeline.build import translate
from pipeline.config import load_config
from pipeline.project import open_book
from pipeline.qa.glossary import Glossary
from pipeline.source.markdown import md
from pipeline.survey import check

ROOT = Path(__file__).resolve().parent.parent
BOOK = "executive-summary"
MARKUP = ("em_open", "strong_open", "link_open", "code_inline", "image", "footnote_ref")

pytestmark = pytest.mark.skipif(shutil.which("apertium") is None, reason="needs Apertium")


def markup(text: str) -> Counter[str]:
    """How many of each kind of inline markup a translation holds."""
    found: Counter[str] = Counter()
    for block in md().parse(text):
        for token in block.children or []:
            if token.type in MARKUP:
                found[token.type] += 1
    return found


def translations(project: Path) -> dict[str, str]:
    _book, _doc, catalog = open_book(load_config(project), BOOK, "es")
    return {sid: catalog.translation(sid) or "" for sid in catalog.ids()}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed project translated again with Apertium, its catalogue made from nothing."""
    project = tmp_path_factory.mktemp("seed") / "book"
    project.mkdir()
    shutil.copy(ROOT / "pipeline.toml", project / "pipeline.toml")
    shutil.copytree(ROOT / "content" / "en", project / "content" / "en")
    shutil.copy(ROOT / "content" / "glossary.csv", project / "content" / "glossary.csv")
    config = dataclasses.replace(load_config(project), formats=("html",))
    translate(config, engine="apertium")
    return project


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed project with its committed catalogue."""
    project = tmp_path_factory.mktemp("committed") / "book"
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copy(ROOT / "pipeline.toml", project / "pipeline.toml")
    return project


def test_re_translating_the_seed_gives_no_qa_finding(fresh: Path) -> None:
    findings, _report = check(load_config(fresh))
    assert [str(f) for f in findings] == []


def test_the_committed_catalogue_passes_qa(committed: Path) -> None:
    findings, _report = check(load_config(committed))
    assert [str(f) for f in findings] == []


def test_every_segment_keeps_the_markup_the_committed_catalogue_has(
    fresh: Path, committed: Path
) -> None:
    new, old = translations(fresh), translations(committed)
    assert new.keys() == old.keys()
    differ = {sid: (old[sid], new[sid]) for sid in new if markup(new[sid]) != markup(old[sid])}
    assert differ == {}


def test_the_glossary_terms_are_the_committed_ones(fresh: Path, committed: Path) -> None:
    glossary = Glossary.load(ROOT / "content" / "glossary.csv")
    new, old = translations(fresh), translations(committed)
    for sid, text in new.items():
        used = {t.target for t in glossary if glossary.target_used(t, text)}
        before = {t.target for t in glossary if glossary.target_used(t, old[sid])}
        assert used == before, sid
    assert any("narcosocialismo" in text.casefold() for text in new.values())


def test_both_question_headings_start_with_the_opening_mark(committed: Path) -> None:
    _book, doc, catalog = open_book(load_config(committed), BOOK, "es")
    questions = [seg.id for seg in doc.segments if seg.source.rstrip().endswith("?")]
    headings = [sid for sid in questions if doc.segment(sid).kind == "heading"]
    assert len(headings) == 2
    for sid in headings:
        # "I. What's the Big Idea?" -> "I. ¿Qué es la Idea Grande?"
        assert re.match(r"(?:[IVXLC]+\.\s+)?¿\w", catalog.translation(sid) or ""), sid
