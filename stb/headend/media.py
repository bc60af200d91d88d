"""Generate the demo channels' media with ffmpeg, once, into the cache.

Each channel is a loop clip: a tinted test pattern, the channel marker, its number and name and a
running clock burnt in, and its own tone. H.264/AAC in MPEG-TS with a 1 s GOP, so a player that
joins at any moment decodes within a second. Generation is idempotent: a stamp records the
parameters, and every file is written to a temporary name and renamed when complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from stb.config import atomic_write_bytes, cache_dir
from stb.errors import StbError
from stb.headend import marker
from stb.headend.catalog import CHANNELS, DemoChannel

WIDTH, HEIGHT, FPS = 640, 360, 25
CLIP_SECONDS = 20  # the loop length; the live streams' timestamps keep going across loops
WORKERS = 2  # ffmpeg runs in parallel: x264 already uses several threads each
STAMP = "stamp.json"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
VERSION = 2  # bump when the recipe below changes, so caches regenerate


@dataclass(frozen=True)
class MediaReport:
    """What :func:`ensure_media` did: the files it (re)generated, none when all was up to date."""

    directory: Path
    generated: list[str]
    seconds: float


def media_dir() -> Path:
    """Where the demo media lives: regenerable, so in the cache (STB_CACHE_DIR overrides)."""
    return cache_dir() / "headend"


def clip_path(channel: DemoChannel, directory: Path | None = None) -> Path:
    return (directory or media_dir()) / f"{channel.id}.ts"


def logo_path(channel: DemoChannel, directory: Path | None = None) -> Path:
    return (directory or media_dir()) / f"{channel.id}.png"


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise StbError(f"{tool} is not installed (Debian package ffmpeg; run `make setup`)")
    return path


def _escape(text: str) -> str:
    """Escape text for ffmpeg's drawtext inside a filter graph."""
    return text.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'").replace(",", "\\,")


def clip_command(channel: DemoChannel, out: Path) -> list[str]:
    font = f"fontfile={FONT}:" if FONT.exists() else ""
    video = ",".join(
        [
            f"hue=h={channel.hue}",
            marker.ffmpeg_filter(channel.number, WIDTH),
            f"drawtext={font}text='{_escape(f'{channel.number}  {channel.name}')}':fontsize=44:fontcolor=white"
            ":box=1:boxcolor=black@0.6:boxborderw=8:x=24:y=h-128",
            f"drawtext={font}text='%{{pts\\:hms}}':fontsize=30:fontcolor=yellow"
            ":box=1:boxcolor=black@0.6:boxborderw=6:x=24:y=h-60",
        ]
    )
    return [
        _require("ffmpeg"), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}:duration={CLIP_SECONDS}",
        "-f", "lavfi", "-i", f"sine=frequency={channel.tone_hz}:sample_rate=48000:duration={CLIP_SECONDS}",
        "-vf", video,
        "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "main",
        "-g", str(FPS), "-keyint_min", str(FPS), "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-b:v", "700k",
        "-c:a", "aac", "-b:a", "96k", "-ac", "2", "-ar", "48000",
        "-f", "mpegts", str(out),
    ]  # fmt: skip


def monogram(name: str) -> str:
    """A logo's lettering, as brands do it: the initials of the name (a number or an acronym kept whole), at
    most three characters. Not the channel number: the banner shows that beside the logo already."""
    words = name.split()
    whole = "".join(w if w.isdigit() or (w.isupper() and len(w) <= 3) else w[0].upper() for w in words)
    return (whole if len(whole) <= 3 else "".join(w[0].upper() for w in words)[:3]) or "TV"


def logo_command(channel: DemoChannel, out: Path) -> list[str]:
    font = f"fontfile={FONT}:" if FONT.exists() else ""
    label = _escape(monogram(channel.name))
    return [
        _require("ffmpeg"), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "color=c=0x1e3a8a:size=128x128",
        "-vf", f"hue=h={channel.hue},drawtext={font}text='{label}':fontsize=48:fontcolor=white"
        ":x=(w-text_w)/2:y=(h-text_h)/2",
        "-frames:v", "1", "-f", "image2", "-c:v", "png", str(out),
    ]  # fmt: skip


def _fingerprint() -> str:
    """Hash of everything that shapes the output: a change to the recipe or catalogue regenerates."""
    recipe = {
        "version": VERSION,
        "clips": [clip_command(c, Path("x"))[1:] for c in CHANNELS],
        "logos": [logo_command(c, Path("x"))[1:] for c in CHANNELS],
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


def _produce(command: list[str], target: Path) -> None:
    """Run ffmpeg into a temporary name, then rename: a killed run never leaves a "done" file."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    command = [*command[:-1], str(tmp)]
    try:
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise StbError(f"ffmpeg failed making {target.name}: {last}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One generator per directory at a time: a second head-end starting meanwhile waits, then finds it done."""
    import fcntl

    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_media(directory: Path | None = None) -> MediaReport:
    """Make sure every clip and logo exists for the current recipe; generate what is missing.

    Up to date when the stamp holds the fingerprint of the current recipe and every file exists;
    a stale stamp regenerates everything, a missing file only itself.
    """
    directory = directory or media_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StbError(f"cannot create the media directory {directory}: {exc.strerror}") from None
    started = time.monotonic()
    with _locked(directory):
        for leftover in directory.glob(".*.partial"):  # from a generation that was killed
            leftover.unlink(missing_ok=True)
        stamp = directory / STAMP
        fingerprint = _fingerprint()
        try:
            current = json.loads(stamp.read_text()).get("fingerprint") == fingerprint
        except (OSError, ValueError, AttributeError):
            current = False
        jobs = []
        for channel in CHANNELS:
            for path, make in (
                (clip_path(channel, directory), clip_command),
                (logo_path(channel, directory), logo_command),
            ):
                if not current or not path.exists():
                    jobs.append((make(channel, path), path))
        if jobs:
            if current:
                stamp.unlink()  # not current again until every file is back
            with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                list(pool.map(lambda job: _produce(*job), jobs))
            atomic_write_bytes(stamp, json.dumps({"fingerprint": fingerprint}).encode())
    return MediaReport(directory, [p.name for _, p in jobs], time.monotonic() - started)
