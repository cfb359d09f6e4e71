"""The review page: a small Starlette app around :class:`~.store.ReviewStore`.

Routes:

``GET /``
    The page: every segment of the book, source beside translation.
``GET /api/versions``
    Segment id → version, to notice changes made elsewhere while the page is open.
``POST /api/approve``
    ``{"reviewer", "items": [{"id", "version", "text"?}]}``: approve, all or nothing.
``POST /api/save``
    ``{"reviewer", "id", "version", "text"}``: store a translation without approving it.

Security (the page edits files on the reviewer's disk):

- every request needs the access token: ``?token=…`` once, which sets an
  HttpOnly, SameSite=Strict cookie and redirects to the same address without
  the token; after that the cookie;
- the ``Host`` header must be a loopback name unless the server was told to
  listen elsewhere (against DNS rebinding);
- a POST needs the CSRF token embedded in the page as the ``X-CSRF-Token``
  header, a JSON body, and an ``Origin`` (when the browser sends one) equal to
  the page's own;
- templates are autoescaped, the script only ever sets ``textContent``, and a
  Content-Security-Policy allows scripts and styles from the app only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..catalog.review import ReviewError
from ..config import Config
from ..errors import PipelineError
from ..lang import get as get_language
from .store import ApprovalItem, Conflict, ReviewStore

__all__ = ["LOOPBACK_HOSTS", "create_app"]

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Host names the page answers to by default."""
MAX_BODY = 1_000_000
"""Largest request body accepted, in bytes."""

STATE_LABELS = {
    "new": "New",
    "machine": "Machine",
    "needs-review": "Needs review",
    "reviewed": "Reviewed",
}
"""How the page names each review state."""
STATE_MARKS = {"new": "○", "machine": "◆", "needs-review": "▲", "reviewed": "✓"}
"""The marks a draft edition uses for each state (see the README)."""

