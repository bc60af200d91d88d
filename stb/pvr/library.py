"""The recordings on disk: ``<dir>/<id>/part-N.ts`` (TS as received) and ``meta.json`` beside them.

The files are the truth: at start the index is rebuilt from them, so a recording whose box was killed
mid-write is kept (its parts' sizes read from disk, a half packet at the end cut off) and its state says
it was interrupted. A damaged ``meta.json`` is kept aside and rebuilt from the parts. Each recording
folder holds a small ``.reserve`` file while it records, freed when the disk fills so the final
``meta.json`` can still be written.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from stb.config import atomic_write_bytes, remove_leftover_temps
from stb.pvr.timers import Timer, is_id, series_key
from stb.ts.packets import PACKET

log = logging.getLogger(__name__)

RESERVE_BYTES = 256 * 1024
WATCHED_FRACTION = 0.9  # a resume position past this share of the recording counts as watched

RecordingState = Literal["recording", "done", "partial", "interrupted", "failed"]


@dataclass
class Part:
    file: str  # part-N.ts
    start: float  # wall time of its first byte
    end: float | None = None  # of its last (None: being written)
    bytes: int = 0
    source: str = "live"  # or "timeshift": copied from the TV's buffer


@dataclass
class Gap:
    start: float
    end: float | None = None  # None: the source is still away
    reason: str = ""


@dataclass
class Meta:
    id: str
    channel: str
    channel_name: str
    title: str
    start: float  # the programme's (what the guide said)
    stop: float
    series: str = ""
    sub_title: str | None = None
    description: str | None = None
    episode: str | None = None
    episode_key: str | None = None
    rating: str | None = None
    genre: list[str] = field(default_factory=list)
    timer: str | None = None
    state: RecordingState = "recording"
    reason: str | None = None  # why it stopped early, failed or has gaps
    parts: list[Part] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    position: float = 0.0  # resume position, seconds into the recording
    watched: bool = False
    created: float = 0.0
    first_bytes_ms: float | None = None  # timer time → first bytes on disk

    @classmethod
    def for_timer(cls, timer: Timer, recording_id: str, channel_name: str) -> Meta:
        return cls(
            recording_id, timer.channel, channel_name, timer.title, timer.start, timer.stop, series_key(timer.title),
            timer.sub_title, timer.description, timer.episode, timer.episode_key, timer.rating, list(timer.genre),
            timer.id, created=time.time(),
        )  # fmt: skip

    @property
    def duration(self) -> float:
        return sum(max(0.0, (p.end or time.time()) - p.start) for p in self.parts)

    @property
    def size(self) -> int:
        return sum(p.bytes for p in self.parts)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Meta:
        if not isinstance(data, dict):
            raise ValueError("not an object")
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["parts"] = [Part(**p) for p in fields.get("parts", [])]
        fields["gaps"] = [Gap(**g) for g in fields.get("gaps", [])]
        meta = cls(**fields)
        if not isinstance(meta.id, str) or not is_id(meta.id):
            raise ValueError("id is not 16 hex digits")
        if not all(isinstance(p.file, str) and _part_number(p.file) is not None for p in meta.parts):
            raise ValueError("a part is not named part-N.ts")
        return meta


def _part_number(name: str) -> int | None:
    stem = name.removeprefix("part-").removesuffix(".ts")
    return int(stem) if name.startswith("part-") and name.endswith(".ts") and stem.isdigit() else None


class Library:
    """The recordings folder. Only ids it listed itself name folders: nothing from a request becomes a path."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.recordings: dict[str, Meta] = {}
        self.problems: list[str] = []

    def folder(self, recording_id: str) -> Path:
        if not is_id(recording_id):
            raise ValueError(f"not a recording id: {recording_id[:40]!r}")
        return self.directory / recording_id

    # -- the index ---------------------------------------------------------------------------------------

    def rebuild(self) -> None:
        """Read every recording folder; what was being written when the box stopped is kept as interrupted."""
        self.recordings, self.problems = {}, []
        if not self.directory.is_dir():
            return
        for folder in sorted(self.directory.iterdir()):
            if folder.is_dir() and is_id(folder.name):
                meta = self._load(folder)
                if meta is not None:
                    self.recordings[meta.id] = meta

    def _load(self, folder: Path) -> Meta | None:
        path = folder / "meta.json"
        remove_leftover_temps(path)
        files = sorted((f for f in folder.glob("part-*.ts") if _part_number(f.name) is not None),
                       key=lambda f: _part_number(f.name) or 0)  # fmt: skip
        meta: Meta | None = None
        try:
            meta = Meta.from_json(json.loads(path.read_bytes().decode()))
            if meta.id != folder.name:
                raise ValueError("its id is not its folder's")
        except FileNotFoundError:
            if not files:
                return None  # an empty folder left by a recording that never started
        except (OSError, UnicodeDecodeError, ValueError, TypeError) as exc:
            kept = path.with_name(f"meta.json.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(path, kept)
            self.problems.append(f"{folder.name}/meta.json is corrupt ({exc}); kept as {kept.name}, rebuilt from "
                                 "the recording's files")  # fmt: skip
            log.warning("%s", self.problems[-1])
        if meta is None:
            stamp = files[0].stat().st_mtime if files else time.time()
            meta = Meta(folder.name, "", "", f"Recording of {time.strftime('%Y-%m-%d %H:%M', time.gmtime(stamp))}",
                        stamp, stamp, state="interrupted")  # fmt: skip
        self._sync_parts(meta, folder, files)
        if meta.state == "recording":  # nothing records at load: the box stopped while it did
            meta.state = "interrupted"
            for part in meta.parts:
                part.end = part.end or part.start
            for gap in meta.gaps:
                gap.end = gap.end or gap.start
        (folder / ".reserve").unlink(missing_ok=True)
        self.save(meta)
        return meta

    def _sync_parts(self, meta: Meta, folder: Path, files: list[Path]) -> None:
        """Parts as the disk has them: sizes read, a half packet at a killed write's end cut off."""
        known = {p.file: p for p in meta.parts}
        parts = []
        for f in files:
            size = f.stat().st_size
            whole = size - size % PACKET
            if whole != size:
                os.truncate(f, whole)
            part = known.get(f.name) or Part(f.name, f.stat().st_mtime, f.stat().st_mtime)
            if part.end is None:
                part.end = max(part.start, f.stat().st_mtime)
            part.bytes = whole
            parts.append(part)
        meta.parts = parts

    # -- writing -----------------------------------------------------------------------------------------

    def create(self, meta: Meta) -> None:
        """The recording's folder with its reserve and first ``meta.json``; OSError (disk full) leaves nothing."""
        folder = self.folder(meta.id)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            reserve(folder)
            self.save(meta)
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self.recordings[meta.id] = meta

    def save(self, meta: Meta) -> None:
        atomic_write_bytes(self.folder(meta.id) / "meta.json", json.dumps(meta.to_json(), indent=1).encode() + b"\n")

    def next_part(self, meta: Meta) -> Path:
        numbers = [_part_number(p.file) or 0 for p in meta.parts]
        return self.folder(meta.id) / f"part-{max(numbers, default=0) + 1}.ts"

    # -- the household's side ----------------------------------------------------------------------------

    def delete(self, recording_id: str) -> None:
        meta = self.recordings.pop(recording_id)
        shutil.rmtree(self.folder(meta.id), ignore_errors=True)

    def set_position(self, recording_id: str, position: float, watched: bool | None) -> Meta:
        meta = self.recordings[recording_id]
        meta.position = max(0.0, min(position, meta.duration))
        meta.watched = watched if watched is not None else meta.watched or (
            meta.duration > 0 and meta.position >= WATCHED_FRACTION * meta.duration)  # fmt: skip
        self.save(meta)
        return meta

    def recorded_episodes(self, series: str) -> set[str]:
        """Episode keys of a series already recorded (or being recorded): a series rule skips them."""
        return {m.episode_key for m in self.recordings.values()
                if m.series == series and m.episode_key and m.state != "failed"}  # fmt: skip

    def free_bytes(self) -> int:
        probe = self.directory
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        return shutil.disk_usage(probe).free


def reserve(folder: Path) -> None:
    """Room kept for the final ``meta.json``: freed when the disk fills."""
    fd = os.open(folder / ".reserve", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.posix_fallocate(fd, 0, RESERVE_BYTES)
    finally:
        os.close(fd)
