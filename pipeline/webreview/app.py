"""The review page: a small Starlette app around :class:`~.store.ReviewStore`.

Routes:

``GET /?token=…``
    The page: every segment of the book, source beside translation.
``GET /api/versions``
    Segment id → version, to notice changes made elsewhere while the page is open.
``POST /api/approve``
    ``{"reviewer", "items": [{"id", "version", "text"?}]}``: approve, all or nothing.
``POST /api/save``
    ``{"reviewer", "id", "version", "text"}``: store a translation without approving it.
``GET /static/<key>/…``, ``GET /resume.js``
    The page's script and style sheet; the script that re-opens the page after a reload.

Security (the page edits files on the reviewer's disk):

- every request needs an access token, and no cookie ever carries it (cookies
  ignore ports, so another server on the same machine would receive it): the
  page is requested with ``?token=…``, embeds the token, and its script
  removes it from the address bar, keeps it in the tab's ``sessionStorage``
  (which, unlike cookies, belongs to this host *and port* only) and sends it
  as ``Authorization: Bearer …`` with every API call. After a reload the
  refusal page's script (``/resume.js``) asks for the page again with the
  token from ``sessionStorage``. Static files sit under a random path that
  only the page knows. Nothing ever redirects;
- a token is either the page's single token (the reviewer types their name)
  or a volunteer's own (see :mod:`.reviewers`: approvals are recorded under
  that volunteer's name, whatever the request says);
- the ``Host`` header must be one of the names the server was started for
  (loopback names by default), against DNS rebinding;
- a POST needs the CSRF token embedded in the page as the ``X-CSRF-Token``
  header, a JSON body no larger than :data:`MAX_BODY` (read in chunks and cut
  off there), and an ``Origin`` (when the browser sends one) equal to the
  page's own;
- templates are autoescaped, the script only ever sets ``textContent``, and a
  Content-Security-Policy allows scripts and styles from the app only.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..catalog.review import ReviewError
from ..config import Config
from ..errors import PipelineError
from ..lang import get as get_language
from .store import ApprovalItem, Conflict, ReviewStore

__all__ = ["LOOPBACK_HOSTS", "MAX_BODY", "Access", "SingleToken", "create_app"]

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Host names the page answers to by default."""
MAX_BODY = 1_000_000
"""Largest request body accepted, in bytes."""
MAX_DEPTH = 8
"""Deepest nesting of arrays and objects a request body may have."""
REVIEWER_KEY = "pipeline.reviewer"
"""Scope key: the volunteer whose link made the request (``None``: the name is typed)."""
TOKEN_KEY = "pipeline.token"
"""Scope key: the access token the request carried."""

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
_REFUSALS = {
    "unknown": "the access token is missing or wrong",
    "revoked": "this access link was revoked by the publisher",
    "unavailable": "the list of volunteers cannot be read; the publisher must fix it",
}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Access(Protocol):
    """Who may open the page, and as whom."""

    def identify(self, token: str) -> tuple[str | None, str]:
        """``(identity, "")`` when ``token`` opens the page — ``identity`` is
        the volunteer approvals are recorded under, or ``None`` when the
        reviewer types their name — else ``(None, why)`` with ``why`` one of
        ``"unknown"``, ``"revoked"``, ``"unavailable"``."""
        ...


class SingleToken:
    """One token for everybody; each reviewer types their name."""

    def __init__(self, token: str) -> None:
        """Accept ``token`` (not empty)."""
        if not token:
            raise ValueError("an access token is required")
        self.token = token
        """The token."""

    def identify(self, token: str) -> tuple[str | None, str]:
        """See :meth:`Access.identify`."""
        if secrets.compare_digest(token.encode("utf-8", "replace"), self.token.encode()):
            return None, ""
        return None, "unknown"


class _Either:
    """Access for a token of any of several kinds."""

    def __init__(self, parts: list[Access]) -> None:
        self.parts = parts

    def identify(self, token: str) -> tuple[str | None, str]:
        why = "unknown"
        for part in self.parts:
            identity, reason = part.identify(token)
            if not reason:
                return identity, ""
            if reason != "unknown":
                why = reason
        return None, why


def language_name(code: str) -> str:
    """English name of a language code (the code itself when unknown)."""
    return get_language(code).name


