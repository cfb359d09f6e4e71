"""The glossary applied by the engine: terms, never-translate names, case, plurals,
re-translation on a glossary change, the cache key, ``glossary suggest``, TBX.

Each engine case runs with the pseudo engine and with real Apertium."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers import assert_one_line_error, make_project, po_path, run

from pipeline.catalog.catalog import Catalog, State
from pipeline.mt.base import Engine
from pipeline.mt.cache import MTCache, translate_with_cache
from pipeline.mt.glossary import protect, restore
from pipeline.mt.pseudo import PseudoEngine
from pipeline.mt.registry import get_engine
from pipeline.qa.glossary import Glossary, GlossaryTerm
from pipeline.source.inline import decode, encode

ROOT = Path(__file__).resolve().parent.parent
SEED_GLOSSARY = ROOT / "content" / "glossary.csv"

needs_apertium = pytest.mark.skipif(
    shutil.which("apertium") is None, reason="apertium is not installed"
)
ENGINES = ["pseudo", pytest.param("apertium", marks=needs_apertium)]

NAMES = Glossary(
    [GlossaryTerm("Rust", "Rust"), GlossaryTerm("Python", "Python"), GlossaryTerm("Go", "Go")]
)


def translate(engine: Engine, source: str, glossary: Glossary) -> tuple[str, list[str]]:
    """What the translate stage does with one segment: encode, protect, engine,
    restore, decode."""
    enc = encode(source)
    sent = protect(enc.tagged, glossary, hint=engine.term_hint, lang="es")
    [output] = engine.translate([sent.tagged], "en", "es")
    restored, problems = restore(output, sent, "es")
    text, more = decode(restored, enc)
    return text, problems + more


@pytest.fixture(scope="module")
def seed() -> Glossary:
    return Glossary.load(SEED_GLOSSARY)


# --- terms, names, case, plural ---------------------------------------------------------------


@pytest.mark.parametrize("name", ENGINES)
def test_a_term_comes_back_as_its_target(name: str, seed: Glossary) -> None:
    engine = get_engine(name)
    text, problems = translate(engine, "How Narco-Socialism became Viral", seed)
    assert "narcosocialismo" in text
    assert "Narco" not in text and "socialismo " not in text.replace("narcosocialismo", "")
    assert problems == []
    text, _ = translate(engine, "The narco-state is bad.", seed)
    assert "narcoestado" in text and "narco-" not in text


def test_without_the_glossary_apertium_translates_the_term_word_by_word(seed: Glossary) -> None:
    if shutil.which("apertium") is None:
        pytest.skip("apertium is not installed")
    text, _ = translate(get_engine("apertium"), "How Narco-Socialism became Viral", Glossary())
    assert "narcosocialismo" not in text  # the glossary is what makes the difference


@pytest.mark.parametrize("name", ENGINES)
def test_never_translate_keeps_names_as_written(name: str) -> None:
    engine = get_engine(name)
    text, problems = translate(engine, "Rust and Python are faster than Go.", NAMES)
    words = text.replace(".", " ").split()
    assert {"Rust", "Python", "Go"} <= set(words), text
    for mangled in ("Enmohece", "Pitón", "Ir", "Rüst", "Pýthöñ", "Gö"):
        assert mangled not in words
    assert problems == []


@pytest.mark.parametrize("name", ENGINES)
def test_a_term_starting_a_sentence_gets_a_capital(name: str, seed: Glossary) -> None:
    engine = get_engine(name)
    text, _ = translate(engine, "Narco-Socialism is not a local crime issue.", seed)
    assert "Narcosocialismo" in text and "narcosocialismo" not in text
    text, _ = translate(engine, "We know it. Narco-Socialism is not a local crime issue.", seed)
    assert "Narcosocialismo" in text
    # Mid-sentence, the glossary's own case (lower case), even where the source has a capital.
    text, _ = translate(engine, "In Narco-Socialism, organized crime becomes the State.", seed)
    assert "narcosocialismo" in text and "Narcosocialismo" not in text


@pytest.mark.parametrize("name", ENGINES)
def test_a_plural_source_gets_the_target_plural(name: str, seed: Glossary) -> None:
    engine = get_engine(name)
    text, _ = translate(engine, "There are no negotiations with narco-states. Ever.", seed)
    assert "narcoestados" in text
    text, _ = translate(engine, "Narco-states are dangerous.", seed)
    assert "Narcoestados" in text


@pytest.mark.parametrize("name", ENGINES)
def test_the_plural_column_wins_over_the_rules(name: str) -> None:
    glossary = Glossary([GlossaryTerm("narco-state", "narcoestado", plural="narcoestadoz")])
    text, _ = translate(get_engine(name), "We fight narco-states.", glossary)
    assert "narcoestadoz" in text


def test_spanish_plural_rules() -> None:
    from pipeline.lang.plurals import plural

    cases = {
        "narcoestado": "narcoestados",
        "Cártel de los Soles": "Cárteles de los Soles",
        "línea roja": "líneas rojas",
        "canción": "canciones",
        "crimen": "crímenes",
        "país": "países",
        "luz": "luces",
        "crisis": "crisis",
        "ONG": "ONG",
    }
    assert {word: plural("es", word) for word in cases} == cases


def test_terms_inside_code_and_markup_words() -> None:
    glossary = Glossary([GlossaryTerm("Rust", "Rust")])
    enc = encode("Use **Rust** and `Rust code` daily.")
    sent = protect(enc.tagged, glossary, hint="source", lang="es")
    assert list(sent.terms) == ["xt1"]  # the code span is not a term: it is not words
    text, problems = decode(
        restore(PseudoEngine().translate([sent.tagged], "en", "es")[0], sent, "es")[0], enc
    )
    assert "**Rust**" in text and "`Rust code`" in text and problems == []


def test_a_term_the_engine_drops_or_doubles_is_a_problem(seed: Glossary) -> None:
    sent = protect("How Narco-Socialism became Viral", seed, hint="source", lang="es")
    _, problems = restore("Cómo devenía viral", sent, "es")
    assert problems == ["glossary term “narcosocialismo” dropped by the engine"]
    doubled = '<span id="xt1">a</span> y <span id="xt1">b</span>'
    text, problems = restore(doubled, sent, "es")
    assert text == "Narcosocialismo y " and "doubled" in problems[0]


# --- the translate stage: glossary changes, reviewed entries, the cache -----------------------

BOOK = "# A Book\n\nThe narco-state grows.\n\nEvery narco-state lies.\n\nNothing to see here.\n"


def _project(tmp_path: Path, engine: str, glossary: str) -> Path:
    project = make_project(tmp_path, {"book": BOOK}, engine=engine)
    (project / "content" / "glossary.csv").write_text(glossary, encoding="utf-8")
    return project


def _catalog(project: Path) -> Catalog:
    return Catalog.load(po_path(project, "es", "book"), lang="es", source_lang="en", book="book")


def _ids(cat: Catalog, fragment: str) -> str:
    [found] = [sid for sid in cat.ids() if fragment in cat.entry(sid).source]
    return found


@pytest.mark.parametrize("name", ENGINES)
def test_a_glossary_change_retranslates_only_the_machine_entries_it_touches(
    tmp_path: Path, name: str
) -> None:
    project = _project(tmp_path, name, "source,target\nnarco-state,narcoestado\n")
    assert run("build", "-f", "html", project=project).code == 0
    cat = _catalog(project)
    grows, lies, nothing = (_ids(cat, w) for w in ("grows", "lies", "Nothing"))
    assert "narcoestado" in (cat.translation(grows) or "")
    recorded = cat.entry(grows).glossary
    assert recorded and cat.entry(nothing).glossary is None
    # A reviewer approves one of the two.
    cat.approve(lies, "Ana")
    cat.save()
    reviewed = cat.translation(lies)
    untouched = (cat.translation(nothing), cat.entry(nothing).engine)

    (project / "content" / "glossary.csv").write_text(
        "source,target\nnarco-state,Estado narco\n", encoding="utf-8"
    )
    assert run("build", "-f", "html", project=project).code == 0
    cat = _catalog(project)
    assert "Estado narco" in (cat.translation(grows) or "")
    assert cat.state(grows) is State.MACHINE
    assert cat.entry(grows).glossary not in (None, recorded)
    assert cat.state(lies) is State.REVIEWED and cat.translation(lies) == reviewed
    assert (cat.translation(nothing), cat.entry(nothing).engine) == untouched
    assert "pipeline: glossary" in po_path(project, "es", "book").read_text(encoding="utf-8")


def test_an_unchanged_glossary_sends_nothing_again(tmp_path: Path) -> None:
    project = _project(tmp_path, "pseudo", "source,target\nnarco-state,narcoestado\n")
    assert run("build", "-f", "html", project=project).code == 0
    before = po_path(project, "es", "book").read_text(encoding="utf-8")
    (project / "content" / "en" / "book.md").write_text(BOOK + "\nA new line.\n", encoding="utf-8")
    assert run("build", "-f", "html", project=project).code == 0
    after = po_path(project, "es", "book").read_text(encoding="utf-8")
    # The entries made before keep their records (mt-sha included): not made again.
    for line in before.splitlines():
        if line.startswith("#. pipeline: mt-sha"):
            assert line in after


class Counting(PseudoEngine):
    def __init__(self) -> None:
        self.sent: list[str] = []

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.sent.extend(texts)
        return super().translate(texts, source, target)


def test_the_glossary_is_part_of_the_cache_key(tmp_path: Path, seed: Glossary) -> None:
    engine = Counting()
    enc = encode("The narco-state grows.")
    first = protect(enc.tagged, seed, hint="source", lang="es")
    other = protect(
        enc.tagged,
        Glossary([GlossaryTerm("narco-state", "Estado narco")]),
        hint="source",
        lang="es",
    )
    assert first.tagged == other.tagged  # the same text is sent…
    assert first.key != other.key and first.key.startswith("glossary ")  # …in another context
    with MTCache(tmp_path / "mt.sqlite") as cache:
        for sent in (first, first, other):
            translate_with_cache(engine, cache, [sent.tagged], "en", "es", contexts=[sent.key])
        _, count = translate_with_cache(engine, cache, [enc.tagged], "en", "es")
    assert len(engine.sent) == 3  # first once (then cached), other once, no glossary once
    assert count == 1


def test_a_version_1_cache_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "mt.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE translation (engine TEXT NOT NULL, engine_version TEXT NOT NULL, "
        "source_lang TEXT NOT NULL, target_lang TEXT NOT NULL, source_text TEXT NOT NULL, "
        "target_text TEXT NOT NULL, created TEXT NOT NULL, PRIMARY KEY (engine, "
        "engine_version, source_lang, target_lang, source_text))"
    )
    conn.execute("INSERT INTO translation VALUES ('pseudo', '1', 'en', 'es', 'a', 'b', 'now')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with MTCache(path) as cache:
        assert cache.get_many("pseudo", "1", "en", "es", ["a"]) == {"a": "b"}
        assert cache.get_many("pseudo", "1", "en", "es", ["a"], "glossary x") == {}


# --- glossary suggest ---------------------------------------------------------------------------

SUGGEST = (
    "# Learning Rust\n\n"
    "This book, published by No Starch Press, teaches Rust and Python.\n"
    "We compare Rust and Go. The publisher No Starch Press also sells\n"
    "books on Python.\n\n"
    "Narco-Socialism is known. I like `Rust Code` and the Cartel of the Suns.\n"
)


@pytest.mark.parametrize("name", ENGINES)
def test_glossary_suggest_lists_names_with_counts_and_places(tmp_path: Path, name: str) -> None:
    project = make_project(tmp_path, {"book": SUGGEST}, engine=name)
    shutil.copy(SEED_GLOSSARY, project / "content" / "glossary.csv")
    code, out, err = run("glossary", "suggest", project=project)
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()[2:] if line.startswith("  ")]
    first = {" ".join(r[1:4]) if r[1] == "No" else r[1]: r for r in rows}
    assert first["No Starch Press"][0] == "2"
    assert first["No Starch Press"][-1] == "content/en/book.md:3"
    assert first["Rust"][0] == "2" and first["Python"][0] == "2"
    assert first["Python"][-1] == "content/en/book.md:3"
    counts = [int(r[0]) for r in rows]
    assert counts == sorted(counts, reverse=True)
    assert "Narco-Socialism" not in out  # in the glossary already (and starting a sentence)
    assert "Code" not in out  # code is not words
    if name == "apertium":
        assert "Ninguna Prensa de Almidón" in out and "Enmohece" in out


# --- TBX ----------------------------------------------------------------------------------------

TBX3 = """<?xml version="1.0" encoding="UTF-8"?>
<tbx type="TBX-Core" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2">
  <tbxHeader><fileDesc><sourceDesc><p>Test</p></sourceDesc></fileDesc></tbxHeader>
  <text><body>
    <conceptEntry id="c1">
      <langSec xml:lang="en"><termSec><term>Narco-Socialism</term></termSec></langSec>
      <langSec xml:lang="es"><termSec><term>narcosocialismo</term></termSec></langSec>
    </conceptEntry>
    <conceptEntry id="c2">
      <langSec xml:lang="en"><termSec><term>Rust</term></termSec></langSec>
      <langSec xml:lang="es"><termSec><term>Rust</term></termSec></langSec>
    </conceptEntry>
  </body></text>
