"""Every open stream of every device: per-device caps, the end of a revoked device's streams, and signed URLs kept
in use while their stream is sent.

A device (a token, or a signed URL naming it) may hold at most ``Limits.per_device[kind]`` event streams,
relay (MPEG-TS) streams and HLS requests at once; one more is refused with a problem JSON 429 that names the cap, so one
paired device cannot take the box's request slots (135 event streams on one token once left everyone else
503). On an open LAN the address stands for the device.

Revocation (Settings on the TV, or ``DELETE /api/v1/devices/ID``) ends every open stream of that device
within ``WATCH_S``: a watcher notices the change of ``Auth.version`` and ends the streams whose device is
gone. A stream waiting for its next bytes is woken by cancelling its task, which :func:`StreamSessions.guard`
turns into a clean end of the body; one that is writing stops after that write. The same watcher refreshes
the in-use mark of each signed URL whose stream is being sent, so a mirror that reconnects long after the
URL's expiry is still let in (:mod:`stb.net.signed`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from stb.lan.auth import Auth, AuthError
from stb.net.api.limits import EVENT_STREAMS, HLS_CLIENTS, RELAY_STREAMS, Limits
from stb.net.signed import StreamSigner

log = logging.getLogger(__name__)

__all__ = ["EVENT_STREAMS", "HLS_CLIENTS", "RELAY_STREAMS", "CapReached", "Session", "StreamSessions"]

NEVER_STARTED_S = 10.0  # a stream whose body has not started after this is forgotten (the client left first)
WATCH_S = 0.25  # a revoked device's streams end within this (plus one write)


class CapReached(AuthError):
    """One more stream of a kind than a device may hold: 429, the title and detail name the cap."""

    def __init__(self, kind: str, cap: int) -> None:
        super().__init__(429, f"Too many {kind}", f"this device already has {cap} {kind} open, the most one device "
                         f"may hold (cap: {kind} per device); close one first", 5)  # fmt: skip
        self.kind, self.cap = kind, cap


@dataclass(eq=False)
class Session:
    """One open stream (or HLS client) of a device."""

    holder: str  # the device's id, or "open ADDRESS" on an open LAN
    device_id: str | None  # None on an open LAN: nothing to revoke
    kind: str
    sig: str | None = None  # the signed URL it was opened with: kept in use while it runs
    ended: bool = False  # the device was revoked: the stream ends
    task: asyncio.Task | None = field(default=None, repr=False)
    waiting: bool = False  # waiting for its next bytes (not writing): cancelling wakes it
    opened: float = 0.0  # loop time


class StreamSessions:
    def __init__(self, auth: Auth, signer: StreamSigner | None = None, limits: Limits | None = None) -> None:
        self.auth, self.signer = auth, signer
        self.limits = limits or Limits()
        self.sessions: set[Session] = set()
        self._watcher: asyncio.Task | None = None
        self._version = -1  # the paired devices are looked at on the first check

    def holder(self, device_id: str | None, address: str) -> str:
        return device_id if device_id is not None else f"open {address}"

    def count(self, holder: str, kind: str) -> int:
        return sum(1 for s in self.sessions if s.holder == holder and s.kind == kind and not s.ended)

    def open(self, device_id: str | None, address: str, kind: str, sig: str | None = None) -> Session:
        """A new session; CapReached when the device holds as many of ``kind`` as it may."""
        holder = self.holder(device_id, address)
        cap = self.limits.per_device[kind]
        if self.count(holder, kind) >= cap:
            raise CapReached(kind, cap)
        session = Session(holder, device_id, kind, sig, opened=asyncio.get_running_loop().time())
        self.sessions.add(session)
        self._ensure_watcher()
        return session

    def close(self, session: Session) -> None:
        self.sessions.discard(session)

    def revoked(self, device_id: str) -> None:
        """End every stream of ``device_id`` now (the watcher would within WATCH_S)."""
        for session in [s for s in self.sessions if s.device_id == device_id]:
            self._end(session)

    async def guard(self, body: AsyncIterator[bytes], session: Session) -> AsyncIterator[bytes]:
        """``body`` until it ends, the client leaves, or the device is revoked (then it ends cleanly)."""
        session.task = asyncio.current_task()
        try:
            while not session.ended:
                session.waiting = True
                try:
                    chunk = await anext(body)
                except StopAsyncIteration:
                    return
                except asyncio.CancelledError:
                    if not session.ended or session.task is None:
                        raise
                    session.task.uncancel()  # ours: the revocation's wake-up, not the server's
                    return
                finally:
                    session.waiting = False
                yield chunk
        finally:
            self.close(session)
            with contextlib.suppress(Exception):
                await body.aclose()  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """The box is stopping: the watcher stops (the streams end with their connections)."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None and not watcher.done():
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    # -- private ----------------------------------------------------------------------------------------------
    def _end(self, session: Session) -> None:
        if session.ended:
            return
        session.ended = True
        self.sessions.discard(session)
        if session.waiting and session.task is not None and not session.task.done():
            session.task.cancel()

    def _ensure_watcher(self) -> None:
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        while self.sessions:
            await asyncio.sleep(WATCH_S)
            try:
                self._check()
            except Exception:  # a bug must not leave streams unwatched silently
                log.warning("stream sessions: the check failed", exc_info=True)

    @staticmethod
    def _gone(session: Session, now: float) -> bool:
        if session.task is not None:
            return session.task.done()
        return session.kind != HLS_CLIENTS and now - session.opened > NEVER_STARTED_S

    def _check(self) -> None:
        now = asyncio.get_running_loop().time()
        for session in [s for s in self.sessions if self._gone(s, now)]:
            self.sessions.discard(session)  # its body never ran (the client left at once), or its task is gone
        if self.auth.version != self._version:
            self._version = self.auth.version
            paired = {d.id for d in self.auth.devices()}
            for session in [s for s in self.sessions if s.device_id is not None and s.device_id not in paired]:
                self._end(session)
        if self.signer is not None:
            for sig in {s.sig for s in self.sessions if s.sig is not None and not s.ended}:
                self.signer.keep_in_use(sig)
