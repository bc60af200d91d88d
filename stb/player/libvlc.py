"""The thin libVLC adapter: one media player decoding into our own frame buffer.

It holds the libVLC handles, the video callbacks and the current media, and does what the recovery
state machine (:mod:`stb.player.recovery`) tells it; it decides nothing. Threading: every method is
called from the thread that owns the UI; libVLC's own threads only run the small callbacks below,
which copy nothing and only post messages.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stb.player.framebuffer import FrameBuffer, FrameFormat
from stb.player.playback import DecodeCounts, PlayerMessage, StreamStats

if TYPE_CHECKING:
    from stb.player.engine import Engine

MAX_WIDTH, MAX_HEIGHT = 1280, 720  # the UI's canvas: decoding larger only costs memory bandwidth

# Our own prototype for the format callback: python-vlc declares `chroma` as c_char_p, which
# ctypes turns into an immutable bytes object, but libVLC expects us to write "RV32" into it.
FormatCb = ctypes.CFUNCTYPE(
    ctypes.c_uint,
    ctypes.POINTER(ctypes.c_void_p),
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_uint),
    ctypes.POINTER(ctypes.c_uint),
    ctypes.POINTER(ctypes.c_uint),
    ctypes.POINTER(ctypes.c_uint),
)

UIntArray = Any  # a ctypes POINTER(c_uint) libVLC hands to the format callback, indexed like a list


class LibVlcAdapter:
    """One libVLC media player rendering into its own :class:`FrameBuffer` (a :class:`PlayerAdapter`)."""

    def __init__(self, engine: Engine, name: str) -> None:
        vlc = engine.vlc
        self.engine = engine
        self._name = name
        self._generation = 0
        self._frames = FrameBuffer()
        self._announced = 0  # the last generation whose first picture was posted (libVLC thread)
        self._media: Any = None
        self._mp: Any = engine.instance.media_player_new()

        # ctypes callbacks must stay referenced for as long as libVLC may call them.
        self._cb_format = FormatCb(self._cb_format_impl)
        self._cb_cleanup = vlc.CallbackDecorators.VideoCleanupCb(lambda opaque: None)
        self._cb_lock = vlc.CallbackDecorators.VideoLockCb(self._cb_lock_impl)
        self._cb_unlock = vlc.CallbackDecorators.VideoUnlockCb(lambda opaque, picture, planes: None)
        self._cb_display = vlc.CallbackDecorators.VideoDisplayCb(self._cb_display_impl)
        engine.set_format_callbacks(self._mp, self._cb_format, self._cb_cleanup)
        self._mp.video_set_callbacks(self._cb_lock, self._cb_unlock, self._cb_display, None)

        events = self._mp.event_manager()
        events.event_attach(vlc.EventType.MediaPlayerEncounteredError, lambda e: self._post("error"))
        events.event_attach(vlc.EventType.MediaPlayerEndReached, lambda e: self._post("ended"))

    @property
    def name(self) -> str:
        return self._name

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def frames(self) -> FrameBuffer:
        return self._frames

    # -- libVLC threads: post, never call back into libVLC --------------------------------------
    def _cb_format_impl(
        self, opaque: Any, chroma: Any, width: UIntArray, height: UIntArray, pitches: UIntArray, lines: UIntArray
    ) -> int:
        w, h = width[0], height[0]
        scale = min(1.0, MAX_WIDTH / max(w, 1), MAX_HEIGHT / max(h, 1))
        w, h = max(2, int(w * scale) & ~1), max(2, int(h * scale) & ~1)
        fmt = FrameFormat.for_size(w, h)
        ctypes.memmove(chroma, b"RV32", 4)
        width[0], height[0] = w, h
        pitches[0], lines[0] = fmt.pitch, fmt.lines
        self._frames.configure(fmt)
        return 2

    def _cb_lock_impl(self, opaque: Any, planes: Any) -> int:
        planes[0] = self._frames.lock_back()
        return self._generation  # the picture's id: which tune it was decoded for

    def _cb_display_impl(self, opaque: Any, picture: int | None) -> None:
        # At a retune libVLC still displays a picture of the previous media (seen: ~10 ms after
        # set_media); counted, it would pass for the new channel's first frame. The message carries
        # the picture's own generation, so a race with a retune cannot stamp it as the new one's.
        generation = picture or 0
        if generation != self._generation:
            return
        self._frames.present()
        if generation != self._announced:
            self._announced = generation
            self._post("first-frame", generation)

    def _post(self, kind: str, generation: int | None = None) -> None:
        stamp = self._generation if generation is None else generation
        self.engine.messages.put(PlayerMessage(self._name, kind, stamp))

    # -- UI thread ---------------------------------------------------------------------------------
    def open(self, url: str, options: Sequence[str]) -> None:
        if self._media is not None:
            self._media.release()
        self._media = self.engine.instance.media_new(url, *options)
        self._mp.set_media(self._media)  # stops the previous input: its last events are posted by now
        self._generation += 1  # so they carry the previous generation and are ignored
        self._frames.reset()
        self._mp.play()

    def stop(self) -> None:
        self._mp.stop()  # synchronous: the input's last events are posted by now…
        self._generation += 1  # …with its generation, so they no longer count

    def release(self) -> None:
        self._mp.release()
        if self._media is not None:
            self._media.release()
            self._media = None

    def _media_stats(self) -> Any:
        """libVLC's statistics of the current media, or None when it has none (yet)."""
        stats = self.engine.vlc.MediaStats()
        return stats if self._media is not None and self._media.get_stats(stats) else None

    def counts(self) -> DecodeCounts | None:
        stats = self._media_stats()
        return None if stats is None else DecodeCounts(int(stats.decoded_video), int(stats.decoded_audio))

    def has_video_track(self) -> bool:
        if self._media is None:
            return False
        video = self.engine.vlc.TrackType.video
        return any(t.type == video for t in self._media.tracks_get() or ())

    def video_aspect(self) -> float | None:
        """Display aspect of the stream. The RV32 buffer's own size is no guide: libVLC's vmem
        output may rescale lines (seen: 640x360 H.264 arriving as 640x386), so the UI scales the
        buffer to this aspect instead."""
        width, height = self._mp.video_get_size(0)
        return float(width / height) if width and height else None

    def stats(self) -> StreamStats:
        vlc = self.engine.vlc
        width, height = self._mp.video_get_size(0) or (0, 0)
        video = audio = None
        bitrate = None
        decoded = dropped = 0
        if self._media is not None:
            for track in self._media.tracks_get() or ():
                codec = _fourcc(track.codec)
                if track.type == vlc.TrackType.video and video is None:
                    video = codec
                elif track.type == vlc.TrackType.audio and audio is None:
                    audio = codec
            raw = self._media_stats()
            if raw is not None:
                bitrate = round(raw.demux_bitrate * 8000) or None  # libVLC: kB per ms
                decoded, dropped = raw.decoded_video, raw.lost_pictures
        return StreamStats(width or None, height or None, video, audio, bitrate, decoded, dropped)

    def set_pause(self, paused: bool) -> None:
        self._mp.set_pause(1 if paused else 0)

    def time_s(self) -> float | None:
        ms = self._mp.get_time()
        return ms / 1000.0 if ms is not None and ms >= 0 else None

    def set_time_s(self, seconds: float) -> None:
        self._mp.set_time(int(max(0.0, seconds) * 1000))

    def set_fraction(self, fraction: float) -> None:
        self._mp.set_position(min(1.0, max(0.0, fraction)))

    def set_volume(self, volume: int, muted: bool) -> None:
        self._mp.audio_set_volume(volume)
        self._mp.audio_set_mute(muted)

    @property
    def audio_track(self) -> int:
        return int(self._mp.audio_get_track())

    def set_audio_track(self, track: int) -> None:
        self._mp.audio_set_track(track)

    def audio_tracks(self) -> list[tuple[int, str]]:
        return _tracks(self._mp.audio_get_track_description())

    @property
    def subtitle_track(self) -> int:
        return int(self._mp.video_get_spu())

    def set_subtitle_track(self, track: int) -> None:
        self._mp.video_set_spu(track)

    def subtitle_tracks(self) -> list[tuple[int, str]]:
        return _tracks(self._mp.video_get_spu_description())


def _tracks(description: Any) -> list[tuple[int, str]]:
    return [(track, (name or b"").decode("utf-8", "replace")) for track, name in description or () if track >= 0]


def _fourcc(code: int) -> str:
    return code.to_bytes(4, "little").decode("ascii", "replace").strip() if code else "?"
