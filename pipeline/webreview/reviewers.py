"""Several volunteers on one review page: a link of their own for each.

The publisher lists the volunteers in a file, TOML::

    [[reviewer]]
    name = "Ana Pérez"
    email = "ana@example.org"

    [[reviewer]]
    name = "Luis Gómez"
    revoked = true        # this volunteer's link no longer opens the page

or CSV with the header ``name,email`` (and an optional ``revoked`` column:
``yes``/``true``/``1``). :func:`load_reviewers` reads it; :class:`Roster`
gives every volunteer a random access token, stored in
``.pipeline-cache/reviewers.json`` (mode 0600) so that links survive a
restart, and answers *whose link is this?* for the page. It notices when the
file changes (a volunteer added or revoked) on the next request. Revoking a
link forgets its token for good: un-revoking the volunteer later gives them a
new link.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import logging
import os
import re
import secrets
import threading
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import PipelineError

__all__ = [
    "Reviewer",
    "ReviewersError",
    "Roster",
    "TokenStore",
    "bad_character",
    "load_reviewers",
]

log = logging.getLogger(__name__)

TOKENS_FILE = "reviewers.json"
"""Where the volunteers' tokens are kept, under the project's ``.pipeline-cache``."""
_TRUE = {"1", "true", "yes", "y", "x"}
_FALSE = {"", "0", "false", "no", "n"}
_HINT_TOML = 'each volunteer is a [[reviewer]] table: name = "Ana Pérez", email = "ana@example.org"'
_HINT_CSV = "the first line must be the header name,email (optionally ,revoked)"


class ReviewersError(PipelineError):
    """The reviewers file is missing or malformed."""


def bad_character(text: str, *, allow: str = "") -> str | None:
    """The first control character (C0, DEL, C1), line or paragraph separator
    or lone surrogate in ``text`` other than those in ``allow``, as ``U+XXXX``
    with its position; ``None`` when there is none."""
    for index, char in enumerate(text):
        if char in allow:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Zl", "Zp"):
            return f"U+{ord(char):04X} at character {index + 1}"
    return None


@dataclass(frozen=True, slots=True)
class Reviewer:
    """One volunteer of the reviewers file."""

    name: str
    """Their name as the file spells it (whitespace collapsed)."""
    email: str | None
    """Their e-mail address, if given."""
    revoked: bool
    """Whether the publisher withdrew their link."""
    line: int
    """Where they are in the file (1-based)."""

    @property
    def identity(self) -> str:
        """How approvals through their link are recorded: ``Name <e-mail>``."""
        return f"{self.name} <{self.email}>" if self.email else self.name

    @property
    def key(self) -> str:
        """What identifies them across edits of the file: the e-mail, else the name."""
        return (self.email or self.name).casefold()


def load_reviewers(path: Path) -> list[Reviewer]:
    """The volunteers listed in ``path`` (``.toml``, or ``.csv``/anything else
    read as CSV). Raises :class:`ReviewersError` with the file and line of the
    first problem and a hint."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReviewersError(
            f"cannot read the reviewers file: {exc.strerror or exc}",
            path=path,
            hint="give a TOML or CSV file listing the volunteers (see README)",
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ReviewersError(
            "the reviewers file is not UTF-8 text", path=path, line=line, hint="save it as UTF-8"
        ) from None
    toml = path.suffix.lower() == ".toml"
    found = _parse_toml(path, text) if toml else _parse_csv(path, text)
    seen: dict[str, Reviewer] = {}
    for reviewer in found:
        if reviewer.key in seen:
            raise ReviewersError(
                f"{reviewer.identity} is listed twice (first on line {seen[reviewer.key].line})",
                path=path,
                line=reviewer.line,
                hint="list each volunteer once; give two people the same name only "
                "with different e-mails",
            )
        seen[reviewer.key] = reviewer
    if not found:
        raise ReviewersError(
            "the reviewers file lists nobody",
            path=path,
            hint=_HINT_TOML if path.suffix.lower() == ".toml" else _HINT_CSV,
        )
    return found


