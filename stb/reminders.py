"""Reminders: "tell me when this programme starts", kept in the box's state so a restart does not lose them.

The details screen sets one for a later programme; the TV core asks :meth:`Reminders.take_due` every frame
and the live screen shows the toast ("X starts now on 3 Cinema One — OK to watch").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MAX_REMINDERS = 200  # a hand-edited or runaway state file stays small


@dataclass(frozen=True)
class Reminder:
    channel_id: str
    start: int  # the programme's start and stop, seconds since the epoch
    stop: int
    title: str

    @classmethod
    def from_json(cls, data: Any) -> Reminder:
        if not isinstance(data, dict):
            raise ValueError("a reminder is not an object")
        channel_id, title = data.get("channel_id"), data.get("title")
        if not isinstance(channel_id, str) or not channel_id or not isinstance(title, str):
            raise ValueError("a reminder has no channel_id or title")
        return cls(channel_id, _seconds(data, "start"), _seconds(data, "stop"), title[:200])

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _seconds(data: dict, key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"a reminder's {key} is not a time in seconds")
    return value


def parse(data: Any) -> list[Reminder]:
    """The ``reminders`` list of the state file, earliest first; ValueError names what is wrong."""
    if not isinstance(data, list) or len(data) > MAX_REMINDERS:
        raise ValueError(f"reminders is not a list of at most {MAX_REMINDERS} reminders")
    return sorted((Reminder.from_json(item) for item in data), key=lambda r: r.start)


def has(reminders: list[Reminder], channel_id: str, start: int) -> bool:
    return any(r.channel_id == channel_id and r.start == start for r in reminders)


def toggled(reminders: list[Reminder], reminder: Reminder) -> list[Reminder]:
    """The list with ``reminder`` added, or without it when one for the same programme was set."""
    if has(reminders, reminder.channel_id, reminder.start):
        return [r for r in reminders if not (r.channel_id == reminder.channel_id and r.start == reminder.start)]
    return sorted([*reminders, reminder], key=lambda r: r.start)[-MAX_REMINDERS:]


def split_due(reminders: list[Reminder], now: float) -> tuple[list[Reminder], list[Reminder]]:
    """(due, kept): due once the programme has started; one that ended while the box was off is dropped
    without a toast (it is in neither list)."""
    due = [r for r in reminders if r.start <= now < r.stop]
    kept = [r for r in reminders if r.start > now]
    return due, kept
