"""The per-device stream sessions on their own: caps, a revocation that ends a waiting stream cleanly, and a
cancellation that is not the revocation's passing through (the server's own, when a client leaves)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from stb.net.api.limits import EVENT_STREAMS, RELAY_STREAMS, Limits
from stb.net.api.sessions import CapReached, StreamSessions


@dataclass
class _Device:
    id: str


@dataclass
class _Auth:
    """The two things the sessions read of the paired devices."""

    ids: list[str] = field(default_factory=lambda: ["phone", "laptop"])
    version: int = 0

    def devices(self) -> list[_Device]:
        return [_Device(i) for i in self.ids]

    def remove(self, device_id: str) -> None:
        self.ids.remove(device_id)
        self.version += 1


async def _forever(started: asyncio.Event):
    yield b"first"
    started.set()
    await asyncio.Event().wait()  # an upstream that sends nothing more
    yield b"never"


def test_a_device_past_its_cap_is_refused_naming_the_cap_and_others_are_not():
    async def run() -> None:
        limits = Limits()
        limits.per_device[EVENT_STREAMS] = 2
        sessions = StreamSessions(_Auth(), limits=limits)  # type: ignore[arg-type]
        held = [sessions.open("phone", "10.0.0.2", EVENT_STREAMS) for _ in range(2)]
        with pytest.raises(CapReached) as refused:
            sessions.open("phone", "10.0.0.3", EVENT_STREAMS)
        assert refused.value.status == 429 and "event streams" in refused.value.title
        sessions.open("laptop", "10.0.0.2", EVENT_STREAMS)  # another device
        sessions.open("phone", "10.0.0.2", RELAY_STREAMS)  # another kind
        sessions.open(None, "10.0.0.4", EVENT_STREAMS)  # an open LAN: by address
        sessions.close(held[0])
        sessions.open("phone", "10.0.0.2", EVENT_STREAMS)  # room again
        await sessions.stop()

    asyncio.run(run())


def test_revoking_ends_a_waiting_stream_cleanly_and_a_foreign_cancel_passes():
    async def run() -> None:
        auth = _Auth()
        sessions = StreamSessions(auth)  # type: ignore[arg-type]
        started = asyncio.Event()
        got: list[bytes] = []

        async def read(body) -> str:
            async for chunk in body:
                got.append(chunk)
            return "ended"

        doomed = asyncio.create_task(
            read(sessions.guard(_forever(started), sessions.open("phone", "a", RELAY_STREAMS)))
        )
        await started.wait()
        auth.remove("phone")  # as the TV does: the watcher notices
        assert await asyncio.wait_for(doomed, 5) == "ended" and got == [b"first"]
        assert sessions.count("phone", RELAY_STREAMS) == 0

        started.clear()
        kept = asyncio.create_task(read(sessions.guard(_forever(started), sessions.open("laptop", "b", RELAY_STREAMS))))
        await started.wait()
        kept.cancel()  # the server's own cancellation (the client left): not swallowed
        with pytest.raises(asyncio.CancelledError):
            await kept
        assert sessions.count("laptop", RELAY_STREAMS) == 0
        await sessions.stop()

    asyncio.run(run())
