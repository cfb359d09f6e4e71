"""Shared fixtures: a throw-away copy of the project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of this repository's project (pipeline.toml + English content) in a temp dir."""
    dest = tmp_path / "book"
    dest.mkdir()
    shutil.copy(ROOT / "pipeline.toml", dest / "pipeline.toml")
    shutil.copytree(ROOT / "content" / "en", dest / "content" / "en")
    return dest
