"""The argos engine, its sentence splitter and ``pipeline models``, with a real model.

No English-Spanish Argos model can be downloaded here, so the session builds
tiny random-weight ones (:mod:`pipeline.mt.argos_testing`): real CTranslate2
models and SentencePiece vocabularies, zipped as argospm zips them. Their
translations are gibberish; the tests check what does not depend on quality:
placeholders, sentences, spacing, determinism, the cache, packages, errors.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import Result, assert_one_line_error
from helpers import run as run_cli
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import (
    EngineError,
    EngineNotAvailable,
    ModelError,
    PipelineError,
    UnsupportedPair,
)
from pipeline.mt import argos
from pipeline.mt import packages as models
from pipeline.mt.argos import ArgosEngine, ArgosSettings
from pipeline.mt.argos_testing import build_argos_model, sentencepiece_bytes
from pipeline.mt.base import check_pair
from pipeline.mt.registry import get_engine
from pipeline.mt.sentences import sentences, split
from pipeline.source.inline import decode, decode_output, encode
from pipeline.source.markdown import load_document, parse_document

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "content" / "en" / "executive-summary.md"
TAG = re.compile(r'<span id="[gx]\d+">|</span>|<br id="x\d+">')
ARGOS_VARIABLES = (
    "ARGOS_PACKAGES_DIR",
    "ARGOS_BEAM_SIZE",
    "ARGOS_BATCH_SIZE",
    "ARGOS_COMPUTE_TYPE",
    "ARGOS_DEVICE_TYPE",
    "ARGOS_INTER_THREADS",
    "ARGOS_INTRA_THREADS",
)


def run(*args: str, packages: Path) -> Result:
    """The CLI with ``packages`` as the Argos packages directory."""
    return run_cli(*args, env={"ARGOS_PACKAGES_DIR": str(packages)})


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Random-weight packages, built once: en->es, es->en (same vocabulary), and
    a version 2.0 of en->es."""
    folder = tmp_path_factory.mktemp("argosmodels")
    en_es = build_argos_model(folder / "translate-en_es-1_0.argosmodel", seed=0)
    vocabulary = sentencepiece_bytes(en_es)
    es_en = build_argos_model(
        folder / "translate-es_en-1_0.argosmodel",
        source="es",
        target="en",
        seed=1,
        sentencepiece_model=vocabulary,
    )
    en_es_2 = build_argos_model(
        folder / "translate-en_es-2_0.argosmodel",
        seed=2,
        version="2.0",
        sentencepiece_model=vocabulary,
    )
    return {"en_es": en_es, "es_en": es_en, "en_es_2": en_es_2}


