"""What the TV shows, as one immutable value: replaced whole each frame, read by any thread."""

from __future__ import annotations

from dataclasses import dataclass, field

from stb.lineup.model import Channel, Lineup
from stb.parental import ParentalRule


@dataclass(frozen=True)
class TvSnapshot:
    """The TV at the end of one frame. The network thread reads only this, never the Box or the players."""

    lineup: Lineup
    box_id: str = ""
    box_name: str = ""
    open_on_lan: bool = False
    favourites: tuple[str, ...] = ()  # channel ids, as the tuner's line-up marks them
    network_tuner: bool = False  # the tuner routes at the root and their streams are served without a token
    channel: Channel | None = None  # on screen: a line-up channel or a flung stream (``flung``)
    flung: bool = False
    playback: str = "idle"
    volume: int = 100
    muted: bool = False
    locked: bool = False  # the parental lock hides what is on screen
    standby: bool = False
    mirroring: str | None = None  # the name of the box mirrored on screen
    parental: ParentalRule = field(default_factory=ParentalRule)
    live_channel_id: str | None = None  # what the relay's live stream may show (None: nothing)

    def channel_hidden(self, channel: Channel, now: float) -> bool:
        """The parental rule for a line-up channel another screen asks for, at ``now``.

        Only the channel's own lock and age are known here: a programme's rating is judged by the TV for the
        channel it shows (the live stream follows the TV, which stops it while the lock hides the channel).
        """
        return self.parental.hides(
            channel.id, None, None, now, channel_locked=channel.locked, channel_age=channel.age_rating
        )
