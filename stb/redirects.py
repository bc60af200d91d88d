"""Redirects followed by the box itself, each hop checked, before a URL goes to libVLC or a logo is fetched.

A URL checked before a redirect is not the URL played after it: libVLC follows ``302 Location: file:///…``
(or ``FILE:``, or ``//127.0.0.1:8554``) into the box's own files and loopback services. So the box asks
first, with redirects off, and follows at most ``MAX_HOPS`` itself: every hop must be http or https to an
address that is not loopback, link-local, unspecified or multicast (names are resolved to check them).
The URL a person or a playlist named is not held to the address rule (a head-end on the box's own
loopback is normal); only where a server sends the box is. libVLC then gets the final URL.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from urllib.parse import urljoin, urlsplit

import httpx

from stb.urls import loggable

MAX_HOPS = 5
TIMEOUT_S = 5.0
REDIRECTS = (301, 302, 303, 307, 308)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS set-up, made once: building it reads the CA bundle (~40 ms), which a client made
    without it pays on every request (Kodi's player asks the catch-up route a dozen times to start)."""
    return httpx.create_ssl_context()


class RedirectRefused(ValueError):
    """A redirect to somewhere the box does not go; the message says where and why."""


def hop_problem(url: str) -> str | None:
    """Why the box will not follow a redirect to ``url``; None when it will."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return "a malformed URL"
    if parts.scheme.lower() not in ("http", "https"):
        return f"{parts.scheme or 'no'} scheme (only http and https)"
    if not host:
        return "no host"
    try:
        infos = socket.getaddrinfo(host, port or 80, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None  # unresolvable: the request fails by itself, nowhere is reached
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).partition("%")[0])
        mapped = getattr(address, "ipv4_mapped", None)
        address = mapped or address
        for kind in ("loopback", "link_local", "unspecified", "multicast"):
            if getattr(address, f"is_{kind}"):
                return f"{host} is a {kind.replace('_', '-')} address ({address})"
    return None


def _location(url: str, response: httpx.Response) -> str | None:
    """The redirect's target, resolved against ``url`` (None: not a redirect)."""
    if response.status_code not in REDIRECTS:
        return None
    return urljoin(url, response.headers.get("location", "").strip())


def _refused(target: str, problem: str) -> RedirectRefused:
    text = loggable(target) if "://" in target else target  # never a query: it may carry credentials
    shown = "".join(ch if ch.isprintable() else "?" for ch in text)[:120]
    return RedirectRefused(f"it redirects to {shown}, which the box does not open: {problem}")


async def resolve(url: str, *, timeout: float = TIMEOUT_S) -> str:
    """The URL libVLC should open for ``url``: the end of its redirects, each hop checked.

    Not http(s), or the server cannot be reached: ``url`` itself (it fails as a dead channel would).
    """
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return url
    current = url
    async with httpx.AsyncClient(follow_redirects=False, timeout=timeout, headers={"User-Agent": "stb"},
                                 verify=tls_context()) as client:  # fmt: skip
        for _ in range(MAX_HOPS + 1):
            try:
                async with client.stream("GET", current) as response:  # the headers only: a live stream never ends
                    target = _location(current, response)
            except (httpx.HTTPError, httpx.InvalidURL, ValueError):
                return current
            if target is None:
                return current
            problem = await asyncio.to_thread(hop_problem, target)  # a name lookup: off the loop
            if problem is not None:
                raise _refused(target, problem)
            current = target
    raise RedirectRefused(f"it redirects more than {MAX_HOPS} times")


def fetch_bytes(url: str, limit: int, *, timeout: float = TIMEOUT_S) -> bytes:
    """At most ``limit + 1`` bytes of ``url``, its redirects followed by the same rule (a logo)."""
    current = url
    with httpx.Client(follow_redirects=False, timeout=timeout, headers={"User-Agent": "stb"}) as client:
        for _ in range(MAX_HOPS + 1):
            try:
                with client.stream("GET", current) as response:
                    target = _location(current, response)
                    if target is None:
                        response.raise_for_status()
                        data = bytearray()
                        for chunk in response.iter_bytes():
                            data += chunk
                            if len(data) > limit:
                                break
                        return bytes(data[: limit + 1])
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise OSError(str(exc) or type(exc).__name__) from None
            problem = hop_problem(target)
            if problem is not None:
                raise _refused(target, problem)
            current = target
    raise RedirectRefused(f"more than {MAX_HOPS} redirects")
