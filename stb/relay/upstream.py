"""Reading a channel's stream from the head-end as 188-byte-aligned MPEG-TS, whatever it is sent as.

- HTTP(S) MPEG-TS is read as it comes (httpx), with the channel's own headers;
- HLS (a ``.m3u8`` URL or an ``mpegurl`` answer) is remuxed to TS by ffmpeg (``-c copy``: no transcoding);
- UDP or RTP multicast (``udp://@239.1.1.1:5000``, ``rtp://…``) is joined directly; RTP headers are
  taken off.

Only these schemes are followed: a line-up imported from a provider's M3U cannot make the box read
its own files (``file:``) or anything else. A source that sends nothing for ``stall_s`` raises
:class:`UpstreamError`, so the feed can try the channel's next URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import socket
import ssl
import struct
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

import httpx

from stb import __version__
from stb.children import STOP_GRACE_S, die_with_parent_hook
from stb.redirects import hop_problem
from stb.ts.packets import PACKET, SYNC
from stb.urls import loggable

SCHEMES = ("http", "https", "udp", "rtp")
CONNECT_TIMEOUT_S = 5.0
READ_SIZE = PACKET * 348  # ~64 KB
MAX_REDIRECTS = 3
NOT_TS_BYTES = 64 * 1024  # this much without three packet syncs in a row is not MPEG-TS (a real stream resyncs in 3)
USER_AGENT = f"stb/{__version__} (relay)"
NOT_TS_TYPES = ("audio/", "image/", "text/html", "video/mp4", "video/webm", "video/x-flv", "video/ogg")


class UpstreamError(Exception):
    """The source cannot be read (refused, dead, stalled, not TS); the message says which."""


def check_url(url: str) -> str:
    """The URL's scheme when the relay may follow it; UpstreamError otherwise."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in SCHEMES:
        raise UpstreamError(f"the relay does not follow {scheme or 'scheme-less'} URLs")
    return scheme


def is_hls(url: str, content_type: str = "") -> bool:
    return urlsplit(url).path.lower().endswith(".m3u8") or "mpegurl" in content_type.lower()


async def read_ts(url: str, headers: dict[str, str] | None = None, stall_s: float = 8.0) -> AsyncIterator[bytes]:
    """The stream at ``url`` as aligned TS chunks, until it ends (then UpstreamError) or the caller stops."""
    scheme = check_url(url)
    if scheme in ("udp", "rtp"):
        source = _multicast(url, stall_s)
    elif is_hls(url):
        source = _ffmpeg(url, headers or {}, stall_s)
    else:
        source = _http(url, headers or {}, stall_s)
    aligner = _Aligner()
    unsynced = 0  # bytes read since the last whole packet came out
    async for data in source:
        chunk = aligner.feed(data)
        if chunk:
            unsynced = 0
            yield chunk
            continue
        unsynced += len(data)
        if unsynced > NOT_TS_BYTES:  # noise, an HTML page, another format: say so now, not after a time-out
            raise UpstreamError(f"what it sends is not MPEG-TS (no packet sync in {unsynced // 1024} KiB)")
    raise UpstreamError("the stream ended")


class _Aligner:
    """Cuts a byte stream into whole TS packets; a packet without its sync byte makes it look again."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> bytes:
        pending = self._pending + data
        out = bytearray()
        at = 0
        while len(pending) - at >= PACKET:
            whole = (len(pending) - at) // PACKET * PACKET
            starts = pending[at : at + whole : PACKET]  # the first byte of every packet ahead
            synced = len(starts) - len(starts.lstrip(bytes([SYNC])))
            if synced:
                out += pending[at : at + synced * PACKET]
                at += synced * PACKET
                continue
            found = _sync_at(pending, at)
            if found is None:
                at = max(at, len(pending) - 2 * PACKET)  # keep a tail: a sync may straddle reads
                break
            at = found
        self._pending = pending[at:]
        return bytes(out)


def _sync_at(data: bytes, start: int = 0) -> int | None:
    """Where three sync bytes 188 apart start (one 0x47 alone proves nothing)."""
    at = data.find(SYNC, start)
    while at >= 0 and at + 2 * PACKET < len(data):
        if data[at + PACKET] == SYNC and data[at + 2 * PACKET] == SYNC:
            return at
        at = data.find(SYNC, at + 1)
    return None


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's default TLS set-up, made once: building it reads the CA bundle, ~33 ms here, and a
    client made without it would do that on the relay's loop at every new feed (a zap, a mirror start)."""
    return httpx.create_ssl_context()


def _hop_checker(url: str) -> Callable[[httpx.Response], Awaitable[None]]:
    """A response hook that lets the relay follow a redirect only where the box may go (:mod:`stb.redirects`).

    Providers redirect to their CDNs all the time, so redirects are followed; but a playlist's server must
    not send the relay into the box's own loopback (or link-local) services, whose bytes the relay would
    then serve to every screen on the LAN. A head-end that redirects within its own host is left alone
    (the URL the playlist named is not held to the address rule, as for flung URLs).
    """
    origin = urlsplit(url).hostname

    async def check(response: httpx.Response) -> None:
        if not response.has_redirect_location:
            return
        target = str(response.request.url.join(response.headers["location"].strip()))
        if urlsplit(target).hostname == origin:
            return
        problem = await asyncio.to_thread(hop_problem, target)  # a name lookup: off the loop
        if problem is not None:
            raise UpstreamError(f"the head-end redirects to {loggable(target)}, which the box does not open: {problem}")

    return check