</tbx>
"""

TBX_BASIC = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE martif SYSTEM "TBXBasiccoreStructV02.dtd">
<martif type="TBX-Basic" xml:lang="en-US">
  <text><body>
    <termEntry id="t1">
      <descrip type="definition">A state run by criminals.</descrip>
      <langSet xml:lang="en-US"><tig><term>narco-state</term></tig></langSet>
      <langSet xml:lang="es"><tig><term>narcoestado</term></tig></langSet>
      <langSet xml:lang="pt"><tig><term>narcoestado</term></tig></langSet>
    </termEntry>
  </body></text>
</martif>
"""


def test_a_tbx_glossary_is_read() -> None:
    path = Path("glossary.tbx")
    from pipeline.qa.tbx import read_tbx

    terms = read_tbx(TBX3.encode(), path)
    assert [(t.source, t.target, t.lang, t.keep) for t in terms] == [
        ("Narco-Socialism", "narcosocialismo", "es", False),
        ("Rust", "Rust", "es", True),
    ]
    basic = read_tbx(TBX_BASIC.encode(), path, "en")
    assert [(t.source, t.target, t.lang, t.note) for t in basic] == [
        ("narco-state", "narcoestado", "es", "A state run by criminals."),
        ("narco-state", "narcoestado", "pt", "A state run by criminals."),
    ]
    assert len(Glossary(basic).for_language("es")) == 1