@pytest.fixture(autouse=True)
def _isolated_argos(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ARGOS_* setting or settings.json of the machine leaks into a test."""
    for name in ARGOS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture
def packages(tmp_path: Path) -> Path:
    """An empty packages directory."""
    return tmp_path / "packages"


@pytest.fixture
def installed(packages: Path, model_files: dict[str, Path]) -> Path:
    """A packages directory with en->es and es->en installed through the CLI."""
    for name in ("en_es", "es_en"):
        code, _, err = run("models", "install", str(model_files[name]), packages=packages)
        assert code == 0, err
    return packages


@pytest.fixture
def engine(installed: Path) -> ArgosEngine:
    return ArgosEngine(installed)


class Spy:
    """Wraps the loaded CTranslate2 translator to record its calls."""

    def __init__(self, translator: Any) -> None:
        self.translator = translator
        self.calls: list[tuple[int, dict[str, Any]]] = []

    def translate_batch(self, batch: list[list[str]], **options: Any) -> Any:
        self.calls.append((len(batch), options))
        return self.translator.translate_batch(batch, **options)


@pytest.fixture
def spy(engine: ArgosEngine) -> Iterator[Spy]:
    """Record the translate_batch calls of ``engine``'s en->es model."""
    loaded = argos._load(engine.package_for("en", "es"), engine.settings)
    wrapper = Spy(loaded.translator)
    loaded.translator = wrapper
    try:
        yield wrapper
    finally:
        loaded.translator = wrapper.translator


def book_segments() -> list[str]:
    doc = load_document(BOOK)
    return [encode(seg.source, doc.env).tagged for seg in doc.segments]


# --------------------------------------------------------------------------- sentences


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "Mr. Smith went to Washington. He arrived at 5 p.m. on Monday.",
            "en",
            ["Mr. Smith went to Washington.", "He arrived at 5 p.m. on Monday."],
        ),
        (
            "Dr. Jones and Prof. Lee met. They talked.",
            "en",
            ["Dr. Jones and Prof. Lee met.", "They talked."],
        ),
        ("The U.S. Army is big. It grew.", "en", ["The U.S. Army is big.", "It grew."]),
        (
            "He moved to the U.S. The army followed.",
            "en",
            ["He moved to the U.S.", "The army followed."],
        ),
        (
            "See e.g. the results. J. R. R. Tolkien agreed.",
            "en",
            ["See e.g. the results.", "J. R. R. Tolkien agreed."],
        ),
        (
            "It costs 3.5 dollars. (Really.) Yes.",
            "en",
            ["It costs 3.5 dollars.", "(Really.)", "Yes."],
        ),
        (
            'He said "Stop." Then he left... Why?',
            "en",
            ['He said "Stop."', "Then he left...", "Why?"],
        ),
        ("1. State Capture", "en", ["1. State Capture"]),
        ("II. What Defines Narco-Socialism?", "en", ["II. What Defines Narco-Socialism?"]),
        (
            "El Sr. García vive en EE. UU. desde 2010. La Sra. Ruiz no.",
            "es",
            ["El Sr. García vive en EE. UU. desde 2010.", "La Sra. Ruiz no."],
        ),
        ("Llegó a EE. UU. El presidente habló.", "es", ["Llegó a EE. UU.", "El presidente habló."]),
        (
            "¿Vio al Dr. Ruiz? Sí. ¡Qué bien! Adiós.",
            "es",
            ["¿Vio al Dr. Ruiz?", "Sí.", "¡Qué bien!", "Adiós."],
        ),
        ("¿Es el fin. O no? Claro.", "es", ["¿Es el fin. O no?", "Claro."]),
        (
            "La Dra. López y el Sr. Pérez. Ellos hablan.",
            "es",
            ["La Dra. López y el Sr. Pérez.", "Ellos hablan."],
        ),
        ("no stop at all", "en", ["no stop at all"]),
        ("   ", "en", []),
    ],
)
def test_sentences(text: str, lang: str, expected: list[str]) -> None:
    assert sentences(text, lang) == expected


def test_no_boundary_inside_a_kept_range() -> None:
    text = "Bold start. Still bold. Not bold."
    assert len(split(text)) == 3
    assert split(text, keep=[(0, 23)]) == [(0, 23), (24, 33)]


@given(st.text(alphabet="Ab .?!¿¡\n\"'", max_size=60))
def test_split_covers_the_text_with_only_whitespace_between(text: str) -> None:
    spans = split(text, "es")
    position = 0
    for start, end in spans:
        assert start < end
        assert not text[position:start].strip()
        assert text[start:end] == text[start:end].strip()
        position = end
    assert not text[position:].strip()
    assert bool(spans) == bool(text.strip())


# --------------------------------------------------------------------------- packages


def test_packages_dir_follows_argostranslate(tmp_path: Path) -> None:
    assert models.packages_dir({"ARGOS_PACKAGES_DIR": "/opt/argos"}) == Path("/opt/argos")
    assert models.packages_dir({"XDG_DATA_HOME": "/data", "HOME": "/home/ana"}) == Path(
        "/data/argos-translate/packages"
    )
    assert models.packages_dir({"HOME": "/home/ana"}) == Path(
        "/home/ana/.local/share/argos-translate/packages"
    )
    settings = tmp_path / "argos-translate" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"ARGOS_PACKAGES_DIR": "/srv/models"}))
    assert models.packages_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == Path("/srv/models")


