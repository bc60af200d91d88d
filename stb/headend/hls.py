"""The HLS rendition of a demo channel: ffmpeg segments the live loop into a private folder."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import tempfile
from pathlib import Path

from stb.headend.broadcast import die_with_parent

SEGMENT_NAME = re.compile(r"^(index\.m3u8|seg\d{1,9}\.ts)$")  # the only names ever served


class HlsChannel:
    def __init__(self, channel_id: str, clip: Path) -> None:
        self.channel_id = channel_id
        self.clip = clip
        self.directory = Path(tempfile.mkdtemp(prefix=f"stb-hls-{channel_id}-"))
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
            "-re", "-stream_loop", "-1", "-i", str(self.clip), "-c", "copy",
            "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
            "-hls_flags", "delete_segments+omit_endlist+independent_segments",
            "-hls_segment_filename", str(self.directory / "seg%d.ts"),
            str(self.directory / "index.m3u8"),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, preexec_fn=die_with_parent,
        )  # fmt: skip

    def file(self, name: str) -> Path | None:
        """The file for ``name`` if it is a segment or the playlist and exists; never a path join of input."""
        if not SEGMENT_NAME.match(name):
            return None
        path = self.directory / name
        return path if path.is_file() else None

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            with contextlib.suppress(ProcessLookupError):
                await self._process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)
