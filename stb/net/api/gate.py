"""What every request passes before any route: the Host check (DNS rebinding), the body cap, CSRF (bodies
that are not JSON, foreign Origins), and the caps on requests in progress (in all, per client address, and
tighter for the public routes), each answered as problem JSON."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import MutableMapping
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from stb.net.api.limits import Limits
from stb.net.api.problems import problem

MAX_BODY = 64 * 1024  # bytes: every body this API takes is a few dozen
PUBLIC_PREFIXES = ("/app/", "/api/v1/box", "/api/v1/pairing", "/api/v1/openapi.json")


_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def host_allowed(host_header: str | None) -> bool:
    """IP literals, localhost and *.local names only, as ``host[:port]`` and nothing else: a DNS name of
    someone else's is a rebinding attempt, and ``10.0.0.5:evil.com`` is not a port."""
    if not host_header or len(host_header) > 255:
        return False
    text = host_header.lower()
    if text.startswith("["):  # [v6] or [v6]:port
        host, _, rest = text[1:].partition("]")
        if rest and not (rest.startswith(":") and _port(rest[1:])):
            return False
        try:
            return ipaddress.ip_address(host).version == 6
        except ValueError:
            return False
    host, colon, port = text.partition(":")
    if colon and not _port(port):
        return False
    host = host[:-1] if host.endswith(".") else host
    try:
        return ipaddress.ip_address(host).version == 4
    except ValueError:
        pass
    labels = host.split(".")
    return (host == "localhost" or (len(labels) >= 2 and labels[-1] == "local")) and all(
        _LABEL.fullmatch(label) for label in labels
    )


def _port(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 5 and 0 < int(text) < 65536


class Gate:
    """What every request passes before any route: a Host that is someone else's DNS name gets 421, a body
    over MAX_BODY 413 (by its Content-Length, or as a chunked body arrives), a request past the box's caps on
    requests in progress 503 (in all, or on the public routes), past its address's caps 429 with the connection
    closed, each as problem JSON (:mod:`stb.net.api.limits`).

    Plain ASGI rather than ``@app.middleware``: Starlette's BaseHTTPMiddleware cancels a streaming
    response (the relay's, the event stream) when it is not read at once.
    """

    def __init__(self, app: ASGIApp, limits: Limits | None = None) -> None:
        self.app = app
        self.limits = limits or Limits()
        self.in_progress = 0
        self.public = 0  # of which on public routes
        self.by_address: dict[str, list[int]] = {}  # address → [in progress, of which public]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        host = next((v.decode("latin-1") for k, v in headers if k == b"host"), None)
        length = next((v.decode("latin-1") for k, v in headers if k == b"content-length"), "0")
        if not host_allowed(host):
            await problem(421, "Wrong host", "use the box's address or its .local name")(scope, receive, send)
            return
        if not length.isdigit() or int(length) > MAX_BODY:  # FastAPI would read any size into memory
            await _too_large()(scope, receive, send)
            return
        forged = _cross_site(scope, headers, host or "", int(length) > 0)
        if forged is not None:
            await forged(scope, receive, send)
            return
        refused = self._refusal(scope)
        if refused is not None:
            await refused(scope, receive, send)
            return
        address, public = _address(scope), is_public(scope["path"])
        counts = self.by_address.setdefault(address, [0, 0])
        self.in_progress += 1
        self.public += public
        counts[0] += 1
        counts[1] += public
        try:
            if any(k == b"transfer-encoding" for k, _ in headers):  # chunked: no length to check beforehand
                replay = await _capped_body(receive)
                if replay is None:
                    await _too_large()(scope, receive, send)
                    return
                receive = replay
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1
            self.public -= public
            counts[0] -= 1
            counts[1] -= public
            if counts[0] == 0:
                del self.by_address[address]

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        """503 past the box's caps in all, 429 (and the connection closed) past the caps per address."""
        limits, public = self.limits, is_public(scope["path"])
        mine, my_public = self.by_address.get(_address(scope), (0, 0))
        if self.in_progress >= limits.requests or (public and self.public >= limits.public):
            crowded = public and self.public >= limits.public
            cap = limits.public if crowded else limits.requests
            what = "requests to the public routes" if crowded else "requests"
            detail = f"{cap} {what} are in progress; try again in a moment"
            return problem(503, "Box busy", detail, {"Retry-After": "1"})
        if mine >= limits.per_address or (public and my_public >= limits.public_per_address):
            crowded = mine < limits.per_address
            cap = limits.public_per_address if crowded else limits.per_address
            what = "requests to the public routes" if crowded else "requests"
            return problem(429, "Too many requests from this address", f"{cap} {what} from this address are in "
                           "progress (cap per address); read the answers you asked for, then ask again",
                           {"Retry-After": "1", "Connection": "close"})  # fmt: skip
        return None


def is_public(path: str) -> bool:
    """A route anyone may ask for, without a token: the page and its files, who the box is, pairing."""
    return path == "/" or path.startswith(PUBLIC_PREFIXES)


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "?"


_STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _cross_site(scope: Scope, headers: list[tuple[bytes, bytes]], host: str, has_length: bool) -> JSONResponse | None:
    """CSRF, refused here rather than left to a framework default: a body that is not ``application/json``
    (a hostile page's ``no-cors`` fetch can send a Blob of JSON as ``text/plain`` or with no type at all)
    gets 415, and a state-changing request whose ``Origin`` is not the box's own page 403. Clients that are
    not browsers send no ``Origin``."""
    has_body = has_length or any(k == b"transfer-encoding" for k, _ in headers)
    if has_body:
        kind = next((v.decode("latin-1") for k, v in headers if k == b"content-type"), "")
        if kind.split(";", 1)[0].strip().lower() != "application/json":
            return problem(415, "Not JSON", "a request body here is application/json, nothing else")
    origin = next((v.decode("latin-1") for k, v in headers if k == b"origin"), None)
    if origin is not None and scope["method"] in _STATE_CHANGING:
        scheme = "https" if scope.get("scheme") == "https" else "http"
        if origin.lower() != f"{scheme}://{host.lower()}":
            return problem(403, "Foreign page", "only the box's own page may change anything from a browser")
    return None


def _too_large() -> JSONResponse:
    """413, and the connection closed: the rest of the body is not read."""
    return problem(413, "Too large", f"a request body here is at most {MAX_BODY} bytes", {"Connection": "close"})


async def _capped_body(receive: Receive) -> Receive | None:
    """Read a body without a length up to MAX_BODY; a ``receive`` that replays it, or None when it is longer."""
    messages: list[MutableMapping[str, Any]] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        size += len(message.get("body", b""))
        if size > MAX_BODY:
            return None
        if message["type"] != "http.request" or not message.get("more_body", False):
            break

    async def replay() -> MutableMapping[str, Any]:
        return messages.pop(0) if messages else await receive()

    return replay