def test_install_list_remove(packages: Path, model_files: dict[str, Path]) -> None:
    code, out, err = run("models", "list", packages=packages)
    assert code == 0, err
    assert "none; install one: pipeline models install FILE.argosmodel" in out

    code, out, err = run("models", "install", str(model_files["en_es"]), packages=packages)
    assert code == 0, err
    assert "Installed translate-en_es 1.0 (English -> Spanish)" in out
    assert (packages / "translate-en_es-1_0" / "model" / "model.bin").is_file()

    code, out, _ = run("models", "list", packages=packages)
    assert re.search(r"translate-en_es\s+en->es\s+1\.0\s+[\d.]+ [kM]B\s+translate-en_es-1_0", out)

    code, out, err = run("models", "remove", "en-es", packages=packages)
    assert code == 0, err
    assert "Removed translate-en_es 1.0" in out
    assert not (packages / "translate-en_es-1_0").exists()
    assert [p.name for p in packages.iterdir()] == []  # no staging folders left


def test_newer_version_replaces_the_old(installed: Path, model_files: dict[str, Path]) -> None:
    code, out, err = run("models", "install", str(model_files["en_es_2"]), packages=installed)
    assert code == 0, err
    assert "replaced the installed translate-en_es 1.0 (translate-en_es-1_0)" in out
    assert sorted(p.name for p in installed.iterdir()) == [
        "translate-en_es-2_0",
        "translate-es_en-1_0",
    ]
    assert ArgosEngine(installed).version.startswith("translate-en_es 2.0, translate-es_en 1.0 (")


def test_remove_unknown_lists_installed(installed: Path) -> None:
    result = run("models", "remove", "en-fr", packages=installed)
    assert_one_line_error(result, "no installed package matches 'en-fr'", "translate-es_en")


