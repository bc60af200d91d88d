"""What a run of the box did, for `stb run --run-for --json` and for tests."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

MAX_REPORTED_NOTICES = 50  # notices kept for the `--run-for` report: a box runs for months


@dataclass
class RunReport:
    started_at: float = field(default_factory=time.monotonic)
    first_frame_s: float | None = None  # from start of the app to channel 1's first frame
    zaps: int = 0
    frames_drawn: int = 0
    channel: str | None = None
    state: str = "idle"
    skin: str | None = None  # the skin drawn with (None: the built-in look)
    notices: list[str] = field(default_factory=list)  # what the TV told the viewer, in order (the latest ones)

    def notice(self, text: str) -> None:
        self.notices = [*self.notices[-(MAX_REPORTED_NOTICES - 1) :], text]
