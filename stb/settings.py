"""The viewer's settings, as the TV's Settings screen edits them, kept in ``settings.json``.

Apart from :class:`stb.config.BoxState` (what the box was last doing), these are choices the viewer made
on purpose; they load and recover the same way, through one :class:`stb.config.JsonStore`.
Validation lives in ``from_json`` so a hand-edited or damaged file is caught at load, with the field named.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from stb.config import JsonStore
from stb.parental import MAX_AGE, is_pin_hash


def _int(data: dict[str, Any], key: str, default: int, low: int, high: int, where: str = "") -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{where}{key} is not an integer {low}..{high}")
    return value


def _bool(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key} is not true/false")
    return value


def _folder(data: dict[str, Any], key: str) -> str:
    """An absolute folder path, or "" for the default."""
    value = data.get(key, "")
    if not isinstance(value, str) or len(value) > 1024 or "\0" in value or (value and not value.startswith("/")):
        raise ValueError(f"{key} is not an absolute folder path")
    return value


def _box_id(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{0,32}", value):
        raise ValueError("box_id is not a hex id")
    return value


@dataclass
class ParentalSettings:
    """The parental lock's persistent part; :class:`stb.parental.ParentalLock` applies the rules.

    The brute-force counters live here too, in wall-clock seconds, so that rebooting the box does not
    hand out three fresh tries.
    """

    pin_hash: str | None = None  # None: no PIN set, so the parental lock is off
    age_limit: int | None = None  # programmes rated at or above this age need the PIN; None: no rating lock
    locked_channels: list[str] = field(default_factory=list)  # line-up channel ids, not numbers
    unlock_minutes: int = 60  # how long a right PIN unlocks everything
    failed_tries: int = 0  # wrong PINs in a row
    locked_out_until: float = 0.0  # epoch seconds; no PIN is checked before then

    @classmethod
    def from_json(cls, data: Any) -> ParentalSettings:
        w = "parental."
        if not isinstance(data, dict):
            raise ValueError("parental is not an object")
        pin_hash = data.get("pin_hash")
        if pin_hash is not None and not is_pin_hash(pin_hash):
            raise ValueError(f"{w}pin_hash is not a PIN hash written by this box")
        age_limit = data.get("age_limit")
        if age_limit is not None:
            age_limit = _int(data, "age_limit", 0, 0, MAX_AGE, w)
        locked = data.get("locked_channels", [])
        if not isinstance(locked, list) or not all(isinstance(c, str) and c for c in locked):
            raise ValueError(f"{w}locked_channels is not a list of channel ids")
        until = data.get("locked_out_until", 0.0)
        if not isinstance(until, int | float) or isinstance(until, bool) or not math.isfinite(until) or until < 0:
            raise ValueError(f"{w}locked_out_until is not a time in seconds")
        return cls(
            pin_hash=pin_hash,
            age_limit=age_limit,
            locked_channels=list(dict.fromkeys(locked)),
            unlock_minutes=_int(data, "unlock_minutes", 60, 1, 1440, w),
            failed_tries=_int(data, "failed_tries", 0, 0, 1_000_000, w),
            locked_out_until=float(until),
        )


DEFAULT_BOX_NAME = "Living Room"


def distinct_name(name: str, box_id: str) -> str:
    """A new box's default name made its own ("Living Room 3F2A", the id's last four hex digits), so that a
    second new box on the LAN is not "Living Room (2)"; a name the user chose stays as it is."""
    if name != DEFAULT_BOX_NAME or not box_id:
        return name
    return f"{name} {box_id[-4:].upper()}"


@dataclass
class Settings:
    """Everything the Settings screen changes. Unknown keys are ignored so an older box reads a newer file."""

    box_name: str = DEFAULT_BOX_NAME  # shown to phones and other screens on the LAN
    skin: str = "default"
    pretune: bool = True  # keep neighbour channels playing for fast zaps
    guide_refresh_hours: int = 12
    show_channel_on_lan: bool = True  # announce what is on; off for privacy
    open_on_lan: bool = False  # control without pairing: only for a LAN the household trusts completely
    box_id: str = ""  # stable id for the LAN (made on first start)
    relay_channels: int = 4  # channels the relay reads at once for other screens (the TV's own comes on top)
    standby_when_taken: bool = True  # `stb take` on a laptop puts the TV in standby once the laptop shows the picture
    keyframe_cache: bool = False  # read likely channels ahead, so zaps to them start at a keyframe at once
    cache_channels: int = 4  # at most this many channels read ahead
    cache_mbit_s: int = 40  # and no more than this much of the line for them
    timeshift: bool = False  # the channel on screen kept on disk: pause live TV, rewind, start over
    timeshift_minutes: int = 120  # how far back the timeshift buffer reaches
    timeshift_dir: str = ""  # where the buffer is written (a USB disk, say); empty: the user's cache folder
    network_tuner: bool = False  # offered as an HDHomeRun tuner: tokenless tuner routes and streams on the LAN
    recordings_dir: str = ""  # an absolute folder for recordings; "": "recordings" in the state directory
    record_pad_before_min: int = 2  # a timer starts this long before its programme
    record_pad_after_min: int = 5  # and ends this long after it
    recording_channels: int = 4  # channels recorded at once at most (the relay's relay_channels bounds it too)
    parental: ParentalSettings = field(default_factory=ParentalSettings)

    @classmethod
    def from_json(cls, data: Any) -> Settings:
        if not isinstance(data, dict):
            raise ValueError("top level is not an object")
        box_name = data.get("box_name", cls.box_name)
        if not isinstance(box_name, str) or not 1 <= len(box_name) <= 40 or not box_name.strip():
            raise ValueError("box_name is not a name of 1..40 characters")
        skin = data.get("skin", cls.skin)
        # A skin is a folder name: no path may sneak in through a hand-edited file.
        if not isinstance(skin, str) or not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}", skin):
            raise ValueError("skin is not a skin name (letters, digits, '-', '_', '.')")
        return cls(
            box_name=box_name,
            skin=skin,
            pretune=_bool(data, "pretune", cls.pretune),
            guide_refresh_hours=_int(data, "guide_refresh_hours", cls.guide_refresh_hours, 1, 168),
            show_channel_on_lan=_bool(data, "show_channel_on_lan", cls.show_channel_on_lan),
            open_on_lan=_bool(data, "open_on_lan", cls.open_on_lan),
            box_id=_box_id(data.get("box_id", "")),
            relay_channels=_int(data, "relay_channels", cls.relay_channels, 1, 32),
            standby_when_taken=_bool(data, "standby_when_taken", cls.standby_when_taken),
            keyframe_cache=_bool(data, "keyframe_cache", cls.keyframe_cache),
            cache_channels=_int(data, "cache_channels", cls.cache_channels, 0, 16),
            cache_mbit_s=_int(data, "cache_mbit_s", cls.cache_mbit_s, 1, 1000),
            timeshift=_bool(data, "timeshift", cls.timeshift),
            timeshift_minutes=_int(data, "timeshift_minutes", cls.timeshift_minutes, 5, 24 * 60),
            timeshift_dir=_folder(data, "timeshift_dir"),
            network_tuner=_bool(data, "network_tuner", cls.network_tuner),
            recordings_dir=_folder(data, "recordings_dir"),
            record_pad_before_min=_int(data, "record_pad_before_min", cls.record_pad_before_min, 0, 120),
            record_pad_after_min=_int(data, "record_pad_after_min", cls.record_pad_after_min, 0, 240),
            recording_channels=_int(data, "recording_channels", cls.recording_channels, 1, 32),
            parental=ParentalSettings.from_json(data.get("parental", {})),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class SettingsStore(JsonStore[Settings]):
    """Loads and saves :class:`Settings` as ``settings.json`` in the state directory."""

    FILE = "settings.json"
    LABEL = "settings"
    MODEL = Settings
