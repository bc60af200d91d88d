"""Timers and series rules, and the folder that keeps them: one small JSON file each, written atomically.

One file per timer, not one list: a file damaged by a crash or a hand edit loses one timer, never all of
them. It is named in a problem, kept aside as ``NAME.corrupt-<time>`` and the rest load.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from stb.config import atomic_write_bytes, remove_leftover_temps
from stb.guide.query import Programme

log = logging.getLogger(__name__)

ID = re.compile(r"[0-9a-f]{16}")
ID_PATTERN = r"^[0-9a-f]{16}$"  # what the API accepts in a path: nothing that could name a file elsewhere

TimerKind = Literal["programme", "now", "series"]
TimerState = Literal["scheduled", "recording", "done", "missed", "failed"]
KINDS = ("programme", "now", "series")
STATES = ("scheduled", "recording", "done", "missed", "failed")


def new_id() -> str:
    return secrets.token_hex(8)


def is_id(value: str) -> bool:
    return ID.fullmatch(value) is not None


def episode_key(p: Programme) -> str | None:
    """Which episode a programme is, by the guide's episode ids (xmltv_ns, then on-screen), then its sub-title.

    None: the guide does not say; a series rule then records every airing of the title.
    """
    for value in (p.episode_ns, p.episode_onscreen, p.sub_title):
        if value and value.strip():
            return value.strip().lower()
    return None


def series_key(title: str) -> str:
    """A series by its title, as the guide writes it (case and spacing aside): the guide has no series id."""
    return " ".join(title.lower().split())


@dataclass
class Timer:
    """One recording to make: a channel from ``start - pad_before`` to ``stop + pad_after`` (UTC epoch seconds)."""

    id: str
    channel: str
    title: str
    start: float  # the programme's start and stop, as the guide said when last looked at
    stop: float
    pad_before: int = 0  # seconds
    pad_after: int = 0
    kind: TimerKind = "programme"
    state: TimerState = "scheduled"
    rule: str | None = None  # the series rule that made it
    recording: str | None = None  # the recording it writes (set when it starts)
    programme_id: int | None = None  # the guide's id when scheduled (ids change at each import: start is the key)
    sub_title: str | None = None
    description: str | None = None
    episode: str | None = None  # the guide's episode id (xmltv_ns or on-screen)
    episode_key: str | None = None
    rating: str | None = None
    genre: list[str] = field(default_factory=list)
    reason: str | None = None  # why it failed or was missed
    created: float = 0.0

    @property
    def begin(self) -> float:
        return self.start - self.pad_before

    @property
    def end(self) -> float:
        return self.stop + self.pad_after

    @property
    def pending(self) -> bool:
        return self.state in ("scheduled", "recording")

    @classmethod
    def for_programme(cls, p: Programme, before: int, after: int, kind: TimerKind = "programme",
                      rule: str | None = None) -> Timer:  # fmt: skip
        return cls(
            new_id(), p.channel, p.title, float(p.start), float(p.stop), before, after, kind, rule=rule,
            programme_id=p.id, sub_title=p.sub_title, description=p.description,
            episode=p.episode_onscreen or p.episode_ns, episode_key=episode_key(p), rating=p.rating,
            genre=list(p.categories), created=time.time(),
        )  # fmt: skip

    def follow(self, p: Programme) -> bool:
        """The guide moved this timer's programme: take its new times (True if they changed)."""
        moved = (float(p.start), float(p.stop)) != (self.start, self.stop)
        self.start, self.stop, self.programme_id = float(p.start), float(p.stop), p.id
        return moved

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Timer:
        if not isinstance(data, dict):
            raise ValueError("not an object")
        timer = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        _check_id(timer.id)
        if timer.kind not in KINDS or timer.state not in STATES:
            raise ValueError("unknown kind or state")
        if not isinstance(timer.channel, str) or not timer.channel or not isinstance(timer.title, str):
            raise ValueError("channel or title missing")
        for value in (timer.start, timer.stop, timer.pad_before, timer.pad_after):
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise ValueError("times are not numbers")
        if timer.stop <= timer.start:
            raise ValueError("it stops before it starts")
        if timer.recording is not None:
            _check_id(timer.recording)
        return timer


@dataclass
class SeriesRule:
    """Record every episode of a title on a channel that is not recorded yet."""

    id: str
    channel: str
    title: str
    series: str  # series_key(title)
    pad_before: int = 0
    pad_after: int = 0
    skipped: list[str] = field(default_factory=list)  # why episodes were not scheduled at the last look (conflicts)
    created: float = 0.0

    def matches(self, p: Programme) -> bool:
        return p.channel == self.channel and series_key(p.title) == self.series

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> SeriesRule:
        if not isinstance(data, dict):
            raise ValueError("not an object")
        rule = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        _check_id(rule.id)
        if not all(isinstance(v, str) and v for v in (rule.channel, rule.title, rule.series)):
            raise ValueError("channel, title or series missing")
        return rule


def _check_id(value: Any) -> None:
    if not isinstance(value, str) or not is_id(value):
        raise ValueError("id is not 16 hex digits")


class TimerFiles:
    """``timer-<id>.json`` and ``rule-<id>.json`` in one folder of the state directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.problems: list[str] = []  # files that could not be loaded, named, since the last load

    def load(self) -> tuple[list[Timer], list[SeriesRule]]:
        self.problems = []
        timers: list[Timer] = []
        rules: list[SeriesRule] = []
        if not self.directory.is_dir():
            return timers, rules
        for path in sorted(self.directory.glob("*.json")):
            remove_leftover_temps(path)
            kind = path.name.split("-", 1)[0]
            if kind not in ("timer", "rule"):
                continue
            try:
                data = json.loads(path.read_bytes().decode("utf-8"))
                if kind == "timer":
                    timer = Timer.from_json(data)
                    if path.name != f"timer-{timer.id}.json":
                        raise ValueError("its id is not its name")
                    timers.append(timer)
                else:
                    rule = SeriesRule.from_json(data)
                    if path.name != f"rule-{rule.id}.json":
                        raise ValueError("its id is not its name")
                    rules.append(rule)
            except (OSError, UnicodeDecodeError, ValueError, TypeError) as exc:
                self.problems.append(self._set_aside(path, exc))
        return timers, rules

    def _set_aside(self, path: Path, exc: Exception) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kept = path.with_name(f"{path.name}.corrupt-{stamp}")
        n = 1
        while kept.exists():
            kept, n = path.with_name(f"{path.name}.corrupt-{stamp}-{n}"), n + 1
        try:
            os.replace(path, kept)
        except OSError as move:
            problem = f"{path.name} is corrupt ({exc}) and could not be moved aside ({move.strerror}); skipped"
        else:
            problem = f"{path.name} is corrupt ({exc}); kept it as {kept.name}, the other timers loaded"
        log.warning("%s", problem)
        return problem

    def save_timer(self, timer: Timer) -> None:
        self._write(f"timer-{timer.id}.json", timer.to_json())

    def save_rule(self, rule: SeriesRule) -> None:
        self._write(f"rule-{rule.id}.json", rule.to_json())

    def remove_timer(self, timer_id: str) -> None:
        (self.directory / f"timer-{timer_id}.json").unlink(missing_ok=True)

    def remove_rule(self, rule_id: str) -> None:
        (self.directory / f"rule-{rule_id}.json").unlink(missing_ok=True)

    def _write(self, name: str, data: dict[str, Any]) -> None:
        atomic_write_bytes(self.directory / name, json.dumps(data, indent=1).encode() + b"\n")