def _parse_toml(path: Path, text: str) -> list[Reviewer]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.14 has exc.lineno; before, the line is only in the message.
        message = str(exc)
        at = re.search(r" \(at line (\d+), column \d+\)$", message)
        line = int(at.group(1)) if at else None
        message = message[: at.start()] if at else message
        raise ReviewersError(
            f"not valid TOML: {message}", path=path, line=line, hint=_HINT_TOML
        ) from None
    unknown = sorted(set(data) - {"reviewer"})
    if unknown:
        raise ReviewersError(
            f"unknown key {unknown[0]!r}",
            path=path,
            line=_line_of(text, unknown[0]),
            hint=_HINT_TOML,
        )
    tables = data.get("reviewer", [])
    if not isinstance(tables, list):
        raise ReviewersError(
            "'reviewer' must be an array of tables ([[reviewer]])",
            path=path,
            line=_line_of(text, "reviewer"),
            hint=_HINT_TOML,
        )
    lines = text.splitlines()
    starts = [i for i, raw in enumerate(lines, 1) if raw.strip() == "[[reviewer]]"]
    found = []
    for number, table in enumerate(tables):
        line = starts[number] if number < len(starts) else None
        end = starts[number + 1] if number + 1 < len(starts) else len(lines) + 1

        def key_line(key: str, line: int | None = line, end: int = end) -> int | None:
            """The line of ``key =`` in this table, else the table's first line."""
            if line is None:
                return None
            for at in range(line + 1, end):
                if lines[at - 1].strip().startswith(key):
                    return at
            return line

        if not isinstance(table, dict):
            raise ReviewersError(
                "a reviewer must be a table", path=path, line=line, hint=_HINT_TOML
            )
        extra = sorted(set(table) - {"name", "email", "revoked"})
        if extra:
            raise ReviewersError(
                f"unknown key {extra[0]!r} for a reviewer (known: name, email, revoked)",
                path=path,
                line=key_line(extra[0]),
                hint=_HINT_TOML,
            )
        revoked = table.get("revoked", False)
        if not isinstance(revoked, bool):
            raise ReviewersError(
                "revoked must be true or false",
                path=path,
                line=key_line("revoked"),
                hint="revoked = true",
            )
        found.append(_reviewer(path, key_line, table.get("name"), table.get("email"), revoked))
    return found


def _parse_csv(path: Path, text: str) -> list[Reviewer]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ReviewersError(
            f"not valid CSV: {exc}", path=path, line=reader.line_num, hint=_HINT_CSV
        ) from None
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if "name" not in header or not set(header) <= {"name", "email", "revoked"}:
        raise ReviewersError(
            f"unexpected header {','.join(header) or '(empty)'!r}",
            path=path,
            line=1,
            hint=_HINT_CSV,
        )
    found = []
    # csv.reader keeps no line numbers per row; count physical lines as we go.
    line = 1
    lines_per_row = [1 + "".join(row).count("\n") for row in rows]
    for row, height in zip(rows[1:], lines_per_row[1:], strict=True):
        line += height
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise ReviewersError(
                f"{len(row)} columns where the header has {len(header)}",
                path=path,
                line=line,
                hint='quote a name that holds a comma: "Pérez, Ana"',
            )
        cells = dict(zip(header, row, strict=False))
        flag = cells.get("revoked", "").strip().lower()
        if flag not in _TRUE | _FALSE:
            raise ReviewersError(
                f"revoked must be yes or no, not {flag!r}", path=path, line=line, hint=_HINT_CSV
            )
        row_line = line

        def line_of(_key: str, row_line: int = row_line) -> int | None:
            return row_line

        found.append(
            _reviewer(
                path,
                line_of,
                cells.get("name"),
                cells.get("email") or None,
                flag in _TRUE,
            )
        )
    return found


def _reviewer(
    path: Path, line_of: Callable[[str], int | None], name: Any, email: Any, revoked: bool
) -> Reviewer:
    """A checked :class:`Reviewer`; ``line_of(key)`` says where ``key`` is in the file."""
    line = line_of("name")
    if not isinstance(name, str) or not name.strip():
        raise ReviewersError("a reviewer has no name", path=path, line=line, hint=_HINT_TOML)
    if email is not None and not isinstance(email, str):
        raise ReviewersError(
            "email must be text", path=path, line=line_of("email"), hint=_HINT_TOML
        )
    for what, value in (("name", name), ("email", email or "")):
        bad = bad_character(value, allow="\t")
        if bad:
            raise ReviewersError(
                f"the {what} contains a control character ({bad})",
                path=path,
                line=line_of(what),
                hint="retype it without invisible characters",
            )
    name = " ".join(name.split())
    email = email.strip() if email else None
    if email is not None and (not email or any(c in email for c in "<> ") or "@" not in email):
        raise ReviewersError(
            f"{email!r} is not an e-mail address",
            path=path,
            line=line_of("email"),
            hint="ana@example.org",
        )
    if any(c in name for c in "<>"):
        raise ReviewersError(
            "put the e-mail address in its own field, not in the name",
            path=path,
            line=line,
            hint=_HINT_TOML,
        )
    return Reviewer(name, email, revoked, line or 0)


def _line_of(text: str, key: str) -> int | None:
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip().lstrip("[").strip()
        if stripped.startswith(key):
            return number
    return None


