"""Machine-translation engines and the MT cache."""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import EngineError, EngineNotAvailable, OutputError, UnsupportedPair
from pipeline.mt.apertium import ApertiumEngine
from pipeline.mt.base import Engine, EngineBase, check_pair
from pipeline.mt.cache import MTCache, cache_version, translate_with_cache
from pipeline.mt.pseudo import (
    MARK_CLOSE,
    MARK_OPEN,
    PAIRS,
    IdentityEngine,
    PseudoEngine,
    any_pair,
)
from pipeline.mt.registry import ENGINES, get_engine

needs_apertium = pytest.mark.skipif(
    shutil.which("apertium") is None, reason="apertium is not installed"
)

# Tags and entities of tagged text, written independently of the engines' code.
MARKUP = re.compile(r"<[^<>]*>|&#?\w+;")
SPAN_IDS = re.compile(r'<span id="([gx]\d+)">')


@pytest.fixture(scope="module")
def apertium() -> ApertiumEngine:
    """One real Apertium engine for the module (its modes and version are cached)."""
    return ApertiumEngine()


def fake_apertium(directory: Path, body: str, modes: str = "eng-spa spa-eng") -> Path:
    """Write a fake ``apertium`` command listing ``modes`` and otherwise running ``body``."""
    script = directory / "apertium"
    listing = "".join(f"  {mode}\\n" for mode in modes.split())
    script.write_text(
        f'#!/bin/sh\nif [ "$1" = "-l" ]; then printf "{listing}"; exit 0; fi\n{body}\n'
    )
    script.chmod(0o755)
    return script


# --- registry -------------------------------------------------------------------------------


def test_get_engine_unknown_name_lists_the_engines() -> None:
    with pytest.raises(EngineError) as info:
        get_engine("deepl")
    assert "deepl" in info.value.message
    assert info.value.hint is not None
    assert "apertium" in info.value.hint and "pseudo" in info.value.hint


# Everything the pipeline asks of an engine, named independently of the Protocol's code.
ENGINE_MEMBERS = {
    "name",
    "version",
    "install_hint",
    "concurrent_calls",
    "term_hint",
    "postedit",
    "output_revision",
    "pairs",
    "supports",
    "translate",
}


def test_the_protocol_declares_every_member_the_pipeline_uses() -> None:
    declared = set(Engine.__annotations__) | {
        member for member in vars(Engine) if not member.startswith("_")
    }
    assert declared == ENGINE_MEMBERS


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_registered_engines_follow_the_protocol_fully(name: str) -> None:
    engine = get_engine(name)
    assert isinstance(engine, Engine)
    for member in ENGINE_MEMBERS:
        assert hasattr(engine, member), member
    assert engine.name == name
    assert isinstance(engine.version, str) and engine.version
    hint = engine.install_hint
    assert hint is None or (isinstance(hint, str) and hint)
    assert isinstance(engine.concurrent_calls, int) and engine.concurrent_calls >= 1
    for method in ("pairs", "supports", "translate"):
        assert callable(getattr(engine, method))


def test_check_pair_refuses_a_pair_the_engine_lacks() -> None:
    with pytest.raises(UnsupportedPair) as info:
        check_pair(CountingEngine(), "en", "fr")
    assert "en->fr" in info.value.message
    assert info.value.hint == "it supports: en->es"


def test_check_pair_says_what_the_test_engines_take() -> None:
    with pytest.raises(UnsupportedPair) as info:
        check_pair(get_engine("pseudo"), "en", "en")
    assert "'pseudo' cannot translate en->en" in info.value.message
    assert info.value.hint == (
        "it supports: en->es, en->pt, es->en, es->pt, pt->en, pt->es; "
        "it takes any two different language codes (such as en->pt)"
    )


# --- apertium: real translations ------------------------------------------------------------


@needs_apertium
def test_apertium_reports_installed_pairs_and_version(apertium: ApertiumEngine) -> None:
    # The setup script installs apertium-eng-spa and apertium-es-pt.
    assert apertium.pairs() == [
        ("en", "es"),
        ("es", "en"),
        ("es", "pt"),
        ("es", "pt-BR"),
        ("pt", "es"),
    ]
    assert re.fullmatch(r"\d\S+, apertium-eng-spa \S+, apertium-es-pt \S+", apertium.version)


@needs_apertium
def test_apertium_english_to_spanish(apertium: ApertiumEngine) -> None:
    [spanish] = apertium.translate(["The house is big."], "en", "es")
    assert "casa" in spanish
    assert spanish == spanish.strip()


