"""A channel's playback: the recovery state machine, driving one media player through a small adapter.

States: IDLE → CONNECTING → PLAYING ↔ STALLED → FAILED. The machine decides when an attempt worked
(a picture *and* the decoder's count), when it failed (time-out, error, end), which URL comes next,
when to reconnect and how long to back off; the adapter (libVLC in the box, a fake in the tests) only
plays what it is told and reports what happened. Everything runs on the UI thread, with an
injectable clock so the tests run in milliseconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from stb.lineup.model import Channel
from stb.player.framebuffer import FrameBuffer
from stb.player.playback import EngineOptions, PlaybackState, PlayerMessage, StreamStats
from stb.player.ports import PlayerAdapter
from stb.urls import loggable

log = logging.getLogger(__name__)

STATS_INTERVAL_S = 0.5
QUICK_RECONNECT_S = 10.0  # reconnects closer than this in a row are a stream that keeps breaking…
MAX_QUICK_RECONNECTS = 3  # …and after this many it is treated as failed (back-off), not reconnected
STEADY_S = 30.0  # playing this long makes the back-off start from the beginning again
HIDDEN_RETRY_S = 300.0  # a pre-tuned (hidden) channel that failed is tried again this seldom: a zap retries at once


class Player:
    """One player on a channel: tunes it, notices stalls and failures, recovers by itself.

    A stall or an end of stream while playing reconnects at once (the state stays STALLED until
    pictures come back); a channel whose URLs all failed is retried with back-off (the state stays
    FAILED until one works). Implements :class:`~stb.player.ports.PlayerPort` for the screens.
    """

    def __init__(
        self, adapter: PlayerAdapter, options: EngineOptions, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.adapter = adapter
        self.options = options
        self._clock = clock
        self.state = PlaybackState.IDLE
        self.channel: Channel | None = None
        self.error: str | None = None
        self.tuned_at = 0.0
        self.first_frame_at: float | None = None
        self.aspect: float | None = None  # width / height as the viewer should see it
        self.reconnects = 0  # since the last tune: stalls and ends recovered by reconnecting
        self.retries = 0  # attempts after every URL had failed, since the channel last played
        #: where a channel is read from, in order: its own URLs unless the box routes it (its keyframe cache)
        self.routes: Callable[[Channel], Sequence[str]] = direct_urls
        self._urls: list[str] = []  # this tune's, from ``routes``
        self._url_options: list[str] = []  # libVLC options for those URLs (play_from's)
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
        self._decoded = -1  # decoder's picture count at the last stats poll
        self._progress_at = 0.0  # when that count last moved
        self._next_stats_at = 0.0
        self.paused = False  # timeshift: the input waits, the picture stands, no stall or time-out counts

    @property
    def name(self) -> str:
        return self.adapter.name

    @property
    def frames(self) -> FrameBuffer:
        return self.adapter.frames

    @property
    def generation(self) -> int:
        """Which input the adapter plays now: messages of any other are stale."""
        return self.adapter.generation

    @property
    def retry_at(self) -> float | None:
        """When the back-off tries a failed channel again (this player's clock); None if no retry waits."""
        return self._retry_at

    # -- commands --------------------------------------------------------------------------------------
    def tune(self, channel: Channel, audible: bool = True) -> None:
        """Start playing ``channel`` from its first URL; returns at once.

        A player tuned with ``audible=False`` decodes no audio until :meth:`set_audible` (a pre-tuned
        player is silent whatever the audio output can or cannot mute).
        """
        self.channel = channel
        self.paused = False
        self._urls = list(self.routes(channel)) or list(channel.urls)
        self._url_options = []
        self._audible, self._audio_pending, self._audio_choice = audible, False, None
        self._url_index = 0
        self.reconnects = self.retries = 0
        self._reconnect_times.clear()
        self._retry_at = None
        self.aspect = None
        self.state = PlaybackState.CONNECTING
        self.error = None
        self.tuned_at = self._clock()
        self.first_frame_at = None
        self._start_url()

    def pause(self) -> None:
        """Stand the picture still and stop the sound; the input waits where it is (a timeshift reader is held
        back by TCP, so nothing is lost). No stall or time-out counts until :meth:`resume`."""
        if self.channel is not None and not self.paused:
            self.adapter.set_pause(True)
            self.paused = True

    def resume(self) -> None:
        """Go on from where :meth:`pause` (or a paused :meth:`play_from`) stood."""
        if not self.paused:
            return
        self.paused = False
        self.adapter.set_pause(False)
        now = self._clock()
        self._progress_at = self._attempt_at = now  # the pause was no stall, and no slow connection

    def position(self) -> float | None:
        """Seconds into the input (a recording's file); None when nothing plays or libVLC does not know yet."""
        return self.adapter.time_s() if self.channel is not None else None

    def seek_fraction(self, fraction: float) -> None:
        """Jump to this share of the input (a recording over HTTP, which libVLC 3 does not seek by time)."""
        if self.channel is None:
            return
        self.adapter.set_fraction(fraction)
        self._progress_at = self._clock()  # the jump is no stall

    def seek_by(self, seconds: float) -> None:
        """Jump ``seconds`` on in the input (back when negative), by libVLC's own seeking in a local file."""
        at = self.position()
        if at is None:
            return
        self.adapter.set_time_s(max(0.0, at + seconds))
        self._progress_at = self._clock()  # the jump is no stall

    def play_from(self, urls: Sequence[str], paused: bool = False, options: Sequence[str] = ()) -> None:
        """Play the channel on this player from other URLs (a moment of its timeshift buffer), keeping its state,
        tracks and audio: the screen keeps the last picture until the new one. ``paused``: opened, not started;
        ``options``: libVLC media options for these URLs (a local buffer needs no network caching)."""
        if self.channel is None or not urls:
            return
        self._urls, self._url_index = list(urls), 0
        self._url_options = list(options)
        self._retry_at = None
        self._start_url(paused)
        self.paused = paused

    def reroute(self) -> None:
        """The box's routes changed (its relay started or stopped): play from the new ones if they differ."""
        if self.channel is not None:
            urls = list(self.routes(self.channel)) or list(self.channel.urls)
            if urls != self._urls:
                self.play_from(urls)

    def stop(self) -> None:
        self.adapter.stop()
        self.paused = False
        self._retry_at = None
        self._awaiting_picture = False
        self.channel = None
        self.state = PlaybackState.IDLE

    def release(self) -> None:
        self.stop()
        self.adapter.release()

    # -- what happened ---------------------------------------------------------------------------------
    def handle(self, message: PlayerMessage) -> bool:
        """Apply a message from the adapter; returns True when the visible state changed."""
        if message.generation != self.adapter.generation or self.channel is None:
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
        opts = self.options
        if self._audio_pending:
            self._select_audio()
        elif not self._audible and self.state is not PlaybackState.IDLE and self.adapter.audio_track >= 0:
            self.adapter.set_audio_track(-1)  # silenced before its audio track existed: libVLC picked one since
        if self.paused:
            return False
        if self._retry_at is not None:
            if now >= self._retry_at:
                self._retry_at = None
                self.retries += 1
                if self.channel is not None:  # the route may have changed meanwhile (the cache warmed up)
                    self._urls = list(self.routes(self.channel)) or list(self.channel.urls)
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
            self.aspect = self.adapter.video_aspect()
        # libVLC keeps re-displaying (and re-locking) the last picture when input dries up, so the
        # frame callbacks cannot tell a stall; the decoder's own count of new pictures can.
        self._next_stats_at = now + STATS_INTERVAL_S
        decoded = self._decoded_pictures()
        if decoded != self._decoded:
            self._decoded, self._progress_at = decoded, now
        elif now - self._progress_at > opts.stall_after_s:
            return self._reconnect("no new pictures")
        return False

    # -- the machine -----------------------------------------------------------------------------------
    def _start_url(self, paused: bool = False) -> None:
        """(Re)start the current URL (``paused``: opened but not started); the visible state is the caller's."""
        assert self.channel is not None
        url = self._urls[self._url_index]
        options = media_options(self.channel) + ([] if self._audible else [":no-audio"])
        options += self._url_options + ([":start-paused"] if paused else [])
        # A new media picks its default audio track (none with ":no-audio"); the viewer's pick is re-applied.
        self._audio_pending = self._audible and self._audio_choice is not None
        self.adapter.open(url, options)  # a new generation: the previous input's late messages no longer count
        self._attempt_at = self._clock()
        self._awaiting_picture = True
        self._picture_at = None
        self._audio_only = False
        self._decoded, self._progress_at, self._next_stats_at = -1, self._attempt_at, 0.0
        log.info("%s: tuning %s (%s)", self.name, self.channel.name, loggable(url))

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
        self._playing_since = self._clock()
        self._retry_at = None
        self._awaiting_picture = False
        self.aspect = self.adapter.video_aspect() or self.aspect
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
        now = self._clock()
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
        if self._url_index + 1 < len(self._urls):
            self._url_index += 1
            log.warning("%s: %s on %s, trying fallback URL", self.name, reason, self.channel.name)
            self._start_url()
            return False
        self.adapter.stop()  # its last messages are posted by now, with a generation that no longer counts
        self._awaiting_picture = False
        delay = self.retry_delay(self.retries)
        if not self._audible:  # a broken neighbour, pre-tuned: nobody waits for it, so no churn and no noise
            delay = max(delay, HIDDEN_RETRY_S)
        self._retry_at = self._clock() + delay
        self.error = reason
        log.log(logging.WARNING if self._audible else logging.INFO, "%s: %s unavailable (%s), retrying in %.0f s",
                self.name, self.channel.name, reason, delay)  # fmt: skip
        return self._set_state(PlaybackState.FAILED)

    def retry_delay(self, retries: int) -> float:
        """Back-off after ``retries`` failed retries: doubling from retry_first_s, at most retry_max_s."""
        opts = self.options
        return min(opts.retry_max_s, opts.retry_first_s * 2.0 ** min(retries, 16))

    def _decoded_pictures(self) -> int:
        """The decoder's count of new pictures (of audio blocks, on a radio channel)."""
        counts = self.adapter.counts()
        if counts is None:
            return self._decoded
        return counts.audio if self._audio_only else counts.video

    def _radio_playing(self) -> bool:
        """Audio decoding and no video track at all: a radio channel, playing without pictures."""
        counts = self.adapter.counts()
        if counts is None or counts.audio <= 0:
            return False
        return not self.adapter.has_video_track()

    # -- audio, tracks, figures ------------------------------------------------------------------------
    def stats(self) -> StreamStats:
        """Stream figures for the info overlay (cheap: libVLC keeps them up to date)."""
        return self.adapter.stats()

    def set_audio(self, volume: int, muted: bool) -> None:
        self.adapter.set_volume(volume, muted)

    def set_audible(self, audible: bool) -> None:
        """Decode and play the stream's audio (the player on screen) or not (pre-tuned players)."""
        self._audible = audible
        if audible:
            self._audio_pending = True
            self._select_audio()
        else:
            self._audio_pending = False
            self.adapter.set_audio_track(-1)

    def _select_audio(self) -> None:
        tracks = [track for track, _ in self.audio_tracks()]
        if tracks:
            self.adapter.set_audio_track(self._audio_choice if self._audio_choice in tracks else tracks[0])
            self._audio_pending = False

    def audio_tracks(self) -> list[tuple[int, str]]:
        """(id, name) of the stream's audio tracks, for the track picker."""
        return self.adapter.audio_tracks()

    def subtitle_tracks(self) -> list[tuple[int, str]]:
        return self.adapter.subtitle_tracks()

    def select_audio_track(self, track: int) -> None:
        """Play audio track ``track`` (an id from :meth:`audio_tracks`); kept across reconnects."""
        self._audio_choice = track
        if self._audible:
            self.adapter.set_audio_track(track)

    def select_subtitle_track(self, track: int) -> None:
        """Show subtitle track ``track``, or none with -1."""
        self.adapter.set_subtitle_track(track)

    @property
    def audio_only(self) -> bool:
        """Playing sound without any video track libVLC can decode (a radio channel, or a codec it lacks)."""
        return self._audio_only

    @property
    def audio_track(self) -> int:
        return self.adapter.audio_track

    @property
    def subtitle_track(self) -> int:
        return self.adapter.subtitle_track

    @property
    def audible(self) -> bool:
        """Whether an audio track is playing (or about to, once the stream reveals it)."""
        return self._audio_pending or self.adapter.audio_track >= 0


def direct_urls(channel: Channel) -> Sequence[str]:
    """A channel read straight from its provider: its own URLs, in the line-up's order."""
    return channel.urls


def media_options(channel: Channel) -> list[str]:
    """Per-channel media options: HTTP headers the provider insists on, kept VLC options."""
    options = []
    for header, value in channel.headers.items():
        key = header.lower()
        if key == "user-agent":
            options.append(f":http-user-agent={value}")
        elif key in ("referer", "referrer"):
            options.append(f":http-referrer={value}")
    options.extend(f":{opt}" for opt in channel.vlc_options)
    return options
