"""Languages: the factory, tag helpers, the contract every language module
meets, typographic conventions, and that no other module knows a language."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import string
from pathlib import Path

import pyphen
import pytest

from pipeline import lang
from pipeline.catalog.catalog import Catalog
from pipeline.config import Config
from pipeline.lang import Language, get, known, normalize, primary, region, same_language
from pipeline.lang import en as english_module
from pipeline.lang import es as spanish_module
from pipeline.lang import pt as portuguese_module
from pipeline.qa.checks import CHECKS_BY_ID
from pipeline.render.colophon import colophon
from pipeline.render.edition import assemble
from pipeline.render.html import render_html
from pipeline.source.markdown import parse_document
from pipeline.source.segment import Segment

PIPELINE = Path(lang.__file__).resolve().parent.parent


def every_language() -> list[Language]:
    """Every registered language and each of its regional variants."""
    out: list[Language] = []
    for code in known():
        module = importlib.import_module(f"pipeline.lang.{code}")
        out.append(module.LANGUAGE)
        out.extend(dataclasses.replace(v, tag=f"{code}-{r}") for r, v in module.VARIANTS.items())
    return out


def language_id(language: Language) -> str:
    return language.tag


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# --------------------------------------------------------------------------- factory and tags


def test_known_languages() -> None:
    assert known() == ("en", "es", "pt")


@pytest.mark.parametrize("tag", ["pt-BR", "pt_BR", "PT-br", "pt_BR.UTF-8"])
def test_brazilian_portuguese_is_the_br_variant(tag: str) -> None:
    found = get(tag)
    assert (found.code, found.tag, found.region) == ("pt", "pt-BR", "BR")
    assert found.name == "Portuguese" and found.native_name == "Português"
    assert found.labels.contents == "Sumário"
    assert found.hyphenation == "pt_BR"
    assert found.typography is portuguese_module.typography_br
    assert found.style.quotes == "“”"


@pytest.mark.parametrize("tag", ["pt", "pt-PT", "pt_AO"])
def test_european_portuguese_is_the_default_variety(tag: str) -> None:
    found = get(tag)
    assert found.code == "pt" and found.labels.contents == "Índice"
    assert found.hyphenation == "pt_PT"
    assert found.typography is portuguese_module.typography_pt
    assert found.style.quotes == "«»"
    assert found.plural_forms == "nplurals=2; plural=(n != 1);"


@pytest.mark.parametrize("tag", ["es", "es-ES", "es_MX", "es-419"])
def test_every_spanish_tag_is_spanish(tag: str) -> None:
    found = get(tag)
    assert found.code == "es" and found.labels is spanish_module.LANGUAGE.labels
    assert found.typography is spanish_module.typography
    assert found.checks == ("es-inverted-marks", "es-quotes")


@pytest.mark.parametrize(
    ("tag", "code", "name"),
    [
        ("fr", "fr", "French"),
        ("fr_CA", "fr", "French"),
        ("ja", "ja", "ja"),
        ("xx-YY", "xx", "xx-YY"),
    ],
)
def test_unknown_codes_fall_back_to_english_with_their_code(tag: str, code: str, name: str) -> None:
    found = get(tag)
    english = english_module.LANGUAGE
    assert found.code == code and found.tag == normalize(tag)
    assert found.name == name
    assert found.labels == english.labels and found.colophon == english.colophon
    assert found.plural_forms == ""  # unknown: the PO header is left to the translator's tool
    assert found.typography is None and found.checks == ()
    # Knowing no abbreviations of its own, sentence splitting takes every language's.
    assert english.titles | spanish_module.LANGUAGE.titles <= found.titles


def test_cover_names_of_languages_without_a_module() -> None:
    assert get("fr").native_name == "Français" and get("de").native_name == "Deutsch"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("es", "es"),
        ("es-ES", "es"),
        ("pt_BR", "pt"),
        ("ES", "es"),
        (" en ", "en"),
        ("es_ES.UTF-8", "es"),
        ("sr@latin", "sr"),
        ("zh-Hant-TW", "zh"),
        ("", ""),
    ],
)
def test_primary(tag: str, expected: str) -> None:
    assert primary(tag) == expected


@pytest.mark.parametrize(
    ("tag", "normal", "region_"),
    [
        ("pt_br", "pt-BR", "BR"),
        ("EN-us", "en-US", "US"),
        ("zh_hant_tw", "zh-Hant-TW", "TW"),
        ("es-419", "es-419", "419"),
        ("es_ES.UTF-8", "es-ES", "ES"),
        ("es", "es", ""),
    ],
)
def test_normalize_and_region(tag: str, normal: str, region_: str) -> None:
    assert normalize(tag) == normal and region(tag) == region_


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("es", "es", True),
        ("es_ES", "es", True),
        ("es", "es-MX", True),
        ("es-ES", "es_es", True),
        ("es-ES", "es-MX", False),
        ("es", "en", False),
        ("es", "est", False),
    ],
)
def test_same_language(a: str, b: str, same: bool) -> None:
    assert same_language(a, b) is same and same_language(b, a) is same


# --------------------------------------------------------------------------- the contract


@pytest.mark.parametrize("language", every_language(), ids=language_id)
def test_every_language_has_every_label_english_has(language: Language) -> None:
    english = english_module.LANGUAGE.labels
    labels = language.labels
    for field in dataclasses.fields(labels):
        value = getattr(labels, field.name)
        assert value, f"{language.tag}: label {field.name} is empty"
        if isinstance(value, str):
            assert placeholders(value) == placeholders(getattr(english, field.name)), field.name
    assert set(labels.states) == set(english.states)
    assert all(labels.states.values())


@pytest.mark.parametrize("language", every_language(), ids=language_id)
def test_every_language_has_every_colophon_sentence_english_has(language: Language) -> None:
    english = english_module.LANGUAGE.colophon
    for field in dataclasses.fields(language.colophon):
        text = getattr(language.colophon, field.name)
        assert text, f"{language.tag}: colophon {field.name} is empty"
        assert placeholders(text) == placeholders(getattr(english, field.name)), field.name


@pytest.mark.parametrize("language", every_language(), ids=language_id)
def test_every_language_is_complete(language: Language) -> None:
    assert language.name and language.native_name
    assert set(english_module.LANGUAGE.names) <= set(language.names)
    assert all(language.names.get(code) for code in known())
    assert language.plural_forms.startswith("nplurals=")
    assert language.hyphenation in pyphen.LANGUAGES
    for words in (language.titles, language.abbreviations, language.openers):
        assert words and all(w == w.lower() and "." not in w for w in words)
    for check_id in language.checks:
        assert CHECKS_BY_ID[check_id].language_only
    # Everything a language knows is read through the factory, for every variant.
    assert get(language.code).code == language.code


def test_a_language_module_needs_no_other_file() -> None:
    """What the README says: a module defining LANGUAGE and VARIANTS, registered by code."""
    for code in known():
        module = importlib.import_module(f"pipeline.lang.{code}")
        assert module.LANGUAGE.code == code
        assert isinstance(module.VARIANTS, dict)


def test_plural_forms_header_comes_from_the_language(tmp_path: Path) -> None:
    segment = Segment(id="p1", kind="paragraph", source="One cat.", line=1, index=0)
    for code, expected in (("pt-BR", "nplurals=2; plural=(n != 1);"), ("ja", None)):
        path = tmp_path / code / "book.po"
        catalog = Catalog.load(path, lang=code, source_lang="en", book="book")
        catalog.merge([segment], "content/en/book.md")
        catalog.save()
        text = path.read_text(encoding="utf-8")
        if expected is None:
            assert "Plural-Forms" not in text
        else:
            assert f'"Plural-Forms: {expected}\\n"' in text


# --------------------------------------------------------------------------- typography


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        (["de “justicia social.”"], ["de «justicia social»."]),
        (
            ["de “revolución,” “igualdad,” y “soberanía.”"],
            ["de «revolución», «igualdad», y «soberanía»."],
        ),
        (['dijo "hola" y "adiós..."'], ["dijo «hola» y «adiós...»"]),
        (["«Dijo “no” dos veces»."], ["«Dijo “no” dos veces»."]),
        (["“ Estamos aquí ”"], ["«Estamos aquí»"]),
        (
            ["la zona cero — el primer ", "piloto exitoso", " del narcosocialismo."],
            ["la zona cero —el primer ", "piloto exitoso", " del narcosocialismo—."],
        ),
        (
            ["No es local — es viral — y crece. Otra frase."],
            ["No es local —es viral— y crece. Otra frase."],
        ),
        (["en EE. UU. — dijo el Sr. Pérez — ayer."], ["en EE. UU. —dijo el Sr. Pérez— ayer."]),
        (["— Hola, dijo."], ["—Hola, dijo."]),
        (["una pausa—larga—aquí"], ["una pausa—larga—aquí"]),
        (["Un inciso — sin cierre"], ["Un inciso —sin cierre—"]),
    ],
)
def test_spanish_conventions(pieces: list[str], expected: list[str]) -> None:
    spanish = get("es-MX").typography
    assert spanish is spanish_module.typography and get("en").typography is None
    assert [piece.replace("\u2060", "") for piece in spanish(pieces)] == expected


def test_rayas_are_bound_to_their_aside_by_a_word_joiner() -> None:
    assert spanish_module.typography(["la zona — el primer piloto — del"]) == [
        "la zona \u2014\u2060el primer piloto\u2060\u2014 del"
    ]


@pytest.mark.parametrize(
    ("tag", "pieces", "expected"),
    [
        ("pt", ["da “justiça social.”"], ["da «justiça social»."]),
        ("pt", ['ele disse "ela falou “não” ontem"'], ["ele disse «ela falou “não” ontem»"]),
        ("pt-BR", ["da «justiça social.»"], ["da “justiça social”."]),
        ("pt-BR", ['ele disse "ela falou “não” ontem."'], ["ele disse “ela falou ‘não’ ontem”."]),  # noqa: RUF001
        # Travessões keep their spaces; an apostrophe is not a quote; no inverted marks.
        ("pt", ["o país — disse ele — cresce"], ["o país — disse ele — cresce"]),
        ("pt-BR", ["copo d’água ’ e mais"], ["copo d’água ’ e mais"]),  # noqa: RUF001
        ("pt", ["Quem foi?"], ["Quem foi?"]),
    ],
)
def test_portuguese_conventions(tag: str, pieces: list[str], expected: list[str]) -> None:
    convert = get(tag).typography
    assert convert is not None and convert(pieces) == expected


# --------------------------------------------------------------------------- in an edition


def test_portuguese_edition_has_portuguese_labels_and_colophon(tmp_path: Path) -> None:
    doc = parse_document('# A Handbook\n\n## Why\n\nThe cat said "no" twice.\n')
    texts = {
        seg.id: text
        for seg, text in zip(
            doc.segments, ["Um manual", "Porquê", 'O gato disse "não" duas vezes.'], strict=True
        )
    }
    config = Config(
        root=tmp_path, title="A Handbook", author="Ana", source_lang="en", target_langs=("pt",)
    )
    catalog = Catalog(tmp_path / "pt" / "book.po", lang="pt", source_lang="en", book="book")
    edition = assemble(
        doc,
        lang="pt",
        source_lang="en",
        title="Um manual",
        author="Ana",
        texts=texts,
        states=dict.fromkeys(texts, "machine"),
        counts={"machine": 3},
        colophon=colophon(config, "pt", catalog, 3, None),
        conventions=True,
    )
    html = render_html(edition)
    assert '<html lang="pt"' in html
    assert ">Índice<" in html and ">Colofão<" in html and "Rascunho" in html
    assert "Tradução automática não revista" in html
    assert "Traduzido do inglês." in html and "Original: A Handbook, de Ana." in html
    assert "O gato disse «não» duas vezes." in html  # European Portuguese quotes


# --------------------------------------------------------------------------- nowhere else


def language_names() -> set[str]:
    """Every name of a language any language module knows, case-folded."""
    names: set[str] = set()
    for language in every_language():
        names |= {language.name, language.native_name, *language.names.values()}
    for code in ("ca", "de", "fr", "it"):
        names.add(get(code).native_name)
    return {n.casefold() for n in names}


def test_no_module_outside_pipeline_lang_names_a_language() -> None:
    """Language names (``"Spanish"``, ``"español"``…) are string constants only in
    pipeline/lang: a table of them anywhere else is knowledge in the wrong room."""
    names = language_names()
    assert {"spanish", "español", "english", "inglés", "portuguese", "português"} <= names
    offenders: list[str] = []
    for path in sorted(PIPELINE.rglob("*.py")):
        if (PIPELINE / "lang") in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.strip().casefold() in names
            ):
                offenders.append(f"{path.relative_to(PIPELINE)}:{node.lineno}: {node.value!r}")
    assert offenders == []


def test_no_module_outside_pipeline_lang_parses_a_language_tag() -> None:
    """The primary subtag is read by :func:`pipeline.lang.primary` only."""
    offenders: list[str] = []
    for path in sorted(PIPELINE.rglob("*.py")):
        if (PIPELINE / "lang") in path.parents:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if 'split("-")' in line or 'split("_")' in line or "[-_@.]" in line:
                offenders.append(f"{path.relative_to(PIPELINE)}:{number}: {line.strip()}")
    assert offenders == []
