"""Markup that survives the engine: emphasis, links and numbers the engine
emptied, moved, doubled or dropped go back onto their words, aligned by the
engine's own translation of those words (:func:`pipeline.source.inline.span_texts`)."""

from __future__ import annotations

import shutil

import pytest

from pipeline.source.inline import decode, decode_output, encode, span_texts, spans_to_align


def test_span_texts_are_the_words_of_each_span() -> None:
    enc = encode("They don't *believe* in [the *big* idea](/x) at `all` 2 times")
    assert span_texts(enc) == {"g1": "believe", "g2": "the big idea", "g3": "big"}


def test_span_texts_leave_out_spans_without_letters_or_holding_everything() -> None:
    assert span_texts(encode("**Narco-Socialism**")) == {}
    assert span_texts(encode("It costs *42* now")) == {}


@pytest.mark.parametrize(
    ("engine_output", "wanted"),
    [
        ('Ellos <span id="g1">creen</span> en <span id="g2">la idea</span>', {}),
        ('Ellos <span id="g1">believe</span> en <span id="g2">the idea</span>', {}),
        ('Ellos creen <span id="g1"></span> en <span id="g2">la idea</span>', {"g1": "believe"}),
        ('Ellos <span id="g1">el</span> creen en <span id="g2">la idea</span>', {"g1": "believe"}),
        ('Ellos creen en <span id="g2">la idea</span>', {"g1": "believe"}),
        (
            'Ellos <span id="g1">creen</span> <span id="g1">en</span> <span id="g2">idea</span>',
            {"g1": "believe"},
        ),
    ],
)
def test_only_spans_the_engine_emptied_doubled_dropped_or_moved_are_sent_again(
    engine_output: str, wanted: dict[str, str]
) -> None:
    enc = encode("They *believe* in *the idea*")
    assert spans_to_align(engine_output, enc) == wanted


def test_emptied_emphasis_goes_back_onto_its_words() -> None:
    enc = encode("They don't *believe* in socialism.")
    out = decode_output(
        'No creen <span id="g1"></span> en socialismo.', enc, span_translations={"g1": "Cree"}
    )
    assert (out.text, out.problems) == ("No *creen* en socialismo.", [])


def test_emptied_emphasis_without_alignment_keeps_the_old_behaviour_but_no_double_space() -> None:
    enc = encode("because it *is* the State")
    text, _problems = decode('porque <span id="g1"></span> es el Estado', enc)
    assert "  " not in text


def test_emptied_emphasis_whose_words_cannot_be_found_is_noted() -> None:
    enc = encode("because it *is* the State")
    out = decode_output(
        'porque <span id="g1"></span> resulta el Estado', enc, span_translations={"g1": "Es"}
    )
    assert out.text == "porque resulta el Estado"
    assert any("g1" in p and "emptied" in p for p in out.problems)


def test_emptied_link_holds_the_engines_words_and_is_noted() -> None:
    enc = encode("Read [the guide](/g) now")
    out = decode_output(
        'Lee <span id="g1"></span> ahora', enc, span_translations={"g1": "el manual"}
    )
    assert out.text == "Lee [el manual](/g) ahora"
    assert any("g1" in p and "link" in p for p in out.problems)


def test_moved_emphasis_left_on_an_article_goes_to_its_word() -> None:
    enc = encode("They *believe* it")
    out = decode_output('Lo <span id="g1">el</span> creen', enc, span_translations={"g1": "Cree"})
    assert (out.text, out.problems) == ("Lo el *creen*", [])


def test_emphasis_on_a_word_of_its_own_is_left_where_the_engine_put_it() -> None:
    enc = encode("a *big* house")
    out = decode_output(
        'una casa <span id="g1">enorme</span>', enc, span_translations={"g1": "grande"}
    )
    assert (out.text, out.problems) == ("una casa *enorme*", [])


def test_doubled_emphasis_keeps_the_occurrence_holding_its_words() -> None:
    enc = encode("the *successful pilot* of it")
    out = decode_output(
        'el <span id="g1">primer</span> <span id="g1">piloto exitoso</span> de ello',
        enc,
        span_translations={"g1": "Piloto exitoso"},
    )
    assert (out.text, out.problems) == ("el primer *piloto exitoso* de ello", [])


def test_dropped_emphasis_goes_back_onto_its_words() -> None:
    enc = encode("A *very* big house")
    out = decode_output("Una casa muy grande", enc, span_translations={"g1": "Muy"})
    assert (out.text, out.problems) == ("Una casa *muy* grande", [])


def test_dropped_link_goes_back_onto_its_words() -> None:
    enc = encode("Read [the guide](/g) now")
    out = decode_output("Lee el manual ahora", enc, span_translations={"g1": "El manual"})
    assert (out.text, out.problems) == ("Lee [el manual](/g) ahora", [])


def test_number_moved_out_of_its_placeholder_is_not_doubled() -> None:
    enc = encode("like a Fortune 500 company")
    text, problems = decode('como una empresa <span id="x1"></span> de Fortune 500', enc)
    assert (text, problems) == ("como una empresa de Fortune 500", [])


def test_number_doubled_keeps_the_first() -> None:
    enc = encode("a Fortune 500 company")
    text, problems = decode('una empresa <span id="x1">500</span> de Fortune 500', enc)
    assert text == "una empresa 500 de Fortune"
    assert any("500" in p and "doubled" in p for p in problems)


def test_number_dropped_goes_back_beside_its_neighbouring_word() -> None:
    enc = encode("a Fortune 500 company")
    text, problems = decode("una empresa de Fortune", enc)
    assert (text, problems) == ("una empresa de Fortune 500", [])


def test_number_dropped_with_no_neighbour_found_is_appended_and_noted() -> None:
    enc = encode("sold 500 copies")
    text, problems = decode("vendió copias", enc)
    assert text == "vendió copias 500"
    assert any("x1" in p and "missing" in p for p in problems)


def test_number_written_as_text_instead_of_its_placeholder_counts_once() -> None:
    enc = encode("sold 500 copies")
    text, problems = decode("vendió 500 copias", enc)
    assert (text, problems) == ("vendió 500 copias", [])


def test_two_equal_numbers_stay_two() -> None:
    enc = encode("500 here and 500 there")
    text, problems = decode('<span id="x1">500</span> aquí y 500 allí', enc)
    assert (text, problems) == ("500 aquí y 500 allí", [])


needs_apertium = pytest.mark.skipif(shutil.which("apertium") is None, reason="no apertium")


@needs_apertium
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("They don't *believe* in socialism.", "No *creen* en socialismo."),
        ("It fails because it *is* the State.", "*es* el Estado"),
        ("They use branding like a Fortune 500 company.", "empresa de Fortune 500"),
    ],
)
def test_apertium_seed_sentences_keep_their_markup(source: str, expected: str) -> None:
    from pipeline.mt.apertium import ApertiumEngine

    engine = ApertiumEngine()
    enc = encode(source)
    (output,) = engine.translate([enc.tagged], "en", "es")
    spans = span_texts(enc)
    translated = dict(zip(spans, engine.translate(list(spans.values()), "en", "es"), strict=True))
    out = decode_output(output, enc, span_translations=translated)
    assert expected in out.text
    assert "  " not in out.text
    assert out.problems == []
    assert out.text.count("500") == source.count("500")
