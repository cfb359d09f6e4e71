"""Build a random-weight Argos Translate package, for tests and benchmarks.

No English-Spanish Argos model can be downloaded here, so the test suite and
``bench/argos_throughput.py`` make one: a SentencePiece vocabulary trained on
text every Python installation ships (the ``pydoc`` topics), a CTranslate2
Transformer written through its model-spec API with random weights, and the
``metadata.json`` argospm expects, zipped into a ``.argosmodel`` file that
``pipeline models install`` and argostranslate both accept::

    python -m pipeline.mt.argos_testing translate-en_es.argosmodel
    python -m pipeline.mt.argos_testing --size bench --source es --target en es_en.argosmodel

Its translations are gibberish, but it exercises the real code path, and it
behaves like a trained model in the two ways that matter for speed and
structure: it stops (its output is about as long as its input, a few tokens
more) and it prefers whole words. Both come from a handful of weights set on
purpose (see :func:`build_argos_model`); everything else is random. The same
arguments give the same model.

Needs numpy, ctranslate2 and sentencepiece (``pip install 'pipeline[argos]'``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..lang import get as get_language

__all__ = [
    "BENCH",
    "TINY",
    "ModelSize",
    "build_argos_model",
    "sentencepiece_bytes",
    "training_text",
]


@dataclass(frozen=True, slots=True)
class ModelSize:
    """The shape of a Transformer model."""

    layers: int
    """Encoder and decoder layers (each)."""
    dim: int
    """Model (embedding) dimension."""
    heads: int
    """Attention heads."""
    ffn: int
    """Feed-forward inner dimension."""
    vocab: int
    """Target SentencePiece vocabulary size (fewer if the text is too small)."""


TINY = ModelSize(layers=2, dim=64, heads=2, ffn=128, vocab=1000)
"""For tests: built in well under a second, translates a book in about one."""

BENCH = ModelSize(layers=6, dim=512, heads=8, ffn=2048, vocab=8000)
"""For benchmarks: the shape of a real Argos model (Transformer base)."""

_FALLBACK_TEXT = """\
This book unveils a new and dangerously viral phenomenon.
Organized crime becomes the State, hijacking its institutions.
Police, military, courts and even prisons become parts of a criminal operation.
Este libro revela un fenómeno nuevo y peligrosamente viral.
El crimen organizado se convierte en el Estado y secuestra sus instituciones.
La policía, el ejército y los tribunales forman parte de una operación criminal.
"""


def training_text() -> Iterator[str]:
    """Lines of English prose for the vocabulary: Python's own ``pydoc`` topics
    (shipped with every Python), or a few built-in sentences without them."""
    try:
        from pydoc_data.topics import topics
    except ImportError:  # pragma: no cover - stripped-down Pythons
        yield from (_FALLBACK_TEXT * 50).splitlines()
        return
    for key in sorted(topics):
        for line in topics[key].splitlines():
            line = line.strip()
            if len(line) > 20:
                yield line
    yield from _FALLBACK_TEXT.splitlines()


def _sentencepiece(lines: Iterable[str], vocab: int) -> bytes:
    import sentencepiece as spm

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=buffer,
        vocab_size=vocab,
        model_type="bpe",
        character_coverage=1.0,
        hard_vocab_limit=False,
        num_threads=1,
        minloglevel=2,
    )
    return buffer.getvalue()


def _sinusoids(length: int, dim: int) -> Any:
    import numpy as np

    position = np.arange(length)[:, None]
    index = np.arange(dim // 2)[None, :]
    angle = position / np.power(10000.0, 2 * index / dim)
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1).astype(np.float32)


def _spec(tokens: list[str], size: ModelSize, seed: int) -> Any:
    """A Transformer spec with random weights, except for the weights that make
    it stop and prefer whole words.

    Dimensions 0 to 2 of the model are kept out of every layer's output (their
    rows are zero). Dimension 2 is 1 at the decoder's first position only, and
    pieces that do not start a word get -100 from it: like a trained model, the
    output starts with a word. Dimensions 0 and 1 carry two ramps: position *
    0.05 in the encoder (dim 0) and in the decoder (dim 1). The last decoder
    layer's cross-attention attends evenly to every source position (zero
    queries) and copies the mean of the encoder's ramp into dim 0: 0.05 * (n -
    1) / 2 for n source tokens. The end token's output weights read ``dim1 - 2 *
    dim0``, which turns positive once the decoder is past the source length;
    with a large factor the model then ends at once. No final layer norm, so the
    ramps reach the output unscaled.
    """
    import numpy as np
    from ctranslate2.specs import transformer_spec

    rng = np.random.default_rng(seed)
    d, vocab = size.dim, len(tokens)
    spec = transformer_spec.TransformerSpec.from_config(size.layers, size.heads, no_final_norm=True)
    slope, gain = 0.05, 400.0

    def linear(layer: Any, rows: int, cols: int, *, clean: bool = False) -> Any:
        weight = (rng.standard_normal((rows, cols), dtype=np.float32) / np.sqrt(cols)).astype(
            np.float32
        )
        if clean:
            weight[0:3] = 0.0
        layer.weight = weight
        layer.bias = np.zeros(rows, dtype=np.float32)
        return weight

    def norm(layer: Any) -> None:
        layer.gamma = np.ones(d, dtype=np.float32)
        layer.beta = np.zeros(d, dtype=np.float32)

    ramp = slope * np.arange(1024, dtype=np.float32)
    for part, dim in ((spec.encoder, 0), (spec.decoder, 1)):
        embeddings = part.embeddings[0] if isinstance(part.embeddings, list) else part.embeddings
        weight = rng.standard_normal((vocab, d), dtype=np.float32) / np.sqrt(d)
        weight[:, 0:3] = 0.0
        embeddings.weight = weight.astype(np.float32)
        positions = _sinusoids(1024, d)
        positions[:, 0:3] = 0.0
        positions[:, dim] = ramp
        if part is spec.decoder:
            positions[0, 2] = 1.0
        part.position_encodings.encodings = positions
        for number, layer in enumerate(part.layer):
            norm(layer.self_attention.layer_norm)
            linear(layer.self_attention.linear[0], 3 * d, d)
            linear(layer.self_attention.linear[1], d, d, clean=True)
            if hasattr(layer, "attention"):
                norm(layer.attention.layer_norm)
                query = linear(layer.attention.linear[0], d, d)
                keys_values = linear(layer.attention.linear[1], 2 * d, d)
                out = linear(layer.attention.linear[2], d, d, clean=True)
                if number == len(part.layer) - 1:
                    query[:] = 0.0
                    keys_values[d] = 0.0
                    keys_values[d, 0] = 1.0
                    out[:, 0] = 0.0
                    out[0, 0] = 1.0
            norm(layer.ffn.layer_norm)
            linear(layer.ffn.linear_0, size.ffn, d)
            linear(layer.ffn.linear_1, d, size.ffn, clean=True)
    projection = linear(spec.decoder.projection, vocab, d)
    projection[:, 0:3] = 0.0
    bias = spec.decoder.projection.bias
    end = tokens.index("</s>")
    projection[end] = 0.0
    projection[end, 1] = gain
    projection[end, 0] = -gain * 2.0
    bias[end] = -gain * slope * 2.0
    for index, token in enumerate(tokens):
        if token in ("<blank>", "<unk>", "<s>"):
            bias[index] = -50.0
        elif index != end and not token.startswith("\u2581"):
            bias[index] = -1.5  # prefer pieces that start a word…
            projection[index, 2] = -100.0  # …and always start with one
    spec.register_source_vocabulary(tokens)
    spec.register_target_vocabulary(tokens)
    spec.validate()
    return spec


def build_argos_model(
    path: Path,
    *,
    source: str = "en",
    target: str = "es",
    size: ModelSize = TINY,
    seed: int = 0,
    version: str = "1.0",
    sentencepiece_model: bytes | None = None,
    quantization: str | None = None,
) -> Path:
    """Write a random-weight ``.argosmodel`` for ``source`` → ``target`` to ``path``.

    ``sentencepiece_model`` reuses a vocabulary (the bytes of a
    ``sentencepiece.model``) instead of training one; ``quantization`` (e.g.
    ``int8``) stores the weights quantized, as real Argos packages are.
    Returns ``path``.
    """
    import sentencepiece as spm

    proto = sentencepiece_model or _sentencepiece(training_text(), size.vocab)

    processor = spm.SentencePieceProcessor(model_proto=proto)
    pieces = [
        processor.id_to_piece(i)
        for i in range(processor.get_piece_size())
        if not (processor.is_control(i) or processor.is_unknown(i))
    ]
    tokens = ["<blank>", "<unk>", "<s>", "</s>", *pieces]
    spec = _spec(tokens, size, seed)
    folder = f"translate-{source}_{target}-{version.replace('.', '_')}"
    metadata = {
        "package_version": version,
        "argos_version": "1.9",
        "from_code": source,
        "from_name": get_language(source).name,
        "to_code": target,
        "to_name": get_language(target).name,
        "type": "translate",
        "links": [],
    }
    readme = (
        f"# Random-weight test model {source} -> {target}\n\n"
        f"Built by pipeline.mt.argos_testing (seed {seed}, {size.layers} layers, "
        f"{size.dim} dimensions). Its translations are gibberish.\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="argos-model-") as tmp:
        model_dir = Path(tmp) / "model"
        model_dir.mkdir()
        if quantization:
            spec.optimize(quantization=quantization)
        spec.save(str(model_dir))
        partial = path.with_name(path.name + ".part")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{folder}/", "")
            archive.writestr(f"{folder}/metadata.json", json.dumps(metadata, indent=2) + "\n")
            archive.writestr(f"{folder}/README.md", readme)
            archive.writestr(f"{folder}/sentencepiece.model", proto)
            archive.writestr(f"{folder}/model/", "")
            for file in sorted(model_dir.iterdir()):
                # The weights are random: compressing them only costs time.
                kind = zipfile.ZIP_STORED if file.suffix == ".bin" else zipfile.ZIP_DEFLATED
                archive.write(file, f"{folder}/model/{file.name}", compress_type=kind)
        os.replace(partial, path)
    return path


def sentencepiece_bytes(archive: Path) -> bytes:
    """The ``sentencepiece.model`` of a ``.argosmodel`` file (to build a model
    for the other direction with the same vocabulary)."""
    with zipfile.ZipFile(archive) as zipf:
        name = next(n for n in zipf.namelist() if n.endswith("/sentencepiece.model"))
        return zipf.read(name)


def main(argv: list[str] | None = None) -> None:
    """``python -m pipeline.mt.argos_testing``: write a random-weight package."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.mt.argos_testing",
        description="Write a random-weight Argos Translate package (gibberish output).",
    )
    parser.add_argument("output", type=Path, help="the .argosmodel file to write")
    parser.add_argument("--source", default="en", help="language it translates from")
    parser.add_argument("--target", default="es", help="language it translates into")
    parser.add_argument(
        "--size", choices=["tiny", "bench"], default="tiny", help="model shape (default tiny)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--version", default="1.0", help="package version (default 1.0)")
    args = parser.parse_args(argv)
    size = BENCH if args.size == "bench" else TINY
    build_argos_model(
        args.output,
        source=args.source,
        target=args.target,
        size=size,
        seed=args.seed,
        version=args.version,
    )
    print(f"wrote {args.output}")  # a developer tool's own output, not the library's


if __name__ == "__main__":
    main()
