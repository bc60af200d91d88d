"""Why the relay refuses a stream, for the MPEG-TS relay and its HLS renditions (the API maps each to a status)."""

from __future__ import annotations


class RelayBusy(Exception):
    """Every upstream slot is taken by channels that clients are watching."""


class ChannelLocked(Exception):
    """The parental lock keeps this channel from other screens until someone enters the PIN on the TV."""


class UpstreamDown(Exception):
    """The channel's upstream sent nothing in time; the message says what it last said."""


class NothingLive(Exception):
    """The TV shows nothing the relay may show (standby, the parental lock, no channel yet)."""
