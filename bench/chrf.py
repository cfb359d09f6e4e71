"""Translation-quality benchmark: pipeline's machine translation against raw Apertium, in chrF.

    python bench/chrf.py            # prints the figures; exits 1 if pipeline scores lower
    python bench/chrf.py --json     # the same figures as JSON
    python bench/chrf.py --show 10  # also the 10 segments where pipeline loses most

``bench/chrf/en.md`` holds a few hundred English paragraphs (one segment each:
non-fiction prose, technical documentation, blog and news text, a third with
inline Markdown) and ``bench/chrf/es.md`` a reference Spanish translation of
each, written for this project (see ``bench/chrf/README.md``). In this one run
it

1. builds a temporary project (``content/en/bench.md`` = en.md,
   ``content/glossary.csv`` = ``bench/chrf/glossary.csv``) and runs pipeline's
   translate stage with the Apertium engine (fresh cache), reading each
   segment's machine translation from the catalogue;
2. runs raw Apertium (``apertium -u -f html eng-spa``, one process for all
   segments) twice: on each paragraph's Markdown source, which the engine sees
   as text ("raw (markdown)"), and on each paragraph rendered to HTML by
   markdown-it-py, whose tags ``-f html`` keeps out of the way ("raw (html)",
   the fairer baseline);
3. reduces every hypothesis and every reference to plain text the same way
   (render to HTML with markdown-it-py, strip the tags) and scores each system
   with sacrebleu's corpus chrF (``sacrebleu.metrics.CHRF()``: character
   6-grams, beta 2) against the references.

It prints the figures and exits 1 if pipeline scores lower than either raw
baseline. Offline and deterministic: same code, same Apertium, same figures.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

DATA = Path(__file__).resolve().parent / "chrf"
"""The benchmark's data: en.md, es.md, glossary.csv."""

APERTIUM = ["apertium", "-u", "-f", "html", "eng-spa"]
"""The raw engine, as pipeline's Apertium engine runs it."""

PROJECT = """\
[book]
title = "chrF benchmark"
author = "pipeline"

[languages]
source = "en"
targets = ["es"]

[editions]
formats = ["html"]
"""

_BLOCK = re.compile(
    r"""<p\s+id\s*=\s*["']?s(\d+)["']?\s*>(.*?)</p\s*>""", re.IGNORECASE | re.DOTALL
)
_SPACE = re.compile(r"\s+")


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark")


def segments(path: Path) -> list[str]:
    """The inline Markdown source of each paragraph of ``path``, in order.

    Any other block (heading, list, code block…) is an error: the data is one
    paragraph per segment, so that en.md and es.md align one to one."""
    out: list[str] = []
    for token in _markdown().parse(path.read_text(encoding="utf-8")):
        if token.type == "inline":
            out.append(token.content)
        elif token.type not in ("paragraph_open", "paragraph_close"):
            raise ValueError(f"{path}:{(token.map or [0])[0] + 1}: not a paragraph ({token.type})")
    return out


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def strip_tags(markup: str) -> str:
    """The text of an HTML fragment, whitespace collapsed."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return _SPACE.sub(" ", "".join(parser.parts)).strip()


def to_html(source: str) -> str:
    """One paragraph's inline Markdown as HTML (markdown-it-py, CommonMark)."""
    return _markdown().renderInline(source)


def plain(source: str) -> str:
    """One paragraph's inline Markdown as plain text: rendered, tags stripped."""
    return strip_tags(to_html(source))