def _rezip(source: Path, target: Path, change: Any) -> Path:
    """Copy an archive, letting ``change(name, data)`` edit (or drop: None) members."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info))
            if data is not None:
                new.writestr(info.filename, data)
    return target


def _corrupt(kind: str, good: Path, tmp: Path) -> Path:
    bad = tmp / f"{kind}.argosmodel"
    if kind == "text":
        bad.write_text("this is not a zip file\n")
    elif kind == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "crc":
        data = bytearray(good.read_bytes())
        with zipfile.ZipFile(good) as zipf:
            info = zipf.getinfo("translate-en_es-1_0/model/model.bin")
        data[info.header_offset + 30 + len(info.filename) + 100] ^= 0xFF  # stored, not deflated
        bad.write_bytes(bytes(data))
    elif kind == "no-sentencepiece":
        _rezip(good, bad, lambda n, d: None if n.endswith("sentencepiece.model") else d)
    elif kind == "bpe":

        def to_bpe(name: str, data: bytes) -> bytes | None:
            return None if name.endswith("sentencepiece.model") else data

        _rezip(good, bad, to_bpe)
        with zipfile.ZipFile(bad, "a") as zipf:
            zipf.writestr("translate-en_es-1_0/bpe.model", "#version: 0.2\n")
    elif kind == "no-model":
        _rezip(good, bad, lambda n, d: None if "/model/" in n else d)
    elif kind == "no-metadata":
        _rezip(good, bad, lambda n, d: None if n.endswith("metadata.json") else d)
    elif kind == "sbd-package":
        _rezip(
            good,
            bad,
            lambda n, d: (
                b'{"type": "sbd", "from_code": "en"}' if n.endswith("metadata.json") else d
            ),
        )
    elif kind == "unsafe":
        _rezip(good, bad, lambda n, d: d)
        with zipfile.ZipFile(bad, "a") as zipf:
            zipf.writestr("translate-en_es-1_0/../../evil.txt", "x")
    elif kind == "flat":
        _rezip(good, bad, lambda n, d: d)
        with zipfile.ZipFile(bad, "a") as zipf:
            zipf.writestr("metadata.json", "{}")
    return bad


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("text", "not a zip archive"),
        ("truncated", "not a zip archive"),
        ("crc", "damaged"),
        ("no-sentencepiece", "sentencepiece.model is missing"),
        ("bpe", "only packages with a SentencePiece model"),
        ("no-model", "model/model.bin) is missing"),
        ("no-metadata", "metadata.json is missing"),
        ("sbd-package", "not a translation package"),
        ("unsafe", "unsafe entry"),
        ("flat", "outside the package folder"),
    ],
)
def test_bad_package_gets_a_clear_error_and_changes_nothing(
    kind: str, message: str, installed: Path, model_files: dict[str, Path], tmp_path: Path
) -> None:
    before = sorted(p.name for p in installed.iterdir())
    bad = _corrupt(kind, model_files["en_es"], tmp_path)
    result = run("models", "install", str(bad), packages=installed)
    assert_one_line_error(result, message, bad.name)
    assert sorted(p.name for p in installed.iterdir()) == before
    assert not (tmp_path / "evil.txt").exists()


def test_missing_file(packages: Path) -> None:
    result = run("models", "install", "nowhere.argosmodel", packages=packages)
    assert_one_line_error(result, "nowhere.argosmodel: file not found")


def test_argostranslate_sees_our_packages_and_we_see_its(
    packages: Path, model_files: dict[str, Path], tmp_path: Path
) -> None:
    """Installing through argostranslate (what argospm does) and through pipeline
    is interchangeable: one directory, one layout."""
    models.install(model_files["en_es"], packages)
    script = (
        "import sys, types\n"
        "from pathlib import Path\n"
        # The lean install has no stanza/minisbd, which argostranslate.translate
        # imports (for sentence splitting we do not use): stand-ins suffice.
        "sys.modules['stanza'] = types.ModuleType('stanza')\n"
        "m = types.ModuleType('minisbd'); m.SBDetect = object\n"
        "m.models = types.SimpleNamespace(cache_dir='', list_models=lambda: [])\n"
        "sys.modules['minisbd'] = m\n"
        "import argostranslate.package as p\n"
        "p.install_from_path(Path(sys.argv[1]))\n"
        "print(sorted(f'{x.from_code}->{x.to_code} {x.package_version}'"
        " for x in p.get_installed_packages()))\n"
    )
    env = {
        "ARGOS_PACKAGES_DIR": str(packages),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", script, str(model_files["es_en"])],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "['en->es 1.0', 'es->en 1.0']" in done.stdout
    engine = ArgosEngine(packages)
    assert engine.pairs() == [("en", "es"), ("es", "en")]
    assert engine.translate(["¿Qué tal? Bien."], "es", "en")[0].strip()


# --------------------------------------------------------------------------- engine


def test_registered_and_lazy() -> None:
    assert isinstance(get_engine("argos"), ArgosEngine)
    code = (
        "import sys\n"
        "from pipeline.cli import main\n"
        "for argv in (['pipeline', '--help'], ['pipeline', 'models', '--help'],"
        " ['pipeline', 'models', 'list']):\n"
        "    sys.argv = argv\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = [m for m in ('argostranslate', 'ctranslate2', 'sentencepiece', 'weasyprint',"
        " 'numpy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr


def test_no_packages_says_how_to_install(packages: Path) -> None:
    engine = ArgosEngine(packages)
    with pytest.raises(EngineNotAvailable) as info:
        engine.pairs()
    assert "pipeline models install" in str(info.value)
    assert engine.version.startswith("no packages (ctranslate2 ")


def test_missing_pair_lists_installed_pairs(engine: ArgosEngine) -> None:
    with pytest.raises(UnsupportedPair) as info:
        check_pair(engine, "en", "fr")
    assert "en->es, es->en" in str(info.value)
    assert "pipeline models install" in str(info.value)
    with pytest.raises(UnsupportedPair) as info:
        engine.translate(["Hello."], "en", "fr")
    assert "installed: en->es, es->en" in str(info.value)
    assert "pipeline models install" in str(info.value)


def test_translates_a_batch_in_one_call(engine: ArgosEngine, spy: Spy) -> None:
    texts = ["One sentence. Another one? Yes!", "Mr. Smith stayed in the U.S. for a year."]
    out = engine.translate(texts, "en", "es")
    assert len(out) == 2 and all(o.strip() for o in out)
    assert engine.stats.sentences == 4
    assert [size for size, _ in spy.calls] == [4]
    options = spy.calls[0][1]
    assert options["beam_size"] == 4
    assert options["batch_type"] == "tokens"
    assert options["max_batch_size"] == argos.DEFAULT_BATCH_TOKENS
    assert engine.translate([], "en", "es") == []
    assert len(spy.calls) == 1  # nothing sent for an empty batch


def test_sentences_come_back_with_the_source_spacing(engine: ArgosEngine) -> None:
    [out] = engine.translate(["  First sentence here.\nSecond sentence here.  "], "en", "es")
    assert out.startswith("  ") and out.endswith("  ")
    first, second = out.strip().split("\n")
    assert first.strip() and second.strip()


def test_text_without_words_is_kept(engine: ArgosEngine, spy: Spy) -> None:
    texts = ["", "   ", '<span id="x1">42</span>', '<span id="x1">ls -l</span> — <br id="x2">']
    assert engine.translate(texts, "en", "es") == texts
    assert spy.calls == []


def test_every_placeholder_of_the_book_comes_back_in_order(engine: ArgosEngine) -> None:
    texts = book_segments()
    out = engine.translate(texts, "en", "es")
    assert len(out) == len(texts)
    for source, result in zip(texts, out, strict=True):
        assert TAG.findall(result) == TAG.findall(source), (source, result)
        # Atoms come back with their hint, untouched.
        for atom in re.findall(r'<span id="x\d+">[^<]*</span>', source):
            assert result.count(atom) == 1, (source, result)


def test_commonmark_examples_keep_every_placeholder(engine: ArgosEngine) -> None:
    """All inline markup of the CommonMark spec's examples survives: same tags in
    the same order, and the decoder finds nothing to repair."""
    spec = json.loads((ROOT / "tests" / "fixtures" / "commonmark-spec-0.31.2.json").read_text())
    items = []
    for example in spec:
        doc = parse_document(example["markdown"])
        items += [(doc, encode(seg.source, doc.env)) for seg in doc.segments]
    out = engine.translate([enc.tagged for _, enc in items], "en", "es")
    for (doc, enc), result in zip(items, out, strict=True):
        assert TAG.findall(result) == TAG.findall(enc.tagged), (enc.tagged, result)
        _, problems = decode(result, enc, doc.env, block_start=True)
        assert problems == [], (enc.tagged, result, problems)


def test_placeholders_inside_and_across_sentences(engine: ArgosEngine) -> None:
    texts = [
        '<span id="g1">Bold start.</span> Then <span id="g2">a <span id="g3">link</span>'
        " inside</span> and more. ¿Qué? ¡Nada!",
        'In <span id="x1">2020</span>, we ran <span id="x2">ls -l</span> twice.<br id="x3">'
        'Next line <span id="g4">spans. Two sentences</span> here.',
        "&lt;tags&gt; &amp; entities stay escaped.",
    ]
    out = engine.translate(texts, "en", "es")
    for source, result in zip(texts, out, strict=True):
        assert TAG.findall(result) == TAG.findall(source)
        without_tags = TAG.sub("", result)
        assert "<" not in without_tags and ">" not in without_tags


def test_deterministic(installed: Path) -> None:
    texts = book_segments()[:20]
    first = ArgosEngine(installed).translate(texts, "en", "es")
    second = ArgosEngine(installed).translate(texts, "en", "es")
    assert first == second


def test_one_translator_per_process(installed: Path) -> None:
    one, two = ArgosEngine(installed), ArgosEngine(installed)
    package = one.package_for("en", "es")
    assert argos._load(package, one.settings) is argos._load(package, two.settings)


def test_both_directions(engine: ArgosEngine) -> None:
    [out] = engine.translate(["¿Dónde está la Sra. López? En EE. UU."], "es", "en")
    assert out.strip()
    assert engine.stats.sentences == 2


def test_argos_settings_are_honoured(
    installed: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARGOS_BEAM_SIZE", "2")
    settings_file = tmp_path / "xdg-config" / "argos-translate" / "settings.json"
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text(json.dumps({"ARGOS_BATCH_SIZE": 64, "ARGOS_BEAM_SIZE": 3}))
    settings = ArgosSettings.from_environment()
    assert (settings.beam_size, settings.batch_tokens) == (2, 64)  # environment first
    engine = ArgosEngine(installed)
    assert engine.version.endswith(", beam 2)")
    loaded = argos._load(engine.package_for("en", "es"), engine.settings)
    spy = Spy(loaded.translator)
    monkeypatch.setattr(loaded, "translator", spy)
    engine.translate(["A short sentence."], "en", "es")
    assert spy.calls[0][1]["beam_size"] == 2
    assert spy.calls[0][1]["max_batch_size"] == 64

    monkeypatch.setenv("ARGOS_BEAM_SIZE", "wide")
    with pytest.raises(EngineError) as info:
        ArgosSettings.from_environment()
    assert "ARGOS_BEAM_SIZE" in str(info.value)


class FakeModel:
    """Stands in for the model: a dictionary of translations."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    def __call__(self, package: Any, inputs: list[str]) -> dict[str, str]:
        return {text: self.table.get(text, text.upper()) for text in inputs}


