"""The local review page (``pipeline review serve``).

Volunteers read the source and its translation side by side, correct and
approve, in their browser; every save goes through the same catalogue code as
the ``pipeline review`` commands. :func:`create_app` builds the Starlette app,
:class:`ReviewServer` runs it with uvicorn, :class:`ReviewStore` does the
reading and saving without HTTP.

Heavy imports (Starlette, uvicorn) happen when this package is imported, so
the command line imports it only inside ``pipeline review serve``.
"""

from __future__ import annotations

from .app import create_app
from .reviewers import Reviewer, ReviewersError, Roster, load_reviewers
from .server import (
    ReviewServer,
    ServeError,
    accepted_hosts,
    is_loopback,
    is_wildcard,
    new_token,
    reachable_names,
)
from .store import ApprovalItem, Conflict, ReviewStore, entry_version

__all__ = [
    "ApprovalItem",
    "Conflict",
    "ReviewServer",
    "ReviewStore",
    "Reviewer",
    "ReviewersError",
    "Roster",
    "ServeError",
    "accepted_hosts",
    "create_app",
    "entry_version",
    "is_loopback",
    "is_wildcard",
    "load_reviewers",
    "new_token",
    "reachable_names",
]
