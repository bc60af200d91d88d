"""What the PVR's fast tests share: a clock the test moves, a relay stand-in whose channels the test feeds,
and a real SQLite guide imported from an XMLTV file written here."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from stb.guide.query import Guide
from stb.guide.store import import_sources
from stb.headend.catalog import CHANNELS, demo_lineup
from stb.pvr.service import Padding, Pvr, make_guide_ask
from stb.relay.errors import UpstreamDown

BASE = 1_800_000_000.0  # 2027-01-15 08:00 UTC: the tests' "now" (a round hour)
CH = [c.id for c in CHANNELS[:5]]
GUIDE_IDS = {c.id: c.guide_id for c in CHANNELS[:5]}


def packets(n: int, pid: int = 0x100) -> bytes:
    return b"".join(bytes([0x47, pid >> 8, pid & 0xFF, 0x10 | i % 16]) + bytes(184) for i in range(n))


class FakeClock:
    def __init__(self, t: float = BASE) -> None:
        self.t = t

    def time(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(min(seconds, 0.01))  # the test moves the time; this only lets others run


class FakeRelay:
    """``open_channel`` as the relay's: chunks the test ``feed``s; ``down`` channels raise UpstreamDown."""

    def __init__(self) -> None:
        self.queues: dict[str, list[asyncio.Queue[bytes | None]]] = {}
        self.down: set[str] = set()
        self.opened: list[str] = []

    async def open_channel(
        self, channel_id: str, internal: bool = False, recording: bool = False
    ) -> AsyncIterator[bytes]:
        if channel_id in self.down:
            raise UpstreamDown(f"{channel_id} is down")
        self.opened.append(channel_id)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.queues.setdefault(channel_id, []).append(queue)
        return self._drain(channel_id, queue)

    async def _drain(self, channel_id: str, queue: asyncio.Queue[bytes | None]) -> AsyncIterator[bytes]:
        try:
            while (chunk := await queue.get()) is not None:
                yield chunk
        finally:
            self.queues[channel_id].remove(queue)

    def feed(self, channel_id: str, chunk: bytes) -> None:
        for queue in self.queues.get(channel_id, []):
            queue.put_nowait(chunk)

    def cut(self, channel_id: str) -> None:
        """The source goes away: readers' streams end, and it cannot be opened until ``down`` is cleared."""
        self.down.add(channel_id)
        for queue in self.queues.get(channel_id, []):
            queue.put_nowait(None)


def xmltv(programmes: list[tuple[str, float, float, str, str | None]]) -> bytes:
    """(channel id, start, stop, title, xmltv_ns episode or None) as an XMLTV document."""

    def stamp(t: float) -> str:
        return time.strftime("%Y%m%d%H%M%S +0000", time.gmtime(t))

    rows = [f'<channel id="{g}"><display-name>{c}</display-name></channel>' for c, g in GUIDE_IDS.items()]
    for channel, start, stop, title, episode in programmes:
        ep = f'<episode-num system="xmltv_ns">{episode}</episode-num>' if episode else ""
        rows.append(f'<programme start="{stamp(start)}" stop="{stamp(stop)}" channel="{GUIDE_IDS[channel]}">'
                    f"<title>{title}</title><desc>About {title}.</desc><category>Series</category>{ep}"
                    '<rating system="FSK"><value>12</value></rating></programme>')  # fmt: skip
    return ("<?xml version='1.0'?><tv>" + "".join(rows) + "</tv>").encode()


class GuideFile:
    """A real guide database the test rewrites (a guide refresh); queries run on worker threads."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.db = folder, folder / "guide.sqlite3"
        self.lineup = demo_lineup("127.0.0.1", 9)
        self.version = 0

    def write(self, programmes: list[tuple[str, float, float, str, str | None]]) -> None:
        self.version += 1
        source = self.folder / "guide.xml"  # one source: each import replaces its whole guide
        source.write_bytes(xmltv(programmes))
        import_sources(self.db, [str(source)], now=BASE, force=True)

    def open(self) -> Guide | None:
        return Guide(self.db, self.lineup) if self.db.exists() else None


def make_pvr(tmp: Path, relay: FakeRelay, clock: FakeClock, guide: GuideFile, max_channels: int = 2,
             events: list | None = None) -> Pvr:  # fmt: skip
    names = {c.id: c.name for c in CHANNELS}
    sink: Callable[[str, dict], None] = (
        (lambda k, d: events.append((k, d))) if events is not None else (lambda k, d: None)
    )
    return Pvr(state_dir=tmp / "state", recordings_dir=tmp / "recordings", reader=relay,
               guide=make_guide_ask(guide.open), channel_name=names.get, max_channels=lambda: max_channels,
               padding=lambda: Padding(60, 120), events=sink, clock=clock)  # fmt: skip


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for ``condition`` (a hang guard only, never a time measured)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)