@needs_apertium
def test_apertium_spanish_to_english(apertium: ApertiumEngine) -> None:
    [english] = apertium.translate(["La casa es grande."], "es", "en")
    assert "house" in english


@needs_apertium
def test_apertium_batch_keeps_count_and_order_in_one_process(
    apertium: ApertiumEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    apertium.pairs()  # the mode listing is cached before counting
    runs: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args: list[str], **kwargs: Any) -> Any:
        runs.append(list(args))
        return real_run(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)
    texts = ["The dog is small.", "", "The house is big.", "I have a red car.", "  "]
    out = apertium.translate(texts, "en", "es")
    assert len(runs) == 1
    assert len(out) == len(texts)
    assert "perro" in out[0]
    assert out[1] == ""
    assert "casa" in out[2]
    assert "coche" in out[3]
    assert out[4] == "  "


@needs_apertium
@pytest.mark.parametrize(
    "batch",
    [
        ["The military of the U.S", "Fortune companies grow."],
        ["Getting Started", "Installation", "The rest of this chapter explains how it works."],
        ["- a list item without a stop", "Another item"],
    ],
)
def test_apertium_translates_each_text_of_a_batch_on_its_own(
    apertium: ApertiumEngine, batch: list[str]
) -> None:
    # A heading or list item has no final stop: its words must not travel to
    # (or come from) the next text of the batch.
    alone = [apertium.translate([text], "en", "es")[0] for text in batch]
    assert apertium.translate(batch, "en", "es") == alone


def test_engine_output_revision_is_part_of_the_cache_key(tmp_path: Path) -> None:
    class Revised(PseudoEngine):
        output_revision = 2

    with MTCache(tmp_path / "mt.sqlite") as cache:
        first, sent = translate_with_cache(PseudoEngine(), cache, ["The house."], "en", "es")
        assert sent == 1
        again, sent = translate_with_cache(Revised(), cache, ["The house."], "en", "es")
        assert sent == 1  # made the old way: not reused
        assert again == first
        _, sent = translate_with_cache(Revised(), cache, ["The house."], "en", "es")
        assert sent == 0
    assert cache_version(Revised()) == f"{PseudoEngine().version} (output 2)"
    assert cache_version(PseudoEngine()) == PseudoEngine().version


@needs_apertium
def test_apertium_keeps_tags_and_entities(apertium: ApertiumEngine) -> None:
    text = 'I have <span id="g1">a big</span> house &amp; run <span id="x2">ls -l</span>.'
    [out] = apertium.translate([text], "en", "es")
    # Apertium may duplicate g1 around the words it reorders; every id is still there.
    assert set(SPAN_IDS.findall(out)) == {"g1", "x2"}
    assert out.count("<span") == out.count("</span>")
    assert '<span id="x2">ls -l</span>' in out
    assert out == out.strip()  # Apertium's leading space (before "Tengo") is dropped
    assert "&amp;" in out
    assert "casa" in out


@needs_apertium
def test_apertium_keeps_soft_line_breaks(apertium: ApertiumEngine) -> None:
    [out] = apertium.translate(["I have a big\nhouse and a red\ncar."], "en", "es")
    assert out.count("\n") == 2
    assert "casa" in out and "coche" in out


def test_apertium_empty_batch_starts_no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_run(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("apertium was started")

    monkeypatch.setattr(subprocess, "run", no_run)
    assert ApertiumEngine().translate([], "en", "es") == []


def test_apertium_refuses_an_unknown_pair() -> None:
    with pytest.raises(UnsupportedPair) as info:
        ApertiumEngine().translate(["x"], "en", "fr")
    assert "en->fr" in info.value.message


@needs_apertium
def test_apertium_refuses_raw_paragraph_tags(apertium: ApertiumEngine) -> None:
    with pytest.raises(EngineError) as info:
        apertium.translate(["fine", "one</p><p>two"], "en", "es")
    assert "text 1" in info.value.message


# --- apertium: missing or failing -----------------------------------------------------------


def test_apertium_not_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    engine = get_engine("apertium")
    with pytest.raises(EngineNotAvailable) as info:
        engine.translate(["The house is big."], "en", "es")
    assert info.value.hint == "install it: apt-get install -y apertium apertium-eng-spa"
    with pytest.raises(EngineNotAvailable):
        check_pair(engine, "en", "es")


def test_apertium_without_language_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_apertium(tmp_path, "exit 0", modes="fra-cat")
    monkeypatch.setenv("PATH", str(tmp_path))
    engine = ApertiumEngine()
    with pytest.raises(EngineNotAvailable) as info:
        check_pair(engine, "en", "es")
    assert "apt-get install" in str(info.value)


def test_apertium_with_one_mode_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_apertium(tmp_path, "exit 0", modes="eng-spa")
    monkeypatch.setenv("PATH", str(tmp_path))
    engine = ApertiumEngine()
    assert engine.pairs() == [("en", "es")]
    with pytest.raises(EngineNotAvailable) as info:
        engine.translate(["La casa."], "es", "en")
    assert "spa-eng" in info.value.message


def test_apertium_version_unknown_without_dpkg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_apertium(tmp_path, "exit 0")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert ApertiumEngine().version == "unknown"


def test_apertium_failure_reports_first_stderr_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_apertium(tmp_path, "echo 'Error: lt-proc crashed' >&2; echo 'details' >&2; exit 3")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineError) as info:
        ApertiumEngine().translate(["The house."], "en", "es")
    assert info.value.message == "apertium failed (exit 3): Error: lt-proc crashed"


