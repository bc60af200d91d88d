"""Which channels the TV's keyframe cache reads ahead: the ones a viewer is likely to zap to next.

The pre-tuned players already hold up, down and the last channel (decoded, muted). The cache reaches
further at a far lower price (reading, no decoding): the next neighbours beyond those, the
favourites, the channels watched recently — most likely first, as many as its budget allows. The
budget has three parts, each shown in the stream details: a number of channels, a bandwidth (what
reading them costs the household's line) and memory (the GOPs held). When the measured cost passes
the bandwidth or memory budget, the least likely channel goes; it comes back once the cost stays well
under it. In standby the cache reads nothing: the box holds no stream upstream while it sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from stb.box import Box
from stb.lineup.model import Channel
from stb.relay.feed import ChannelSource
from stb.relay.local import CacheSummary
from stb.relay.local import relayable as cacheable

REFRESH_S = 2.0  # how often the budget is checked between zaps
CALM_S = 30.0  # under half the budgets this long: one more channel is allowed again
NEIGHBOURS = (2, -2, 3, -3)  # beyond the pre-tuned ±1


@dataclass(frozen=True)
class CacheBudget:
    channels: int = 4
    bits_per_s: float = 40e6
    gop_bytes: int = 64 * 1024 * 1024


class WarmFeeds(Protocol):
    """The relay that reads channels ahead and serves them to the players (stb.relay.local.LocalRelay)."""

    @property
    def summary(self) -> CacheSummary: ...

    def keep(self, sources: Sequence[ChannelSource]) -> None: ...

    def route(self, channel: Channel) -> Sequence[str]: ...


class KeyframeCache:
    """Chooses the channels to keep read ahead and tells the feeds, on the UI thread."""

    def __init__(
        self,
        feeds: WarmFeeds,
        box: Box,
        held: Callable[[], set[str]],
        budget: CacheBudget = CacheBudget(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``held()``: the channels the players hold now (on screen and pre-tuned): the cache skips them."""
        self.feeds = feeds
        self.box = box
        self.held = held
        self.budget = budget
        self.allowed = budget.channels
        self._clock = clock
        self._next_check = 0.0
        self._calm_since: float | None = None
        self.kept: tuple[str, ...] = ()
        self._typed = ""  # digits the viewer is typing: the channels they may become come first

    def candidates(self) -> list[Channel]:
        """Most likely first: what the digits typed may become, further neighbours, favourites, recent
        channels; each once, none held."""
        box = self.box
        current = box.current
        ordered: list[Channel | None] = []
        if self._typed:  # "1" on a box with 1–12: 1 itself, then 10, 11, 12
            typed = self._typed.lstrip("0") or "0"
            matches = [c for c in box.lineup.channels if str(c.number).startswith(typed)]
            matches.sort(key=lambda c: (len(str(c.number)), c.number))
            ordered += matches
        if current is not None and box.lineup.by_id(current.id) is not None:
            order = box.lineup.channels
            index = next((i for i, c in enumerate(order) if c.id == current.id), 0)
            ordered += [order[(index + step) % len(order)] for step in NEIGHBOURS]
        ordered += [box.lineup.by_id(cid) for cid in box.state.favourites]
        ordered += [box.lineup.by_id(cid) for cid in box.state.recent]
        skip = self.held() | ({current.id} if current is not None else set())
        chosen: list[Channel] = []
        for channel in ordered:
            if channel is not None and channel.id not in skip and cacheable(channel):
                skip.add(channel.id)
                chosen.append(channel)
        return chosen

    def typing(self, digits: str) -> None:
        """The viewer is typing a number: read ahead the channels it may become, until the next zap."""
        self._typed = digits
        self.refresh()

    def refresh(self) -> None:
        """After a zap (or a favourite, or waking): keep the most likely channels the budget allows."""
        if self.box.standby:
            chosen: list[Channel] = []
        else:
            chosen = self.candidates()[: self.allowed]
        ids = tuple(c.id for c in chosen)
        if ids != self.kept:
            self.kept = ids
            self.feeds.keep([ChannelSource(c.id, c.name, tuple(c.urls), dict(c.headers)) for c in chosen])

    def step(self, now: float | None = None) -> None:
        """Every frame; every ``REFRESH_S`` it checks the measured cost against the budget."""
        now = self._clock() if now is None else now
        if now < self._next_check:
            return
        self._next_check = now + REFRESH_S
        summary, budget = self.feeds.summary, self.budget
        over = summary.bits_per_s > budget.bits_per_s or summary.gop_bytes > budget.gop_bytes
        calm = summary.bits_per_s < budget.bits_per_s / 2 and summary.gop_bytes < budget.gop_bytes / 2
        if over and self.allowed > 0:
            self.allowed = max(0, min(self.allowed, len(self.kept)) - 1)
            self._calm_since = None
        elif calm and self.allowed < budget.channels:
            self._calm_since = self._calm_since if self._calm_since is not None else now
            if now - self._calm_since >= CALM_S:
                self.allowed += 1
                self._calm_since = None
        else:
            self._calm_since = None
        self.refresh()

    def describe(self) -> list[str]:
        """For the stream details: what the cache holds and costs, against its budget (two short lines)."""
        s, b = self.feeds.summary, self.budget
        mib = 1024 * 1024
        return [
            f"Keyframe cache: {len(s.ready)} of {len(self.kept)} channels ready (up to {self.allowed})",
            f"Reading them: {s.bits_per_s / 1e6:.1f} of {b.bits_per_s / 1e6:.0f} Mbit/s, "
            f"{s.gop_bytes / mib:.1f} of {b.gop_bytes / mib:.0f} MB held",
        ]
