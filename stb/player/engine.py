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
QUICK_RECONNECT_S = 10.0  # reconnects closer than this in a row are a stream that keeps breaking…
MAX_QUICK_RECONNECTS = 3  # …and after this many it is treated as failed (back-off), not reconnected
STEADY_S = 30.0  # playing this long makes the back-off start from the beginning again
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
class StreamStats:
    """What the info overlay shows about the stream on screen."""

    width: int | None
    height: int | None
    video_codec: str | None
    audio_codec: str | None
    bitrate_kbps: int | None  # demuxed input bit rate
    decoded: int
    dropped: int  # pictures lost in decoding or display


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


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number (malloc.h)
MMAP_THRESHOLD_BYTES = 128 * 1024


def keep_large_buffers_out_of_the_heap() -> bool:
    """Pin glibc's mmap threshold at its 128 KiB default, so picture-sized buffers stay mmapped.

    glibc raises the threshold each time a large mmapped block is freed; after a few zaps,
    libVLC's picture pools and our frame buffers come from the heap instead, fragment it, and
    RSS climbs by ~1 MB per zap up to a few hundred MB (measured with `stb bench soak`). Pinned,
    every freed picture buffer goes back to the system and RSS stays flat. glibc only.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        return bool(name and ctypes.CDLL(name).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to pin
        return False


class Engine:
    """Owns the libVLC instance and the message queue all its players post to."""

    def __init__(self, options: EngineOptions | None = None) -> None:
        keep_large_buffers_out_of_the_heap()
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
    """One libVLC media player rendering into its own :class:`FrameBuffer`.

    States: IDLE → CONNECTING → PLAYING ↔ STALLED → FAILED. A stall or an end of stream while
    playing reconnects at once (the state stays STALLED until pictures come back); a channel
    whose URLs all failed is retried with back-off (the state stays FAILED until one works).
    """

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
        self.reconnects = 0  # since the last tune: stalls and ends recovered by reconnecting
        self.retries = 0  # attempts after every URL had failed, since the channel last played
        self._url_index = 0
        self._attempt_at = 0.0  # when the current URL was started
        self._retry_at: float | None = None
        self._awaiting_picture = False  # an attempt runs and has shown no picture yet
        self._audio_only = False  # a radio channel: progress is counted in audio, not pictures
        self._reconnect_times: list[float] = []
        self._playing_since = 0.0
        self._picture_at: float | None = None  # when this attempt's first picture was displayed
        self._audible = True  # False: the stream's audio is not even decoded (pre-tuned players)
        self._audio_pending = False  # audible wanted, but the stream's audio track is not known yet
        self._audio_choice: int | None = None  # the viewer's pick from audio_tracks(), per channel
        self._media = None
        self._decoded = -1  # decoder's picture count at the last stats poll
        self._progress_at = 0.0  # when that count last moved
        self._next_stats_at = 0.0
        self.frames = FrameBuffer()
        self._announced = 0  # the last generation whose first picture was posted (libVLC thread)
        self._mp = engine.instance.media_player_new()

        # ctypes callbacks must stay referenced for as long as libVLC may call them.
        self._cb_format = _FormatCb(self._cb_format_impl)
        self._cb_cleanup = vlc.CallbackDecorators.VideoCleanupCb(lambda opaque: None)
        self._cb_lock = vlc.CallbackDecorators.VideoLockCb(self._cb_lock_impl)
        self._cb_unlock = vlc.CallbackDecorators.VideoUnlockCb(lambda opaque, picture, planes: None)
        self._cb_display = vlc.CallbackDecorators.VideoDisplayCb(self._cb_display_impl)
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
        return self.generation  # the picture's id: which tune it was decoded for

    def _cb_display_impl(self, opaque, picture) -> None:
        # At a retune libVLC still displays a picture of the previous media (seen: ~10 ms after
        # set_media); counted, it would pass for the new channel's first frame. The message carries
        # the picture's own generation, so a race with a retune cannot stamp it as the new one's.
        generation = picture or 0
        if generation != self.generation:
            return
        self.frames.present()
        if generation != self._announced:
            self._announced = generation
            self._post("first-frame", generation)

    def _post(self, kind: str, generation: int | None = None) -> None:
        stamp = self.generation if generation is None else generation
        self.engine.messages.put(PlayerMessage(self.name, kind, stamp))

    # -- UI thread ---------------------------------------------------------------------------------
    def tune(self, channel: Channel, audible: bool = True) -> None:
        """Start playing ``channel`` from its first URL; returns at once.

        A player tuned with ``audible=False`` decodes no audio until :meth:`set_audible` (a pre-tuned
        player is silent whatever the audio output can or cannot mute).
        """
        self.channel = channel
        self._audible, self._audio_pending, self._audio_choice = audible, False, None
        self._url_index = 0
        self.reconnects = self.retries = 0
        self._reconnect_times.clear()
        self._retry_at = None
        self.aspect = None
        self.state = PlaybackState.CONNECTING
        self.error = None
        self.tuned_at = time.monotonic()
        self.first_frame_at = None
        self._start_url()

    def _start_url(self) -> None:
        """(Re)start the current URL; the visible state is the caller's business."""
        assert self.channel is not None
        url = self.channel.urls[self._url_index]
        if self._media is not None:
            self._media.release()
        options = media_options(self.channel) + ([] if self._audible else [":no-audio"])
        self._media = self.engine.instance.media_new(url, *options)
        # A new media picks its default audio track (none with ":no-audio"); the viewer's pick is re-applied.
        self._audio_pending = self._audible and self._audio_choice is not None
        self._mp.set_media(self._media)  # stops the previous input: its last events are posted by now
        self.generation += 1  # so they carry the previous generation and are ignored
        self._attempt_at = time.monotonic()
        self._awaiting_picture = True
        self._picture_at = None
        self._audio_only = False
        self.frames.reset()
        self._mp.play()
        self._decoded, self._progress_at, self._next_stats_at = -1, self._attempt_at, 0.0
        log.info("%s: tuning %s (%s)", self.name, self.channel.name, url)

    def handle(self, message: PlayerMessage) -> bool:
        """Apply a message from libVLC; returns True when the visible state changed."""
        if message.generation != self.generation or self.channel is None:
            return False
        if message.kind == "first-frame":
            self._picture_at = message.at
            return self._confirm_picture()
        if message.kind in ("error", "ended"):
            if self.state is PlaybackState.PLAYING:  # a live stream should not end: reconnect
                return self._reconnect(f"stream {message.kind}")
            return self._attempt_failed(f"stream {message.kind}")
        return False

    def poll(self, now: float) -> bool:
        """Time-based transitions (connect time-out, stall, retry); returns True on a visible change."""
        opts = self.engine.options
        if self._audio_pending:
            self._select_audio()
        elif not self._audible and self.state is not PlaybackState.IDLE and self._mp.audio_get_track() >= 0:
            self._mp.audio_set_track(-1)  # silenced before its audio track existed: libVLC picked one since
        if self._retry_at is not None:
            if now >= self._retry_at:
                self._retry_at = None
                self.retries += 1
                self._url_index = 0
                self._start_url()  # stays FAILED until a picture comes
            return False
        if self._awaiting_picture:  # a confirmed first picture ends the wait, or the time-out does
            if self._picture_at is None and now >= self._next_stats_at:
                self._next_stats_at = now + STATS_INTERVAL_S
                if self._radio_playing():
                    self._audio_only, self._picture_at = True, now
            if self._picture_at is not None and self._confirm_picture():
                return True
            return now - self._attempt_at > opts.connect_timeout_s and self._attempt_failed("no picture")
        if self.state is not PlaybackState.PLAYING or now < self._next_stats_at:
            return False
        if self.retries and now - self._playing_since > STEADY_S:
            self.retries = 0
            self._reconnect_times.clear()
        if self.aspect is None:  # libVLC may not know the size yet at the first frame (seen under load)
            self.aspect = self._stream_aspect()
        # libVLC keeps re-displaying (and re-locking) the last picture when input dries up, so the
        # frame callbacks cannot tell a stall; the decoder's own count of new pictures can.
        self._next_stats_at = now + STATS_INTERVAL_S
        decoded = self._decoded_pictures()
        if decoded != self._decoded:
            self._decoded, self._progress_at = decoded, now
        elif now - self._progress_at > opts.stall_after_s:
            return self._reconnect("no new pictures")
        return False

    def _confirm_picture(self) -> bool:
        """PLAYING once a picture came *and* this media's decoder counts one.

        The picture alone is no proof: libVLC's video output re-locks and re-displays the last
        picture while an input has nothing new (a stalled stream, a retune to a dead URL), and
        those copies carry the new attempt's id. The decoder's count lags ~0.3 s behind the first
        picture, so the screen shows the picture at once and only the state waits for the count.
        """
        if self._decoded_pictures() <= 0:
            return False
        if self.first_frame_at is None:
            self.first_frame_at = self._picture_at
        self._playing_since = time.monotonic()
        self._retry_at = None
        self._awaiting_picture = False
        self.aspect = self._stream_aspect() or self.aspect
        return self._set_state(PlaybackState.PLAYING)

    def _set_state(self, state: PlaybackState) -> bool:
        changed = state is not self.state
        self.state = state
        return changed

    def _reconnect(self, reason: str) -> bool:
        """Restart the current URL at once, showing STALLED until pictures come back.

        A stream that keeps breaking (a server that drops viewers, a finite file) is not
        reconnected forever at full speed: after a few quick reconnects it fails and backs off.
        """
        assert self.channel is not None
        now = time.monotonic()
        self._reconnect_times = [t for t in self._reconnect_times if now - t < QUICK_RECONNECT_S] + [now]
        if len(self._reconnect_times) > MAX_QUICK_RECONNECTS:
            self._reconnect_times.clear()
            return self._attempt_failed(f"{reason}, again and again")
        log.warning("%s: %s on %s, reconnecting", self.name, reason, self.channel.name)
        self.reconnects += 1
        self._start_url()
        return self._set_state(PlaybackState.STALLED)

    def _attempt_failed(self, reason: str) -> bool:
        """The current URL gave no picture: the next URL, else FAILED and a retry later."""
        assert self.channel is not None
        if self._url_index + 1 < len(self.channel.urls):
            self._url_index += 1
            log.warning("%s: %s on %s, trying fallback URL", self.name, reason, self.channel.name)
            self._start_url()
            return False
        self._mp.stop()  # synchronous: the failed input's last events are posted by now…
        self.generation += 1  # …with its generation, so they no longer count
        self._awaiting_picture = False
        opts = self.engine.options
        delay = min(opts.retry_max_s, opts.retry_first_s * 2 ** min(self.retries, 16))
        self._retry_at = time.monotonic() + delay
        self.error = reason
        log.warning("%s: %s unavailable (%s), retrying in %.0f s", self.name, self.channel.name, reason, delay)
        return self._set_state(PlaybackState.FAILED)

    def _media_stats(self):
        """libVLC's statistics of the current media, or None when it has none (yet)."""
        stats = self.engine._vlc.MediaStats()
        return stats if self._media is not None and self._media.get_stats(stats) else None

    def _decoded_pictures(self) -> int:
        """The decoder's count of new pictures (of audio blocks, on a radio channel)."""
        stats = self._media_stats()
        if stats is None:
            return self._decoded
        return stats.decoded_audio if self._audio_only else stats.decoded_video

    def _radio_playing(self) -> bool:
        """Audio decoding and no video track at all: a radio channel, playing without pictures."""
        stats = self._media_stats()
        if stats is None or stats.decoded_audio <= 0:
            return False
        video = self.engine._vlc.TrackType.video
        return not any(t.type == video for t in self._media.tracks_get() or ())

    def _stream_aspect(self) -> float | None:
        """Display aspect of the stream. The RV32 buffer's own size is no guide: libVLC's vmem
        output may rescale lines (seen: 640x360 H.264 arriving as 640x386), so the UI scales the
        buffer to this aspect instead."""
        width, height = self._mp.video_get_size(0)
        return width / height if width and height else None

    def stats(self) -> StreamStats:
        """Stream figures for the info overlay (cheap: libVLC keeps them up to date)."""
        vlc = self.engine._vlc
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

    def set_audio(self, volume: int, muted: bool) -> None:
        self._mp.audio_set_volume(volume)
        self._mp.audio_set_mute(muted)

    def set_audible(self, audible: bool) -> None:
        """Decode and play the stream's audio (the player on screen) or not (pre-tuned players)."""
        self._audible = audible
        if audible:
            self._audio_pending = True
            self._select_audio()
        else:
            self._audio_pending = False
            self._mp.audio_set_track(-1)

    def _select_audio(self) -> None:
        tracks = [track for track, _ in self.audio_tracks()]
        if tracks:
            self._mp.audio_set_track(self._audio_choice if self._audio_choice in tracks else tracks[0])
            self._audio_pending = False

    def audio_tracks(self) -> list[tuple[int, str]]:
        """(id, name) of the stream's audio tracks, for the track picker."""
        return _tracks(self._mp.audio_get_track_description())

    def subtitle_tracks(self) -> list[tuple[int, str]]:
        return _tracks(self._mp.video_get_spu_description())

    def select_audio_track(self, track: int) -> None:
        """Play audio track ``track`` (an id from :meth:`audio_tracks`); kept across reconnects."""
        self._audio_choice = track
        if self._audible:
            self._mp.audio_set_track(track)

    def select_subtitle_track(self, track: int) -> None:
        """Show subtitle track ``track``, or none with -1."""
        self._mp.video_set_spu(track)

    @property
    def audio_only(self) -> bool:
        """Playing sound without any video track libVLC can decode (a radio channel, or a codec it lacks)."""
        return self._audio_only

    @property
    def audio_track(self) -> int:
        return self._mp.audio_get_track()

    @property
    def subtitle_track(self) -> int:
        return self._mp.video_get_spu()

    @property
    def audible(self) -> bool:
        """Whether an audio track is playing (or about to, once the stream reveals it)."""
        return self._audio_pending or self._mp.audio_get_track() >= 0

    def stop(self) -> None:
        self._mp.stop()
        self.generation += 1
        self._retry_at = None
        self._awaiting_picture = False
        self.channel = None
        self.state = PlaybackState.IDLE

    def release(self) -> None:
        self.stop()
        self._mp.release()
        if self._media is not None:
            self._media.release()
            self._media = None


def _tracks(description) -> list[tuple[int, str]]:
    return [(track, (name or b"").decode("utf-8", "replace")) for track, name in description or () if track >= 0]


def _fourcc(code: int) -> str:
    return code.to_bytes(4, "little").decode("ascii", "replace").strip() if code else "?"


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
