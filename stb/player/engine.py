"""One libVLC instance tuned for live TV, and the players that decode into our own frame buffers.

A player is the recovery state machine (:mod:`stb.player.recovery`) driving a thin libVLC adapter
(:mod:`stb.player.libvlc`). This module keeps the names the rest of the box imports from here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import queue
from typing import Any

from stb.errors import StbError
from stb.player.libvlc import FormatCb, LibVlcAdapter
from stb.player.playback import (
    EngineOptions,
    PlaybackState,
    PlayerMessage,
    StreamStats,
    default_audio_output,
)
from stb.player.recovery import Player, media_options

__all__ = [
    "Engine",
    "EngineOptions",
    "PlaybackState",
    "Player",
    "PlayerMessage",
    "StreamStats",
    "default_audio_output",
    "keep_large_buffers_out_of_the_heap",
    "media_options",
]

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number (malloc.h)
MMAP_THRESHOLD_BYTES = 128 * 1024


def keep_large_buffers_out_of_the_heap() -> bool:
    """Pin glibc's mmap threshold at its 128 KiB default, so picture-sized buffers stay mmapped.

    glibc raises the threshold each time a large mmapped block is freed; after a few zaps,
    libVLC's picture pools and our frame buffers come from the heap instead, fragment it, and
    RSS climbs by ~1 MB per zap up to a few hundred MB (measured with `stb bench soak`). Pinned,
    every freed picture buffer goes back to the system and RSS stays flat. glibc only.
    """
    name = ctypes.util.find_library("c")
    try:
        return bool(name and ctypes.CDLL(name).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to pin
        return False


class Engine:
    """Owns the libVLC instance and the message queue all its players post to (a :class:`PlayerSource`)."""

    def __init__(self, options: EngineOptions | None = None) -> None:
        keep_large_buffers_out_of_the_heap()
        try:
            import vlc
        except (ImportError, OSError) as exc:  # python-vlc raises OSError when libvlc.so is missing
            raise StbError(f"libVLC is not available ({exc}); install libvlc5 (see README: make setup)") from exc
        self.options = options or EngineOptions()
        self.vlc: Any = vlc
        self.instance: Any = vlc.Instance(self.options.vlc_args())
        if self.instance is None:
            raise StbError("libVLC failed to start (check `vlc --version` and the vlc-plugin-* packages)")
        self.messages: queue.SimpleQueue[PlayerMessage] = queue.SimpleQueue()
        self.set_format_callbacks = ctypes.CFUNCTYPE(
            None, ctypes.c_void_p, FormatCb, vlc.CallbackDecorators.VideoCleanupCb
        )(("libvlc_video_set_format_callbacks", vlc.dll))

    def create_player(self, name: str) -> Player:
        return Player(LibVlcAdapter(self, name), self.options)

    def release(self) -> None:
        self.instance.release()
