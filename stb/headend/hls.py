"""The HLS rendition of a demo channel: ffmpeg segments the live loop into a private folder.

Only names matching :data:`SEGMENT_NAME` are ever served from that folder, looked up by name,
never joined from request input. The folder is named after our pid, so a head-end that was
killed leaves nothing that the next one does not clean up.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from pathlib import Path

from stb.children import die_with_parent_hook, stop_supervised

SEGMENT_NAME = re.compile(r"index\.m3u8|seg[0-9]{1,9}\.ts")  # the only names ever served (fullmatch)
PREFIX = "stb-hls-"


def _remove_stale_folders() -> None:
    """Folders left by head-ends that died without cleaning up (their pid is gone)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        pid = folder.name[len(PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass  # someone else's live process


class HlsChannel:
    """One ffmpeg writing a sliding window of 1 s segments (6 in the playlist) of the channel."""

    def __init__(self, channel_id: str, clip: Path) -> None:
        self.channel_id = channel_id
        self.clip = clip
        self.directory: Path | None = None
        self.restarts = 0
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        _remove_stale_folders()
        self.directory = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-{self.channel_id}-"))
        self._task = asyncio.create_task(self._run(), name=f"hls-{self.channel_id}")

    async def _run(self) -> None:
        assert self.directory is not None
        while True:
            await self._run_once(self.directory)
            self.restarts += 1
            await asyncio.sleep(1.0)

    async def _run_once(self, directory: Path) -> None:
        self._process = await asyncio.create_subprocess_exec(
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
            "-re", "-stream_loop", "-1", "-i", str(self.clip), "-c", "copy",
            "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
            # temp_file: segments and playlist appear under their names only when complete
            "-hls_flags", "delete_segments+omit_endlist+independent_segments+temp_file",
            "-hls_segment_filename", str(directory / "seg%d.ts"),
            str(directory / "index.m3u8"),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            preexec_fn=die_with_parent_hook(),
        )  # fmt: skip
        await self._process.wait()

    def file(self, name: str) -> Path | None:
        """The file for ``name`` if it is the playlist or a segment and exists; never a path join of input."""
        if self.directory is None or not SEGMENT_NAME.fullmatch(name):
            return None
        path = self.directory / name
        return path if path.is_file() else None

    async def stop(self) -> None:
        await stop_supervised(self._task, self._process)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
