"""Short-lived signed stream URLs, for players that cannot send a header (Safari's HLS, libVLC, a box's mirror).

A paired device asks for one (``POST /api/v1/stream-urls``) and gets ``PATH?sig=…&exp=…&dev=…``:
an HMAC-SHA256, with a random secret of this box's (created once in the state directory, 0600),
over the device id, the path's *scope* and the expiry time. The scope of an HLS path is its
rendition's folder (``/hls/live/``, ``/hls/channel/ID/``, ``/hls/recording/ID/``), so the playlist hands
the same query to its segments; a ``/stream/…`` path is its own scope. The API refuses a URL whose signature does
not match (altered, or signed for another stream), that expired, or whose device has been revoked
since (checked at every request, so revocation works as it does for tokens).

Lifetime: a URL must be *started* within its lifetime (5 minutes by default), but a player that
is already playing must not be cut off when that passes. So a signature in use slides: every
request it is accepted for keeps it valid for ``IN_USE_GRACE_S`` more (a minute: players poll an
HLS playlist every target duration, 2 s here, and a TS player that loses its connection reconnects
within seconds), and so does every moment its stream is being sent (``keep_in_use``, called by
:mod:`stb.net.api.sessions` while a TS stream flows: a mirror that reads one connection for an hour
and then reconnects is let in). A URL that leaked after the player stopped is dead a minute later; one that keeps
being used is stopped by revoking the device. A recording's URL (``/stream/recording/…``,
``/hls/recording/…``) stays valid ``PAUSED_GRACE_S`` (6 hours) past its last use instead: a player paused on a
recording for a phone call, a meal or a night asks for the next range or segment when it plays on (a paused
reader's connection is dropped after a while, :mod:`stb.net.http`), and must not meet a 401 then. The device
is still checked at every request, so revoking it ends those too. The in-use marks live in memory: after a
restart of the box, expired URLs must be asked for again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from stb.config import atomic_write_bytes

log = logging.getLogger(__name__)

SECRET_FILE = "stream-url.key"
DEFAULT_LIFETIME_S = 300
MAX_LIFETIME_S = 3600
IN_USE_GRACE_S = 60.0
PAUSED_GRACE_S = 6 * 3600.0  # a recording's URL, after its last use: its player may have paused it
_RECORDING_SCOPES = ("/stream/recording/", "/hls/recording/")
MAX_IN_USE = 4096  # signatures remembered as in use; the oldest are forgotten first past this

_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
_RECORDING = r"[0-9a-f]{16}"  # a recording's id (stb.pvr.timers.ID_PATTERN)
_HLS_FILE = r"(?:index\.m3u8|[0-9]{1,15}\.ts)"
_SCOPES = (
    re.compile(r"(/stream/live)"),
    re.compile(rf"(/stream/channel/{_ID})"),
    re.compile(rf"(/hls/live/){_HLS_FILE}"),
    re.compile(rf"(/hls/channel/{_ID}/){_HLS_FILE}"),
    re.compile(rf"(/stream/recording/{_RECORDING})"),
    re.compile(rf"(/stream/timeshift/{_ID})"),
    re.compile(rf"(/hls/recording/{_RECORDING}/){_HLS_FILE}"),
)
#: The same paths as one anchored pattern, for the API's document (JSON Schema and pydantic alike).
STREAM_PATH_PATTERN = "|".join(f"^{pattern.pattern}$" for pattern in _SCOPES)


class SignatureError(Exception):
    """Why a signed URL is refused, as a sentence for the client."""


def scope_of(path: str) -> str | None:
    """What a signature for ``path`` covers: the HLS rendition's folder, or the stream path; None if not a stream."""
    for pattern in _SCOPES:
        if match := pattern.fullmatch(path):
            return match.group(1)
    return None


class StreamSigner:
    def __init__(self, directory: Path) -> None:
        self.path = directory / SECRET_FILE
        self._secret: bytes | None = None
        self._in_use: dict[str, float] = {}  # signature → valid until (while a player keeps using it)
        self._grace: dict[str, float] = {}  # signature → how long past its last use it stays valid (if not a minute)
        self._lock = threading.Lock()

    def sign(self, device_id: str, path: str, lifetime_s: int = DEFAULT_LIFETIME_S,
             now: float | None = None) -> tuple[str, int]:  # fmt: skip
        """``(path?query, expiry)``; ValueError when ``path`` is not a stream's."""
        scope = scope_of(path)
        if scope is None:
            raise ValueError(f"{path!r} is not a stream path (/stream/… or /hls/…)")
        expires = int(now if now is not None else time.time()) + lifetime_s
        query = {"sig": self._mac(device_id, scope, expires), "exp": str(expires), "dev": device_id}
        return f"{path}?{urlencode(query)}", expires

    def verify(self, path: str, sig: str, exp: int, dev: str, now: float | None = None) -> str:
        """The device id the URL was signed for; SignatureError when it is altered, for another path, or expired."""
        now = time.time() if now is None else now
        scope = scope_of(path)
        if scope is None or not hmac.compare_digest(sig.encode(), self._mac(dev, scope, exp).encode()):
            raise SignatureError("this stream URL's signature does not match (altered, or signed for another stream)")
        with self._lock:
            if now > exp and self._in_use.get(sig, 0.0) < now:
                raise SignatureError("this stream URL expired; ask for a new one (POST /api/v1/stream-urls)")
            if scope.startswith(_RECORDING_SCOPES):
                self._grace[sig] = PAUSED_GRACE_S
            self._use(sig, now)
        return dev

    def keep_in_use(self, sig: str, now: float | None = None) -> None:
        """A stream opened with ``sig`` is still being sent: its URL stays valid ``IN_USE_GRACE_S`` past now (a
        recording's: ``PAUSED_GRACE_S``)."""
        now = time.time() if now is None else now
        with self._lock:
            self._use(sig, now)

    def _use(self, sig: str, now: float) -> None:
        self._in_use.pop(sig, None)  # re-inserted last: the dict stays ordered oldest first
        self._in_use[sig] = now + self._grace.get(sig, IN_USE_GRACE_S)
        if len(self._in_use) > MAX_IN_USE:
            self._prune(now)

    def _prune(self, now: float) -> None:
        for sig in [s for s, until in self._in_use.items() if until < now]:
            del self._in_use[sig]
            self._grace.pop(sig, None)
        while len(self._in_use) > MAX_IN_USE:
            self._grace.pop(oldest := next(iter(self._in_use)), None)
            del self._in_use[oldest]

    def _mac(self, device_id: str, scope: str, expires: int) -> str:
        message = f"{device_id}\n{scope}\n{expires}".encode()
        digest = hmac.new(self._key(), message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def _key(self) -> bytes:
        """The box's secret, read once, created on first use (random, 0600, written then renamed)."""
        with self._lock:
            if self._secret is None:
                try:
                    secret = bytes.fromhex(self.path.read_text().strip())
                except (OSError, ValueError):
                    secret = b""
                if len(secret) != 32:
                    if self.path.exists():
                        log.warning("%s is not a 32-byte key; making a new one (signed URLs given out end)", self.path)
                    secret = secrets.token_bytes(32)
                    atomic_write_bytes(self.path, secret.hex().encode() + b"\n")  # mkstemp: mode 0600
                self._secret = secret
            return self._secret
