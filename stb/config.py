"""Where the box keeps things, and the atomic JSON files (state, settings) it keeps there.

Directories follow the platform conventions (platformdirs); ``STB_STATE_DIR`` and ``STB_CACHE_DIR``
override them so tests and several boxes on one machine stay apart.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

import platformdirs

from stb import reminders as reminder_list
from stb.reminders import Reminder

log = logging.getLogger(__name__)

APP = "stb"


def state_dir() -> Path:
    """Per-user state (last channel, volume, favourites): small, precious, written atomically."""
    return Path(os.environ.get("STB_STATE_DIR") or platformdirs.user_state_dir(APP))


def config_dir() -> Path:
    """Files the user writes by hand (a keymap of their own); ``STB_CONFIG_DIR`` overrides it."""
    return Path(os.environ.get("STB_CONFIG_DIR") or platformdirs.user_config_dir(APP))


def cache_dir() -> Path:
    """Regenerable data (demo media, downloaded guides): safe to delete."""
    return Path(os.environ.get("STB_CACHE_DIR") or platformdirs.user_cache_dir(APP))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` so that ``path`` holds either the old or the new content, never half of one.

    Write to a temporary file in the same directory, fsync it, rename it over the target, then
    fsync the directory so the rename itself survives a power cut.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def remove_leftover_temps(path: Path) -> int:
    """Delete the temporary files that interrupted atomic writes of ``path`` left (``.NAME.*.tmp``); how many.

    A write killed between creating its temporary file and the rename (a crash, kill -9, a power cut)
    leaves one behind, and nothing else ever removes it: `stb bench reliability`'s kill -9 case found
    one more per killed save. Call it only where no other write of ``path`` can be under way (a store's
    load, at start-up).
    """
    removed = 0
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()
            removed += 1
    return removed


@dataclass
class BoxState:
    """What the box remembers across restarts."""

    last_channel: str | None = None  # channel id, not number: survives renumbering
    previous_channel: str | None = None
    volume: int = 80
    muted: bool = False
    favourites: list[str] = field(default_factory=list)
    recent: list[str] = field(default_factory=list)  # channels watched, newest first (the list's "Recent")
    reminders: list[Reminder] = field(default_factory=list)  # programmes to announce when they start

    @classmethod
    def from_json(cls, data: Any) -> BoxState:
        if not isinstance(data, dict):
            raise ValueError("top level is not an object")
        state = cls()
        for key, kind in (("last_channel", str), ("previous_channel", str)):
            value = data.get(key)
            if value is not None and not isinstance(value, kind):
                raise ValueError(f"{key} is not a string")
            setattr(state, key, value)
        volume = data.get("volume", state.volume)
        if not isinstance(volume, int) or isinstance(volume, bool) or not 0 <= volume <= 100:
            raise ValueError("volume is not an integer 0..100")
        state.volume = volume
        muted = data.get("muted", False)
        if not isinstance(muted, bool):
            raise ValueError("muted is not true/false")
        state.muted = muted
        for key in ("favourites", "recent"):
            ids = data.get(key, [])
            if not isinstance(ids, list) or not all(isinstance(f, str) for f in ids):
                raise ValueError(f"{key} is not a list of channel ids")
            setattr(state, key, ids)
        state.reminders = reminder_list.parse(data.get("reminders", []))
        return state

    def to_json(self) -> dict[str, Any]:
        return asdict(self)  # the reminders (dataclasses) become objects too


class JsonModel(Protocol):
    """What a :class:`JsonStore` needs of the value it keeps: defaults, validation, and a JSON form."""

    def __init__(self) -> None: ...

    @classmethod
    def from_json(cls, data: Any) -> Self: ...

    def to_json(self) -> dict[str, Any]: ...


M = TypeVar("M", bound=JsonModel)


class JsonStore(Generic[M]):
    """Loads and saves one small JSON file in the state directory, for any :class:`JsonModel`.

    One implementation for every such file so they all recover the same way: a corrupt file never
    stops the box; it is moved aside (kept for inspection, never overwritten), a one-line message
    says so, and the box starts from defaults. Saving is atomic.
    """

    FILE: ClassVar[str]
    LABEL: ClassVar[str]  # names the file in notices: "state file was corrupt …"
    MODEL: type[M]

    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory or state_dir()) / self.FILE
        self.notice: str | None = None  # set when loading had to recover; the UI shows it once

    def load(self) -> M:
        """The saved value; defaults when there is none or it is corrupt (moved aside, ``notice`` says so).

        Loading is the start-up of the store, so it also clears what killed saves left behind.
        """
        if remove_leftover_temps(self.path):
            log.info("removed temporary files of interrupted saves of %s", self.path.name)
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return self.MODEL()
        except OSError as exc:
            return self._recovered(f"cannot read {self.path}: {exc.strerror}; using defaults")
        try:
            return self.MODEL.from_json(json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            kept = self.path.with_name(f"{self.FILE}.corrupt-{stamp}")
            n = 1
            while kept.exists():  # two bad starts in one second must not overwrite the first copy
                kept = self.path.with_name(f"{self.FILE}.corrupt-{stamp}-{n}")
                n += 1
            try:
                os.replace(self.path, kept)
            except OSError as move_exc:
                return self._recovered(
                    f"{self.LABEL} file was corrupt ({exc}) and could not be moved aside ({move_exc.strerror}); "
                    "started from defaults"
                )
            return self._recovered(
                f"{self.LABEL} file was corrupt ({exc}); kept it as {kept.name} and started from defaults"
            )

    def save(self, value: M) -> None:
        atomic_write_bytes(self.path, json.dumps(value.to_json(), indent=2).encode("utf-8") + b"\n")

    def _recovered(self, notice: str) -> M:
        self.notice = notice
        log.warning(notice)
        return self.MODEL()


class StateStore(JsonStore[BoxState]):
    """Loads and saves :class:`BoxState` (last channel, volume, favourites) as ``state.json``."""

    FILE = "state.json"
    LABEL = "state"
    MODEL = BoxState