@pytest.mark.parametrize("name", ENGINES)
def test_a_tbx_glossary_is_applied_by_the_engine(tmp_path: Path, name: str) -> None:
    book = "# T\n\nHow Narco-Socialism became Viral with Rust.\n"
    project = make_project(tmp_path, {"book": book}, engine=name)
    (project / "content" / "glossary.tbx").write_text(TBX3, encoding="utf-8")
    code, _, err = run("build", "-f", "html", project=project)
    assert code == 0, err
    text = po_path(project, "es", "book").read_text(encoding="utf-8")
    assert "narcosocialismo" in text and "Rust" in text.split("msgid")[-1].split("msgstr")[1]


def test_a_csv_and_a_tbx_glossary_together_is_an_error(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    shutil.copy(SEED_GLOSSARY, project / "content" / "glossary.csv")
    (project / "content" / "glossary.tbx").write_text(TBX3, encoding="utf-8")
    for args in (("build", "-f", "html"), ("glossary", "suggest")):
        assert_one_line_error(
            run(*args, project=project),
            "two glossaries",
            "glossary.csv and glossary.tbx",
            "keep one",
        )


def test_a_malformed_tbx_glossary_is_an_error_with_its_line(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    broken = TBX3.replace("<term>Rust</term>", "<term>Rust</trem>")
    (project / "content" / "glossary.tbx").write_text(broken, encoding="utf-8")
    line = 1 + broken[: broken.index("</trem>")].count("\n")
    error = assert_one_line_error(run("build", "-f", "html", project=project), "malformed TBX")
    assert f"glossary.tbx:{line}:" in error


def test_a_tbx_glossary_with_an_entity_definition_is_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    bomb = TBX3.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?>\n<!DOCTYPE tbx [<!ENTITY a "aaaaaaaaaa">]>',
    )
    (project / "content" / "glossary.tbx").write_text(bomb, encoding="utf-8")
    assert_one_line_error(run("build", "-f", "html", project=project), "refused")


# --- argos: the term is shown as its target and comes back once -------------------------------


def test_argos_gets_the_target_term_and_gives_it_back_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: Glossary
) -> None:
    pytest.importorskip("ctranslate2")
    from pipeline.mt.argos import ArgosEngine
    from pipeline.mt.argos_testing import build_argos_model
    from pipeline.mt.packages import install

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    model = build_argos_model(tmp_path / "translate-en_es-1_0.argosmodel", seed=0)
    install(model, tmp_path / "packages")
    engine = ArgosEngine(tmp_path / "packages")
    assert engine.term_hint == "target"
    enc = encode("How Narco-Socialism became Viral with narco-states.")
    sent = protect(enc.tagged, seed, hint=engine.term_hint, lang="es")
    assert ">narcosocialismo</span>" in sent.tagged and ">narcoestados</span>" in sent.tagged
    text, problems = translate(engine, "How Narco-Socialism became Viral with narco-states.", seed)
    assert text.count("narcosocialismo") == 1 and text.count("narcoestados") == 1, text
    assert not [p for p in problems if "glossary" in p]
