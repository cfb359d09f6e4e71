"""Argos throughput: plain argostranslate against pipeline's argos engine, in one run.

    python bench/argos_throughput.py                  # the realistic-size model
    python bench/argos_throughput.py --size tiny      # a quick smoke run
    python bench/argos_throughput.py --repeat 3       # best of three of each

It builds a random-weight English->Spanish package of the shape of a real
Argos model (6+6 layers, 512 dimensions, 8 heads, 2048 feed-forward, an
8,000-piece vocabulary; see :mod:`pipeline.mt.argos_testing`), installs it
into a temporary packages directory, and translates the same 200+ sentences
(the seed book's paragraphs, then prose paragraphs from Python's own pydoc
topics) twice:

1. **plain argostranslate**: ``argostranslate.translate.translate()`` called
   once per paragraph, as an application would call it;
2. **pipeline**: ``ArgosEngine.translate()`` called once with every paragraph.

Both load the model before the clock starts, use the same ``ARGOS_*``
settings (beam size 4, and float32 compute unless ``--compute-type`` says
otherwise) and the same sentence splits (argostranslate's own splitter would
download a model; the baseline is given pipeline's splitter instead), so the
outputs must be identical, paragraph for paragraph. It prints both times, the
ratio and the number of identical paragraphs, and exits 1 unless pipeline is
at least 3 times faster with identical output.

Why float32 by default: CTranslate2's int8 kernels give results that depend
slightly on what else is in the batch, so a batched and an unbatched int8 run
can disagree on a few sentences of a random-weight model; float32 results do
not depend on the batch. ``--compute-type int8`` measures int8 anyway.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "content" / "en" / "executive-summary.md"
TARGET_RATIO = 3.0


def paragraphs(minimum: int) -> tuple[list[str], int]:
    """Plain-text paragraphs holding at least ``minimum`` sentences: the seed
    book's segments, then prose paragraphs of Python's pydoc topics."""
    from pipeline.mt.sentences import sentences
    from pipeline.source.inline import encode
    from pipeline.source.markdown import load_document

    doc = load_document(BOOK)
    found: list[str] = []
    seen: set[str] = set()

    def add(text: str) -> None:
        """Keep a paragraph only if all its sentences are new (the pydoc topics
        repeat some), so every sentence is translated once by both sides, and have
        letters (pipeline keeps a sentence such as "[1]" as it is; argostranslate
        translates it)."""
        split = sentences(text)
        wordy = all(any(ch.isalpha() for ch in sentence) for sentence in split)
        if split and wordy and not seen.intersection(split) and len(set(split)) == len(split):
            found.append(text)
            seen.update(split)

    for segment in doc.segments:
        text = html.unescape(re.sub(r"<[^<>]*>", "", encode(segment.source, doc.env).tagged))
        if any(ch.isalpha() for ch in text):
            add(" ".join(text.split()))
    from pydoc_data.topics import topics

    for key in sorted(topics):
        for block in re.split(r"\n\s*\n", topics[key]):
            lines = block.splitlines()
            if not lines or any(line.startswith((" ", "\t")) for line in lines):
                continue  # code, grammar and indented examples
            text = " ".join(" ".join(lines).split())
            if not 120 <= len(text) <= 700 or re.search(r"[*=`|>]|::|\.\.\.", text):
                continue
            add(text)
            if len(seen) >= minimum:
                return found, len(seen)
    return found, len(seen)


def stub_sentence_splitting() -> None:
    """Let argostranslate import without stanza/minisbd (not installed in the lean
    set-up) and split sentences with pipeline's splitter instead of a downloaded
    model, so both sides translate exactly the same sentences."""
    from pipeline.mt.sentences import sentences

    sys.modules.setdefault("stanza", types.ModuleType("stanza"))
    minisbd = types.ModuleType("minisbd")

    class Detector:
        def __init__(self, lang: str, use_gpu: bool = False) -> None:
            self.lang = lang

        def sentences(self, text: str) -> list[str]:
            return sentences(text, "en")

    minisbd.SBDetect = Detector  # type: ignore[attr-defined]
    minisbd.models = types.SimpleNamespace(  # type: ignore[attr-defined]
        cache_dir="", list_models=lambda: ["en", "es"]
    )
    sys.modules.setdefault("minisbd", minisbd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=220, help="at least this many (220)")
    parser.add_argument("--size", choices=["bench", "tiny"], default="bench", help="model shape")
    parser.add_argument("--beam", type=int, default=4, help="beam size for both (4)")
    parser.add_argument(
        "--compute-type", default="float32", help="CTranslate2 compute type for both (float32)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; best time counts")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="argos-bench-"))
    try:
        return run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    """Build, install, translate both ways, print; 0 if the target is met."""
    # argostranslate reads these at import and writes under them: keep it here.
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(work / name.lower())
    os.environ["ARGOS_PACKAGES_DIR"] = str(work / "packages")
    os.environ["ARGOS_BEAM_SIZE"] = str(args.beam)
    os.environ["ARGOS_COMPUTE_TYPE"] = args.compute_type
    os.environ["ARGOS_CHUNK_TYPE"] = "MINISBD"

    from pipeline.mt.argos import ArgosEngine
    from pipeline.mt.argos_testing import BENCH, TINY, build_argos_model
    from pipeline.mt.packages import install

    size = BENCH if args.size == "bench" else TINY
    started = time.perf_counter()
    archive = build_argos_model(work / "translate-en_es.argosmodel", size=size, seed=0)
    package = install(archive, work / "packages").package
    print(
        f"model: {package.label}, {size.layers}+{size.layers} layers, {size.dim} dims, "
        f"{size.heads} heads, ffn {size.ffn}; built and installed in "
        f"{time.perf_counter() - started:.1f} s"
    )
    texts, count = paragraphs(args.sentences)
    print(f"input: {len(texts)} paragraphs, {count} sentences, {sum(map(len, texts))} characters")
    print(f"settings: beam {args.beam}, compute type {args.compute_type}, same for both")

    stub_sentence_splitting()
    import argostranslate.translate as argos_translate

    engine = ArgosEngine(work / "packages")
    warm = "Warm-up sentence, not timed."
    argos_translate.translate(warm, "en", "es")
    engine.translate([warm], "en", "es")

    plain_times: list[float] = []
    ours_times: list[float] = []
    plain: list[str] = []
    ours: list[str] = []
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        plain = [argos_translate.translate(text, "en", "es") for text in texts]
        plain_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        ours = [
            html.unescape(t) for t in engine.translate([html.escape(x) for x in texts], "en", "es")
        ]
        ours_times.append(time.perf_counter() - started)

    same = sum(a == b for a, b in zip(plain, ours, strict=True))
    best_plain, best_ours = min(plain_times), min(ours_times)
    ratio = best_plain / best_ours
    runs = "" if args.repeat <= 1 else f" (best of {args.repeat})"
    print(f"plain argostranslate, one call per paragraph: {best_plain:7.2f} s{runs}")
    print(
        f"pipeline argos engine, one batch:             {best_ours:7.2f} s{runs}"
        f"  ({engine.stats.calls} translate_batch call, {engine.stats.model_inputs} inputs)"
    )
    print(f"ratio: {ratio:.2f}x (target >= {TARGET_RATIO:g}x)")
    print(f"identical output: {same} of {len(texts)} paragraphs")
    for a, b in [(a, b) for a, b in zip(plain, ours, strict=True) if a != b][:3]:
        print(f"  differs:\n    plain: {a[:150]!r}\n    ours:  {b[:150]!r}")
    ok = ratio >= TARGET_RATIO and same == len(texts)
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
