"""What is on now and next, remembered until it can change.

The banner, the channel list and the API ask now/next far more often than it changes: a channel's
answer only moves when its current programme ends or its next one starts. Each answer is kept with
the interval of time over which it holds, so a later question within that interval costs a dict
lookup, and only the channels whose programme changed go back to SQLite. Any commit to the guide
(an import into the same file) drops everything: SQLite's ``data_version`` says when.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

P = TypeVar("P")
Pair = tuple[P | None, P | None]


class Answer(Generic[P]):
    """One channel's now/next and the times [valid_from, valid_until) over which it stays the answer."""

    __slots__ = ("pair", "valid_from", "valid_until")

    def __init__(self, pair: tuple[P | None, P | None], valid_from: float, valid_until: float) -> None:
        self.pair, self.valid_from, self.valid_until = pair, valid_from, valid_until


def answer_for(
    at: float, latest: tuple[int, int] | None, current: P | None, upcoming: P | None, next_start: int | None
) -> Answer[P]:
    """The answer at ``at`` and how long it holds.

    ``latest``: (start, stop) of the last programme that started at or before ``at`` (shown as current
    only while it runs); ``next_start``: when the first programme after ``at`` starts.
    """
    valid_from = float(latest[0]) if latest is not None else -math.inf
    valid_until = float(next_start) if next_start is not None else math.inf
    if latest is not None and latest[1] > at:
        valid_until = min(valid_until, float(latest[1]))  # then a gap, or the next programme
    elif latest is not None:
        valid_from = max(valid_from, float(latest[1]))  # in the gap since it ended
    return Answer((current, upcoming), valid_from, valid_until)


class NowNextCache(Generic[P]):
    """Answers per line-up channel, valid while the guide's data version stays the same."""

    def __init__(self, data_version: Callable[[], int]) -> None:
        self._data_version = data_version
        self._version: int | None = None
        self._answers: dict[str, Answer[P]] = {}
        self.hits = self.misses = 0

    def split(self, at: float, channel_ids: Iterable[str]) -> tuple[dict[str, Pair[P]], list[str]]:
        """The answers still valid at ``at``, and the channels that must be asked again."""
        version = self._data_version()
        if version != self._version:
            self._answers.clear()
            self._version = version
        known: dict[str, Pair[P]] = {}
        missing: list[str] = []
        for channel_id in channel_ids:
            answer = self._answers.get(channel_id)
            if answer is not None and answer.valid_from <= at < answer.valid_until:
                known[channel_id] = answer.pair
            else:
                missing.append(channel_id)
        self.hits += len(known)
        self.misses += len(missing)
        return known, missing

    def keep(self, channel_id: str, answer: Answer[P]) -> None:
        self._answers[channel_id] = answer

    def clear(self) -> None:
        self._answers.clear()
