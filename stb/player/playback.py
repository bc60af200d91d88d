"""The player's vocabulary, shared by the libVLC adapter, the recovery state machine and the screens.

Nothing here touches libVLC, so the state machine, the Zapper and their fakes import it freely.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import NamedTuple


class PlaybackState(Enum):
    IDLE = "idle"
    CONNECTING = "connecting"
    PLAYING = "playing"
    STALLED = "stalled"
    FAILED = "failed"


@dataclass(frozen=True)
class PlayerMessage:
    """Posted from libVLC threads; handled on the UI thread."""

    player: str
    kind: str  # "first-frame" | "error" | "ended"
    generation: int  # which tune it belongs to: stale messages from a previous channel are ignored
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class StreamStats:
    """What the info overlay shows about the stream on screen."""

    width: int | None
    height: int | None
    video_codec: str | None
    audio_codec: str | None
    bitrate_kbps: int | None  # demuxed input bit rate
    decoded: int
    dropped: int  # pictures lost in decoding or display


class DecodeCounts(NamedTuple):
    """The decoder's running counts for the current media: how the state machine sees progress."""

    video: int  # pictures decoded
    audio: int  # audio blocks decoded


@dataclass(frozen=True)
class EngineOptions:
    # libVLC's default is 1000 ms. Measured on the demo head-end (which joins viewers at the latest
    # keyframe): up to 150 ms, moving pictures ~30 ms after a zap; from 200 ms on, a still first
    # picture and then ~780 ms until it moves. `stb run --caching` raises it for jittery networks.
    network_caching_ms: int | None = 150
    audio_output: str | None = None  # None: the sound server when one runs, else a null output
    connect_timeout_s: float = 3.0  # no first frame by then: try the next URL, then "unavailable"
    stall_after_s: float = 2.0  # no new picture for this long while playing: stalled, reconnect
    retry_first_s: float = 2.0  # a failed channel is tried again after this, doubling each time
    retry_max_s: float = 30.0

    def vlc_args(self) -> list[str]:
        return [
            "--no-xlib",  # we never open an X window of libVLC's own; frames come to us
            "--quiet",
            "--no-video-title-show",
            "--no-snapshot-preview",
            "--deinterlace=-1",  # automatic: only interlaced streams pay for it
            f"--aout={self.audio_output or default_audio_output()}",
        ] + (  # None: libVLC's own defaults (the zap benchmark's baseline)
            []
            if self.network_caching_ms is None
            else [f"--network-caching={self.network_caching_ms}", f"--live-caching={self.network_caching_ms}"]
        )


def default_audio_output() -> str:
    """PulseAudio (or PipeWire's Pulse server) when one is reachable, else libVLC's null output."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if os.environ.get("PULSE_SERVER") or (runtime and Path(runtime, "pulse", "native").exists()):
        return "pulse"
    return "adummy"
