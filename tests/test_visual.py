"""What the printed editions look like, and that building them again gives the same bytes.

The seed book is built twice, in two folders, with the pseudo engine and
``SOURCE_DATE_EPOCH`` set: every HTML, PDF and EPUB file must be byte-identical.
Then the first pages of each PDF are rasterised (``pdftoppm``, 30 dpi, grey) and
compared with the images in ``tests/golden/``, within a tolerance that absorbs
differences of anti-aliasing but not a moved line or a lost page break.
``PIPELINE_UPDATE_GOLDEN=1`` rewrites the golden images (look at them first).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.build import render, translate
from pipeline.config import load_config
from pipeline.render.epub import _subset

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"
BOOK = "executive-summary"
EPOCH = "1700000000"
PAGES = {"en": (1, 3, 5, 6), "es": (1, 3, 5, 6), "en-es": (1, 3, 5, 6)}
"""Pages compared: title, contents, the chapter opening and the page after it."""
DPI = 30
MEAN_LIMIT = 3.0
"""Largest mean difference of grey level (0-255) allowed between a page and its golden image."""
CHANGED_LIMIT = 0.015
"""Largest share of pixels allowed to differ by more than a quarter of the grey scale."""


def build(folder: Path) -> Path:
    """Build every edition of the seed book in ``folder``; return its ``output/``."""
    project = folder / "book"
    project.mkdir()
    shutil.copy(ROOT / "pipeline.toml", project / "pipeline.toml")
    shutil.copytree(ROOT / "content" / "en", project / "content" / "en")
    config = dataclasses.replace(load_config(project), formats=("html", "pdf", "epub"))
    _subset.cache_clear()  # make the fonts again, as a second process would
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        translate(config, engine="pseudo")
        render(config)
    return project / "output"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build(tmp_path_factory.mktemp("first")), build(tmp_path_factory.mktemp("second"))


@pytest.mark.parametrize("slug", list(PAGES))
@pytest.mark.parametrize("ext", ["html", "pdf", "epub"])
def test_two_builds_give_the_same_bytes(outputs: tuple[Path, Path], slug: str, ext: str) -> None:
    first, second = (out / slug / f"{BOOK}.{ext}" for out in outputs)
    assert first.read_bytes() == second.read_bytes(), f"{slug}/{BOOK}.{ext} differs"


def pages_image(pdf: Path, pages: tuple[int, ...], folder: Path) -> object:
    """The ``pages`` of ``pdf`` side by side, in grey, as one Pillow image."""
    from PIL import Image

    assert shutil.which("pdftoppm"), "pdftoppm is missing: apt-get install -y poppler-utils"
    images = []
    for number in pages:
        stem = folder / f"{pdf.parent.name}-{number}"
        options = ["-r", str(DPI), "-gray", "-png", "-singlefile", "-f", str(number)]
        subprocess.run(["pdftoppm", *options, "-l", str(number), str(pdf), str(stem)], check=True)
        images.append(Image.open(f"{stem}.png").convert("L"))
    gap = 4
    width = sum(image.width for image in images) + gap * (len(images) - 1)
    sheet = Image.new("L", (width, max(image.height for image in images)), 128)
    x = 0
    for image in images:
        sheet.paste(image, (x, 0))
        x += image.width + gap
    return sheet


def difference(got: object, want: object) -> tuple[float, float]:
    """Mean grey-level difference, and the share of pixels differing by more than 64."""
    from PIL import Image, ImageChops

    assert isinstance(got, Image.Image) and isinstance(want, Image.Image)
    histogram = ImageChops.difference(got, want).histogram()
    total = got.width * got.height
    mean = sum(level * count for level, count in enumerate(histogram)) / total
    return mean, sum(histogram[64:]) / total


@pytest.mark.parametrize("slug", list(PAGES))
def test_first_pages_look_as_they_did(
    outputs: tuple[Path, Path], slug: str, tmp_path: Path
) -> None:
    from PIL import Image

    got = pages_image(outputs[0] / slug / f"{BOOK}.pdf", PAGES[slug], tmp_path)
    assert isinstance(got, Image.Image)
    golden = GOLDEN / f"visual-{slug}.png"
    if os.environ.get("PIPELINE_UPDATE_GOLDEN"):
        got.save(golden, optimize=True)
    want = Image.open(golden).convert("L")
    assert got.size == want.size, f"page size or count changed: {got.size} != {want.size}"
    mean, changed = difference(got, want)
    got.save(tmp_path / f"visual-{slug}.png")
    assert mean <= MEAN_LIMIT and changed <= CHANGED_LIMIT, (
        f"{slug}: pages {PAGES[slug]} differ from {golden.name} (mean {mean:.2f}, "
        f"{changed:.1%} of pixels); see {tmp_path / f'visual-{slug}.png'}; "
        "PIPELINE_UPDATE_GOLDEN=1 rewrites the golden image if the change is wanted"
    )


def test_the_comparison_sees_a_moved_line(outputs: tuple[Path, Path], tmp_path: Path) -> None:
    """A page shifted down by one line (14 pt) must fail the tolerance."""
    from PIL import Image, ImageChops

    got = pages_image(outputs[0] / "es" / f"{BOOK}.pdf", (6,), tmp_path)
    assert isinstance(got, Image.Image)
    shifted = ImageChops.offset(got, 0, round(14 / 72 * DPI))
    mean, changed = difference(shifted, got)
    assert mean > MEAN_LIMIT or changed > CHANGED_LIMIT, (mean, changed)