_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
_HEADERS = [
    (b"content-security-policy", _CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def language_name(code: str) -> str:
    """English name of a language code (the code itself when unknown)."""
    return get_language(code).name


def cookie_name(token: str) -> str:
    """The cookie holding ``token``; named after it, so that two review servers
    on one machine (cookies ignore ports) do not overwrite each other's."""
    return "pipeline-review-" + hashlib.sha256(token.encode()).hexdigest()[:10]


def create_app(
    config: Config,
    book: str | None,
    lang: str | None,
    token: str,
    *,
    csrf_token: str | None = None,
    reviewer: str | None = None,
    allowed_hosts: Collection[str] | None = None,
) -> Starlette:
    """The review page for one book in one target language.

    ``token`` is the access token every request must carry (see the module
    docstring); ``csrf_token`` the one POSTs must carry (default: a new random
    one). ``reviewer`` pre-fills the name the page asks for. ``allowed_hosts``
    are the ``Host`` names accepted (default: loopback names only; ``"*"``
    accepts any). Raises :class:`~pipeline.errors.PipelineError` when the book
    or the language does not exist or its catalogue cannot be read.
    """
    if not token:
        raise ValueError("an access token is required")
    store = ReviewStore(config, book, lang)
    csrf = csrf_token or secrets.token_urlsafe(32)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        state_labels=STATE_LABELS, state_marks=STATE_MARKS, language_name=language_name
    )
    templates = Jinja2Templates(env=env)

    async def page(request: Request) -> Response:
        state = request.query_params.get("state", "")
        if state not in (*STATE_LABELS, "todo"):
            state = ""
        only_qa = request.query_params.get("qa") == "1"
        try:
            overview = await run_in_threadpool(store.overview)
        except PipelineError as exc:
            log.warning("review page: %s", exc)
            return templates.TemplateResponse(
                request,
                "error.html",
                {"title": "The book cannot be opened", "message": str(exc)},
                status_code=500,
            )
        return templates.TemplateResponse(
            request,
            "page.html",
            {
                "o": overview,
                "csrf": csrf,
                "reviewer": reviewer or "",
                "state_filter": state,
                "qa_filter": only_qa,
            },
        )

    async def versions(request: Request) -> Response:
        try:
            found = await run_in_threadpool(store.versions)
        except PipelineError as exc:
            return _error(500, "error", str(exc))
        return JSONResponse({"versions": found})

    async def approve(request: Request) -> Response:
        data = await _json_body(request)
        if isinstance(data, Response):
            return data
        raw = data.get("items")
        if not isinstance(raw, list):
            return _error(400, "invalid", "items must be a list")
        items = []
        for item in raw:
            parsed = _item(item)
            if parsed is None:
                return _error(400, "invalid", "each item needs an id, a version and maybe a text")
            items.append(parsed)
        reviewer_name = data.get("reviewer")
        if not isinstance(reviewer_name, str):
            reviewer_name = ""
        try:
            views, counts = await run_in_threadpool(store.approve, items, reviewer_name)
        except PipelineError as exc:
            return _failure(exc)
        return JSONResponse({"segments": [v.to_json() for v in views], "counts": counts})

    async def save(request: Request) -> Response:
        data = await _json_body(request)
        if isinstance(data, Response):
            return data
        item = _item(data)
        if item is None or item.text is None:
            return _error(400, "invalid", "a save needs an id, a version and a text")
        reviewer_name = data.get("reviewer")
        if not isinstance(reviewer_name, str):
            reviewer_name = ""
        try:
            view, counts = await run_in_threadpool(store.save_draft, item, reviewer_name)
        except PipelineError as exc:
            return _failure(exc)
        return JSONResponse({"segments": [view.to_json()], "counts": counts})

    def forbidden() -> str:
        return templates.get_template("error.html").render(
            title="This page needs its access link",
            message=(
                "Open the link that 'pipeline review serve' printed in its terminal "
                "(it ends with ?token=…). If you closed the terminal, start it again."
            ),
        )

    app = Starlette(
        routes=[
            Route("/", page, methods=["GET"]),
            Route("/api/versions", versions, methods=["GET"]),
            Route("/api/approve", approve, methods=["POST"]),
            Route("/api/save", save, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[
            Middleware(
                _Guard,
                token=token,
                csrf=csrf,
                hosts=None if allowed_hosts is None else frozenset(allowed_hosts),
                forbidden=forbidden,
            )
        ],
    )
    app.state.store = store
    app.state.csrf = csrf
    return app


# --------------------------------------------------------------------------- requests


def _item(data: Any) -> ApprovalItem | None:
    if not isinstance(data, dict):
        return None
    sid, version, text = data.get("id"), data.get("version"), data.get("text")
    if not isinstance(sid, str) or not isinstance(version, str):
        return None
    if text is not None and not isinstance(text, str):
        return None
    return ApprovalItem(sid, version, text)


async def _json_body(request: Request) -> dict[str, Any] | Response:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _error(415, "invalid", "send JSON (Content-Type: application/json)")
    body = await request.body()
    if len(body) > MAX_BODY:
        return _error(413, "invalid", "the request is too large")
    try:
        data = json.loads(body)
    except ValueError:
        return _error(400, "invalid", "the request body is not valid JSON")
    if not isinstance(data, dict):
        return _error(400, "invalid", "the request body must be a JSON object")
    return data


def _error(status: int, kind: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": kind, "message": message, **extra}, status_code=status)


def _failure(exc: PipelineError) -> JSONResponse:
    if isinstance(exc, Conflict):
        return _error(
            409,
            "conflict",
            exc.message,
            segments=[v.to_json() for v in exc.current],
            missing=exc.missing,
        )
    if isinstance(exc, ReviewError):
        message = exc.message + (f" ({exc.hint})" if exc.hint else "")
        return _error(400, "invalid", message)
    log.warning("review page: %s", exc)
    return _error(500, "error", str(exc))


# --------------------------------------------------------------------------- guard


class _Guard:
    """ASGI middleware: access token, Host check, CSRF and security headers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        csrf: str,
        hosts: frozenset[str] | None,
        forbidden: Callable[[], str],
    ) -> None:
        self.app = app
        self.token = token
        self.csrf = csrf
        self.hosts = LOOPBACK_HOSTS if hosts is None else hosts
        self.cookie = cookie_name(token)
        self.forbidden = forbidden

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        response = self._check(Request(scope))
        if response is not None:
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _check(self, request: Request) -> Response | None:
        """A response refusing the request, or ``None`` to let it through."""
        host = (request.url.hostname or "").strip("[]").lower()
        if "*" not in self.hosts and host not in self.hosts:
            return Response("unexpected Host header", status_code=400, media_type="text/plain")
        api = request.url.path.startswith("/api/")
        given = request.query_params.get("token")
        if given is not None:
            if not secrets.compare_digest(given.encode(), self.token.encode()):
                return self._refuse(api)
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + ("?" + urlencode(rest) if rest else "")
            redirect = RedirectResponse(target, status_code=303)
            redirect.set_cookie(self.cookie, self.token, httponly=True, samesite="strict", path="/")
            return redirect
        cookie = request.cookies.get(self.cookie, "")
        if not secrets.compare_digest(cookie.encode(), self.token.encode()):
            return self._refuse(api)
        if request.method not in ("GET", "HEAD"):
            origin = request.headers.get("origin")
            expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
            if origin is not None and origin != expected:
                return _error(403, "forbidden", "cross-origin request refused")
            site = request.headers.get("sec-fetch-site")
            if site is not None and site not in ("same-origin", "none"):
                return _error(403, "forbidden", "cross-site request refused")
            sent = request.headers.get("x-csrf-token", "")
            if not secrets.compare_digest(sent.encode(), self.csrf.encode()):
                return _error(
                    403, "forbidden", "missing or wrong CSRF token: reload the page and try again"
                )
        return None

    def _refuse(self, api: bool) -> Response:
        if api:
            return _error(403, "forbidden", "the access token is missing or wrong")
        return HTMLResponse(self.forbidden(), status_code=403)
