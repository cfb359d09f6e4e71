"""QA checks: each check with a case it must report and a case it must let pass.

Sources are sentences of ``content/en/executive-summary.md``; the faulty
translations are the kind of output Apertium and hurried reviewers produce.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import GlossaryError, PipelineError
from pipeline.lang import Style
from pipeline.lang import get as get_language
from pipeline.qa.checks import CHECKS, CHECKS_BY_ID, Check, analyse, check_segment
from pipeline.qa.finding import Finding, Severity
from pipeline.qa.glossary import Glossary, GlossaryTerm
from pipeline.source.markdown import parse_document

SPANISH = get_language("es").style
"""The QA style Spanish books get by default (angle quotes first)."""

GLOSSARY = Glossary(
    [
        GlossaryTerm("Narco-Socialism", "narcosocialismo", "one word, lower case (RAE)"),
        GlossaryTerm("narco-state", "narcoestado", ""),
        GlossaryTerm("State", "Estado", "capital E for the polity"),
        GlossaryTerm("drug routes", "rutas del narcotráfico", ""),
        GlossaryTerm("drug", "droga", ""),
    ]
)


def run(
    source: str,
    target: str,
    *,
    lang: str = "es",
    style: Style | None = None,
    glossary: Glossary | None = None,
    env: dict[str, object] | None = None,
) -> list[Finding]:
    return check_segment(
        "s0123456789",
        source,
        target,
        source_lang="en",
        target_lang=lang,
        env=env,
        glossary=glossary,
        style=style,
    )


def found(findings: list[Finding], check_id: str) -> list[Finding]:
    """The findings of one check, checking their severity and fields on the way."""
    out = [f for f in findings if f.check_id == check_id]
    for f in out:
        check = CHECKS_BY_ID[check_id]
        assert f.severity is check.severity
        assert f.title == check.title
        assert f.segment_id == "s0123456789"
        assert f.message and "\n" not in f.message
    return out


# --------------------------------------------------------------------------- registry


def test_every_check_has_a_unique_id_a_title_and_a_severity() -> None:
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids)) == len(CHECKS_BY_ID)
    for check in CHECKS:
        assert isinstance(check, Check)
        assert check.id and check.id == check.id.lower() and " " not in check.id
        assert check.title and "\n" not in check.title and not check.title.endswith(".")
        assert isinstance(check.severity, Severity)
        assert callable(check.func)
        assert check.func.__doc__, f"{check.id} has no docstring"


def test_errors_are_what_breaks_the_book() -> None:
    errors = {c.id for c in CHECKS if c.severity is Severity.ERROR}
    assert errors == {"placeholders", "urls", "numbers"}


def test_expected_checks_exist() -> None:
    assert set(CHECKS_BY_ID) == {
        "placeholders",
        "formatting",
        "urls",
        "numbers",
        "untranslated",
        "length-ratio",
        "glossary",
        "lost-words",
        "space-before-punct",
        "nbsp",
        "es-inverted-marks",
        "es-quotes",
        "pt-quotes",
    }


@pytest.mark.parametrize(
    ("lang", "applies"),
    [("es", True), ("es-VE", True), ("es_ES", True), ("ES", True), ("en", False), ("est", False)],
)
def test_spanish_checks_apply_to_spanish_only(lang: str, applies: bool) -> None:
    assert CHECKS_BY_ID["es-inverted-marks"].applies_to(lang) is applies
    assert CHECKS_BY_ID["es-quotes"].applies_to(lang) is applies
    assert not CHECKS_BY_ID["pt-quotes"].applies_to(lang)
    assert CHECKS_BY_ID["numbers"].applies_to(lang)


def test_language_only_checks_are_the_ones_languages_list() -> None:
    """A check runs for a language only when it is general or the language lists it."""
    assert CHECKS_BY_ID["pt-quotes"].applies_to("pt-BR")
    assert not CHECKS_BY_ID["es-inverted-marks"].applies_to("pt")
    listed = {cid for code in ("en", "es", "pt") for cid in get_language(code).checks}
    assert listed == {c.id for c in CHECKS if c.language_only}


def test_portuguese_quotes_follow_the_variant() -> None:
    """Angle quotes in Portugal, English quotes in Brazil, each by its default style."""
    angle = "todo sob o disfarce da «justiça social»."
    english = "todo sob o disfarce da “justiça social”."
    assert found(run(SOCIAL, angle, lang="pt"), "pt-quotes") == []
    assert found(run(SOCIAL, english, lang="pt-PT"), "pt-quotes")
    assert found(run(SOCIAL, english, lang="pt-BR"), "pt-quotes") == []
    assert found(run(SOCIAL, angle, lang="pt-BR"), "pt-quotes")
    assert found(run(SOCIAL, english, lang="pt-BR"), "es-quotes") == []


# --------------------------------------------------------------------------- a good translation

GOOD = [
    ("### I. What's the Big Idea?", "I. ¿Cuál es la gran idea?"),
    ("I. What's the Big Idea?", "I. ¿Cuál es la gran idea?"),
    (
        "This book unveils a new and dangerously viral phenomenon: **Narco-Socialism**.",
        "Este libro revela un fenómeno nuevo y peligrosamente viral: **el narcosocialismo**.",
    ),
    (
        "Forget the old-school drug lords hiding in the shadows while the State tries to catch "
        "them. In Narco-Socialism, organized crime *becomes* the State — hijacking government "
        "institutions and using them as tools for crime, all under the disguise of "
        "“social justice.”",
        "Olvídese de los capos de la droga de la vieja escuela que se esconden en las sombras "
        "mientras el Estado intenta atraparlos. En el narcosocialismo, el crimen organizado "
        "*se convierte* en el Estado: secuestra las instituciones del Gobierno y las usa como "
        "herramientas del delito, todo bajo el disfraz de la «justicia social».",
    ),
    (
        "The military runs the “Cartel of the Suns,” a state-protected drug empire.",
        "Los militares dirigen el «Cártel de los Soles», un imperio de la droga protegido por "
        "el Estado.",
    ),
    (
        "They recruit from migrant communities, infiltrate social aid systems, and use branding "
        "and strategy like a Fortune 500 company.",
        "Reclutan en comunidades de migrantes, se infiltran en los sistemas de ayuda social y "
        "usan la imagen de marca y la estrategia de una empresa de la lista Fortune 500.",
    ),
    (
        "**China:** Provides cash and infrastructure with zero democratic strings attached.",
        "**China:** aporta dinero e infraestructura sin ninguna condición democrática.",
    ),
    (
        "Foreign policy must draw a red line: **no negotiations with narco-states. Ever.**",
        "La política exterior debe trazar una línea roja: **ninguna negociación con "
        "narcoestados. Nunca.**",
    ),
    ("Available on [Amazon Kindle](#)", "Disponible en [Amazon Kindle](#)"),
    ("#### 1. State Capture", "1. Captura del Estado"),
    ("1. State Capture", "1. Captura del Estado"),
    (
        "**Iran & Hezbollah:** Assist with drug routes, intelligence, and possible infiltration "
        "in the U.S.",
        "**Irán y Hezbolá:** colaboran con las rutas del narcotráfico, la inteligencia y una "
        "posible infiltración en EE. UU.",
    ),
    ("Venezuela", "Venezuela"),
    ("Tren de Aragua", "Tren de Aragua"),
    ("By Ignacio De León", "Por Ignacio De León"),
]


@pytest.mark.parametrize(("source", "target"), GOOD)
def test_a_careful_translation_has_no_findings(source: str, target: str) -> None:
    source = source.lstrip("#").strip()
    assert run(source, target, glossary=GLOSSARY) == []


def test_no_translation_yet_is_not_a_qa_problem() -> None:
    assert run("Everyone profits.", "") == []
    assert run("Everyone profits.", "  \n") == []


# --------------------------------------------------------------------------- placeholders


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        (
            "Available on [Amazon Kindle](#)",
            "Disponible en Amazon Kindle",
            "1 link in the source, 0 in the translation",
        ),
        (
            "Run `pipeline check` before you publish.",
            "Ejecute pipeline check antes de publicar.",
            "code span `pipeline check` missing from the translation",
        ),
        (
            "Run the checks.",
            "Ejecute `pipeline check`.",
            "code span `pipeline check` is not in the source",
        ),
        (
            "See [the `check` command](https://example.org/docs) first.",
            "Vea primero el comando `check` [aquí](https://example.org/docs).",
            "code span `check` is inside a link in the source but not in the translation",
        ),
        (
            "The map ![Routes](routes.png) shows it.",
            "El mapa lo muestra.",
            "1 image in the source, 0 in the translation",
        ),
        (
            "Read it<br>twice.",
            "Léalo dos veces.",
            "inline HTML <br> missing from the translation",
        ),
    ],
)
def test_placeholders_reports_lost_added_and_renested_markup(
    source: str, target: str, message: str
) -> None:
    findings = found(run(source, target), "placeholders")
    assert [f.message for f in findings] == [message]
    assert findings[0].severity is Severity.ERROR


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("Available on [Amazon Kindle](#)", "Disponible en [Amazon Kindle](#)"),
        (
            "See [the `check` command](https://example.org/docs) first.",
            "Vea primero [el comando `check`](https://example.org/docs).",
        ),
        # Alt text may be translated; the image source is the urls check's business.
        ("![Map of the routes](routes.png)", "![Mapa de las rutas](routes.png)"),
        # ``` `` x `` ``` and `` `x` `` are the same code.
        ("Run `check` now.", "Ejecute `` check `` ya."),
        ("Cartel, <abbr>TdA</abbr>, gangs.", "Cártel, <abbr>TdA</abbr>, bandas."),
    ],
)
def test_placeholders_accepts_the_same_markup_in_a_new_order(source: str, target: str) -> None:
    assert found(run(source, target), "placeholders") == []


def test_reference_links_and_footnotes_resolve_through_the_documents_env() -> None:
    doc = parse_document(
        "Available on [Amazon Kindle], says the note[^1].\n\n"
        "[^1]: A note.\n\n[Amazon Kindle]: https://www.amazon.com/dp/B0TEST\n",
        "book.md",
    )
    source = doc.segments[0].source
    before = repr(doc.env)
    good = "Disponible en [Amazon Kindle para España][Amazon Kindle], dice la nota[^1]."
    assert run(source, good, env=doc.env) == []
    lost = found(
        run(source, "Disponible en Amazon Kindle, dice la nota.", env=doc.env), "placeholders"
    )
    assert {f.message for f in lost} == {
        "1 link in the source, 0 in the translation",
        "footnote reference [^1] missing from the translation",
    }
    assert repr(doc.env) == before, "checking must not renumber the document's footnotes"


# --------------------------------------------------------------------------- formatting


def test_formatting_reports_lost_bold_and_italics() -> None:
    findings = found(
        run(
            "In Narco-Socialism, organized crime *becomes* the State — **no tanks, just crime**.",
            "En el narcosocialismo, el crimen organizado se convierte en el Estado: sin tanques, "
            "solo crimen.",
        ),
        "formatting",
    )
    assert [f.message for f in findings] == [
        "bold: 1 in the source, 0 in the translation",
        "italics: 1 in the source, 0 in the translation",
    ]
    assert findings[0].severity is Severity.WARNING


def test_formatting_reports_lost_highlight_insertion_and_scripts() -> None:
    findings = found(
        run(
            "==Back up first.== ^^New:^^ the 2^nd^ run stores CO~2~ data.",
            "Haz una copia antes. Nuevo: la 2.ª ejecución guarda datos de CO2.",
        ),
        "formatting",
    )
    assert [f.message for f in findings] == [
        "highlight: 1 in the source, 0 in the translation",
        "insertion: 1 in the source, 0 in the translation",
        "superscript: 1 in the source, 0 in the translation",
        "subscript: 1 in the source, 0 in the translation",
    ]
    kept = run(
        "==Back up first.== ^^New:^^ the 2^nd^ run stores CO~2~ data.",
        "==Haz una copia antes.== ^^Nuevo:^^ la 2.^a^ ejecución guarda datos de CO~2~.",
    )
    assert found(kept, "formatting") == []


def test_formatting_accepts_italics_added_for_a_foreign_word() -> None:
    findings = run(
        "Mandate blockchain for exports in high-risk zones.",
        "Exigir *blockchain* en las exportaciones de las zonas de alto riesgo.",
    )
    assert found(findings, "formatting") == []


# --------------------------------------------------------------------------- urls


def test_urls_reports_a_changed_link_destination() -> None:
    findings = found(
        run(
            "Available on [Amazon Kindle](https://www.amazon.com/dp/B0TEST)",
            "Disponible en [Amazon Kindle](https://www.amazon.es/dp/B0TEST)",
        ),
        "urls",
    )
    assert [f.message for f in findings] == [
        "URL changed: https://www.amazon.com/dp/B0TEST → https://www.amazon.es/dp/B0TEST"
    ]
    assert findings[0].severity is Severity.ERROR


def test_urls_reports_a_bare_url_changed_in_the_text() -> None:
    findings = found(
        run(
            "The full report: https://example.org/report.",
            "El informe: https://example.org/informe.",
        ),
        "urls",
    )
    assert [f.message for f in findings] == [
        "URL changed: https://example.org/report → https://example.org/informe"
    ]


def test_urls_accepts_the_same_destinations_in_another_form() -> None:
    source = "See <https://example.org/a> and [the report](https://example.org/b) and ![m](m.png)."
    target = "Vea [el informe](<https://example.org/b>), ![mapa](m.png) y <https://example.org/a>."
    assert found(run(source, target), "urls") == []


# --------------------------------------------------------------------------- numbers


def test_numbers_reports_a_changed_number() -> None:
    findings = found(
        run(
            "They use branding and strategy like a Fortune 500 company.",
            "Usan la imagen de marca y la estrategia de una empresa de la lista Fortune 50.",
        ),
        "numbers",
    )
    assert [f.message for f in findings] == [
        "missing from the translation: 500",
        "not in the source: 50",
    ]
    assert findings[0].severity is Severity.ERROR


@pytest.mark.parametrize(
    ("english", "spanish"),
    [
        ("1,000.5", "1.000,5"),
        ("1,000.5", "1 000,5"),
        ("1,000.5", "1\u00a0000,5"),
        ("1,000.5", "1\u202f000,5"),
        ("1,000.5", "1,000.5"),  # the point as decimal mark (Mexico, Central America)
        ("10,000", "10 000"),
        ("10,000", "10.000"),
        ("2,500", "2500"),  # the RAE does not group four-digit numbers
        ("3.5", "3,5"),
        ("0.25", "0,25"),
        ("1,234,567", "1 234 567"),
    ],
)
def test_numbers_accepts_spanish_notation(english: str, spanish: str) -> None:
    findings = run(f"Some {english} migrants crossed.", f"Cruzaron unos {spanish} migrantes.")
    assert found(findings, "numbers") == []


@pytest.mark.parametrize(("english", "spanish"), [("1.5", "15"), ("1,000", "100"), ("3.5", "3,6")])
def test_numbers_does_not_accept_a_different_value(english: str, spanish: str) -> None:
    findings = run(f"Some {english} migrants crossed.", f"Cruzaron unos {spanish} migrantes.")
    assert found(findings, "numbers")


def test_numbers_in_code_and_urls_are_not_counted() -> None:
    words = analyse("Set `retries = 3` as https://example.org/v2/1999 says, in 2025.").words
    assert "3" not in words and "1999" not in words and "2025" in words
    findings = run(
        "Set `retries = 3` as https://example.org/v2/1999 says, in 2025.",
        "Ajuste `retries = 3` como indica https://example.org/v2/1999, en 2025.",
    )
    assert findings == []


def test_a_number_changed_inside_code_is_a_markup_problem_not_a_number_problem() -> None:
    findings = run("Set `retries = 3` first.", "Ajuste primero `retries = 4`.")
    assert found(findings, "numbers") == []
    assert found(findings, "placeholders")


def test_numbers_accepts_roman_numerals_for_centuries_and_ordinals() -> None:
    findings = run("A threat of the 21st century.", "Una amenaza del siglo XXI.", glossary=GLOSSARY)
    assert findings == []
    assert found(run("The 2nd attempt.", "El 2.º intento."), "numbers") == []


# --------------------------------------------------------------------------- untranslated

UNTRANSLATED = "Venezuela is ground zero — the first *successful pilot* of Narco-Socialism."


def test_untranslated_reports_a_copied_source() -> None:
    findings = found(run(UNTRANSLATED, UNTRANSLATED), "untranslated")
    assert [f.message for f in findings] == ["the translation is identical to the source"]
    assert findings[0].severity is Severity.WARNING


def test_untranslated_ignores_case_spacing_and_typography() -> None:
    findings = run(
        "We're no longer talking about isolated corruption.",
        "We\u2019re  no longer talking about ISOLATED corruption.",
    )
    assert found(findings, "untranslated")


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("Venezuela", "Venezuela"),
        ("Tren de Aragua", "Tren de Aragua"),
        ("Ignacio De León", "Ignacio De León"),
        ("Iran & Hezbollah", "Iran & Hezbollah"),
        (
            UNTRANSLATED,
            "Venezuela es la zona cero: el primer *piloto exitoso* del narcosocialismo.",
        ),
    ],
)
def test_untranslated_lets_names_and_translations_pass(source: str, target: str) -> None:
    assert found(run(source, target), "untranslated") == []


# --------------------------------------------------------------------------- length ratio


def test_length_ratio_reports_a_truncated_translation() -> None:
    findings = found(run(UNTRANSLATED, "Venezuela."), "length-ratio")
    assert len(findings) == 1
    assert findings[0].message.startswith("the translation is 0.")
    assert findings[0].severity is Severity.WARNING


def test_length_ratio_reports_a_padded_translation() -> None:
    style = Style(max_length_ratio=1.5)
    target = (
        "Venezuela es, sin ninguna duda posible y a juicio de todos los expertos consultados, "
        "la zona cero: el primer *piloto exitoso* del narcosocialismo en el continente."
    )
    assert found(run(UNTRANSLATED, target, style=style), "length-ratio")


def test_length_ratio_skips_short_segments_and_accepts_spanish_lengths() -> None:
    assert (
        found(run("Everyone profits.", "Todos ganan, y ganan muchísimo dinero."), "length-ratio")
        == []
    )
    target = "Venezuela es la zona cero: el primer *piloto exitoso* del narcosocialismo."
    assert found(run(UNTRANSLATED, target), "length-ratio") == []


# --------------------------------------------------------------------------- glossary


def test_glossary_reports_a_term_not_used() -> None:
    findings = found(
        run(
            "This book unveils a new and dangerously viral phenomenon: **Narco-Socialism**.",
            "Este libro descubre un nuevo y peligrosamente viral fenómeno: **Narco-Socialismo**.",
            glossary=GLOSSARY,
        ),
        "glossary",
    )
    assert [f.message for f in findings] == [
        "“Narco-Socialism” should be translated as “narcosocialismo” (one word, lower case (RAE))"
    ]
    assert findings[0].severity is Severity.WARNING


def test_glossary_accepts_case_and_plural_forms() -> None:
    findings = run(
        "No negotiations with narco-states. Narco-Socialism has allies.",
        "Ninguna negociación con los narcoestados. El Narcosocialismo tiene aliados.",
        glossary=GLOSSARY,
    )
    assert found(findings, "glossary") == []


def test_glossary_prefers_the_longest_term() -> None:
    terms = GLOSSARY.terms_in("Assist with drug routes and Narco-Socialism.")
    assert [t.source for t in terms] == ["drug routes", "Narco-Socialism"]
    assert [t.source for t in GLOSSARY.terms_in("Drug lords; drug routes.")] == [
        "drug",
        "drug routes",
    ]


def test_glossary_matches_whole_words_only() -> None:
    assert GLOSSARY.terms_in("Statement on drugstores") == []
    assert [t.source for t in GLOSSARY.terms_in("a state-protected empire")] == ["State"]


def test_glossary_ignores_terms_inside_code() -> None:
    assert run("Set `State` to on.", "Ponga `State` en on.", glossary=GLOSSARY) == []


def test_glossary_rows_with_the_same_source_are_alternatives() -> None:
    glossary = Glossary(
        [GlossaryTerm("cartel", "cártel", ""), GlossaryTerm("cartel", "cartel", "also valid")]
    )
    assert (
        found(run("A drug cartel.", "Un cartel de la droga.", glossary=glossary), "glossary") == []
    )
    findings = found(run("A drug cartel.", "Una banda de la droga.", glossary=glossary), "glossary")
    assert [f.message for f in findings] == [
        "“cartel” should be translated as “cártel” or “cartel” (also valid)"
    ]


# --------------------------------------------------------------------------- glossary file


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "glossary.csv"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def test_glossary_load_reads_the_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\ufeffsource,target,note\n"
        'Narco-Socialism,narcosocialismo,"one word, lower case"\n'
        "\n"
        "Cartel of the Suns,Cártel de los Soles,\n"
        "State,Estado\n",
    )
    glossary = Glossary.load(path)
    assert glossary.terms == (
        GlossaryTerm("Narco-Socialism", "narcosocialismo", "one word, lower case"),
        GlossaryTerm("Cartel of the Suns", "Cártel de los Soles", ""),
        GlossaryTerm("State", "Estado", ""),
    )
    assert len(glossary) == 3
    assert [t.target for t in glossary.terms_in("The military runs the “Cartel of the Suns.”")] == [
        "Cártel de los Soles"
    ]


def test_glossary_load_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    glossary = Glossary.load(tmp_path / "glossary.csv")
    assert len(glossary) == 0 and not glossary
    assert glossary.terms_in("Narco-Socialism") == []


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "source,target,note\nState,Estado,\nDrug,droga,a,b\n",
            3,
            "4 fields where the header has 3",
        ),
        ("source,target,note\nState,Estado,\nNarco-Socialism,,\n", 3, "the target term is empty"),
        ("source,target,note\n\n,Estado,\n", 3, "the source term is empty"),
        ("source,translation\nState,Estado\n", 1, "unknown column 'translation' in the header"),
        ("note,target\nx,Estado\n", 1, "the header has no 'source' column"),
        ('source,target\nState,"Estado\n', 2, "malformed CSV"),
    ],
)
def test_glossary_load_names_the_file_and_line_of_a_malformed_row(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(GlossaryError) as info:
        Glossary.load(path)
    error = info.value
    assert isinstance(error, PipelineError)
    assert error.path == str(path) and error.line == line
    assert error.message.startswith(message)
    assert error.hint
    assert str(error).startswith(f"{path}:{line}: ")


def test_glossary_load_rejects_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "source,target\nState,Estado\nPrison,Cárcel\n".encode("latin-1"))
    with pytest.raises(GlossaryError) as info:
        Glossary.load(path)
    assert info.value.line == 3
    assert "UTF-8" in str(info.value)


# --------------------------------------------------------------------------- inverted marks


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("I. Cuál es la gran idea?", "“?” without an opening “¿”: “I. Cuál es la gran idea?”"),
        ("I. ¿Cuál es la gran idea", "“¿” without a closing “?”: “¿Cuál es la gran idea”"),
        ("¿Qué? Nada. Y ahora qué?", "“?” without an opening “¿”: “Y ahora qué?”"),
        ("¿Qué hacemos. Nada?", "“¿” without a closing “?”: “¿Qué hacemos.”"),
        ("Nadie lo detiene. Todos ganan!", "“!” without an opening “¡”: “Todos ganan!”"),
    ],
)
def test_inverted_marks_reports_unpaired_marks(target: str, message: str) -> None:
    findings = found(run("What's the Big Idea?", target), "es-inverted-marks")
    assert message in [f.message for f in findings]
    assert findings[0].severity is Severity.WARNING


@pytest.mark.parametrize(
    "target",
    [
        "I. ¿Cuál es la gran idea?",
        "¿Qué pasa? ¡Nada! Sigue.",
        "Si no actuamos ahora, ¿quién lo hará?",
        "¡¿Cómo es posible?!",
        "¿Llegó el cártel a EE. UU. en 2019?",
        "¿Lo dijo el Sr. García?",
        "Es una cifra oficial (?) que nadie verifica (!).",
        "Usa `a?b` y https://example.org/?q=1 sin más.",
    ],
)
def test_inverted_marks_accepts_spanish_punctuation(target: str) -> None:
    assert found(run("What's the Big Idea?", target), "es-inverted-marks") == []


def test_inverted_marks_only_for_spanish() -> None:
    assert found(run("¿Qué?", "What's the Big Idea?", lang="en"), "es-inverted-marks") == []


# --------------------------------------------------------------------------- quotes

SOCIAL = "all under the disguise of “social justice.”"


def test_quotes_reports_straight_quotes() -> None:
    findings = found(run(SOCIAL, 'todo bajo el disfraz de la "justicia social".'), "es-quotes")
    assert [f.message for f in findings] == [
        'straight quotes where the book uses «»: …do bajo el disfraz de la "justicia social".'
    ]
    assert findings[0].severity is Severity.WARNING


def test_quotes_reports_english_quotes_where_the_book_uses_angle_quotes() -> None:
    findings = found(run(SOCIAL, "todo bajo el disfraz de la “justicia social”."), "es-quotes")
    assert len(findings) == 1 and findings[0].message.startswith("“” outside «»")


def test_quotes_reports_angle_quotes_where_the_book_uses_english_quotes() -> None:
    findings = run(
        SOCIAL, "todo bajo el disfraz de la «justicia social».", style=Style(quotes="“”")
    )
    assert found(findings, "es-quotes")


@pytest.mark.parametrize(
    ("target", "style"),
    [
        ("todo bajo el disfraz de la «justicia social».", SPANISH),
        ("bajo el disfraz de «lo que llaman “justicia social”».", SPANISH),
        ("todo bajo el disfraz de la “justicia social”.", Style(quotes="“”")),
        ('todo bajo el disfraz de la "justicia social".', Style(quotes='""')),
        ('todo bajo el disfraz de la `"justicia"` social.', Style()),
    ],
)
def test_quotes_accepts_the_books_style(target: str, style: Style) -> None:
    assert found(run(SOCIAL, target, style=style), "es-quotes") == []


def test_quotes_only_for_spanish() -> None:
    assert found(run("la «justicia social»", 'the "social justice"', lang="en"), "es-quotes") == []


# --------------------------------------------------------------------------- spaces


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "Estados enteros , legitimados por la retórica.",
            "space before “,”: Estados enteros , legitimados por la retór…",
        ),
        ("¿ Qué define el narcosocialismo?", "space after “¿”: ¿ Qué define el narcosocial…"),
        ("Todos ganan !", "space before “!”: Todos ganan !"),
        ("un eslogan ( falso) de lucha.", "space after “(”: un eslogan ( falso) de lucha."),
        ("la «justicia social » y más.", "space before “»”: la «justicia social » y más."),
    ],
)
def test_space_before_punct_reports_stray_spaces(target: str, message: str) -> None:
    findings = found(run("Everyone profits.", target), "space-before-punct")
    assert [f.message for f in findings] == [message]
    assert findings[0].severity is Severity.WARNING


@pytest.mark.parametrize(
    "target",
    [
        "Estados enteros, legitimados por la retórica (de la «revolución»).",
        "Y entonces ... nada.",
        "Ejecute `pipeline check ;` sin miedo.",
        "¿Qué? ¡Nada!",
    ],
)
def test_space_before_punct_accepts_clean_text(target: str) -> None:
    assert found(run("Everyone profits.", target), "space-before-punct") == []


def test_nbsp_reports_a_missing_no_break_space_where_the_style_asks() -> None:
    style = Style(nbsp_before="%")
    findings = found(run("About 40% of them.", "Cerca del 40 % de ellos.", style=style), "nbsp")
    assert [f.message for f in findings] == [
        "a normal space before “%” where a no-break space is required: Cerca del 40 % de ellos."
    ]
    assert findings[0].severity is Severity.WARNING
    assert found(run("About 40% of them.", "Cerca del 40% de ellos.", style=style), "nbsp")


def test_nbsp_accepts_a_no_break_space_and_is_off_by_default() -> None:
    style = Style(nbsp_before="%")
    assert found(run("About 40%.", "Cerca del 40\u00a0%.", style=style), "nbsp") == []
    assert found(run("About 40%.", "Cerca del 40\u202f%.", style=style), "nbsp") == []
    assert found(run("About 40%.", "Cerca del 40 %."), "nbsp") == []


# --------------------------------------------------------------------------- API


def test_skip_leaves_out_checks() -> None:
    findings = check_segment(
        "s1",
        UNTRANSLATED,
        UNTRANSLATED,
        source_lang="en",
        target_lang="es",
        skip={"untranslated"},
    )
    assert findings == []


def test_findings_fail_by_severity_or_strictness() -> None:
    error = Finding(
        lang="es",
        segment_id="s1",
        severity=Severity.ERROR,
        check_id="numbers",
        title="Numbers differ",
        message="x",
    )
    warning = Finding(
        lang="es",
        segment_id="s1",
        severity=Severity.WARNING,
        check_id="glossary",
        title="Glossary term not used",
        message="x",
    )
    assert error.fails() and error.fails(strict=True)
    assert not warning.fails() and warning.fails(strict=True)
    assert str(error) == "error [numbers] s1: x"
    placed = Finding(**{**_fields(error), "book": "b", "location": "content/en/b.md:3"})
    assert str(placed) == "content/en/b.md:3: error [numbers] s1: x"
    assert str(Severity.WARNING) == "warning"


def _fields(finding: Finding) -> dict[str, object]:
    return {name: getattr(finding, name) for name in Finding.__dataclass_fields__}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"quotes": "„“"},
        {"min_length_ratio": 2.0, "max_length_ratio": 1.0},
        {"min_length_ratio": 0.0},
        {"min_length": -1},
    ],
)
def test_style_rejects_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Style(**kwargs)  # type: ignore[arg-type]


def test_machine_translation_defects_are_all_reported() -> None:
    """What Apertium made of a sentence of the book, checked as the build does."""
    source = (
        "They don't *believe* in socialism — they use its language to excuse their crimes. "
        "“We're fighting imperialism” becomes a slogan to justify drug trafficking and repression."
    )
    target = (
        "No *creen* en socialismo — utilizan su lengua para disculparse sus delitos. "
        "“ Estamos luchando el imperialismo” acaece un eslogan para justificar narcotráfico y "
        "represión."
    )
    ids = {f.check_id for f in run(source, target)}
    assert ids == {"space-before-punct", "es-quotes"}