@pytest.mark.parametrize(
    "output",
    [
        '<p id="s0">uno</p>',  # a text lost
        '<p id="s1">dos</p>\n<p id="s0">uno</p>',  # out of order
        '<p id="s0">uno</p>\n<p id="s0">uno</p>',  # doubled
        '<p id="s0">uno</p> stray <p id="s1">dos</p>',  # text outside the blocks
        "",  # nothing at all
    ],
)
def test_apertium_output_that_cannot_be_split_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str
) -> None:
    fake_apertium(tmp_path, f"cat >/dev/null; printf '%s' '{output}'")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineError, match="cannot split apertium's output back into 2 texts"):
        ApertiumEngine().translate(["one", "two"], "en", "es")


def test_apertium_timeout_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_apertium(tmp_path, "exec sleep 5")
    monkeypatch.setenv("PATH", str(tmp_path) + ":/usr/bin:/bin")
    with pytest.raises(EngineError, match=re.escape("did not finish 1 texts within 0.2 s")):
        ApertiumEngine(timeout=0.2).translate(["one"], "en", "es")


# --- pseudo and identity --------------------------------------------------------------------


def test_pseudo_translation_is_visible_and_keeps_markup() -> None:
    text = 'Hello <span id="g1">world</span> &amp; co\n<br id="x2">next'
    [out] = PseudoEngine().translate([text], "en", "es")
    assert out == '[!! Héllö <span id="g1">wörld</span> &amp; çö\n<br id="x2">ñéxt !!]'


def test_pseudo_keeps_blank_texts_and_outer_whitespace() -> None:
    assert PseudoEngine().translate(["", "  ", " cat\n"], "es", "en") == [
        "",
        "  ",
        " [!! çát !!]\n",
    ]


def test_pseudo_refuses_a_pair_that_is_no_translation() -> None:
    engine = PseudoEngine()
    assert engine.pairs() == [
        ("en", "es"),
        ("en", "pt"),
        ("es", "en"),
        ("es", "pt"),
        ("pt", "en"),
        ("pt", "es"),
    ]
    for source, target in [("en", "en"), ("english", "es"), ("en", ""), ("EN", "es")]:
        assert not engine.supports(source, target)
        with pytest.raises(UnsupportedPair):
            engine.translate(["x"], source, target)


def test_identity_returns_texts_unchanged_for_any_pair() -> None:
    texts = ['a <span id="g1">b</span> &lt;c&gt;', ""]
    engine = IdentityEngine()
    assert engine.translate(texts, "en", "es") == texts
    assert engine.translate(texts, "fr", "de") == texts
    assert engine.pairs() == PAIRS
    with pytest.raises(UnsupportedPair):
        engine.translate(texts, "es", "es")


PORTUGUESE_AND_OTHERS = [
    ("es", "pt"),
    ("en", "pt"),
    ("pt", "es"),
    ("en", "pt-BR"),
    ("fr", "de"),
    ("zh-Hant", "sr-Latn"),
    ("ast", "es"),
]