async def _http(url: str, headers: dict[str, str], stall_s: float) -> AsyncIterator[bytes]:
    timeout = httpx.Timeout(CONNECT_TIMEOUT_S, read=stall_s)
    sent = {"User-Agent": USER_AGENT, **headers}
    try:
        async with (
            httpx.AsyncClient(
                timeout=timeout,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                verify=_tls(),
                event_hooks={"response": [_hop_checker(url)]},
            ) as client,
            client.stream("GET", url, headers=sent) as response,
        ):
            if response.status_code != 200:
                raise UpstreamError(f"the head-end answered {response.status_code}")
            if is_hls(str(response.url), response.headers.get("content-type", "")):
                async for data in _ffmpeg(str(response.url), headers, stall_s):
                    yield data
                return
            kind = response.headers.get("content-type", "").partition(";")[0].strip().lower()
            if kind.startswith(NOT_TS_TYPES) and "mp2t" not in kind:  # a radio's MP3, an MP4: at once, not 64 KiB on
                raise UpstreamError(f"it sends {kind}, not MPEG-TS")
            # as it arrives: with a chunk size httpx holds data back until that much has come (64 KB is
            # 0.6 s of a 0.9 Mbit/s channel, which every client then got late; `stb bench relay`)
            async for data in response.aiter_raw():
                yield data
    except httpx.TimeoutException:
        raise UpstreamError(f"no data for {stall_s:.0f} s") from None
    except httpx.HTTPError as exc:
        raise UpstreamError(f"cannot read the stream: {exc}") from None


async def _ffmpeg(url: str, headers: dict[str, str], stall_s: float) -> AsyncIterator[bytes]:
    """HLS remuxed to TS by ffmpeg, which knows playlists, variants and segment fetching.

    Started with Popen (no await, so a cancelled feed can never leave a half-started child behind)
    and read through the loop; stopped and reaped whatever ends the stream.
    """
    header_lines = "".join(f"{k}: {v}\r\n" for k, v in {"User-Agent": USER_AGENT, **headers}.items())
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
               "-protocol_whitelist", "http,https,tcp,tls,crypto", "-headers", header_lines,
               "-i", url, "-map", "0", "-c", "copy", "-f", "mpegts", "-"]  # fmt: skip
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, preexec_fn=die_with_parent_hook())  # fmt: skip
    except OSError as exc:
        raise UpstreamError(f"cannot start ffmpeg for HLS: {exc.strerror}") from None
    assert process.stdout is not None
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=READ_SIZE * 4)
    transport, _ = await _connect(loop, reader, process)
    try:
        while True:
            try:
                async with asyncio.timeout(stall_s):  # not wait_for: on 3.11 it can swallow a cancel
                    data = await reader.read(READ_SIZE)
            except TimeoutError:
                raise UpstreamError(f"no data for {stall_s:.0f} s") from None
            if not data:
                return
            yield data
    finally:
        transport.close()
        await _reap(process)


async def _connect(loop: asyncio.AbstractEventLoop, reader: asyncio.StreamReader, process: subprocess.Popen):
    try:
        return await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), process.stdout)
    except BaseException:
        await _reap(process)
        raise


async def _reap(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after a grace period; polled, so no child watcher is involved."""
    if process.poll() is None:
        process.terminate()
        for _ in range(int(STOP_GRACE_S / 0.05)):
            if process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        else:
            process.kill()
            await asyncio.to_thread(process.wait)
    if process.stdout is not None:
        process.stdout.close()


def multicast_address(url: str) -> tuple[str, int]:
    """``udp://@239.1.1.1:5000`` → ("239.1.1.1", 5000), checked."""
    parts = urlsplit(url)
    host = (parts.hostname or "").strip("@")
    try:
        group = ipaddress.IPv4Address(host)
        port = parts.port
    except ValueError:
        raise UpstreamError(f"not a multicast address: {url}") from None
    if not group.is_multicast or not port:
        raise UpstreamError(f"not a multicast group and port: {url}")
    return str(group), port


async def _multicast(url: str, stall_s: float) -> AsyncIterator[bytes]:
    group, port = multicast_address(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2 * 1024 * 1024)
        sock.bind((group, port))  # the group's datagrams only, not everything sent to the port
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                        struct.pack("4s4si", socket.inet_aton(group), bytes(4), 0))  # fmt: skip
    except OSError as exc:
        sock.close()
        raise UpstreamError(f"cannot join {group}:{port}: {exc.strerror}") from None
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    try:
        while True:
            try:
                async with asyncio.timeout(stall_s):
                    first = await loop.sock_recv(sock, 65536)
            except TimeoutError:
                raise UpstreamError(f"no multicast on {group}:{port} for {stall_s:.0f} s") from None
            batch = [_strip_rtp(first)]
            with contextlib.suppress(BlockingIOError):
                while len(batch) < 64:  # whatever else already arrived, in one go
                    batch.append(_strip_rtp(sock.recv(65536)))
            yield b"".join(batch)
    finally:
        sock.close()


def _strip_rtp(datagram: bytes) -> bytes:
    """The TS in a datagram: as is for plain UDP, after the header (CSRCs, extension) for RTP."""
    if not datagram or datagram[0] == SYNC or datagram[0] >> 6 != 2:
        return datagram
    at = 12 + 4 * (datagram[0] & 0x0F)
    if datagram[0] & 0x10 and len(datagram) >= at + 4:
        at += 4 + 4 * int.from_bytes(datagram[at + 2 : at + 4], "big")
    return datagram[at:]
