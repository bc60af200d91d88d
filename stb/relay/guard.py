"""The TV's guard: every http(s) URL libVLC plays is read through the TV's own relay, redirects and HLS checked.

libVLC follows a server's ``302 Location: file:///etc/passwd`` (or ``//127.0.0.1:8554``) into the box's own
files and loopback services, and its HLS module opens whatever URIs a playlist names. Checking a URL once
before playing it does not help: a live stream is asked again at each reconnect, a live playlist at each
reload, and the server may answer differently then. So libVLC never reads the provider: it reads
``http://127.0.0.1:PORT/g/<token>/<name>`` from this guard, which

- follows redirects itself, at most ``MAX_HOPS``, each hop by the rule of :mod:`stb.redirects` (http or https
  only; no loopback, link-local, unspecified or multicast address), except hops to the host the person or
  playlist named (a head-end on the box's own loopback is normal);
- passes a stream's bytes through as they come (no remux, no buffering);
- reads an HLS playlist whole (``#EXTM3U``, whatever the server calls it), checks every URI it names by the
  same rule, and hands libVLC a copy whose URIs are guard URLs too: variants, segments, keys, maps.

A URL is known to the guard only once the box registered it (:meth:`Guard.register`): the loopback port is no
open proxy for whatever another local program asks.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import re
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

import httpx

from stb.redirects import MAX_HOPS, REDIRECTS, hop_problem
from stb.relay.upstream import CONNECT_TIMEOUT_S, USER_AGENT, UpstreamError, _tls
from stb.urls import loggable

MAX_TARGETS = 4096  # registered URLs kept (a live playlist re-registers its segments at every reload)
PLAYLIST_MAX_BYTES = 2 * 1024 * 1024
READ_TIMEOUT_S = 10.0
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
PASSED_HEADERS = ("content-length", "content-range", "accept-ranges")
_URI_ATTRIBUTE = re.compile(r'URI="([^"]*)"')


class GuardRefused(UpstreamError):
    """The server sends the box somewhere it does not go; the message says where and why."""


@dataclass(frozen=True)
class Target:
    """A URL the guard may read: with the channel's headers, and the host the person or playlist named."""

    url: str
    origin: str | None
    headers: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass
class Opened:
    """What the guard answers libVLC: a playlist (rewritten, whole) or a stream's bytes as they come."""

    content_type: str
    body: bytes | None = None  # a playlist
    stream: AsyncIterator[bytes] | None = None  # anything else
    status: int = 200  # 206: a range of a file (libVLC seeking in a flung MP4)
    headers: dict[str, str] = field(default_factory=dict)  # the provider's length and range headers, passed on


def is_guarded(url: str) -> bool:
    """URLs the guard reads for libVLC (the others: multicast, a recording's file, are the box's own business)."""
    return urlsplit(url).scheme.lower() in ("http", "https")