def score(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF of plain-text ``hypotheses`` against one reference each."""
    from sacrebleu.metrics import CHRF

    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    return CHRF().corpus_score(list(hypotheses), [list(references)]).score


def score_markdown(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF of Markdown ``hypotheses`` against Markdown ``references``,
    both reduced to plain text first (markup never counts)."""
    return score([plain(h) for h in hypotheses], [plain(r) for r in references])


def apertium(blocks: Sequence[str]) -> list[str]:
    """Raw Apertium on HTML ``blocks``, all in one process: each goes in as a
    ``<p id="sN">`` block (a block tag, so no sentence runs into the next) and
    comes back as the HTML Apertium made of it."""
    payload = "\n".join(f'<p id="s{i}">{block}</p>' for i, block in enumerate(blocks))
    done = subprocess.run(APERTIUM, input=payload, capture_output=True, text=True, check=True)
    found = {int(m.group(1)): m.group(2) for m in _BLOCK.finditer(done.stdout)}
    if sorted(found) != list(range(len(blocks))):
        sys.exit(f"apertium returned {len(found)} of {len(blocks)} blocks")
    return [found[i] for i in range(len(blocks))]


def raw_markdown(sources: Sequence[str]) -> list[str]:
    """Raw Apertium on the Markdown source (escaped as HTML text), as Markdown."""
    return [html.unescape(out) for out in apertium([html.escape(s, quote=False) for s in sources])]


def raw_html(sources: Sequence[str]) -> list[str]:
    """Raw Apertium on the rendered HTML, as plain text."""
    return [strip_tags(out) for out in apertium([to_html(s) for s in sources])]


def pipeline_translations(sources: Sequence[str]) -> list[str]:
    """pipeline's translate stage (Apertium, fresh cache) on ``sources``, one
    Markdown translation per source from the catalogue ("" where there is none)."""
    from pipeline.build import translate
    from pipeline.config import load_config
    from pipeline.project import open_book

    with tempfile.TemporaryDirectory(prefix="pipeline-chrf-") as tmp:
        root = Path(tmp)
        (root / "content" / "en").mkdir(parents=True)
        (root / "pipeline.toml").write_text(PROJECT, encoding="utf-8")
        (root / "content" / "en" / "bench.md").write_text(
            (DATA / "en.md").read_text(encoding="utf-8"), encoding="utf-8"
        )
        (root / "content" / "glossary.csv").write_text(
            (DATA / "glossary.csv").read_text(encoding="utf-8"), encoding="utf-8"
        )
        config = load_config(root)
        translate(config, engine="apertium")
        _, doc, catalog = open_book(config)
        if [seg.source for seg in doc.segments] != list(sources):
            sys.exit("pipeline's segments of en.md are not its paragraphs, one to one")
        return [catalog.translation(seg.id) or "" for seg in doc.segments]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--show", type=int, default=0, metavar="N", help="list the N segments pipeline loses most"
    )
    options = parser.parse_args()

    sources = segments(DATA / "en.md")
    references = [plain(r) for r in segments(DATA / "es.md")]
    if len(sources) != len(references):
        sys.exit(f"en.md has {len(sources)} segments, es.md {len(references)}")

    pipeline_md = pipeline_translations(sources)
    systems = {
        "raw (markdown)": [plain(t) for t in raw_markdown(sources)],
        "raw (html)": raw_html(sources),
        "pipeline": [plain(t) for t in pipeline_md],
    }
    scores = {name: score(hyps, references) for name, hyps in systems.items()}
    best_raw = max(scores["raw (markdown)"], scores["raw (html)"])
    diff = scores["pipeline"] - scores["raw (html)"]
    ok = scores["pipeline"] >= best_raw

    # Sentence-level chrF, to say where the difference comes from.
    from sacrebleu.metrics import CHRF

    metric = CHRF()
    per_segment = [
        (
            metric.sentence_score(p, [r]).score - metric.sentence_score(h, [r]).score,
            i,
        )
        for i, (h, p, r) in enumerate(
            zip(systems["raw (html)"], systems["pipeline"], references, strict=True)
        )
    ]
    better = sum(d > 0.005 for d, _ in per_segment)
    worse = sum(d < -0.005 for d, _ in per_segment)
    untranslated = sum(not t for t in pipeline_md)

    if options.json:
        figures = {
            "segments": len(sources),
            "chrf_raw_markdown": round(scores["raw (markdown)"], 2),
            "chrf_raw_html": round(scores["raw (html)"], 2),
            "chrf_pipeline": round(scores["pipeline"], 2),
            "difference": round(diff, 2),
            "segments_better": better,
            "segments_worse": worse,
            "segments_untranslated": untranslated,
            "ok": ok,
        }
        print(json.dumps(figures, indent=2))
    else:
        rows = [
            ("segments", f"{len(sources)} ({untranslated} without a translation in pipeline)"),
            ("chrF raw (markdown)", f"{scores['raw (markdown)']:6.2f}   Markdown syntax as text"),
            ("chrF raw (html)", f"{scores['raw (html)']:6.2f}   markup as HTML tags"),
            ("chrF pipeline", f"{scores['pipeline']:6.2f}"),
            ("difference", f"{diff:+6.2f}   pipeline - raw (html) (target >= 0)"),
            ("per segment", f"pipeline better on {better}, worse on {worse}"),
        ]
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
        print("target met" if ok else "TARGET MISSED: pipeline scores lower than raw Apertium")
    out = sys.stderr if options.json else sys.stdout  # keep the JSON parseable
    for d, i in sorted(per_segment)[: options.show]:
        print(f"\n#{i + 1} ({d:+.1f})  en:  {sources[i]}", file=out)
        print(f"  raw (html): {systems['raw (html)'][i]}", file=out)
        print(f"  pipeline:   {pipeline_md[i]}\n  reference:  {references[i]}", file=out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
