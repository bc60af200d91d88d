"""One upstream channel, read once and fanned out to every relay client watching it.

The feed tries the channel's URLs in order and keeps trying (with a growing pause) while anyone
watches; each client has a bounded backlog and is dropped when it stops reading, so a stalled
phone never slows the others or the TV.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from stb.relay.upstream import UpstreamError, read_ts
from stb.ts.fanout import FanOut
from stb.urls import loggable

log = logging.getLogger(__name__)

RETRY_FIRST_S = 0.5
RETRY_MAX_S = 8.0


@dataclass(frozen=True)
class ChannelSource:
    """What the relay needs to know of a line-up channel."""

    id: str
    name: str
    urls: tuple[str, ...]
    headers: dict[str, str] = field(default_factory=dict, hash=False)
    #: The parental lock keeps it from other screens right now (the channel itself is locked or above the
    #: age limit, and nobody entered the PIN). The live stream follows the TV's own decision instead.
    locked: bool = field(default=False, compare=False)


class Feed(FanOut):
    def __init__(self, source: ChannelSource, stall_s: float = 8.0) -> None:
        super().__init__(source.id)
        self.source = source
        self.stall_s = stall_s
        self.state = "starting"  # starting → playing ⇄ retrying
        self.error: str | None = None
        self.connects = 0
        self.idle_since: float | None = None
        self.down_since: float | None = None  # loop time the upstream last stopped sending (None: it sends)
        self._task: asyncio.Task | None = None
        self._first = asyncio.Event()
        self._all_failed = asyncio.Event()  # every URL failed once: a waiting client need not wait longer

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"relay-{self.name}")

    async def wait_first_data(self, timeout: float) -> bool:
        """True once the upstream sends (at once if it already does); False when every URL failed or in time."""
        waits = [asyncio.ensure_future(self._first.wait()), asyncio.ensure_future(self._all_failed.wait())]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        return self._first.is_set()

    async def _run(self) -> None:
        pause = RETRY_FIRST_S
        while True:
            for url in self.source.urls:
                self.connects += 1
                try:
                    async for chunk in read_ts(url, self.source.headers, self.stall_s):
                        self.publish(chunk)
                        if self.state != "playing":
                            if self.join_point.pat is None:  # TS-looking bytes are not yet a programme
                                self.error = "what it sends is not MPEG-TS (no programme table yet)"
                                continue
                            self.state, self.error, pause = "playing", None, RETRY_FIRST_S
                            self.down_since = None
                            self._first.set()
                except UpstreamError as exc:
                    self.error = str(exc)
                    log.info("relay %s: %s (%s)", self.name, exc, loggable(url))
                except Exception as exc:  # a bug or an odd OS error: keep the feed alive, say it loudly
                    self.error = f"internal error: {exc}"
                    log.warning("relay %s: reading %s failed", self.name, loggable(url), exc_info=True)
                if self.state != "retrying" or self.down_since is None:
                    self.down_since = asyncio.get_running_loop().time()
                self.state = "retrying"
                self._first.clear()  # a client arriving now waits for the upstream to come back
            self._all_failed.set()
            await asyncio.sleep(pause)
            self._all_failed.clear()
            pause = min(pause * 2, RETRY_MAX_S)

    async def stop(self) -> None:
        task = self._task
        while task is not None and not task.done():
            task.cancel()  # again if need be: a cancel that lands as a read completes can be lost
            await asyncio.wait({task}, timeout=1.0)
        self.close_viewers()

    def stats(self) -> dict:
        return {"clients": len(self.viewers), "state": self.state, "error": self.error, "connects": self.connects,
                "bytes": self.bytes_out, "dropped_clients": self.dropped}  # fmt: skip