@pytest.mark.parametrize(("source", "target"), PORTUGUESE_AND_OTHERS)
@pytest.mark.parametrize("name", ["pseudo", "identity"])
def test_test_engines_translate_any_pair(name: str, source: str, target: str) -> None:
    engine = get_engine(name)
    check_pair(engine, source, target)  # does not raise
    assert engine.supports(source, target) and any_pair(source, target)
    text = 'Hola <span id="g1">casa</span> &amp; co<br id="x2">'
    [out] = engine.translate([text], source, target)
    assert out == engine.translate([text], "en", "es")[0]  # the same for every pair
    assert SPAN_IDS.findall(out) == ["g1"] and '<br id="x2">' in out


def test_pseudo_output_is_the_same_for_every_pair() -> None:
    text = 'Run <span id="x1">cat</span> now'
    expected = '[!! Rüñ <span id="x1">çát</span> ñöw !!]'
    for source, target in PORTUGUESE_AND_OTHERS:
        assert PseudoEngine().translate([text], source, target) == [expected]


_plain = st.text(st.characters(codec="utf-8", exclude_characters="<>&"), max_size=12)
_leaf = st.one_of(
    _plain,
    st.sampled_from(["&amp;", "&lt;", "&gt;", "\n"]),
    st.integers(1, 99).map(lambda n: f'<br id="x{n}">'),
)
_tagged = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map("".join),
        st.tuples(st.sampled_from("gx"), st.integers(1, 99), inner).map(
            lambda t: f'<span id="{t[0]}{t[1]}">{t[2]}</span>'
        ),
    ),
    max_leaves=12,
)
_ACCENTED = str.maketrans("áéíöüýçñÁÉÍÖÜÝÇÑ", "aeiouycnAEIOUYCN")


@given(st.lists(_tagged, max_size=4))
def test_pseudo_only_changes_text_between_markup(texts: list[str]) -> None:
    engine = PseudoEngine()
    out = engine.translate(texts, "en", "es")
    assert engine.translate(texts, "en", "es") == out  # deterministic
    assert len(out) == len(texts)
    for before, after in zip(texts, out, strict=True):
        assert MARKUP.findall(after) == MARKUP.findall(before)
        assert after.count("\n") == before.count("\n")
        if before.strip():
            lead = len(before) - len(before.lstrip())
            trail = len(before) - len(before.rstrip())
            core = after[lead : len(after) - trail]
            assert core.startswith(MARK_OPEN) and core.endswith(MARK_CLOSE)
            core = core[len(MARK_OPEN) : len(core) - len(MARK_CLOSE)]
            # One character for one character: only letters changed, into look-alikes.
            assert core.translate(_ACCENTED) == before.strip().translate(_ACCENTED)
        else:
            assert after == before


# --- cache ----------------------------------------------------------------------------------


class CountingEngine(EngineBase):
    """A fake engine that upper-cases texts and records every batch it is sent."""

    name = "counting"

    def __init__(self, version: str = "1", broken: bool = False) -> None:
        self.version = version
        self.broken = broken
        self.batches: list[list[str]] = []

    def pairs(self) -> list[tuple[str, str]]:
        return [("en", "es")]

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.batches.append(list(texts))
        out = [text.upper() for text in texts]
        return out[:-1] if self.broken else out

    @property
    def sent(self) -> int:
        return sum(len(batch) for batch in self.batches)


