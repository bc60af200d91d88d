"""The TV core's events as other screens hear them: the API's event stream and the zeroconf announcement.

Subscribed to the core on the UI thread; the hub and the announcer hand the work to the network thread.
"""

from __future__ import annotations

from collections.abc import Callable

from stb.box import ChannelChanged, SettingsChanged, StandbyChanged, VolumeChanged
from stb.net.server import NetworkSide
from stb.streams import describe
from stb.tv.events import GuideChanged, PlaybackReported, TvEvent
from stb.tv.remote import channel_dict


def tv_event_listener(net: NetworkSide, on_guide: Callable[[], None] = lambda: None) -> Callable[[TvEvent], None]:
    """A listener for ``TvCore.subscribe`` that tells ``net`` what changed. ``on_guide``: after a guide refresh."""
    publish = net.ctx.hub.publish

    def listen(event: TvEvent) -> None:
        if isinstance(event, ChannelChanged):
            channel = event.channel
            if event.flung:  # a flung stream has no channel id: a "stream" event says what plays
                publish("stream", describe(channel))
            else:
                publish("channel", dict(channel_dict(channel)))
            net.announce_channel(channel.name, None if event.flung else channel.id)
        elif isinstance(event, VolumeChanged):
            publish("volume", {"volume": event.volume, "muted": event.muted})
        elif isinstance(event, StandbyChanged):
            publish("standby", {"standby": event.standby})
        elif isinstance(event, PlaybackReported):
            publish("playback", {"channel": event.channel_id, "state": event.state, "error": event.error})
        elif isinstance(event, SettingsChanged):
            net.settings_changed(event.box_name, not event.open_on_lan, event.show_channel_on_lan, event.network_tuner)
        elif isinstance(event, GuideChanged):
            on_guide()
            publish("guide", {"refreshed": True})

    return listen
