"""A recording on the TV: its TS part files played by libVLC as a stream on screen (like one flung from a
laptop), from the resume position, part after part, with the transport keys seeking in the local file.

A recording still being written plays on as its file grows: libVLC reads a local file to wherever its end
is when it gets there, and only stops when it catches the writer up. So the part being written has the
length its file reaches now (:func:`stb.ts.span.pcr_span`, from the file itself), skips stop ``EDGE_S`` short
of that, and the TV holds the picture when playback comes within ``EDGE_MIN_S`` of it
(:meth:`stb.tv.recordings.TvRecordings.step`).

The parental lock needs nothing of its own: the stream on screen carries the recording's channel lock and
the programme's age (a :class:`Channel`'s ``locked`` and ``age_rating``), so the TV core's lock and the
live screen's PIN pad apply to it as to any channel.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from stb.lineup.model import Channel
from stb.parental import age_of
from stb.player.ports import PlayerPort
from stb.pvr.library import Meta
from stb.ts.span import first_pcr, pcr_span
from stb.tv.timeshift import SKIP_LONG_S, SKIP_S

END_S = 1.0  # this close to a part's end, the next part (or the end of the recording) follows
WATCHED = 0.9  # played this far, a recording counts as watched
RESUME_MIN_S = 5.0  # a resume position closer to the start than this starts from the start
EDGE_S = 3.0  # a recording being written: skips stop this far behind its growing end, and play goes on from here
EDGE_MIN_S = 1.0  # closer than this to the growing end, the picture holds until it is EDGE_S ahead again


@dataclass
class Playback:
    """One recording on screen: its parts as files, which part plays, and where it started from."""

    meta: Meta
    files: list[Path]
    lengths: list[float]  # each part's seconds
    part: int = 0
    ended: bool = False
    growing: bool = False  # the last part is still being written
    #: Another box's recording (the multi-room DVR): one URL for the whole of it (HTTP with byte ranges, so
    #: libVLC seeks in it), and where its resume position goes (that box; None: this box's recorder).
    source: str | None = None
    save: Callable[[float, bool | None], None] | None = None
    channel: Channel = field(init=False)
    _first: tuple[int, int] | None = field(default=None, init=False)  # the growing part's first PCR

    @classmethod
    def of(cls, meta: Meta, folder: Path, lineup_channel: Channel | None, locked_ids: frozenset[str]) -> Playback:
        playback = cls(meta, [], [])
        playback.refresh(meta, folder)
        playback.part, start = playback.locate(meta.position if meta.position >= RESUME_MIN_S else 0.0)
        playback.channel = playback.make_channel(lineup_channel, locked_ids, start)
        return playback

    @classmethod
    def remote(cls, meta: Meta, url: str, save: Callable[[float, bool | None], None],
               lineup_channel: Channel | None, locked_ids: frozenset[str]) -> Playback:  # fmt: skip
        """Another box's recording as one stream, from its resume position (``meta`` holds one part: all of it)."""
        playback = cls(meta, [], [meta.duration], source=url, save=save)
        start = meta.position if meta.position >= RESUME_MIN_S and not meta.watched else 0.0
        playback.channel = playback.make_channel(lineup_channel, locked_ids, start)
        return playback

    def refresh(self, meta: Meta, folder: Path) -> None:
        """The recording's parts as ``meta`` has them now (a part being written: as far as its file reaches)."""
        was = len(self.files) - 1 if self.growing else None  # the part that was growing (it may be over now)
        self.meta = meta
        self.files = [folder / p.file for p in meta.parts]
        self.lengths = [max(0.0, (p.end or p.start) - p.start) for p in meta.parts]
        self.growing = meta.state == "recording" and bool(meta.parts) and meta.parts[-1].end is None
        if was is not None and was < len(self.files) and not (self.growing and was == len(self.files) - 1):
            with contextlib.suppress(OSError):  # over now: its length as libVLC counts it, from the file
                self.lengths[was] = pcr_span(self.files[was]) or self.lengths[was]
        if self.growing:
            self._first = None
            self.measure()

    def measure(self) -> float | None:
        """The growing part's length as its file reaches now (read from its tail); None when not readable."""
        if not self.growing:
            return None
        path = self.files[-1]
        try:
            self._first = self._first or first_pcr(path)
            span = pcr_span(path, self._first)
        except OSError:
            return None
        if span is not None:
            self.lengths[-1] = span
        return span

    def locate(self, position: float) -> tuple[int, float]:
        """Which part holds ``position`` (seconds into the recording), and how far into it."""
        for i, length in enumerate(self.lengths):
            if position < length or i == len(self.lengths) - 1:
                return i, max(0.0, position)
            position -= length
        return 0, 0.0

    def make_channel(self, lineup_channel: Channel | None, locked_ids: frozenset[str], start: float) -> Channel:
        """The stream on screen for part ``self.part`` from ``start`` s, locked as its channel and programme are."""
        meta = self.meta
        ages = [a for a in (age_of(meta.rating), lineup_channel.age_rating if lineup_channel else None) if a]
        locked = meta.channel in locked_ids or bool(lineup_channel is not None and lineup_channel.locked)
        caching = "network-caching=1000" if self.source else "file-caching=300"  # a LAN's jitter, a disk's
        options = [caching] + ([f"start-time={start:.1f}"] if start > 0 else [])
        url = self.source or self.files[self.part].as_uri()
        return Channel(number=1, id=f"recording-{meta.id}-{self.part}", name=meta.title,
                       urls=[url], logo=lineup_channel.logo if lineup_channel else None,
                       locked=locked, age_rating=min(21, max(ages)) if ages else None,
                       vlc_options=options)  # fmt: skip

    def offset(self) -> float:
        return sum(self.lengths[: self.part])

    def position(self, player: PlayerPort) -> float:
        """Seconds into the whole recording (the meta's resume position when the player does not know)."""
        at = player.position() if player.channel is not None and player.channel.id == self.channel.id else None
        return self.meta.position if at is None else self.offset() + at

    def watched(self, position: float) -> bool:
        total = sum(self.lengths)
        return self.ended or (total > 0 and position >= WATCHED * total)

    def on_growing_part(self) -> bool:
        return self.growing and self.part == len(self.files) - 1

    def at_part_end(self, player: PlayerPort) -> bool:
        if self.on_growing_part():
            return False  # it is not over: its end moves on
        at = player.position() if player.channel is not None and player.channel.id == self.channel.id else None
        return at is not None and at >= self.lengths[self.part] - END_S and self.lengths[self.part] > END_S

    def transport(self, action: str, player: PlayerPort) -> str | None:
        """A transport key on the recording: pause/play, skip ±10 s/±1 min, start over; a notice, if any."""
        if action == "play_pause":
            if player.paused:
                player.resume()
            else:
                player.pause()
            return None
        if action in ("skip_back", "skip_forward", "skip_back_long", "skip_forward_long"):
            seconds = SKIP_LONG_S if action.endswith("_long") else SKIP_S
            at, length = player.position(), self.lengths[self.part]
            short = EDGE_S if self.on_growing_part() else END_S  # a growing end: not onto it, libVLC would stop
            if "forward" in action and at is not None and length > short:  # past the end: to its end, where
                seconds = min(seconds, max(0.0, length - short - at))  # the next part (or live TV) follows
            player.seek_by(seconds if "forward" in action else -seconds)
            return None
        if action == "start_over":
            at = player.position()
            if self.part == 0 and at is not None:
                player.seek_by(-at)
                return None
            return "start_over_part0"  # the caller plays the first part again
        if action in ("rewind", "fast_forward"):
            return "Winding is for live TV; skip with , . ; '"
        return None
