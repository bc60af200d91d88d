"""Stock players as a household runs them (ffmpeg, mpv, VLC), each telling when it shows which channel.

Each :class:`StockPlayer` plays one URL in real time (ffmpeg decodes as fast as the stream comes) and
records every new picture with its arrival time here (``time.monotonic()``) and the channel marker
burnt into it (:mod:`stb.headend.marker`), read off the player's own output:

- ``ffmpeg``: raw RGB frames on its stdout;
- ``mpv`` (``--vo=null --ao=null``): a Lua script prints each new picture's marker, read from
  ``screenshot-raw``;
- ``vlc`` (``cvlc``, as user ``nobody`` with its own HOME: it refuses root): the ``yuv`` video output
  writes every displayed picture as RGB into a FIFO.

:func:`zap_gaps` turns the pictures and the zap times into what a viewer notices: did the player
follow the zap, and how long did it go without a new picture.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from stb.headend import marker

WIDTH, HEIGHT = 640, 360  # the demo head-end's pictures
FRAME = WIDTH * HEIGHT * 3
PLAYERS = ("ffmpeg", "mpv", "vlc")

_MPV_SCRIPT = """
local last = nil
local function poll()
  local pos = mp.get_property_number("time-pos")
  if pos == nil or pos == last then return end
  last = pos
  local shot = mp.command_native({"screenshot-raw", "video"})
  local mark = -1
  if shot and shot.data and shot.w == WIDTH then
    local s, stride = shot.data, shot.stride
    local function lit(i)
      local at = 8 * stride + (i * 16 + 8) * 4
      local b1, b2, b3 = s:byte(at + 1, at + 3)
      return (b1 + b2 + b3) > 384
    end
    if lit(0) and not lit(1) then
      mark = 0
      for i = 2, 9 do mark = mark * 2 + (lit(i) and 1 or 0) end
    end
  end
  io.stdout:write(string.format('{"pts": %.4f, "marker": %d}\\n', pos, mark))
  io.stdout:flush()
end
mp.add_periodic_timer(0.01, poll)
""".replace("WIDTH", str(WIDTH))


@dataclass
class Picture:
    t: float  # time.monotonic() when it reached us
    channel: int | None


@dataclass
class StockPlayer:
    """One stock player on one URL; ``pictures`` grows while it plays."""

    name: str
    url: str
    pictures: list[Picture] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    _process: subprocess.Popen | None = None
    _tmp: Path | None = None
    _threads: list[threading.Thread] = field(default_factory=list)

    @staticmethod
    def available(name: str) -> bool:
        return shutil.which({"ffmpeg": "ffmpeg", "mpv": "mpv", "vlc": "cvlc"}[name]) is not None

    def start(self) -> StockPlayer:
        self._tmp = Path(tempfile.mkdtemp(prefix=f"stb-{self.name}-"))
        getattr(self, f"_start_{self.name}")()
        return self

    def stop(self) -> list[Picture]:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self.name == "vlc" and self._tmp is not None:  # a reader waiting on the FIFO's next opening
            with contextlib.suppress(OSError):
                os.close(os.open(self._tmp / "pictures.rgb", os.O_WRONLY | os.O_NONBLOCK))
        for thread in self._threads:
            thread.join(10)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
        return self.pictures

    # -- the players ----------------------------------------------------------------------------------

    def _spawn(self, command: list[str], **kwargs) -> subprocess.Popen:
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, **kwargs)  # fmt: skip
        self._thread(self._read_stderr)
        return self._process

    def _thread(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _read_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for line in self._process.stderr:
            if len(self.said) < 200:
                self.said.append(line.decode(errors="replace").rstrip())

    def _start_ffmpeg(self) -> None:
        process = self._spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", self.url, "-map", "0:v:0",
                               "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])  # fmt: skip
        self._thread(self._read_frames, process.stdout, False)

    def _start_mpv(self) -> None:
        assert self._tmp is not None
        script = self._tmp / "markers.lua"
        script.write_text(_MPV_SCRIPT)
        process = self._spawn(["mpv", "--no-config", "--really-quiet", "--vo=null", "--ao=null", "--idle=no",
                               f"--script={script}", self.url])  # fmt: skip
        self._thread(self._read_mpv, process.stdout)

    def _start_vlc(self) -> None:
        assert self._tmp is not None
        home = self._tmp / "home"
        home.mkdir()
        fifo = self._tmp / "pictures.rgb"
        os.mkfifo(fifo)
        for path in (self._tmp, home, fifo):
            shutil.chown(path, "nobody")
        os.chmod(self._tmp, 0o755)
        user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
        self._spawn([*user, "env", f"HOME={home}", "cvlc", "-q", "--no-audio", "--vout=yuv", f"--yuv-file={fifo}",
                     "--yuv-chroma=RV24", "--play-and-exit", self.url])  # fmt: skip
        self._thread(self._read_vlc, fifo)

    # -- reading what they show -----------------------------------------------------------------------

    def _read_frames(self, pipe, framed: bool) -> None:
        """Raw RGB frames (after a ``FRAME\\n`` line each when ``framed``: VLC's yuv output)."""
        while True:
            if framed and not pipe.readline():
                return
            frame = pipe.read(FRAME)
            if len(frame) < FRAME:
                return
            self.pictures.append(Picture(time.monotonic(), marker.decode(frame, WIDTH, HEIGHT, WIDTH * 3, 3)))

    def _read_vlc(self, fifo: Path) -> None:
        """VLC opens its output, closes it and opens it again as it sets up: read each opening to its end."""
        while self._process is not None and self._process.poll() is None:
            with open(fifo, "rb") as pipe:  # blocks until VLC opens it (or stop() does, to end this)
                pipe.readline()  # the stream header ("RV24 W640 H360 …")
                self._read_frames(pipe, True)

    def _read_mpv(self, pipe) -> None:
        for line in pipe:
            try:
                shown = json.loads(line)
            except ValueError:
                continue
            self.pictures.append(Picture(time.monotonic(), shown["marker"] if shown["marker"] > 0 else None))


def zap_gaps(pictures: list[Picture], zaps: list[tuple[float, int]]) -> list[dict]:
    """Per zap (pressed at, to channel): whether the player showed that channel, and the longest time
    without a new picture from the last picture before the press to the first of the new channel."""
    out = []
    times = [p.t for p in pictures]
    for pressed, channel in zaps:
        first = next((p.t for p in pictures if p.t > pressed and p.channel == channel), None)
        if first is None:
            out.append({"channel": channel, "followed": False, "gap_ms": None})
            continue
        before = [t for t in times if t <= pressed]
        window = [before[-1] if before else pressed, *[t for t in times if pressed < t <= first]]
        gap = max((b - a for a, b in itertools.pairwise(window)), default=0.0)
        out.append({"channel": channel, "followed": True, "gap_ms": round(gap * 1000, 1),
                    "shown_after_ms": round((first - pressed) * 1000, 1)})  # fmt: skip
    return out


def channels_in_order(pictures: list[Picture]) -> list[int]:
    """The channels a player showed, each run of pictures once."""
    shown: list[int] = []
    for picture in pictures:
        if picture.channel is not None and (not shown or shown[-1] != picture.channel):
            shown.append(picture.channel)
    return shown