# --------------------------------------------------------------------------- tokens


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """The volunteers' tokens in a JSON file only its owner can read.

    ``{"tokens": {key: token}, "revoked": [sha256 of a revoked token, …]}``.
    """

    def __init__(self, path: Path) -> None:
        """Use ``path`` (created on the first :meth:`assign`)."""
        self.path = path
        """The JSON file."""

    def _read(self) -> tuple[dict[str, str], list[str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}, []
        except (OSError, ValueError) as exc:
            raise ReviewersError(
                f"cannot read the volunteers' tokens: {exc}",
                path=self.path,
                hint="delete the file to give every volunteer a new link",
            ) from None
        tokens = data.get("tokens") if isinstance(data, dict) else None
        revoked = data.get("revoked") if isinstance(data, dict) else None
        if not isinstance(tokens, dict) or not isinstance(revoked, list):
            raise ReviewersError(
                "the volunteers' tokens file is damaged",
                path=self.path,
                hint="delete the file to give every volunteer a new link",
            )
        return {str(k): str(v) for k, v in tokens.items()}, [str(r) for r in revoked]

    def assign(self, reviewers: list[Reviewer]) -> tuple[dict[str, str], frozenset[str]]:
        """Every volunteer not revoked → their token (a new one when they have
        none yet), and the fingerprints of revoked tokens. Writes the file
        (mode 0600) when something changed. Raises :class:`ReviewersError`."""
        tokens, revoked = self._read()
        changed = False
        for reviewer in reviewers:
            if reviewer.revoked:
                old = tokens.pop(reviewer.key, None)
                if old is not None:
                    revoked.append(_fingerprint(old))
                    changed = True
            elif reviewer.key not in tokens:
                tokens[reviewer.key] = secrets.token_urlsafe(24)
                changed = True
        if changed:
            self._write({"tokens": tokens, "revoked": revoked})
        active = {r.key: tokens[r.key] for r in reviewers if not r.revoked}
        return active, frozenset(revoked)

    def _write(self, data: dict[str, Any]) -> None:
        payload = json.dumps(data, indent=1, sort_keys=True).encode("utf-8")
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise ReviewersError(
                f"cannot store the volunteers' tokens: {exc.strerror or exc}",
                path=self.path,
                hint="check that the project directory is writable",
            ) from None


@dataclass(frozen=True, slots=True)
class Link:
    """A volunteer and the token of their link."""

    reviewer: Reviewer
    """Who."""
    token: str
    """Their access token (the ``?token=`` of their link)."""


class Roster:
    """The volunteers of a reviewers file and their tokens, kept up to date.

    :meth:`identify` re-reads the file when it changed since the last look
    (size, modification time or inode), so that a revocation takes effect on
    the next request. While the file is malformed nobody gets in (the error is
    logged): a typo must not keep a revoked link open.
    """

    def __init__(self, path: Path, cache_dir: Path) -> None:
        """Read ``path`` now; raises :class:`ReviewersError` when it is malformed."""
        self.path = path
        """The reviewers file."""
        self.store = TokenStore(cache_dir / TOKENS_FILE)
        """Where the tokens are kept."""
        self._lock = threading.Lock()
        self._signature: tuple[int, int, int] | None = None
        self._links: list[Link] = []
        self._revoked: frozenset[str] = frozenset()
        self._broken: str | None = None
        self._load(self._stat())

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns, st.st_ino)

    def _load(self, signature: tuple[int, int, int] | None) -> None:
        reviewers = load_reviewers(self.path)
        tokens, revoked = self.store.assign(reviewers)
        self._links = [Link(r, tokens[r.key]) for r in reviewers if not r.revoked]
        self._revoked = revoked
        self._signature = signature
        self._broken = None

    def _refresh(self) -> None:
        signature = self._stat()
        if signature == self._signature and self._broken is None:
            return
        with self._lock:
            try:
                self._load(signature)
            except ReviewersError as exc:
                if self._broken != str(exc):
                    log.error("review page: nobody can open it until this is fixed: %s", exc)
                self._broken = str(exc)
                self._signature = signature

    @property
    def links(self) -> list[Link]:
        """The volunteers whose links open the page, in file order."""
        self._refresh()
        return list(self._links)

    def identify(self, token: str) -> tuple[str | None, str]:
        """Whose link ``token`` is: ``(identity, "")``, or ``(None, why)`` with
        ``why`` one of ``"revoked"``, ``"unknown"``, ``"unavailable"``."""
        self._refresh()
        if self._broken is not None:
            return None, "unavailable"
        found = None
        for link in self._links:
            # Compare with every token, so timing does not tell how many matched.
            if secrets.compare_digest(link.token.encode(), token.encode("utf-8", "replace")):
                found = link.reviewer.identity
        if found is not None:
            return found, ""
        if _fingerprint(token.encode("utf-8", "replace").decode()) in self._revoked:
            return None, "revoked"
        return None, "unknown"
