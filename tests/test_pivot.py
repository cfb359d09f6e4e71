"""Portuguese through the Spanish: a language translated from another target
(``[languages.pt] via = "es"``), with real Apertium (eng-spa and es-pt)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from pipeline.build import build
from pipeline.catalog.catalog import State
from pipeline.config import Config, load_config
from pipeline.errors import ConfigError
from pipeline.project import open_book

BOOK = "executive-summary"
PORTUGUESE = """
[languages.pt]
via = "es"
"""


def portuguese(project: Path, table: str = PORTUGUESE) -> Config:
    """The seed project with Portuguese made through the Spanish, HTML only."""
    toml = project / "pipeline.toml"
    text = toml.read_text().replace('targets = ["es"]', 'targets = ["es", "pt"]')
    toml.write_text(text + table)
    return dataclasses.replace(load_config(project), formats=("html",))


def segment_of(project: Path, text: str) -> str:
    """The id of the first segment whose source contains ``text``."""
    _book, doc, _cat = open_book(load_config(project), BOOK, "es")
    return next(seg.id for seg in doc.segments if text in seg.source)


def test_portuguese_editions_are_made_through_the_spanish(project: Path) -> None:
    config = portuguese(project)
    build(config)
    html = (project / "output" / "pt" / f"{BOOK}.html").read_text(encoding="utf-8")
    assert '<html lang="pt"' in html
    assert "De Pablo Escobar ao" in html  # Portuguese, not Spanish ("a") or English ("to")
    assert "Índice" in html and "Traduzido do" in html  # labels and colophon in Portuguese
    both = (project / "output" / "en-pt" / f"{BOOK}.html").read_text(encoding="utf-8")
    assert 'lang="pt"' in both and 'lang="en"' in both
    _book, _doc, cat = open_book(load_config(project), BOOK, "pt")
    spanish = open_book(load_config(project), BOOK, "es")[2]
    for sid in cat.ids():
        entry = cat.entry(sid)
        assert entry.state is State.MACHINE
        assert entry.via is not None and entry.via.startswith("es machine ")
        assert entry.engine is not None and "apertium-es-pt" in entry.engine
        assert spanish.state(sid) is State.MACHINE


def test_an_approved_spanish_correction_refreshes_the_portuguese_machine_entry(
    project: Path,
) -> None:
    config = portuguese(project)
    build(config)
    sid = segment_of(project, "By Ignacio")
    _b, _d, spanish = open_book(config, BOOK, "es")
    spanish.approve(sid, "Ana Pérez", text="Escrito por Ignacio De León")
    spanish.save()
    build(config)
    cat = open_book(config, BOOK, "pt")[2]
    entry = cat.entry(sid)
    assert entry.state is State.MACHINE
    assert entry.translation == "Escrito por Ignacio De León"
    assert entry.via is not None and entry.via.startswith("es reviewed ")
    # Only that entry was made again: the others still come from machine Spanish.
    others = [cat.entry(other).via for other in cat.ids() if other != sid]
    assert all(via and via.startswith("es machine ") for via in others)


def test_a_reviewed_portuguese_entry_needs_review_when_its_spanish_changes(
    project: Path,
) -> None:
    config = portuguese(project)
    build(config)
    sid = segment_of(project, "By Ignacio")
    portuguese_cat = open_book(config, BOOK, "pt")[2]
    portuguese_cat.approve(sid, "João Silva", text="De Ignacio De León")
    portuguese_cat.save()
    spanish = open_book(config, BOOK, "es")[2]
    spanish.approve(sid, "Ana Pérez", text="Escrito por Ignacio De León")
    spanish.save()
    build(config)
    entry = open_book(config, BOOK, "pt")[2].entry(sid)
    assert entry.state is State.NEEDS_REVIEW
    assert entry.translation == "De Ignacio De León"  # the person's text is kept
    assert any("es text" in remark for remark in entry.remarks)
    # Approving it again records the new Spanish it was checked against.
    again = open_book(config, BOOK, "pt")[2]
    again.approve(sid, "João Silva")
    again.save()
    build(config)
    entry = open_book(config, BOOK, "pt")[2].entry(sid)
    assert entry.state is State.REVIEWED and entry.remarks == ()


def test_brazilian_variant_uses_its_own_apertium_mode(project: Path) -> None:
    config = portuguese(project, PORTUGUESE + 'variant = "pt-BR"\n')
    build(config)
    po = (project / "content" / "pt" / f"{BOOK}.po").read_text(encoding="utf-8")
    # "Tren de Aragua": European Portuguese says "Comboio", Brazilian "Trem".
    assert re.search(r"\bTrem\b", po) and not re.search(r"\bComboio\b", po)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[languages.pt]\nvia = "fr"\n', "languages.pt.via: 'fr' is not another language"),
        ('[languages.pt]\nvia = "pt"\n', "languages.pt.via: 'pt' is not another language"),
        ('[languages.pt]\nvariant = "es-MX"\n', "'es-MX' is not a variant of 'pt'"),
        ('[languages.pt]\npivot = "es"\n', "unknown key languages.pt.pivot"),
        ('[languages.fr]\nvia = "es"\n', "'fr' is not a target language"),
        (
            '[languages.pt]\nvia = "es"\n[languages.es]\nvia = "pt"\n',
            "the pivots go round in a circle",
        ),
    ],
)
def test_bad_language_tables_are_one_line_errors(project: Path, table: str, message: str) -> None:
    toml = project / "pipeline.toml"
    toml.write_text(toml.read_text().replace('targets = ["es"]', 'targets = ["es", "pt"]') + table)
    with pytest.raises(ConfigError) as error:
        load_config(project)
    assert message in str(error.value)
    assert error.value.line is not None
    assert "\n" not in str(error.value)


def test_pivot_languages_are_translated_first(project: Path) -> None:
    config = portuguese(project)
    assert config.translation_order(["pt", "es"]) == ["es", "pt"]
    assert config.pivot("pt") == "es" and config.pivot("es") == "en"
    assert config.engine_code("pt") == "pt"


def test_routes_name_the_pivot(project: Path) -> None:
    from pipeline.translation import routes

    config = portuguese(project, PORTUGUESE + 'variant = "pt-BR"\n')
    assert routes(config) == ["en->es", "en->pt via es (es->pt-BR)"]


def test_engines_lists_the_pivot_route(project: Path) -> None:
    from helpers import run

    portuguese(project)
    result = run("engines", project=project)
    assert result.code == 0
    assert "en->pt via es (es->pt)" in result.out
    assert "apertium" in result.out and "es->pt" in result.out
