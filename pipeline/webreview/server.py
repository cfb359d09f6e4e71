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

__all__ = [
    "DEFAULT_PORT",
    "ReviewServer",
    "ServeError",
    "accepted_hosts",
    "is_loopback",
    "is_wildcard",
    "new_token",
    "reachable_names",
]

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


def is_wildcard(host: str) -> bool:
    """Whether listening on ``host`` means every address of this machine."""
    return host.strip("[]") in ("", "0.0.0.0", "::")


def _interface_addresses(ipv6: bool) -> list[str]:
    """This machine's non-loopback addresses, best effort and without sending
    anything: those its host name resolves to, and the one a datagram socket
    would use for the default route (``connect`` on UDP sends no packet)."""
    found: list[str] = []
    families = [socket.AF_INET, socket.AF_INET6] if ipv6 else [socket.AF_INET]
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, type=socket.SOCK_STREAM)
    except OSError:
        infos = []
    for info in infos:
        if info[0] in families:
            found.append(str(info[4][0]))
    probes = {socket.AF_INET: "192.0.2.1", socket.AF_INET6: "2001:db8::1"}
    for kind in families:
        try:
            with socket.socket(kind, socket.SOCK_DGRAM) as probe:
                probe.connect((probes[kind], 9))
                found.append(str(probe.getsockname()[0]))
        except OSError:
            continue
    usable: list[str] = []
    for text in found:
        ip = ipaddress.ip_address(text.split("%")[0])
        if ip.is_loopback or ip.is_link_local or ip.is_unspecified or text in usable:
            continue
        usable.append(text)
    return usable


def _host_names() -> list[str]:
    """This machine's host name and fully qualified name, when they are not ``localhost``."""
    names: list[str] = []
    for name in (socket.gethostname(), socket.getfqdn()):
        name = name.lower()
        if name and name != "localhost" and not name.startswith("localhost.") and name not in names:
            names.append(name)
    return names


def reachable_names(host: str) -> list[str]:
    """The names and addresses a browser can use to reach a server listening
    on ``host``, the one for this machine first: ``host`` itself, or for a
    wildcard address (``0.0.0.0``, ``::``) the loopback address, this
    machine's host name and its network addresses (best effort)."""
    if not is_wildcard(host):
        return [host.strip("[]")]
    ipv6 = host.strip("[]") == "::"
    names = ["::1" if ipv6 else "127.0.0.1"]
    if ipv6:
        names.append("127.0.0.1")  # dual-stack: IPv4 connections reach "::" too
    names += _host_names()
    names += [a for a in _interface_addresses(ipv6) if a not in names]
    return names


def accepted_hosts(host: str) -> set[str]:
    """``Host`` header names to accept for a server listening on ``host``: the
    loopback names, every name :func:`reachable_names` gives, and for any
    non-loopback address this machine's host names."""
    from .app import LOOPBACK_HOSTS

    names = set(LOOPBACK_HOSTS) | {n.lower() for n in reachable_names(host)}
    if not is_loopback(host):
        names |= set(_host_names())
    return names


def _url_host(name: str) -> str:
    return f"[{name}]" if ":" in name and not name.startswith("[") else name


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
        self,
        app: Any,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
    ) -> None:
        """Bind ``host``:``port`` (see :func:`_bind`); raises :class:`ServeError`."""
        self.host = host
        """The address listened on."""
        self.token = token
        """The access token that opens the page for anyone (for :attr:`url`), if any."""
        self.names = reachable_names(host)
        """The names a browser can reach the server by (see :func:`reachable_names`)."""
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
    def base_urls(self) -> list[str]:
        """``http://name:port`` for every name of :func:`reachable_names`, the
        one a browser on this machine uses first."""
        return [f"http://{_url_host(name)}:{self.port}" for name in self.names]

    @property
    def base_url(self) -> str:
        """``http://host:port`` as a browser on this machine reaches it."""
        return self.base_urls[0]

    @property
    def url(self) -> str:
        """The address to open, with the access token."""
        if self.token is None:
            raise ValueError("this server has no token of its own: use link()")
        return self.link(self.token)

    def link(self, token: str, base: str | None = None) -> str:
        """The page's address with ``token``, on ``base`` (default :attr:`base_url`)."""
        return f"{(base or self.base_url).rstrip('/')}/?token={token}"

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
