"""One libVLC instance tuned for live TV, and players that decode into our own frame buffers.

Threading contract: every method here is called from the thread that owns the UI. libVLC's own
threads only run the small callbacks below, which copy nothing and only post messages.
"""

from __future__ import annotations

import ctypes
import logging
import os
import queue
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from stb.errors import StbError
from stb.lineup.model import Channel
from stb.player.framebuffer import FrameBuffer, FrameFormat

log = logging.getLogger(__name__)

STATS_INTERVAL_S = 0.5
MAX_WIDTH, MAX_HEIGHT = 1280, 720  # the UI's canvas: decoding larger only costs memory bandwidth

# Our own prototype for the format callback: python-vlc declares `chroma` as c_char_p, which
# ctypes turns into an immutable bytes object, but libVLC expects us to write "RV32" into it.
_FormatCb = ctypes.CFUNCTYPE(
    ctypes.c_uint,
    ctypes.POINTER(ctypes.c_void_p),
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_uint),
    ctypes.POINTER(ctypes.c_uint),
    ctypes.POINTER(ctypes.c_uint),
    ctypes.POINTER(ctypes.c_uint),
)


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
class EngineOptions:
    network_caching_ms: int = 300  # libVLC's default is 1000 ms: a live zap should not wait that long
    audio_output: str | None = None  # None: the sound server when one runs, else a null output
    connect_timeout_s: float = 8.0  # no first frame by then: try the next URL, then fail
    stall_after_s: float = 3.0  # no new frame for this long while playing: stalled

    def vlc_args(self) -> list[str]:
        return [
            "--no-xlib",  # we never open an X window of libVLC's own; frames come to us
            "--quiet",
            "--no-video-title-show",
            "--no-snapshot-preview",
            f"--network-caching={self.network_caching_ms}",
            f"--live-caching={self.network_caching_ms}",
            "--deinterlace=-1",  # automatic: only interlaced streams pay for it
            f"--aout={self.audio_output or default_audio_output()}",
        ]