@pytest.mark.parametrize(
    ("source", "table", "expected"),
    [
        (  # a number the model copies is the anchor; the atom replaces it exactly
            'In <span id="x1">2020</span> we won.',
            {"In 2020 we won.": "En 2020 ganamos."},
            'En <span id="x1">2020</span> ganamos.',
        ),
        (  # a span whose words were found in the sentence's translation
            'Click <span id="g1">the button</span> now.',
            {"Click the button now.": "Haga clic en el botón ahora.", "the button": "El botón"},
            'Haga clic en <span id="g1">el botón</span> ahora.',
        ),
        (  # an atom the model never saw goes where its words were, spaced as in the source
            'Run <span id="x1">ls -l</span> now.',
            {"Run now.": "Ejecute ahora."},
            'Ejecute <span id="x1">ls -l</span> ahora.',
        ),
        (  # a span not found goes to the same relative place (here one word off: only
            # an alignment model would know), keeping at least one word
            'It is <span id="g1">very</span> big.',
            {"It is very big.": "Es muy grande.", "very": "mucho"},
            'Es muy <span id="g1">grande</span>.',
        ),
        (  # a span found, with a number inside it found too
            'Sales grew <span id="g1">by <span id="x2">15</span> percent</span> in May.',
            {
                "Sales grew by 15 percent in May.": (
                    "Las ventas crecieron un 15 por ciento en mayo."
                ),
                "by 15 percent": "Un 15 por ciento.",
            },
            'Las ventas crecieron <span id="g1">un <span id="x2">15</span> por ciento</span>'
            " en mayo.",
        ),
        (  # a hard line break keeps the words around it apart and stays after its word
            'Line one<br id="x1">line two.',
            {"Line one line two.": "Línea uno línea dos."},
            'Línea uno<br id="x1"> línea dos.',
        ),
        (  # sentences are translated separately and joined with the source's spacing
            "One. Two.\nThree.",
            {"One.": "Uno.", "Two.": "Dos.", "Three.": "Tres."},
            "Uno. Dos.\nTres.",
        ),
    ],
)
def test_placement(
    engine: ArgosEngine,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    table: dict[str, str],
    expected: str,
) -> None:
    monkeypatch.setattr(engine, "_translate_strings", FakeModel(table))
    assert engine.translate([source], "en", "es") == [expected]


