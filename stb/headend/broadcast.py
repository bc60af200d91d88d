"""One live channel: ffmpeg plays the loop clip at real time; we fan its TS out to every viewer.

ffmpeg runs once per channel, however many viewers there are. Each viewer has a bounded backlog:
a viewer that stops reading fills it and is dropped, and never slows the channel or anyone else.
A new viewer starts with PAT, PMT and everything since the latest keyframe, so it decodes at once.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from stb.children import die_with_parent_hook, stop_supervised
from stb.ts.fanout import BACKLOG_BYTES, FanOut, Viewer
from stb.ts.packets import PACKET

__all__ = ["BACKLOG_BYTES", "Broadcast", "Viewer"]

log = logging.getLogger(__name__)

READ_SIZE = PACKET * 512  # one pipe read: ffmpeg writes ~10 KB at a time at demo bit rates
RESTART_DELAY_S = 1.0


class Broadcast(FanOut):
    """A channel's single ffmpeg and the fan-out of its output to every viewer."""

    def __init__(self, channel_id: str, clip: Path) -> None:
        super().__init__(channel_id)
        self.channel_id = channel_id
        self.clip = clip
        self.restarts = 0
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task | None = None

    def command(self) -> list[str]:
        # -re: real time; -stream_loop -1 with -c copy keeps timestamps rising across the loop point
        return [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
            "-re", "-stream_loop", "-1", "-i", str(self.clip),
            "-c", "copy", "-f", "mpegts", "-",
        ]  # fmt: skip

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running and self._process else None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"broadcast-{self.channel_id}")

    async def _run(self) -> None:
        while True:
            self._process = await asyncio.create_subprocess_exec(
                *self.command(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                preexec_fn=die_with_parent_hook(),
            )
            assert self._process.stdout is not None
            pending = b""
            while data := await self._process.stdout.read(READ_SIZE):
                pending += data
                aligned = len(pending) - len(pending) % PACKET
                if aligned:
                    self.publish(pending[:aligned])
                    pending = pending[aligned:]
            code = await self._process.wait()
            self.restarts += 1
            log.warning("%s: ffmpeg exited (%s), restarting", self.channel_id, code)
            await asyncio.sleep(RESTART_DELAY_S)

    async def stop(self) -> None:
        """Stop ffmpeg (and wait for it: no zombie) and end every viewer's stream."""
        await stop_supervised(self._task, self._process)
        self.close_viewers()