def create_app(
    config: Config,
    book: str | None,
    lang: str | None,
    token: str | None = None,
    *,
    access: Access | None = None,
    csrf_token: str | None = None,
    reviewer: str | None = None,
    allowed_hosts: Collection[str] | None = None,
    public_url: str | None = None,
) -> Starlette:
    """The review page for one book in one target language.

    ``token`` is an access token that opens the page for anyone, who then
    types their name (``reviewer`` pre-fills it); ``access`` decides for other
    tokens, e.g. a :class:`~.reviewers.Roster` of volunteers with a link of
    their own (at least one of the two is needed). ``csrf_token`` is the
    token POSTs must carry (default: a new random one). ``allowed_hosts`` are
    the ``Host`` names accepted (default: loopback names only; ``"*"``
    accepts any). ``public_url`` is the address people use when a reverse
    proxy serves the page (``https://review.example.org``): its host name is
    accepted too, and its origin in an ``Origin`` header. Raises
    :class:`~pipeline.errors.PipelineError` when the book or the language
    does not exist or its catalogue cannot be read.
    """
    parts: list[Access] = []
    if token is not None:
        parts.append(SingleToken(token))
    if access is not None:
        parts.append(access)
    if not parts:
        raise ValueError("an access token is required")
    hosts = None if allowed_hosts is None else set(allowed_hosts)
    origins: set[str] = set()
    if public_url:
        public = urlsplit(public_url)
        if public.scheme not in ("http", "https") or not public.hostname:
            raise ValueError(f"not an http(s) address: {public_url!r}")
        hosts = set(LOOPBACK_HOSTS if hosts is None else hosts) | {public.hostname.lower()}
        origins.add(f"{public.scheme}://{public.netloc}".lower())
    store = ReviewStore(config, book, lang)
    csrf = csrf_token or secrets.token_urlsafe(32)
    assets = secrets.token_urlsafe(12)
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
        fixed = request.scope.get(REVIEWER_KEY)
        return templates.TemplateResponse(
            request,
            "page.html",
            {
                "o": overview,
                "csrf": csrf,
                "token": request.scope[TOKEN_KEY],
                "assets": f"/static/{assets}",
                "reviewer": reviewer or "",
                "fixed_reviewer": fixed or "",
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
        try:
            views, counts = await run_in_threadpool(
                store.approve, items, _reviewer_of(request, data)
            )
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
        try:
            view, counts = await run_in_threadpool(
                store.save_draft, item, _reviewer_of(request, data)
            )
        except PipelineError as exc:
            return _failure(exc)
        return JSONResponse({"segments": [view.to_json()], "counts": counts})

    async def resume(request: Request) -> Response:
        return FileResponse(HERE / "static" / "resume.js", media_type="text/javascript")

    def refusal(why: str) -> str:
        if why == "revoked":
            title, message = (
                "This link was revoked",
                "The publisher withdrew this review link. Ask them for a new one.",
            )
        elif why == "unavailable":
            title, message = (
                "The review page is closed for a moment",
                "The publisher's list of volunteers cannot be read. Try again later.",
            )
        else:
            title, message = (
                "This page needs its access link",
                "Open the link that 'pipeline review serve' printed in its terminal "
                "(it ends with ?token=…). If you closed the terminal, start it again.",
            )
        return templates.get_template("error.html").render(
            title=title, message=message, resume=True
        )

    app = Starlette(
        routes=[
            Route("/", page, methods=["GET"]),
            Route("/resume.js", resume, methods=["GET"]),
            Route("/api/versions", versions, methods=["GET"]),
            Route("/api/approve", approve, methods=["POST"]),
            Route("/api/save", save, methods=["POST"]),
            Mount(f"/static/{assets}", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[
            Middleware(
                _Guard,
                access=parts[0] if len(parts) == 1 else _Either(parts),
                csrf=csrf,
                hosts=None if hosts is None else frozenset(h.lower() for h in hosts),
                origins=frozenset(origins),
                assets=f"/static/{assets}/",
                refusal=refusal,
            )
        ],
    )
    # Never answer with a redirect (an address like //evil.example/ must not
    # become a Location header).
    app.router.redirect_slashes = False
    app.state.store = store
    app.state.csrf = csrf
    return app


# --------------------------------------------------------------------------- requests


def _reviewer_of(request: Request, data: dict[str, Any]) -> str:
    """Who saves: the volunteer whose link this is, else the name the page sent."""
    fixed = request.scope.get(REVIEWER_KEY)
    if fixed:
        return str(fixed)
    typed = data.get("reviewer")
    return typed if isinstance(typed, str) else ""


def _item(data: Any) -> ApprovalItem | None:
    if not isinstance(data, dict):
        return None
    sid, version, text = data.get("id"), data.get("version"), data.get("text")
    if not isinstance(sid, str) or not isinstance(version, str):
        return None
    if text is not None and not isinstance(text, str):
        return None
    return ApprovalItem(sid, version, text)


async def _read_body(request: Request, limit: int = MAX_BODY) -> bytes | Response:
    """The body, read in chunks and cut off past ``limit`` bytes (413)."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            return _error(400, "invalid", "bad Content-Length header")
        if int(length) > limit:
            return _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> JSONResponse:
    response = _error(413, "invalid", f"the request is larger than {limit // 1000} kB")
    response.headers["connection"] = "close"
    return response


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def _json_body(request: Request) -> dict[str, Any] | Response:
    """The request's JSON object, or a 4xx response saying what is wrong with it."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _error(415, "invalid", "send JSON (Content-Type: application/json)")
    body = await _read_body(request)
    if isinstance(body, Response):
        return body
    try:
        text = body.decode("utf-8")
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return _error(400, "invalid", "the request body is not valid JSON")
    if not isinstance(data, dict):
        return _error(400, "invalid", "the request body must be a JSON object")
    problem = _check_json(data)
    if problem:
        return _error(400, "invalid", problem)
    return data


def _check_json(data: Any) -> str | None:
    """What is wrong with parsed JSON that Python accepts but a PO file cannot
    hold: nesting deeper than :data:`MAX_DEPTH`, lone surrogates (``\\ud800``)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                return "the request body is nested too deeply"
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "the request body holds an invalid character (a lone surrogate)"
    return None


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


def is_same_origin_path(location: str) -> bool:
    """Whether a ``Location`` value stays on this site: an absolute path, not
    ``//host`` or ``/\\host`` (which browsers read as another site)."""
    if not location.startswith("/") or location[1:2] in ("/", "\\"):
        return False
    return not any(c in location for c in "\\\r\n\t") and not urlsplit(location).netloc


# --------------------------------------------------------------------------- guard


class _Guard:
    """ASGI middleware: Host check, access token, CSRF and security headers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        access: Access,
        csrf: str,
        hosts: frozenset[str] | None,
        origins: frozenset[str],
        assets: str,
        refusal: Callable[[str], str],
    ) -> None:
        self.app = app
        self.access = access
        self.csrf = csrf
        self.hosts = LOOPBACK_HOSTS if hosts is None else hosts
        self.origins = origins
        self.assets = assets
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != b"location" or is_same_origin_path(v.decode("latin-1"))
                ]
                message["headers"] = [*headers, *_HEADERS]
            await send(message)

        response = self._check(Request(scope), scope)
        if response is not None:
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _check(self, request: Request, scope: Scope) -> Response | None:
        """A response refusing the request, or ``None`` to let it through."""
        host = (request.url.hostname or "").strip("[]").lower()
        if "*" not in self.hosts and host not in self.hosts:
            return Response(
                "unexpected Host header: open the address 'pipeline review serve' printed "
                "(behind a reverse proxy: start it with --public-url)",
                status_code=400,
                media_type="text/plain",
            )
        path: str = scope["path"]
        reading = request.method in ("GET", "HEAD")
        if reading and (path == "/resume.js" or path.startswith(self.assets)):
            return None  # no secrets in the script and style sheet
        api = path.startswith("/api/")
        token = _bearer(request)
        if token is None and path == "/" and reading:
            token = request.query_params.get("token")
        if not token:
            return self._refuse(api, "unknown")
        identity, why = self.access.identify(token)
        if why:
            return self._refuse(api, why)
        scope[REVIEWER_KEY] = identity
        scope[TOKEN_KEY] = token
        if not reading:
            origin = request.headers.get("origin")
            expected = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
            if origin is not None and origin.lower() not in (expected, *self.origins):
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

    def _refuse(self, api: bool, why: str) -> Response:
        if api:
            return _error(403, "forbidden", _REFUSALS.get(why, _REFUSALS["unknown"]), reason=why)
        return HTMLResponse(self.refusal(why), status_code=403)


def _bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None
