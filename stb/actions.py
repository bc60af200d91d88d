"""The named actions a remote key can send: the vocabulary shared by the keymap, the TV's screens and the API."""

from __future__ import annotations

ACTIONS = frozenset(
    {"channel_up", "channel_down", "last_channel", "ok", "back", "info", "quit", "mute", "volume_up", "volume_down"}
    | {"power", "other_screens"}
    | {"up", "down", "left", "right", "list", "favourite", "audio_track", "subtitles", "guide", "menu"}
    | {"red", "green", "yellow", "blue"}
    | {"play_pause", "rewind", "fast_forward", "skip_back", "skip_forward", "skip_back_long", "skip_forward_long"}
    | {"live", "start_over", "record", "recordings"}
    | {f"digit_{d}" for d in range(10)}
)