def origin_of(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def is_playlist_start(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"#EXTM3U")


class Guard:
    """Registered URLs and their reading; ``register`` from any thread, ``open`` on the relay's loop."""

    def __init__(self, on_refused: Callable[[str], None] | None = None) -> None:
        self.base = ""  # http://127.0.0.1:PORT, set once the relay listens
        self.refused: list[str] = []  # why, newest last (the TV says it; the tests read it)
        self._targets: collections.OrderedDict[str, Target] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._client: httpx.AsyncClient | None = None
        self._on_refused = on_refused

    # -- any thread ----------------------------------------------------------------------------------
    def register(self, url: str, headers: dict[str, str] | None = None, origin: str | None = None) -> str:
        """The guard URL libVLC plays for ``url`` (``origin``: the host named first; ``url``'s own by default)."""
        target = Target(url, origin if origin is not None else origin_of(url), dict(headers or {}))
        token = hashlib.sha256(f"{target.origin}\n{url}".encode()).hexdigest()[:24]
        with self._lock:
            self._targets[token] = target
            self._targets.move_to_end(token)
            while len(self._targets) > MAX_TARGETS:
                self._targets.popitem(last=False)
        name = url.split("?", 1)[0].rstrip("/").rpartition("/")[2][-60:] or "stream"
        return f"{self.base}/g/{token}/{quote(name, safe='')}"  # the name keeps an extension libVLC may look at

    def target(self, token: str) -> Target | None:
        with self._lock:
            return self._targets.get(token)

    # -- the loop ------------------------------------------------------------------------------------
    async def open(self, token: str, range_: str | None = None) -> Opened:
        """Read a registered URL: LookupError (unknown), GuardRefused (a redirect or URI refused), UpstreamError.

        ``range_``: libVLC's ``Range`` header, passed on (a file it seeks in); a playlist is read whole anyway.
        """
        target = self.target(token)
        if target is None:
            raise LookupError("no such stream here")
        response, final = await self._get(target, {"Range": range_} if range_ else {})
        content_type = response.headers.get("content-type", "application/octet-stream")
        chunks = response.aiter_raw()
        try:
            first = await anext(chunks, b"")
        except httpx.HTTPError as exc:
            await response.aclose()
            raise UpstreamError(f"cannot read the stream: {exc}") from None
        if not is_playlist_start(first):
            passed = {k: v for k in PASSED_HEADERS if (v := response.headers.get(k))}
            rest = self._rest(response, first, chunks)
            return Opened(content_type, stream=rest, status=response.status_code, headers=passed)
        try:
            data = bytearray(first)
            async for chunk in chunks:
                data += chunk
                if len(data) > PLAYLIST_MAX_BYTES:
                    raise UpstreamError(f"the playlist is over {PLAYLIST_MAX_BYTES // 1024 // 1024} MiB")
        except httpx.HTTPError as exc:
            raise UpstreamError(f"cannot read the playlist: {exc}") from None
        finally:
            await response.aclose()
        text = await self.rewrite(bytes(data).decode("utf-8", "replace"), final, target)
        return Opened(PLAYLIST_TYPE, body=text.encode())

    async def rewrite(self, text: str, base: str, parent: Target) -> str:
        """``text`` (a playlist read from ``base``) with every URI it names checked and made a guard URL."""
        checked: dict[tuple[str, str], str | None] = {}

        async def guarded(uri: str) -> str:
            absolute = urljoin(base, uri.strip())
            problem = await self._problem(absolute, parent.origin, checked)
            if problem is not None:
                why = f"the playlist {_shown(base)} names {_shown(absolute)}, which the box does not open: {problem}"
                raise self._refuse(why)
            return self.register(absolute, parent.headers, parent.origin)

        lines = []
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped:
                lines.append("")
            elif stripped.startswith("#"):
                out, at = [], 0
                for match in _URI_ATTRIBUTE.finditer(stripped):
                    out += [stripped[at : match.start(1)], await guarded(match.group(1))]
                    at = match.end(1)
                lines.append("".join(out) + stripped[at:])
            else:
                lines.append(await guarded(stripped))
        return "\n".join(lines) + "\n"

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- inside --------------------------------------------------------------------------------------
    def _http(self) -> httpx.AsyncClient:
        if self._client is None:  # one client: kept-alive connections make segment after segment cheap
            timeout = httpx.Timeout(CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S)
            self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, verify=_tls())
        return self._client

    async def _get(self, target: Target, extra: dict[str, str]) -> tuple[httpx.Response, str]:
        """The response at the end of ``target``'s redirects, each hop checked; (response, its URL)."""
        client, url = self._http(), target.url
        headers = {"User-Agent": USER_AGENT, **target.headers, **extra}
        checked: dict[tuple[str, str], str | None] = {}
        for _ in range(MAX_HOPS + 1):
            try:
                response = await client.send(client.build_request("GET", url, headers=headers), stream=True)
            except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
                raise UpstreamError(f"cannot read {loggable(url)}: {exc or type(exc).__name__}") from None
            if response.status_code not in REDIRECTS or "location" not in response.headers:
                if response.status_code not in (200, 206):
                    await response.aclose()
                    raise UpstreamError(f"{loggable(url)} answered {response.status_code}")
                return response, url
            await response.aclose()
            hop = urljoin(url, response.headers["location"].strip())
            problem = await self._problem(hop, target.origin, checked)
            if problem is not None:
                raise self._refuse(
                    f"{loggable(url)} redirects to {_shown(hop)}, which the box does not open: {problem}"
                )
            url = hop
        raise self._refuse(f"{loggable(target.url)} redirects more than {MAX_HOPS} times")

    async def _problem(self, url: str, origin: str | None, checked: dict[tuple[str, str], str | None]) -> str | None:
        """Why the guard will not read ``url`` for a server that named it; None when it will."""
        try:
            parts = urlsplit(url)
            host, port = parts.hostname or "", str(parts.port or "")
        except ValueError:
            return "a malformed URL"
        if parts.scheme.lower() not in ("http", "https"):
            return f"{parts.scheme or 'no'} scheme (only http and https)"
        if host and host == origin:
            return None  # the host the person or the playlist named (a head-end on loopback is normal)
        key = (host, port)
        if key not in checked:  # one name lookup per host and port per playlist, off the loop
            checked[key] = await asyncio.to_thread(hop_problem, url)
        return checked[key]

    def _refuse(self, why: str) -> GuardRefused:
        self.refused = [*self.refused[-19:], why]
        if self._on_refused is not None:
            self._on_refused(why)
        return GuardRefused(why)

    async def _rest(self, response: httpx.Response, first: bytes, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        try:
            if first:
                yield first
            async for chunk in chunks:
                yield chunk
        except httpx.HTTPError:
            return  # the provider stopped: libVLC sees the end and reconnects through the guard
        finally:
            await response.aclose()


def _shown(url: str) -> str:
    text = loggable(url) if "://" in url else url  # never a query: it may carry credentials
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:120]
