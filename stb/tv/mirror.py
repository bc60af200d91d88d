"""Mirroring another box on this TV: the stand-in channel the player opens, and what the banner says.

The player plays line-up channels, so the other box's live stream becomes a channel of its own that is
in no line-up (its id starts with ``mirror-``): zaps, number entry and Back return to this box's own
line-up, and pre-tuning has nothing to aim at meanwhile.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from stb.lan.discovery import FoundBox
from stb.lan.peers import LiveTarget
from stb.lineup.model import Channel

# What leaves mirror mode when it reaches live TV: the viewer is back on this box's own channels.
LEAVE_KEYS = frozenset({"channel_up", "channel_down", "last_channel", "back"})


@dataclass(frozen=True)
class Mirror:
    box_id: str
    name: str
    channel: Channel  # the stand-in the player tunes
    showing: str | None  # what the other box showed when the mirror started


def start(box: FoundBox, target: LiveTarget) -> Mirror:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", box.box_id)[:100] or "box"
    channel = Channel(number=1, id=f"mirror-{safe}", name=f"Mirroring {box.name}", urls=[target.url])
    return Mirror(box.box_id, box.name, channel, target.channel or box.channel)


def banner_lines(mirror: Mirror, boxes: Callable[[], tuple[FoundBox, ...]]) -> tuple[str, str]:
    """("Mirroring Den", "Showing: Channel 2"), from the latest announcement of that box when there is one."""
    box = next((b for b in boxes() if b.box_id == mirror.box_id), None)
    name = box.name if box is not None else mirror.name
    channel = box.channel if box is not None else mirror.showing
    return f"Mirroring {name}", f"Showing: {channel}" if channel else "channel hidden"
