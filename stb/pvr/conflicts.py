"""How many channels the box reads at once: a timer that would make it read more conflicts with others."""

from __future__ import annotations

from collections.abc import Iterable

from stb.pvr.timers import Timer


def conflicts(new: Timer, timers: Iterable[Timer], max_channels: int) -> list[Timer]:
    """The pending timers that, with ``new``, would have the box read more than ``max_channels`` channels.

    Timers on one channel share one upstream read (the relay's), so they count once. Dropping any one of
    those returned (or ``new``) may not be enough when several moments overlap; the UI asks again.
    """
    others = [t for t in timers if t.pending and t.id != new.id and t.begin < new.end and new.begin < t.end]
    moments = sorted({new.begin, *(t.begin for t in others if t.begin > new.begin)})
    involved: set[str] = set()
    for at in moments:
        live = [t for t in others if t.begin <= at < t.end]
        if len({t.channel for t in live} | {new.channel}) > max_channels:
            involved.update(t.id for t in live if t.channel != new.channel)
    return [t for t in others if t.id in involved]
