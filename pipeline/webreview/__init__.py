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
from .server import ReviewServer, ServeError, is_loopback, new_token
from .store import ApprovalItem, Conflict, ReviewStore, entry_version

__all__ = [
    "ApprovalItem",
    "Conflict",
    "ReviewServer",
    "ReviewStore",
    "ServeError",
    "create_app",
    "entry_version",
    "is_loopback",
    "new_token",
]
