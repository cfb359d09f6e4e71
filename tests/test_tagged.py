"""The tagged-text wire format (pipeline.mt.tagged): writing, reading, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.mt import tagged
from pipeline.mt.tagged import Atom, Break, Close, Open, Text, balanced, escape, parse, write
from pipeline.source.inline import encode

ROUND_TRIPS = [
    "",
    "plain words",
    "&amp; &lt;b&gt; &amp;amp; &amp;#233; \"quoted\" 'single'",
    'I have <span id="g1">a big</span> house, run <span id="x2">ls -l</span>.',
    'a <span id="g1">b <span id="g2">c <span id="g3">d</span></span> e</span> f',
    '<span id="x1"></span><span id="x2">a &lt;b&gt; &amp; c</span>',
    'one<br id="x1">two\nthree\r\nfour<br id="x2">',
    '<span id="g1"><span id="x2">42</span> items<br id="x3"></span>',
    'an atom holding markup: <span id="x5"><br id="x3"></span>',
    "\u00a0non-breaking\tand tab\x0c",
]


@pytest.mark.parametrize("text", ROUND_TRIPS)
def test_write_parse_round_trips(text: str) -> None:
    assert write(parse(text)) == text


def test_parse_gives_the_items_of_each_kind() -> None:
    text = (
        'A <span id="g1">big &amp; <span id="g2">old</span></span> '
        '<span id="x3">ls &lt;</span><br id="x4">'
    )
    assert parse(text) == [
        Text("A "),
        Open("g1"),
        Text("big & "),
        Open("g2"),
        Text("old"),
        Close("g2"),
        Close("g1"),
        Text(" "),
        Atom("x3", "ls <"),
        Break("x4"),
    ]


def test_write_escapes_text_and_hints_only_where_needed() -> None:
    items = [Text('a < b & "c"'), Atom("x1", "<kbd>"), Open("g2"), Close("g2"), Break("x3")]
    assert (
        write(items)
        == 'a &lt; b &amp; "c"<span id="x1">&lt;kbd&gt;</span><span id="g2"></span><br id="x3">'
    )
    assert escape("<&>'\"") == "&lt;&amp;&gt;'\""


def test_encoder_output_is_written_by_this_module() -> None:
    enc = encode("Run `ls -l` *now* & **then**,\\\nsee ![a cat](c.png) 42 times.")
    items = parse(enc.tagged)
    assert write(items) == enc.tagged
    assert [type(item).__name__ for item in items if not isinstance(item, Text)] == [
        "Atom", "Open", "Close", "Open", "Close", "Break", "Atom", "Atom",
    ]  # fmt: skip


def test_reading_an_engines_output_is_lenient() -> None:
    text = 'a <b>big</b> &eacute;&#233;&amp x </em><br/></br><!-- note --><span id="g1"/>'
    assert parse(text) == [
        Text("a "),
        Open("", "b"),
        Text("big"),
        Close("", "b"),
        Text(" éé& x "),
        Close("", "em"),  # closes nothing
        Break(""),
        Open("g1"),
        Close("g1"),
    ]


def test_an_end_tag_closes_the_innermost_element_whatever_its_name() -> None:
    assert parse('<span id="g1">a</em>b') == [Open("g1"), Text("a"), Close("g1", "em"), Text("b")]


def test_an_atom_holding_markup_is_read_as_a_pair() -> None:
    assert parse('<span id="x1">a<span id="g2">b</span></span>') == [
        Open("x1"),
        Text("a"),
        Open("g2"),
        Text("b"),
        Close("g2"),
        Close("x1"),
    ]
    assert parse('<span id="x1">a<!-- c -->b</span>') == [Atom("x1", "ab")]


def test_balanced_drops_stray_end_tags_and_closes_what_is_open() -> None:
    items = parse('</span>a<span id="g1">b<span id="g2">c')
    assert balanced(items) == [
        Text("a"),
        Open("g1"),
        Text("b"),
        Open("g2"),
        Text("c"),
        Close("g2"),
        Close("g1"),
    ]


def test_atomic_ids() -> None:
    assert tagged.is_atomic("x3") and not tagged.is_atomic("g1")


# Canonical tagged text, built independently of the module: written text has
# only &, < and > escaped, and every element as the encoder writes it.
_text = st.text(st.characters(codec="utf-8", exclude_characters="<>&"), min_size=1, max_size=8)
_leaf = st.one_of(
    _text,
    st.sampled_from(["&amp;", "&lt;", "&gt;", "\n", "&amp;lt;"]),
    st.integers(1, 99).map(lambda n: f'<br id="x{n}">'),
    st.tuples(st.integers(1, 99), st.one_of(st.just(""), _text)).map(
        lambda t: f'<span id="x{t[0]}">{t[1]}</span>'
    ),
)
_canonical = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map("".join),
        st.tuples(st.integers(1, 99), inner).map(lambda t: f'<span id="g{t[0]}">{t[1]}</span>'),
    ),
    max_leaves=16,
)


@given(_canonical)
def test_canonical_tagged_text_round_trips(text: str) -> None:
    items = parse(text)
    assert write(items) == text
    assert parse(write(items)) == items
    assert balanced(items) == items
