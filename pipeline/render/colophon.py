"""The colophon: which source, engines and reviewers produced an edition."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .. import __version__
from ..catalog.catalog import Catalog, State
from ..config import Config
from ..lang import get as get_language

__all__ = ["colophon", "source_revision"]


def source_revision(root: Path) -> str | None:
    """The git commit of the project (``abc1234``, noting uncommitted content), if any."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--short=12", "HEAD")
    if not commit:
        return None
    dirty = git("status", "--porcelain", "--", "content", "pipeline.toml")
    return f"{commit}+" if dirty else commit


def colophon(
    config: Config, lang: str, cat: Catalog | None, total: int, revision: str | None
) -> list[str]:
    """The colophon's lines in ``lang``: the source, and for a translation (``cat``)
    its engines, how much people reviewed and who; the source revision."""
    edition_lang = get_language(lang)
    text = edition_lang.colophon
    lines = [text.source.format(title=config.title, author=config.author)]
    if cat is not None:
        engines = ", ".join(cat.engines()) or text.none
        source = edition_lang.name_of(config.source_lang)
        lines.append(text.translated.format(language=source, engines=engines))
        reviewed = cat.counts().get(State.REVIEWED, 0)
        lines.append(text.reviewed.format(reviewed=reviewed, total=total))
        dates = cat.review_dates()
        reviewers = cat.reviewers(with_email=config.reviewer_emails)
        if reviewers and dates:
            span = dates[0] if dates[0] == dates[1] else f"{dates[0]} \u2013 {dates[1]}"
            lines.append(text.reviewers.format(names="; ".join(reviewers), dates=span))
    if revision:
        shown = revision
        if revision.endswith("+"):
            shown = text.dirty.format(commit=revision[:-1])
        lines.append(text.revision.format(revision=shown))
    lines.append(text.made.format(version=__version__))
    return lines