def default_audio_output() -> str:
    """PulseAudio (or PipeWire's Pulse server) when one is reachable, else libVLC's null output."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if os.environ.get("PULSE_SERVER") or (runtime and Path(runtime, "pulse", "native").exists()):
        return "pulse"
    return "adummy"


class Engine:
    """Owns the libVLC instance and the message queue all its players post to."""

    def __init__(self, options: EngineOptions | None = None) -> None:
        try:
            import vlc
        except (ImportError, OSError) as exc:  # python-vlc raises OSError when libvlc.so is missing
            raise StbError(f"libVLC is not available ({exc}); install libvlc5 (see README: make setup)") from exc
        self.options = options or EngineOptions()
        self._vlc = vlc
        self.instance = vlc.Instance(self.options.vlc_args())
        if self.instance is None:
            raise StbError("libVLC failed to start (check `vlc --version` and the vlc-plugin-* packages)")
        self.messages: queue.SimpleQueue[PlayerMessage] = queue.SimpleQueue()
        self._set_format_callbacks = ctypes.CFUNCTYPE(
            None, ctypes.c_void_p, _FormatCb, vlc.CallbackDecorators.VideoCleanupCb
        )(("libvlc_video_set_format_callbacks", vlc.dll))

    def create_player(self, name: str) -> Player:
        return Player(self, name)

    def release(self) -> None:
        self.instance.release()


class Player:
    """One libVLC media player rendering into its own :class:`FrameBuffer`."""

    def __init__(self, engine: Engine, name: str) -> None:
        vlc = engine._vlc
        self.engine = engine
        self.name = name
        self.state = PlaybackState.IDLE
        self.channel: Channel | None = None
        self.error: str | None = None
        self.generation = 0
        self.tuned_at = 0.0
        self.first_frame_at: float | None = None
        self.aspect: float | None = None  # width / height as the viewer should see it
        self._url_index = 0
        self._media = None
        self._decoded = -1  # decoder's picture count at the last stats poll
        self._progress_at = 0.0  # when that count last moved
        self._next_stats_at = 0.0
        self.frames = FrameBuffer(on_frame=self._on_frame)
        self._mp = engine.instance.media_player_new()

        # ctypes callbacks must stay referenced for as long as libVLC may call them.
        self._cb_format = _FormatCb(self._cb_format_impl)
        self._cb_cleanup = vlc.CallbackDecorators.VideoCleanupCb(lambda opaque: None)
        self._cb_lock = vlc.CallbackDecorators.VideoLockCb(self._cb_lock_impl)
        self._cb_unlock = vlc.CallbackDecorators.VideoUnlockCb(lambda opaque, picture, planes: None)
        self._cb_display = vlc.CallbackDecorators.VideoDisplayCb(lambda opaque, picture: self.frames.present())
        engine._set_format_callbacks(self._mp, self._cb_format, self._cb_cleanup)
        self._mp.video_set_callbacks(self._cb_lock, self._cb_unlock, self._cb_display, None)

        events = self._mp.event_manager()
        events.event_attach(vlc.EventType.MediaPlayerEncounteredError, lambda e: self._post("error"))
        events.event_attach(vlc.EventType.MediaPlayerEndReached, lambda e: self._post("ended"))

    # -- libVLC threads: post, never call back into libVLC --------------------------------------
    def _cb_format_impl(self, opaque, chroma, width, height, pitches, lines) -> int:
        w, h = width[0], height[0]
        scale = min(1.0, MAX_WIDTH / max(w, 1), MAX_HEIGHT / max(h, 1))
        w, h = max(2, int(w * scale) & ~1), max(2, int(h * scale) & ~1)
        fmt = FrameFormat.for_size(w, h)
        ctypes.memmove(chroma, b"RV32", 4)
        width[0], height[0] = w, h
        pitches[0], lines[0] = fmt.pitch, fmt.lines
        self.frames.configure(fmt)
        return 2

    def _cb_lock_impl(self, opaque, planes) -> int:
        planes[0] = self.frames.lock_back()
        return 0

    def _on_frame(self) -> None:
        if self.frames.frames == 1:
            self._post("first-frame")

    def _post(self, kind: str) -> None:
        self.engine.messages.put(PlayerMessage(self.name, kind, self.generation))

    # -- UI thread ---------------------------------------------------------------------------------
    def tune(self, channel: Channel) -> None:
        """Start playing ``channel`` from its first URL; returns at once."""
        self.channel = channel
        self._url_index = 0
        self._start_url()

    def _start_url(self) -> None:
        assert self.channel is not None
        self.generation += 1
        self.frames.reset()
        self.state = PlaybackState.CONNECTING
        self.error = None
        self.tuned_at = time.monotonic()
        self.first_frame_at = None
        url = self.channel.urls[self._url_index]
        if self._media is not None:
            self._media.release()
        self._media = self.engine.instance.media_new(url, *media_options(self.channel))
        self._mp.set_media(self._media)
        self._mp.play()
        self._decoded, self._progress_at, self._next_stats_at = -1, self.tuned_at, 0.0
        log.info("%s: tuning %s (%s)", self.name, self.channel.name, url)

    def handle(self, message: PlayerMessage) -> bool:
        """Apply a message from libVLC; returns True when the state changed."""
        if message.generation != self.generation or self.channel is None:
            return False
        if message.kind == "first-frame":
            self.first_frame_at = message.at
            self.state = PlaybackState.PLAYING
            self.aspect = self._stream_aspect()
            return True
        if message.kind in ("error", "ended"):
            return self._next_url_or_fail(f"stream {message.kind}")
        return False

    def poll(self, now: float) -> bool:
        """Time-based transitions (connect time-out, stall, recovery); returns True on a change."""
        opts = self.engine.options
        if self.state is PlaybackState.CONNECTING and now - self.tuned_at > opts.connect_timeout_s:
            return self._next_url_or_fail("no picture")
        if self.state not in (PlaybackState.PLAYING, PlaybackState.STALLED) or now < self._next_stats_at:
            return False
        if self.aspect is None:  # libVLC may not know the size yet at the first frame (seen under load)
            self.aspect = self._stream_aspect()
        # libVLC keeps re-displaying (and re-locking) the last picture when input dries up, so the
        # frame callbacks cannot tell a stall; the decoder's own count of new pictures can.
        self._next_stats_at = now + STATS_INTERVAL_S
        decoded = self._decoded_pictures()
        if decoded != self._decoded:
            self._decoded, self._progress_at = decoded, now
        stalled = now - self._progress_at > opts.stall_after_s
        if stalled == (self.state is PlaybackState.STALLED):
            return False
        self.state = PlaybackState.STALLED if stalled else PlaybackState.PLAYING
        return True

    def _decoded_pictures(self) -> int:
        stats = self.engine._vlc.MediaStats()
        if self._media is None or not self._media.get_stats(stats):
            return self._decoded
        return stats.decoded_video

    def _next_url_or_fail(self, reason: str) -> bool:
        assert self.channel is not None
        if self._url_index + 1 < len(self.channel.urls):
            self._url_index += 1
            log.warning("%s: %s on %s, trying fallback URL", self.name, reason, self.channel.name)
            self._start_url()
            return True
        self._mp.stop()
        self.state = PlaybackState.FAILED
        self.error = reason
        return True

    def _stream_aspect(self) -> float | None:
        """Display aspect of the stream. The RV32 buffer's own size is no guide: libVLC's vmem
        output may rescale lines (seen: 640x360 H.264 arriving as 640x386), so the UI scales the
        buffer to this aspect instead."""
        width, height = self._mp.video_get_size(0)
        return width / height if width and height else None

    def stop(self) -> None:
        self.generation += 1
        self._mp.stop()
        self.state = PlaybackState.IDLE

    def set_volume(self, volume: int, muted: bool) -> None:
        self._mp.audio_set_volume(volume)
        self._mp.audio_set_mute(muted)

    def release(self) -> None:
        self.stop()
        self._mp.release()
        if self._media is not None:
            self._media.release()
            self._media = None


def media_options(channel: Channel) -> list[str]:
    """Per-channel libVLC media options: HTTP headers the provider insists on, kept VLC options."""
    options = []
    for header, value in channel.headers.items():
        key = header.lower()
        if key == "user-agent":
            options.append(f":http-user-agent={value}")
        elif key in ("referer", "referrer"):
            options.append(f":http-referrer={value}")
    options.extend(f":{opt}" for opt in channel.vlc_options)
    return options
