"""Translation memory: reviewed translations reused across a project's books and
from the TMX files a publisher imports.

An exact match pre-fills an entry before the engine is asked (state
*machine*, recorded as ``mt tm <origin>``); similar translations are offered
as suggestions in the review page and in ``pipeline review list
--suggestions``. See :mod:`.memory` (the memory) and :mod:`.tmxread` (reading
TMX files safely).
"""

from __future__ import annotations

from .memory import (
    ENGINE,
    FUZZY_THRESHOLD,
    IMPORTED,
    MAX_UNITS,
    ImportResult,
    Memories,
    Memory,
    Suggestion,
    Unit,
    fill_from_memory,
    import_tmx,
    imported_files,
    label,
    load_memory,
    memory_digest,
    memory_dir,
    memory_inputs,
    memory_stamp,
    normalize,
)
from .tmxread import TmxMemory, TmxUnit, read_tmx

__all__ = [
    "ENGINE",
    "FUZZY_THRESHOLD",
    "IMPORTED",
    "MAX_UNITS",
    "ImportResult",
    "Memories",
    "Memory",
    "Suggestion",
    "TmxMemory",
    "TmxUnit",
    "Unit",
    "fill_from_memory",
    "import_tmx",
    "imported_files",
    "label",
    "load_memory",
    "memory_digest",
    "memory_dir",
    "memory_inputs",
    "memory_stamp",
    "normalize",
    "read_tmx",
]