def test_cache_stores_and_finds_translations(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "mt.sqlite"
    with MTCache(path) as cache:
        cache.put_many("apertium", "3.8", "en", "es", [("house", "casa"), ("dog", "perro")])
        assert cache.get_many("apertium", "3.8", "en", "es", ["house", "cat", "dog"]) == {
            "house": "casa",
            "dog": "perro",
        }
        # Every part of the key matters.
        assert cache.get_many("apertium", "3.9", "en", "es", ["house"]) == {}
        assert cache.get_many("pseudo", "3.8", "en", "es", ["house"]) == {}
        assert cache.get_many("apertium", "3.8", "es", "en", ["house"]) == {}
        cache.put_many("apertium", "3.8", "en", "es", [("house", "hogar")])
    with MTCache(path) as cache:  # kept on disk, latest value wins
        assert cache.get_many("apertium", "3.8", "en", "es", ["house"]) == {"house": "hogar"}


def test_cache_looks_up_tens_of_thousands_of_texts(tmp_path: Path) -> None:
    texts = [f"text {i}" for i in range(40_000)]  # more than SQLite's bound-parameter limit
    with MTCache(tmp_path / "mt.sqlite") as cache:
        cache.put_many("e", "1", "en", "es", ((t, t.upper()) for t in texts[::2]))
        hits = cache.get_many("e", "1", "en", "es", texts)
    assert hits == {t: t.upper() for t in texts[::2]}


def test_cache_hit_sends_nothing_to_the_engine(tmp_path: Path) -> None:
    path = tmp_path / "mt.sqlite"
    first = CountingEngine()
    with MTCache(path) as cache:
        out, sent = translate_with_cache(first, cache, ["a", "b", "a"], "en", "es")
    assert out == ["A", "B", "A"]
    assert sent == 2
    assert first.batches == [["a", "b"]]  # the repeated text went once

    again = CountingEngine()
    with MTCache(path) as cache:
        out, sent = translate_with_cache(again, cache, ["b", "a"], "en", "es")
    assert (out, sent) == (["B", "A"], 0)
    assert again.batches == []


def test_cache_sends_only_new_texts_and_new_versions(tmp_path: Path) -> None:
    engine = CountingEngine()
    with MTCache(tmp_path / "mt.sqlite") as cache:
        translate_with_cache(engine, cache, ["a", "b"], "en", "es")
        out, sent = translate_with_cache(engine, cache, ["a", "c", "b"], "en", "es")
        assert (out, sent) == (["A", "C", "B"], 1)
        assert engine.batches[-1] == ["c"]
        upgraded = CountingEngine(version="2")
        _, sent = translate_with_cache(upgraded, cache, ["a", "c"], "en", "es")
        assert sent == 2


def test_force_retranslates_everything(tmp_path: Path) -> None:
    engine = CountingEngine()
    with MTCache(tmp_path / "mt.sqlite") as cache:
        translate_with_cache(engine, cache, ["a", "b"], "en", "es")
        out, sent = translate_with_cache(engine, cache, ["a", "b", "b"], "en", "es", force=True)
    assert (out, sent) == (["A", "B", "B"], 2)
    assert engine.batches == [["a", "b"], ["a", "b"]]


def test_progress_counts_every_text_in_chunks(tmp_path: Path) -> None:
    engine = CountingEngine()
    steps: list[int] = []
    with MTCache(tmp_path / "mt.sqlite") as cache:
        translate_with_cache(engine, cache, ["a", "b"], "en", "es")
        texts = ["a", "b", "c", "d", "e", "f", "g", "c"]
        out, sent = translate_with_cache(
            engine, cache, texts, "en", "es", progress=steps.append, chunk_size=2
        )
    assert out == [t.upper() for t in texts]
    assert sent == 5
    assert engine.batches[1:] == [["c", "d"], ["e", "f"], ["g"]]
    assert steps == [2, 3, 2, 1]  # cache hits first; "c" counts twice
    assert sum(steps) == len(texts)


class OverlappingEngine(EngineBase):
    """An engine that takes two calls at once, and proves they overlap: each of
    the first two calls waits (at most 10 s) until the other has started."""

    name = "overlapping"
    version = "1"
    concurrent_calls = 2

    def __init__(self, fail_on: str | None = None) -> None:
        self.both_started = threading.Barrier(2, timeout=10)
        self.calls = 0
        self.lock = threading.Lock()
        self.fail_on = fail_on

    def pairs(self) -> list[tuple[str, str]]:
        return [("en", "es")]

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        with self.lock:
            self.calls += 1
            first_two = self.calls <= 2
        if first_two:
            self.both_started.wait()
        if self.fail_on in texts:
            raise EngineError(f"cannot translate {self.fail_on}")
        return [t.upper() for t in texts]


def test_an_engine_that_allows_it_gets_two_chunks_at_once_results_stay_in_order(
    tmp_path: Path,
) -> None:
    engine = OverlappingEngine()
    steps: list[int] = []
    texts = [f"t{n}" for n in range(7)]
    with MTCache(tmp_path / "mt.sqlite") as cache:
        out, sent = translate_with_cache(
            engine, cache, texts, "en", "es", progress=steps.append, chunk_size=2
        )
        assert (out, sent) == ([t.upper() for t in texts], 7)
        assert steps == [2, 2, 2, 1]
        assert len(cache.get_many("overlapping", "1", "en", "es", texts)) == 7


def test_a_failed_chunk_stops_the_run_but_earlier_chunks_stay_cached(tmp_path: Path) -> None:
    engine = OverlappingEngine(fail_on="t4")
    texts = [f"t{n}" for n in range(8)]
    with MTCache(tmp_path / "mt.sqlite") as cache:
        with pytest.raises(EngineError, match="cannot translate t4"):
            translate_with_cache(engine, cache, texts, "en", "es", chunk_size=2)
        kept = cache.get_many("overlapping", "1", "en", "es", texts)
    assert {"t0", "t1", "t2", "t3"} <= set(kept) and "t4" not in kept


def test_without_a_cache_every_unique_text_is_sent() -> None:
    engine = CountingEngine()
    out, sent = translate_with_cache(engine, None, ["x", "x", "y"], "en", "es")
    assert (out, sent) == (["X", "X", "Y"], 2)


def test_engine_returning_too_few_results_is_an_error_and_not_cached(tmp_path: Path) -> None:
    with MTCache(tmp_path / "mt.sqlite") as cache:
        with pytest.raises(EngineError, match="returned 1 translations for 2 texts"):
            translate_with_cache(CountingEngine(broken=True), cache, ["a", "b"], "en", "es")
        assert cache.get_many("counting", "1", "en", "es", ["a", "b"]) == {}


def test_corrupt_cache_file_is_moved_aside_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "mt.sqlite"
    path.write_bytes(b"this is not a database, just some bytes\n" * 200)
    with caplog.at_level(logging.WARNING, logger="pipeline.mt.cache"):
        cache = MTCache(path)
    assert any("damaged" in record.getMessage() for record in caplog.records)
    assert (tmp_path / "mt.sqlite.corrupt").read_bytes().startswith(b"this is not")
    with cache:
        assert cache.get_many("e", "1", "en", "es", ["a"]) == {}
        cache.put_many("e", "1", "en", "es", [("a", "A")])
        assert cache.get_many("e", "1", "en", "es", ["a"]) == {"a": "A"}
    with sqlite3.connect(path) as conn:  # a real database again
        assert conn.execute("SELECT count(*) FROM translation").fetchone() == (1,)


def test_cache_in_unwritable_place_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OutputError) as info:
        MTCache(blocker / "cache" / "mt.sqlite")
    assert info.value.path == str(blocker / "cache" / "mt.sqlite")
    assert info.value.hint is not None and "writable" in info.value.hint


