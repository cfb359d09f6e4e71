"""pipeline: turn a Markdown book into reviewed bilingual HTML and PDF editions, offline.

The public API is small: load a project's configuration, then run the stages::

    from pathlib import Path
    from pipeline import build, load_config

    report = build(load_config(Path(".")))

``pipeline.build`` has the stages (``translate``, ``render``, ``build``);
``pipeline.survey`` the read-only ``status`` and ``check``.
Names are imported on first use, so that ``pipeline --help`` starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Report": "report",
    "build": "build",
    "render": "build",
    "check": "survey",
    "find_books": "project",
    "status": "survey",
    "translate": "build",
    "Config": "config",
    "load_config": "config",
    "PipelineError": "errors",
    "Document": "source.markdown",
    "load_document": "source.markdown",
    "parse_document": "source.markdown",
    "Segment": "source.segment",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
