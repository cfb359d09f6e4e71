"""Translation memory: reviewed translations reused across books and from imported
TMX files (exact matches pre-fill entries, similar ones are suggested)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from helpers import assert_one_line_error, make_project, po_path, run

from pipeline.catalog.catalog import Catalog, State
from pipeline.config import load_config
from pipeline.mt import registry
from pipeline.mt.pseudo import PseudoEngine
from pipeline.project import open_book
from pipeline.tm import FUZZY_THRESHOLD, Memory, Unit, load_memory, read_tmx
from pipeline.webreview.store import ReviewStore

SHARED = "The same paragraph appears in both books."
SIMILAR = "The same paragraph appears in both of the books."
FAR = "Nothing at all like the other sentences here."
SHARED_ES = "El mismo párrafo aparece en los dos libros."

ALPHA = f"# Alpha\n\n{SHARED}\n\nOnly in alpha.\n"
BETA = f"# Beta\n\n{SHARED}\n\n{SIMILAR}\n\n{FAR}\n"


class CountingEngine(PseudoEngine):
    """The pseudo engine, remembering every text it is asked to translate."""

    name = "counting"
    asked: ClassVar[list[str]] = []

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        CountingEngine.asked.extend(texts)
        return super().translate(texts, source, target)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> type[CountingEngine]:
    CountingEngine.asked = []
    monkeypatch.setitem(registry.ENGINES, "counting", CountingEngine)
    return CountingEngine


@pytest.fixture
def project(tmp_path: Path, counting: type[CountingEngine]) -> Path:
    return make_project(tmp_path / "p", {"alpha": ALPHA, "beta": BETA}, engine="counting")


def ok(*args: str | Path, project: Path) -> str:
    result = run(*args, project=project)
    assert result.code == 0, result
    return result.out


def sid_of(catalog: Catalog, source: str) -> str:
    return next(sid for sid in catalog.ids() if catalog.entry(sid).source == source)


def approve_in_alpha(project: Path, source: str = SHARED, text: str = SHARED_ES) -> None:
    """A reviewer approves ``text`` for ``source`` in book alpha (alpha only translated)."""
    ok("translate", "--book", "alpha", project=project)
    _book, _doc, catalog = open_book(load_config(project), "alpha", "es")
    catalog.approve(sid_of(catalog, source), "Ana", text=text)
    catalog.save()


def beta(project: Path) -> Catalog:
    return open_book(load_config(project), "beta", "es")[2]


# -------------------------------------------------------------------------- exact reuse


def test_a_reviewed_translation_prefills_the_same_paragraph_of_another_book(
    project: Path, counting: type[CountingEngine]
) -> None:
    approve_in_alpha(project)
    counting.asked = []
    ok("translate", "--book", "beta", project=project)
    catalog = beta(project)
    entry = catalog.entry(sid_of(catalog, SHARED))
    assert entry.translation == SHARED_ES
    assert entry.state is State.MACHINE  # fuzzy: a person still approves it
    assert entry.engine == "tm alpha"
    assert SHARED not in counting.asked  # the engine was not asked for it
    assert any(SIMILAR in text for text in counting.asked)  # the others went to the engine
    text = po_path(project, "es", "beta").read_text(encoding="utf-8")
    assert "#. pipeline: mt tm alpha\n" in text


def test_a_memory_match_holding_a_glossary_term_is_not_sent_to_the_engine_again(
    project: Path, counting: type[CountingEngine]
) -> None:
    """The glossary's re-translation of machine entries leaves the memory's alone."""
    (project / "content" / "glossary.csv").write_text(
        "source,target,note\nparagraph,párrafo,\n", encoding="utf-8"
    )
    approve_in_alpha(project)
    for _ in range(2):
        counting.asked = []
        ok("translate", "--book", "beta", project=project)
        catalog = beta(project)
        assert catalog.entry(sid_of(catalog, SHARED)).engine == "tm alpha"
        assert not any("appears in both books" in text for text in counting.asked)


def test_whitespace_does_not_matter_and_build_uses_the_memory_too(
    project: Path, counting: type[CountingEngine]
) -> None:
    (project / "content" / "en" / "beta.md").write_text(
        BETA.replace(SHARED, "The same paragraph\nappears in  both books."), encoding="utf-8"
    )
    approve_in_alpha(project)
    counting.asked = []
    ok("build", "--book", "beta", project=project)
    catalog = beta(project)
    [sid] = [s for s in catalog.ids() if catalog.entry(s).source.startswith("The same paragraph\n")]
    assert catalog.entry(sid).translation == SHARED_ES
    assert catalog.entry(sid).engine == "tm alpha"
    assert not any("same paragraph\n" in text for text in counting.asked)


def test_a_machine_translation_is_replaced_by_the_memory_but_a_persons_never(
    project: Path,
) -> None:
    ok("translate", project=project)  # both books by the engine
    catalog = beta(project)
    assert catalog.entry(sid_of(catalog, SHARED)).engine.startswith("counting")
    approve_in_alpha(project)
    ok("translate", project=project)
    catalog = beta(project)
    assert catalog.entry(sid_of(catalog, SHARED)).engine == "tm alpha"
    # A person's translation in beta stays as it is.
    catalog.set_translation(sid_of(catalog, SHARED), "Traducción de una persona.")
    catalog.save()
    ok("translate", "--force", project=project)
    entry = beta(project).entry(sid_of(beta(project), SHARED))
    assert entry.translation == "Traducción de una persona."
    assert entry.state is State.NEEDS_REVIEW


def test_only_reviewed_translations_are_remembered(project: Path) -> None:
    ok("translate", project=project)
    memory = load_memory(load_config(project), "es")
    assert len(memory) == 0
    approve_in_alpha(project)
    memory = load_memory(load_config(project), "es")
    assert [(u.source, u.target, u.origin) for u in memory.units()] == [
        (SHARED, SHARED_ES, "alpha")
    ]


# -------------------------------------------------------------------------- TMX import

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def tmx(units: Sequence[tuple[str, str]], langs: tuple[str, str] = ("en-US", "es-ES")) -> str:
    """A TMX 1.4 file as a CAT tool writes it: one unit per (source, target)."""
    body = "".join(
        f'    <tu tuid="u{i}">\n'
        f'      <tuv xml:lang="{langs[0]}"><seg>{src}</seg></tuv>\n'
        f'      <tuv xml:lang="{langs[1]}"><seg>{tgt}</seg></tuv>\n'
        "    </tu>\n"
        for i, (src, tgt) in enumerate(units, 1)
    )
    return (
        XML_HEAD
        + '<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n'
        + '<tmx version="1.4">\n'
        + f'  <header creationtool="OmegaT" segtype="sentence" srclang="{langs[0]}" '
        + 'adminlang="en" datatype="plaintext" o-tmf="OmegaT TMX" creationtoolversion="6"/>\n'
        + "  <body>\n"
        + body
        + "  </body>\n</tmx>\n"
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_tmx_import_then_exact_reuse(
    project: Path, tmp_path: Path, counting: type[CountingEngine]
) -> None:
    publisher = write(tmp_path / "publisher.tmx", tmx([(SHARED, "Del editor: el mismo párrafo.")]))
    out = ok("tm", "import", publisher, project=project)
    assert "publisher.tmx" in out and "1 en->es" in out
    stored = project / "content" / "tm" / "publisher.tmx"
    assert stored.read_bytes() == publisher.read_bytes()
    counting.asked = []
    ok("translate", project=project)
    for book in ("alpha", "beta"):
        catalog = open_book(load_config(project), book, "es")[2]
        entry = catalog.entry(sid_of(catalog, SHARED))
        assert entry.translation == "Del editor: el mismo párrafo."
        assert entry.engine == "tm imported:publisher.tmx"
        assert entry.state is State.MACHINE
    assert SHARED not in counting.asked


def test_the_books_reviewed_translation_comes_before_an_imported_one(
    project: Path, tmp_path: Path
) -> None:
    publisher = write(tmp_path / "publisher.tmx", tmx([(SHARED, "Del editor.")]))
    ok("tm", "import", publisher, project=project)
    approve_in_alpha(project)
    ok("translate", "--book", "beta", project=project)
    catalog = beta(project)
    assert catalog.entry(sid_of(catalog, SHARED)).engine == "tm alpha"


def test_import_is_idempotent(project: Path, tmp_path: Path) -> None:
    publisher = write(tmp_path / "publisher.tmx", tmx([(SHARED, "Del editor.")]))
    ok("tm", "import", publisher, project=project)
    folder = project / "content" / "tm"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    again = ok("tm", "import", publisher, project=project)
    assert "already imported" in again
    copy = write(tmp_path / "copy.tmx", publisher.read_text(encoding="utf-8"))
    ok("tm", "import", copy, project=project)  # same content under another name
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    # The same name with new content replaces the earlier file.
    write(publisher, tmx([(SHARED, "Del editor, revisado.")]))
    assert "Updated" in ok("tm", "import", publisher, project=project)
    assert sorted(p.name for p in folder.iterdir()) == ["publisher.tmx"]
    memory = load_memory(load_config(project), "es")
    assert [u.target for u in memory.units()] == ["Del editor, revisado."]


def test_a_malformed_tmx_is_a_one_line_error_naming_file_and_line(
    project: Path, tmp_path: Path
) -> None:
    broken = write(
        tmp_path / "broken.tmx",
        tmx([(SHARED, "Bien.")]).replace("</seg></tuv>\n    </tu>", "</tuv>\n    </tu>", 1),
    )
    result = run("tm", "import", broken, project=project)
    line = assert_one_line_error(result, "broken.tmx:", "not well-formed XML")
    assert "broken.tmx:8:" in line, line  # the <tuv> whose </seg> is missing
    assert not (project / "content" / "tm").exists()
    not_tmx = write(tmp_path / "other.tmx", XML_HEAD + "<xliff/>\n")
    assert_one_line_error(run("tm", "import", not_tmx, project=project), "other.tmx:2:", "<tmx>")
    no_lang = write(tmp_path / "nolang.tmx", tmx([(SHARED, "x")]).replace(' xml:lang="es-ES"', ""))
    assert_one_line_error(
        run("tm", "import", no_lang, project=project), "nolang.tmx:8:", "xml:lang"
    )
    entities = write(
        tmp_path / "bomb.tmx",
        XML_HEAD + '<!DOCTYPE tmx [<!ENTITY a "aaaa">]>\n<tmx version="1.4"><body/></tmx>\n',
    )
    assert_one_line_error(run("tm", "import", entities, project=project), "bomb.tmx:2:", "subset")
    missing = run("tm", "import", tmp_path / "nowhere.tmx", project=project)
    assert_one_line_error(missing, "nowhere.tmx", "cannot read")


def test_a_tmx_for_other_languages_is_refused(project: Path, tmp_path: Path) -> None:
    french = write(tmp_path / "fr.tmx", tmx([(SHARED, "Le même paragraphe.")], ("en-GB", "fr-FR")))
    line = assert_one_line_error(run("tm", "import", french, project=project), "fr.tmx")
    assert "en->es" in line and "en-GB, fr-FR" in line
    assert not (project / "content" / "tm").exists()


def test_languages_match_by_primary_subtag_and_either_order(tmp_path: Path) -> None:
    text = tmx([("Hola.", "Hello.")], ("es-MX", "en-GB"))
    memory = read_tmx(text.encode(), tmp_path / "x.tmx")
    assert [(s, t) for s, t, _u in memory.pairs("en", "es")] == [("Hello.", "Hola.")]


def test_pipelines_own_tmx_export_round_trips_markdown(project: Path, tmp_path: Path) -> None:
    approve_in_alpha(project, "Only in alpha.", "Solo en *alfa*.")
    out = tmp_path / "alpha.tmx"
    ok("review", "export", "--format", "tmx", "--book", "alpha", "-o", out, project=project)
    memory = read_tmx(out.read_bytes(), out)
    pairs = {s: t for s, t, _u in memory.pairs("en", "es")}
    assert pairs["Only in alpha."] == "Solo en *alfa*."
    # Another tool's inline codes are its own format's markup: the text remains.
    foreign = tmx(
        [("Click <bpt i='1'>&lt;b&gt;</bpt>here<ept i='1'>&lt;/b&gt;</ept>.", "Pulse aquí.")]
    )
    memory = read_tmx(foreign.encode(), tmp_path / "f.tmx")
    assert [s for s, _t, _u in memory.pairs("en", "es")] == ["Click here."]


# -------------------------------------------------------------------------- suggestions


def test_memory_suggestions_have_a_threshold() -> None:
    memory = Memory("es", [Unit(SHARED, SHARED_ES, "alpha", "p-1")])
    [found] = memory.suggest(SIMILAR)
    assert found.score >= FUZZY_THRESHOLD and found.unit.target == SHARED_ES
    assert memory.suggest(FAR) == []
    assert memory.suggest(SIMILAR, current=SHARED_ES) == []  # already the translation


def test_review_list_suggestions(project: Path) -> None:
    approve_in_alpha(project)
    ok("translate", project=project)
    out = ok("review", "list", "--suggestions", "--book", "beta", project=project)
    lines = out.splitlines()
    similar = next(i for i, line in enumerate(lines) if "of the books" in line)
    assert "From the memory" in lines[similar + 1] and "alpha" in lines[similar + 1]
    assert SHARED_ES in lines[similar + 1]
    score = int(lines[similar + 1].split("(")[1].split(" %")[0])
    assert score >= 75
    far = next(i for i, line in enumerate(lines) if "Nothing at all" in line)
    assert far + 1 == len(lines) - 1 or "From the memory" not in lines[far + 1]
    assert out.count("From the memory") == 1  # not for the exact match it already holds
    plain = ok("review", "list", "--book", "beta", project=project)
    assert "From the memory" not in plain


def test_review_page_data_offers_suggestions(project: Path) -> None:
    approve_in_alpha(project)
    ok("translate", project=project)
    store = ReviewStore(load_config(project), "beta", "es")
    views = {view.source: view for view in store.overview().segments}
    [suggestion] = views[SIMILAR].suggestions
    assert suggestion.percent >= 75 and suggestion.unit.origin == "alpha"
    data = views[SIMILAR].to_json()["suggestions"]
    assert data == [
        {"text": SHARED_ES, "score": suggestion.percent, "origin": "alpha", "source": SHARED}
    ]
    assert views[FAR].suggestions == ()
    assert views[SHARED].suggestions == ()  # it holds the memory's text already


def test_review_page_shows_suggestions_with_a_button(project: Path) -> None:
    from starlette.testclient import TestClient

    from pipeline.webreview import create_app

    approve_in_alpha(project, text='El <mismo> "párrafo".')
    ok("translate", project=project)
    app = create_app(load_config(project), "beta", "es", "tok", csrf_token="csrf")
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        page = client.get("/?token=tok").text
    assert page.count('class="memory"') == 1
    assert "From the memory (" in page and " %, alpha):" in page
    escaped = "El &lt;mismo&gt; &#34;párrafo&#34;."
    button = f'<button type="button" class="use-memory" data-text="{escaped}">'
    assert button in page  # escaped, a real button (keyboard: Tab, Enter)
    assert "<kbd>Alt</kbd>+<kbd>M</kbd>" in page


def test_a_rebuild_notices_a_change_of_the_memory(project: Path, tmp_path: Path) -> None:
    ok("build", "-j", "1", project=project)
    approve_in_alpha(project)
    ok("build", "-j", "1", project=project)  # beta's own files did not change, its memory did
    catalog = beta(project)
    assert catalog.entry(sid_of(catalog, SHARED)).engine == "tm alpha"
    publisher = write(tmp_path / "publisher.tmx", tmx([(SIMILAR, "Muy parecido.")]))
    ok("tm", "import", publisher, project=project)
    ok("build", "-j", "1", project=project)
    catalog = beta(project)
    assert catalog.entry(sid_of(catalog, SIMILAR)).engine == "tm imported:publisher.tmx"


def test_a_catalogue_in_memory_stands_for_its_file_only_while_it_holds_what_the_file_does(
    project: Path,
) -> None:
    """The end of a build takes the memory from the catalogues it has just
    written instead of reading them again: the same memory as from the files,
    and a catalogue whose file another writer changed since is read again."""
    approve_in_alpha(project)
    config = load_config(project)
    _book, _doc, alpha = open_book(config, "alpha", "es")
    loaded = {alpha.path: alpha}
    units = [(u.source, u.target, u.origin) for u in load_memory(config, "es").units()]
    assert units == [(SHARED, SHARED_ES, "alpha")]
    assert [
        (u.source, u.target, u.origin) for u in load_memory(config, "es", loaded=loaded).units()
    ] == units
    # Another writer approves one more segment: the file wins over the stale copy.
    _book, _doc, other = open_book(config, "alpha", "es")
    other.approve(sid_of(other, "Only in alpha."), "Ana", text="Solo en alfa.")
    other.save()
    assert not alpha.matches_file()
    again = [(u.source, u.origin) for u in load_memory(config, "es", loaded=loaded).units()]
    assert sorted(again) == [("Only in alpha.", "alpha"), (SHARED, "alpha")]