def test_cache_path_that_is_a_directory_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError):
        MTCache(tmp_path)


@needs_apertium
def test_apertium_through_the_cache(tmp_path: Path, apertium: ApertiumEngine) -> None:
    texts = ["The house is big.", "The dog is small.", "The house is big."]
    with MTCache(tmp_path / "mt.sqlite") as cache:
        out, sent = translate_with_cache(apertium, cache, texts, "en", "es")
        assert sent == 2
        assert "casa" in out[0] and "perro" in out[1] and out[2] == out[0]
        again, sent = translate_with_cache(apertium, cache, texts, "en", "es")
    assert (again, sent) == (out, 0)


def test_apertium_spacing_slips_are_tidied(apertium: ApertiumEngine) -> None:
    [out] = apertium.translate(
        ["Under Chávez, the State became a cartel. They don't believe — they use it."], "en", "es"
    )
    assert " ." not in out and "  " not in out


def test_apertium_large_batch_runs_in_parallel_and_keeps_order(apertium: ApertiumEngine) -> None:
    from pipeline.mt.apertium import PARALLEL_FROM, _split_evenly

    texts = [f"The house number {n} is big." for n in range(PARALLEL_FROM + 50)]
    assert len(_split_evenly(texts, 2)) == 2
    out = apertium.translate(texts, "en", "es")
    assert len(out) == len(texts)
    for n, text in enumerate(out):
        assert f" {n} " in text and "casa" in text


def _open_and_store(path: Path, worker: int, start: Any) -> None:
    """A build process: open the cache when the others do, store, read back."""
    start.wait()
    with MTCache(path) as cache:
        cache.put_many("e", "1", "en", "es", [(f"w{worker}-{n}", "x") for n in range(20)])
        assert cache.get_many("e", "1", "en", "es", [f"w{worker}-0"]) == {f"w{worker}-0": "x"}


def test_processes_opening_a_new_cache_at_once_all_succeed(tmp_path: Path) -> None:
    """Books built in parallel open the same new cache together: switching it to
    WAL must wait for the others' lock instead of failing ("database is locked")."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    for round_ in range(12):
        path = tmp_path / f"round{round_}" / "mt.sqlite3"
        path.parent.mkdir()
        start = context.Barrier(3)
        workers = [context.Process(target=_open_and_store, args=(path, n, start)) for n in range(3)]
        for process in workers:
            process.start()
        for process in workers:
            process.join(60)
        assert [p.exitcode for p in workers] == [0, 0, 0], f"round {round_}"
