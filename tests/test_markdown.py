"""Segmentation of Markdown documents, and translations put back into them.

Translations go back the one way the editions use,
:func:`pipeline.source.apply.translated_tokens`; what it gives is judged on
its tokens and on their rendered HTML.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it.token import Token

from pipeline.errors import ContentError
from pipeline.source import apply
from pipeline.source.markdown import Document, load_document, md, parse_document, plain_text

ROOT = Path(__file__).parent.parent
SUMMARY = ROOT / "content" / "en" / "executive-summary.md"


def render(markdown: str) -> str:
    return md().render(markdown)


def ids(doc: Document) -> list[str]:
    return [seg.id for seg in doc.segments]


def translated_html(doc: Document, texts: dict[str, str]) -> str:
    """HTML of ``doc`` with ``texts`` put back the way the editions put them."""
    return apply.translated_tokens(doc, texts).render()


Shape = tuple[object, ...]


def shape(token: Token) -> Shape:
    """What a token renders from: everything but its source positions (``meta``)."""
    children = tuple(shape(c) for c in token.children or [])
    fields = (token.type, token.tag, token.nesting, token.attrs, token.map, token.content)
    return (*fields, token.markup, token.info, token.block, token.hidden, children)


# --- the real book: content/en/executive-summary.md ------------------------------------------


def expected_summary_segments(text: str) -> list[tuple[str, str, int]]:
    """(kind, source, line) of each segment, read off the file independently of the
    parser: in this file every non-blank line is one block of its own."""
    expected = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            expected.append(("heading", line.lstrip("#").strip(), number))
        elif line.startswith("- "):
            expected.append(("list-item", line[2:], number))
        else:
            expected.append(("paragraph", line, number))
    return expected


@pytest.fixture(scope="module")
def summary() -> Document:
    return load_document(SUMMARY)


def test_summary_has_one_segment_per_block_with_kind_and_line(summary: Document) -> None:
    got = [(seg.kind, seg.source, seg.line) for seg in summary.segments]
    assert got == expected_summary_segments(SUMMARY.read_text(encoding="utf-8"))
    assert len(got) == 59
    assert [seg.index for seg in summary.segments] == list(range(59))


def test_summary_headings_of_every_level_are_segments(summary: Document) -> None:
    headings = {seg.source: seg.line for seg in summary.segments if seg.kind == "heading"}
    title = "From Pablo Escobar to the Tren de Aragua: How Narco-Socialism became Viral in the"
    assert headings[title + " Americas"] == 1
    assert headings["EXECUTIVE SUMMARY"] == 9
    assert headings["I. What's the Big Idea?"] == 11
    assert headings["1. State Capture"] == 21
    assert len(headings) == 18


def test_summary_list_items_and_paragraphs(summary: Document) -> None:
    kinds = [seg.kind for seg in summary.segments]
    assert kinds.count("list-item") == 19
    assert kinds.count("paragraph") == 22
    item = next(seg for seg in summary.segments if seg.line == 65)
    assert item.kind == "list-item"
    assert item.source == (
        "**China:** Provides cash and infrastructure with zero democratic strings attached."
    )


def test_summary_ids_unique_and_stable_across_parses(summary: Document) -> None:
    assert len(set(ids(summary))) == len(summary.segments)
    assert all(re.fullmatch(r"s[0-9a-f]{10}(-\d+)?", sid) for sid in ids(summary))
    again = parse_document(SUMMARY.read_text(encoding="utf-8"), SUMMARY)
    assert ids(again) == ids(summary)


def typography_only(text: str) -> str:
    """The same words with other quotes, dashes and spacing."""
    text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("What's", "What\u2019s").replace(" \u2014 ", " - ")
    return text.replace("This book unveils", "This  book   unveils").replace(
        "Tren de Aragua, born", "Tren de Aragua,  born"
    )


def test_summary_ids_survive_a_typography_only_edit(summary: Document) -> None:
    edited = typography_only(summary.text)
    assert edited != summary.text
    changed = [
        a.source != b.source
        for a, b in zip(summary.segments, parse_document(edited).segments, strict=True)
    ]
    assert sum(changed) >= 10  # the edit touched many segments
    assert ids(parse_document(edited)) == ids(summary)


def test_summary_id_changes_with_a_real_edit_and_only_there(summary: Document) -> None:
    edited = summary.text.replace("a new and dangerously viral", "a new and viral")
    new_ids = ids(parse_document(edited))
    changed = [i for i, (a, b) in enumerate(zip(ids(summary), new_ids, strict=True)) if a != b]
    edited_segment = next(s for s in summary.segments if s.source.startswith("This book unveils"))
    assert changed == [edited_segment.index]


def test_summary_renders_the_same_without_translations(summary: Document) -> None:
    expected = render(SUMMARY.read_text(encoding="utf-8"))
    untouched = [shape(t) for t in md().parse(summary.text)]
    none = apply.translated_tokens(summary, {})
    assert none.render() == expected
    assert [shape(t) for t in none.tokens] == untouched
    assert none.shown == frozenset()
    same = apply.translated_tokens(summary, {seg.id: seg.source for seg in summary.segments})
    assert same.render() == expected
    assert same.shown == frozenset(ids(summary))
    blank = apply.translated_tokens(summary, {seg.id: "  " for seg in summary.segments})
    assert blank.render() == expected
    assert [shape(t) for t in blank.tokens] == untouched
    assert blank.shown == frozenset()


def test_repeated_identical_paragraphs_get_distinct_ids() -> None:
    doc = parse_document("Same words.\n\nOther words.\n\nSame words.\n\n- Same  words.\n")
    first = parse_document("Same words.\n").segments[0].id
    assert ids(doc) == [first, ids(doc)[1], f"{first}-2", f"{first}-3"]
    assert ids(doc)[1] != first


def test_typographic_twins_also_get_distinct_ids() -> None:
    doc = parse_document("It's here.\n\nIt\u2019s here.\n")
    assert ids(doc)[1] == ids(doc)[0] + "-2"


def test_segment_ids_do_not_depend_on_position() -> None:
    a = parse_document("Intro.\n\nThe paragraph.\n")
    b = parse_document("# Title\n\nSomething else first.\n\nThe paragraph.\n")
    assert a.segments[1].id == b.segments[2].id


def test_load_document_reports_missing_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as info:
        load_document(tmp_path / "nope.md")
    assert "not found" in info.value.message
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"Fine line.\n\nBad \xff byte.\n")
    with pytest.raises(ContentError) as info:
        load_document(bad)
    assert "UTF-8" in info.value.message
    assert info.value.line == 3


def test_load_document_accepts_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "win.md"
    path.write_bytes("\ufeff# Title\r\n\r\nA paragraph\r\non two lines.\r\n".encode())
    doc = load_document(path)
    assert [(s.kind, s.source, s.line) for s in doc.segments] == [
        ("heading", "Title", 1),
        ("paragraph", "A paragraph\non two lines.", 3),
    ]


# --- what is never a segment -----------------------------------------------------------------

NOT_SEGMENTS = {
    "indented code": "    indented code words\n    more code words",
    "fenced code": "```python\nfenced code words\n```",
    "tilde fence": "~~~\nfenced code words\n~~~",
    "preformatted html block": "<pre>\nHTML block words\n</pre>",
    "html script": "<script>\nconsole.log('script words');\n</script>",
    "html style": "<style>\np.words { color: red; }\n</style>",
    "html block of markup only": '<p align="center">\n<img src="logo.png" width="200">\n</p>',
    "html block of unshown markup": '<div><iframe title="Video words"></iframe></div>',
    "html comment": "<!-- comment words -->",
    "link reference definition": '[ref]: http://example.com/ref "Ref title words"',
    "numbers only": "123 456,7 2024",
    "code only": "`only code words` `more code`",
    "code and numbers": "`make all` 42",
    "thematic break": "***",
    "image without a description": "![](picture.png) ![2024](chart.png)",
    "inline html only": "<b></b>",
}


@pytest.mark.parametrize("block", NOT_SEGMENTS.values(), ids=NOT_SEGMENTS.keys())
def test_blocks_that_are_never_segments(block: str) -> None:
    doc = parse_document(f"Intro words.\n\n{block}\n\nOutro words.\n")
    assert [seg.source for seg in doc.segments] == ["Intro words.", "Outro words."]


def test_a_figure_is_a_segment_for_its_description() -> None:
    doc = parse_document("Intro words.\n\n![alt words](picture.png)\n")
    assert [seg.source for seg in doc.segments] == ["Intro words.", "![alt words](picture.png)"]


def test_front_matter_is_never_a_segment_but_for_its_title() -> None:
    doc = parse_document("---\ntitle: Front matter words\nauthor: Someone\n---\n\nBody words.\n")
    assert [(seg.kind, seg.source, seg.line) for seg in doc.segments] == [
        ("title", "Front matter words", 2),
        ("paragraph", "Body words.", 6),
    ]
    # The title is the editions' (their title pages), never the body's.
    translated = apply.translated_tokens(doc, {doc.segments[0].id: "Palabras del título"})
    assert translated.render() == "<p>Body words.</p>\n"


def test_front_matter_title_and_description_are_read_as_written_at_their_lines() -> None:
    doc = parse_document(
        "---\nseo:\n  title: Other\ndescription: |\n  title: inside\n  Compare a==b with ==c==\n"
        'title: "Water: H~2~O and x^2^, *not* emphasis"\n---\n\nBody words.\n'
    )
    found = [(seg.kind, seg.line, seg.source) for seg in doc.segments]
    assert [(kind, line) for kind, line, _ in found] == [
        ("title", 7),
        ("description", 4),
        ("paragraph", 10),
    ]
    translated = apply.translated_tokens(doc, {})
    title, description = (plain_text(translated.tokens[i], shown=True) for i in (1, 2))
    assert title == "Water: H~2~O and x^2^, *not* emphasis"
    assert description == "title: inside Compare a==b with ==c=="


def test_paragraph_of_only_a_url_is_not_a_segment() -> None:
    doc = parse_document("Intro words.\n\n<https://example.com/page>\n")
    assert [seg.source for seg in doc.segments] == ["Intro words."]


def test_segment_kinds() -> None:
    doc = parse_document(
        "# Heading\n\nSetext heading\n---\n\nParagraph.\n\n- List item\n\n> Quote line\n\n"
        "| Head |\n|------|\n| Cell |\n\n> - Item in a quote\n"
    )
    assert [(seg.kind, seg.source) for seg in doc.segments] == [
        ("heading", "Heading"),
        ("heading", "Setext heading"),
        ("paragraph", "Paragraph."),
        ("list-item", "List item"),
        ("quote", "Quote line"),
        ("table-cell", "Head"),
        ("table-cell", "Cell"),
        ("list-item", "Item in a quote"),
    ]


# --- translations put back into their containers ------------------------------------------
#
# A translation replaces the inline content of its block; the blocks are the
# source's. So a translation longer or shorter than its source, or with a blank
# line, a pipe or a trailing "#" in it, stays in its list item, quote, table
# cell or heading (a line break in it is a soft break, shown as a space).


def translated_one(source: str, which: str, translation: str) -> str:
    """HTML of ``source`` with the segment whose source is ``which`` translated."""
    doc = parse_document(source)
    (seg,) = [s for s in doc.segments if s.source == which]
    return translated_html(doc, {seg.id: translation})


def test_longer_translation_stays_inside_its_list_item() -> None:
    out = translated_one("- First item\n- Second item\n\nAfter.\n", "First item", "Uno\ndos\ntres")
    assert out == "<ul>\n<li>Uno\ndos\ntres</li>\n<li>Second item</li>\n</ul>\n<p>After.</p>\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "- First item\n- Second item\n",
            "<ul>\n<li>Uno\n\ndos</li>\n<li>Second item</li>\n</ul>\n",
        ),
        ("> First item\n", "<blockquote>\n<p>Uno\n\ndos</p>\n</blockquote>\n"),
    ],
    ids=["list item", "blockquote"],
)
def test_paragraph_break_in_a_translation_stays_inside_the_container(
    source: str, expected: str
) -> None:
    # A blank line in a translation is not a new paragraph: the blocks are the
    # source's (a tight list stays tight), which keeps a bilingual edition aligned.
    assert translated_one(source, "First item", "Uno\n\ndos") == expected


def test_longer_translation_stays_inside_a_wide_ordered_item() -> None:
    out = translated_one("10. Tenth item\n11. Eleventh\n", "Tenth item", "Décimo\nelemento")
    assert out == '<ol start="10">\n<li>Décimo\nelemento</li>\n<li>Eleventh</li>\n</ol>\n'


def test_longer_translation_stays_inside_its_blockquote() -> None:
    out = translated_one("> Quoted words.\n\nAfter.\n", "Quoted words.", "Uno\ndos\ntres")
    assert out == "<blockquote>\n<p>Uno\ndos\ntres</p>\n</blockquote>\n<p>After.</p>\n"


def test_longer_translation_stays_inside_a_list_in_a_blockquote() -> None:
    source = "> - Item in\n>   a quote\n> - Next\n\nAfter.\n"
    out = translated_one(source, "Item in\na quote", "Uno\ndos\ntres\ncuatro")
    assert out == (
        "<blockquote>\n<ul>\n<li>Uno\ndos\ntres\ncuatro</li>\n<li>Next</li>\n</ul>\n"
        "</blockquote>\n<p>After.</p>\n"
    )


def test_longer_translation_of_a_setext_heading_stays_a_heading() -> None:
    out = translated_one("Title words\n===========\n\nBody.\n", "Title words", "Uno\ndos")
    assert out == "<h1>Uno\ndos</h1>\n<p>Body.</p>\n"


def test_shorter_translation_removes_the_surplus_lines_in_a_list_item() -> None:
    source = "- line one\n  line two\n  line three\n- Next\n"
    out = translated_one(source, "line one\nline two\nline three", "uno")
    assert out == "<ul>\n<li>uno</li>\n<li>Next</li>\n</ul>\n"


def test_shorter_translation_removes_the_surplus_lines_in_a_blockquote() -> None:
    source = "> line one\n> line two\n> line three\n\nAfter.\n"
    out = translated_one(source, "line one\nline two\nline three", "uno\ndos")
    assert out == "<blockquote>\n<p>uno\ndos</p>\n</blockquote>\n<p>After.</p>\n"


def test_table_cell_translation_with_a_pipe_stays_in_its_cell() -> None:
    source = "| Head | Other |\n|------|-------|\n| cell | d |\n"
    out = translated_one(source, "cell", "x | y")
    assert out == (
        "<table>\n<thead>\n<tr>\n<th>Head</th>\n<th>Other</th>\n</tr>\n</thead>\n"
        "<tbody>\n<tr>\n<td>x | y</td>\n<td>d</td>\n</tr>\n</tbody>\n</table>\n"
    )


def test_table_cell_translation_on_several_lines_stays_on_its_row() -> None:
    source = "| Head | Other |\n|------|-------|\n| cell | d |\n"
    out = translated_one(source, "cell", "uno\ndos")
    assert "<td>uno\ndos</td>\n<td>d</td>\n</tr>\n</tbody>" in out


def test_heading_translation_on_several_lines_stays_one_heading() -> None:
    out = translated_one("## Chapter one\n\nBody.\n", "Chapter one", "Capítulo\nuno")
    assert out == "<h2>Capítulo\nuno</h2>\n<p>Body.</p>\n"


def test_closing_hashes_of_a_heading_stay_out_of_its_translation() -> None:
    out = translated_one("# Chapter one #\n", "Chapter one", "Capítulo uno")
    assert out == "<h1>Capítulo uno</h1>\n"


def test_trailing_hash_of_a_heading_translation_is_kept() -> None:
    out = translated_one("## Chapter one\n", "Chapter one", "Capítulo #")
    assert out == "<h2>Capítulo #</h2>\n"


SAMPLE = """---
author: Front matter words
---

