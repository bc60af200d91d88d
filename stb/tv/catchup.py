"""A past programme on the TV from the provider's archive, with the transport keys.

The channel's catch-up (its M3U attributes, :mod:`stb.lineup.catchup`) names the provider's URL of the
programme; it plays as a stream on screen like a flung one or a recording, so "last"/back goes to the
channel watched before. The keys: pause, skip ±10 s / ±1 min (libVLC seeks in the archive: the provider
answers byte ranges), rewind and fast forward in steps like timeshift's trick play, start over, live.

The parental lock needs nothing of its own: the stream carries the channel's lock and the programme's
age, so the TV core's lock and the live screen's PIN pad apply as for the channel live.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stb.guide.query import Programme
from stb.lineup.catchup import Catchup, CatchupError, archive_url, of_channel
from stb.lineup.model import Channel
from stb.parental import age_of
from stb.tv.timeshift import SKIP_LONG_S, SKIP_S, SPEEDS

if TYPE_CHECKING:
    from stb.box import Box
    from stb.player.ports import PlayerPort, ZapperView

END_S = 1.5  # this close to the programme's end, live TV comes back
TRICK_STEP_S = 0.5  # winding: one jump this often (speed × this many seconds)
CACHING = "network-caching=1000"

Say = Callable[[str], None]


def catchup_of(channel: Channel) -> Catchup | None:
    return of_channel(channel.urls[0], channel.catchup, channel.attributes) if channel.urls else None


def playable(channel: Channel, programme: Programme, now: float) -> bool:
    """Whether ``programme`` can be played from ``channel``'s archive now: it has started, within the window."""
    catchup = catchup_of(channel)
    return catchup is not None and now - catchup.window_s <= programme.start < now


def oldest(channel: Channel, now: float) -> float | None:
    """The earliest programme start the channel's archive holds (None: no catch-up), for the guide's marks."""
    catchup = catchup_of(channel)
    return None if catchup is None else now - catchup.window_s


@dataclass
class ArchivePlay:
    """One programme from the archive on screen."""

    programme: Programme
    source: Channel  # the line-up channel
    stream: Channel  # what the zapper plays
    length: float  # seconds the archive holds of it (capped at now when it is still on)


class TvCatchup:
    """One per TV: plays past programmes from the archive, and what the transport keys do meanwhile."""

    def __init__(self, say: Say, box: Box, zapper: ZapperView, clock: Callable[[], float] = time.time) -> None:
        self.say, self.box, self.zapper, self.clock = say, box, zapper, clock
        self.playing: ArchivePlay | None = None
        self.speed = 0
        self._next_trick = 0.0

    def play(self, programme: Programme, channel: Channel) -> bool:
        """Put ``programme`` of ``channel`` on screen from its start; a notice says why not."""
        catchup = catchup_of(channel)
        if catchup is None:
            self.say(f"{channel.name} has no archive")
            return False
        now = int(self.clock())
        try:
            url = archive_url(catchup, int(programme.start), int(programme.stop), now,
                              epg_shift_s=int(channel.guide_shift * 3600))  # fmt: skip
        except CatchupError as exc:
            self.say(f"{programme.title}: {exc}")
            return False
        locked = channel.locked or channel.id in self.box.settings.parental.locked_channels
        ages = [a for a in (age_of(programme.rating, programme.rating_system), channel.age_rating) if a]
        stream = Channel(number=1, id=f"archive-{channel.id}-{int(programme.start)}", name=programme.title,
                         urls=[url], logo=channel.logo, headers=dict(channel.headers), locked=locked,
                         age_rating=min(21, max(ages)) if ages else None,
                         vlc_options=[CACHING, *channel.vlc_options])  # fmt: skip
        self.leave()
        length = float(min(programme.stop, now) - programme.start)
        self.playing = ArchivePlay(programme, channel, stream, length)
        self.speed = 0
        self.box.play_stream(stream)
        return True

    def leave(self) -> None:
        self.playing, self.speed = None, 0

    def back_to_live(self) -> None:
        """Stop the archive and watch the channel it came from (or the one before)."""
        playing = self.playing
        self.leave()
        if playing is not None and self.box.is_flung(playing.stream):
            if self.box.lineup.by_id(playing.source.id) is not None:
                self.box.zap(playing.source.id)
            else:
                self.box.zap_last()

    def channel_changed(self, channel: Channel) -> None:
        """A zap from anywhere: the archive is no longer on screen."""
        if self.playing is not None and channel.id != self.playing.stream.id:
            self.leave()

    def _player(self) -> PlayerPort | None:
        player = self.zapper.active
        ours = self.playing is not None and player.channel is not None and player.channel.id == self.playing.stream.id
        return player if ours else None

    def position(self) -> float | None:
        """Seconds into the programme, as the player says."""
        player = self._player()
        return player.position() if player is not None else None

    def transport(self, action: str) -> str | None:
        """A transport key while an archived programme plays; a notice, if any."""
        player = self._player()
        if action == "live":
            self.back_to_live()
            return None
        if player is None:
            return "Still opening the archive"
        if action == "play_pause":
            self.speed = 0
            player.resume() if player.paused else player.pause()
            return None
        if action in ("skip_back", "skip_forward", "skip_back_long", "skip_forward_long"):
            seconds = SKIP_LONG_S if action.endswith("_long") else SKIP_S
            self._seek_by(player, seconds if "forward" in action else -seconds)
            return None
        if action == "start_over":
            self.speed = 0
            at = player.position()
            if at is not None:
                player.seek_by(-at)
            return None
        if action in ("rewind", "fast_forward"):
            direction = 1 if action == "fast_forward" else -1
            same_way = self.speed != 0 and (self.speed > 0) == (direction > 0)
            self.speed = direction * (min(abs(self.speed) * 2, SPEEDS[-1]) if same_way else SPEEDS[0])
            self._next_trick = self.clock()
            if player.paused:
                player.resume()
            return None
        return None

    def _seek_by(self, player: PlayerPort, seconds: float) -> None:
        """A jump kept inside the programme (to just before its end at most, where live TV follows)."""
        at = player.position()
        if at is not None and self.playing is not None:
            seconds = max(-at, min(seconds, self.playing.length - END_S - at))
        player.seek_by(seconds)

    def step(self, now: float) -> None:
        """Once a frame: winding's jumps; at the programme's end, live TV."""
        playing, player = self.playing, self._player()
        if playing is None or player is None:
            return
        at = player.position()
        if at is None:
            return
        if self.speed and now >= self._next_trick:
            self._next_trick = now + TRICK_STEP_S
            if self.speed < 0 and at <= 0.5:
                self.speed = 0
            else:
                self._seek_by(player, self.speed * TRICK_STEP_S)
        if at >= playing.length - END_S > 0:
            self.say(f"End of {playing.programme.title}")
            self.back_to_live()
