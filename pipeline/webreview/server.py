"""Run the review page with uvicorn, in this process.

:class:`ReviewServer` binds its socket when it is created — so a port in use
is a clear :class:`ServeError` before anything starts — then either serves
until interrupted (:meth:`ReviewServer.run`, for the command line) or in a
background thread (:meth:`ReviewServer.start` / :meth:`ReviewServer.stop`,
for tests).
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import secrets
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from ..errors import PipelineError

__all__ = ["DEFAULT_PORT", "ReviewServer", "ServeError", "is_loopback", "new_token"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
"""The port tried first when none is given; the next nine are tried after it."""


class ServeError(PipelineError):
    """The review server cannot start: unknown address, port in use."""


def new_token() -> str:
    """A fresh access token for the page's address."""
    return secrets.token_urlsafe(24)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int | None) -> socket.socket:
    """A listening socket on ``host``: ``port``, or the first free of
    :data:`DEFAULT_PORT` and the nine after it when ``port`` is ``None``."""
    candidates = [port] if port is not None else list(range(DEFAULT_PORT, DEFAULT_PORT + 10))
    try:
        infos = socket.getaddrinfo(
            host.strip("[]"), None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise ServeError(
            f"unknown address {host!r}: {exc.strerror}",
            hint="use --host 127.0.0.1 (this machine only)",
        ) from None
    family, _type, proto, _name, address = infos[0]
    last: OSError | None = None
    for candidate in candidates:
        sock = socket.socket(family, socket.SOCK_STREAM, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address[0], candidate, *address[2:]))
            sock.listen(128)
        except OSError as exc:
            sock.close()
            last = exc
            if exc.errno == errno.EADDRINUSE:
                continue
            raise ServeError(
                f"cannot listen on {host} port {candidate}: {exc.strerror or exc}",
                hint="choose another port with --port, or --port 0 for any free port",
            ) from None
        return sock
    shown = str(port) if port is not None else f"{candidates[0]}-{candidates[-1]}"
    raise ServeError(
        f"port {shown} is in use on {host}" if last else f"cannot listen on {host}",
        hint="another review page may be running; choose a port with --port (0: any free port)",
    )


class ReviewServer:
    """A uvicorn server for an ASGI app, on a socket bound at creation."""

    def __init__(
        self, app: Any, *, token: str, host: str = "127.0.0.1", port: int | None = None
    ) -> None:
        """Bind ``host``:``port`` (see :func:`_bind`); raises :class:`ServeError`."""
        self.host = host
        """The address listened on."""
        self.token = token
        """The access token the app expects (for :attr:`url`)."""
        self.socket = _bind(host, port)
        self.port: int = self.socket.getsockname()[1]
        """The port listened on."""
        config = uvicorn.Config(
            app,
            host=host,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` as a browser on this machine reaches it."""
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The address to open, with the access token."""
        return f"{self.base_url}/?token={self.token}"

    def run(self) -> None:
        """Serve until interrupted (Ctrl+C), then close the socket.

        ``KeyboardInterrupt`` propagates after a graceful shutdown.
        """
        log.info("review page on %s", self.base_url)
        try:
            self._server.run(sockets=[self.socket])
        finally:
            self.socket.close()

    def start(self, timeout: float = 10.0) -> None:
        """Serve in a background thread; return once requests are answered."""
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self.socket]},
            name="pipeline-review-server",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ServeError("the review server did not start", hint="run with --verbose")
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop a server started with :meth:`start` and wait for its thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.socket.close()

    def __enter__(self) -> ReviewServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