# Title words

Intro paragraph with a [link](http://example.com/x "T") and `code`,
continued on a second line.

[ref]: /reference-url

    indented code words

- Item one
- Item two
  continued

> Quoted words
> on two lines.

```
fenced words
```

| Head | Other |
|------|:-----:|
| cell one | cell two |

<div><pre>
HTML block words
</pre></div>

Closing words.
"""


def sample_tokens() -> tuple[Document, list[Token], dict[str, object]]:
    """SAMPLE parsed, its token stream as the source gives it, and the parse's env."""
    doc = parse_document(SAMPLE)
    env: dict[str, object] = {}
    return doc, md().parse(doc.text, env), env


def test_each_segment_is_replaced_exactly_where_it_stands() -> None:
    doc, source, env = sample_tokens()
    assert len(doc.segments) == 10
    expected = render(SAMPLE)
    for seg in doc.segments:
        index = doc.token_index[seg.id]
        translated = apply.translated_tokens(doc, {seg.id: "ZQX"})
        # Only the segment's own inline token changed, and it holds the text alone.
        changed = [
            i
            for i, (a, b) in enumerate(zip(source, translated.tokens, strict=True))
            if shape(a) != shape(b)
        ]
        assert changed == [index], seg
        assert [c.content for c in translated.tokens[index].children or []] == ["ZQX"], seg
        # In the HTML, what was replaced is the segment's own rendering.
        before, after = translated.render().split("ZQX")
        assert expected.startswith(before) and expected.endswith(after), seg
        replaced = expected[len(before) : len(expected) - len(after)]
        own = md().renderer.renderInline(source[index].children or [], md().options, env)
        assert replaced == own, seg


def test_tokens_outside_segments_stay_as_the_source_made_them() -> None:
    doc, source, _ = sample_tokens()
    translations = {
        seg.id: "\n".join(f"T{seg.index}" for _ in seg.source.split("\n")) for seg in doc.segments
    }
    translated = apply.translated_tokens(doc, translations)
    assert len(translated.tokens) == len(source)
    in_segment = {index: sid for sid, index in doc.token_index.items()}
    for i, (old, new) in enumerate(zip(source, translated.tokens, strict=True)):
        if i not in in_segment:
            assert shape(new) == shape(old), f"token {i} ({old.type}) changed"
        else:
            # The block keeps its place and lines; its content is the translation.
            seg = doc.segment(in_segment[i])
            assert (new.type, new.map) == (old.type, old.map)
            assert new.content == translations[seg.id]
            words = [c.content for c in new.children or [] if c.type == "text"]
            assert words == [f"T{seg.index}"] * len(seg.source.split("\n"))
    html = translated.render()
    assert all(f"T{seg.index}" in html for seg in doc.segments)
    for kept in ("fenced words", "HTML block words", "indented code words", "Front matter"):
        assert (kept in html) == (kept in render(SAMPLE)), kept


def test_untranslated_and_empty_translations_keep_the_source() -> None:
    doc = parse_document(SAMPLE)
    first, second, *_ = doc.segments
    translated = apply.translated_tokens(doc, {first.id: "Título", second.id: " \n "})
    assert translated.render() == render(SAMPLE.replace("# Title words", "# Título"))
    assert translated.shown == {first.id}