# --------------------------------------------------------------------------- whole book


def test_install_and_build_the_book(project: Path, model_files: dict[str, Path]) -> None:
    """A fresh machine: install the package, build every edition with it."""
    packages = project / "argos-packages"
    code, _, err = run("models", "install", str(model_files["en_es"]), packages=packages)
    assert code == 0, err
    code, out, err = run("engines", packages=packages)
    assert re.search(r"argos\s+translate-en_es 1\.0 \(ctranslate2 [\d.]+, beam 4\)\s+en->es", out)

    code, out, err = run(
        "build", "-C", str(project), "--engine", "argos", "--lang", "es", packages=packages
    )
    assert code == 0, err
    assert "Translated 59 segment(s) with the engine, 0 from the cache" in out
    assert "flagged" not in out  # every placeholder came back
    for ext in ("html", "pdf"):
        assert (project / "output" / "es" / f"executive-summary.{ext}").stat().st_size > 1000
    po = (project / "content" / "es" / "executive-summary.po").read_text(encoding="utf-8")
    assert po.count("#. pipeline: mt argos translate-en_es 1.0 (ctranslate2 ") == 59

    # The cache: a lost catalogue is rebuilt without the engine.
    (project / "content" / "es" / "executive-summary.po").unlink()
    code, out, err = run("translate", "-C", str(project), "--engine", "argos", packages=packages)
    assert code == 0, err
    assert "Translated 0 segment(s) with the engine, 59 from the cache" in out
    assert (project / "content" / "es" / "executive-summary.po").read_text(encoding="utf-8") == po


def test_build_with_a_missing_pair(project: Path, model_files: dict[str, Path]) -> None:
    packages = project / "argos-packages"
    models.install(model_files["es_en"], packages)
    result = run("translate", "-C", str(project), "--engine", "argos", packages=packages)
    assert_one_line_error(
        result, "cannot translate en->es", "it supports: es->en", "pipeline models install"
    )
    assert not (project / "content" / "es" / "executive-summary.po").exists()


def test_model_error_is_a_pipeline_error() -> None:
    assert issubclass(ModelError, PipelineError)
    with pytest.raises(ModelError):
        models.remove("en-es", Path("/nonexistent/packages"))


# --------------------------------------------------------------------------- unknown words


def test_words_the_vocabulary_cannot_spell_are_unknown(engine: ArgosEngine) -> None:
    tokenizer = argos._load(engine.package_for("en", "es"), engine.settings).tokenizer
    assert argos._unknown_in(tokenizer, "The ŋaŋa word, and «ŋoŋ», here.") == ["ŋaŋa", "ŋoŋ"]
    assert argos._unknown_in(tokenizer, "The import statement is here.") == []


def test_unknown_words_copied_by_the_model_are_marked_and_recorded(
    engine: ArgosEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = FakeModel(
        {"The ŋaŋa stays, and big too.": "El ŋaŋa se queda, y grande también.", "big": "grande"}
    )
    monkeypatch.setattr(engine, "_translate_strings", copy)
    enc = encode("The ŋaŋa stays, and *big* too.")
    (output,) = engine.translate([enc.tagged], "en", "es")
    assert "<mark>ŋaŋa</mark>" in output
    out = decode_output(output, enc)
    assert out.unknown == ["ŋaŋa"]
    assert out.text.startswith("El ŋaŋa se queda")


def test_unknown_words_with_the_random_model(engine: ArgosEngine) -> None:
    """Whatever the gibberish, only words the vocabulary lacks are ever marked,
    and every placeholder still comes back."""
    enc = encode("Hello ŋaŋa world, *this* is `code`.")
    (output,) = engine.translate([enc.tagged], "en", "es")
    assert TAG.findall(output) == TAG.findall(enc.tagged)
    assert set(re.findall(r"<mark>(.*?)</mark>", output)) <= {"ŋaŋa"}
    assert set(decode_output(output, enc).unknown) <= {"ŋaŋa"}
