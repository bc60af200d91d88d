"""Fakes at the player's seams: a clock, a media player (PlayerAdapter) and an engine (PlayerSource).

The fake adapter plays nothing; a test says what its "stream" does (a picture, decoded counts, an
error, an end, audio tracks appearing), and the adapter posts the same messages libVLC's callbacks
post, stamped with the generation of the input they belong to.
"""

from __future__ import annotations

import queue
from collections.abc import Sequence

from stb.lineup.model import Channel
from stb.player.framebuffer import FrameBuffer
from stb.player.playback import DecodeCounts, EngineOptions, PlayerMessage, StreamStats
from stb.player.ports import PlayerAdapter, PlayerSource
from stb.player.recovery import Player


class FakeClock:
    """time.monotonic() that moves only when told."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


class FakeAdapter:
    """A PlayerAdapter without libVLC: records what it is told, posts what the test makes happen."""

    def __init__(self, name: str, messages: queue.SimpleQueue[PlayerMessage], clock: FakeClock) -> None:
        self._name = name
        self._messages = messages
        self._clock = clock
        self._generation = 0
        self._frames = FrameBuffer()
        self.opened: list[tuple[str, list[str]]] = []  # every (url, options) opened, in order
        self.url: str | None = None  # the input playing now
        self.stops = 0
        self.released = False
        self.decoded: DecodeCounts | None = None
        self.video_track = True
        self.aspect: float | None = None
        self.volume: tuple[int, bool] = (100, False)
        self.audio_choices: list[tuple[int, str]] = []
        self._audio_track = -1
        self._subtitle_track = -1
        self.paused = False
        self.time: float | None = None  # where the input is (a file's seconds), as the test sets it

    # -- PlayerAdapter ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def frames(self) -> FrameBuffer:
        return self._frames

    def open(self, url: str, options: Sequence[str]) -> None:
        self.opened.append((url, list(options)))
        self.url = url
        self.paused = ":start-paused" in options
        self._generation += 1
        self._frames.reset()
        self.decoded = DecodeCounts(0, 0)
        self.audio_choices, self._audio_track = [], -1  # a new media: tracks known once it plays

    def stop(self) -> None:
        self.stops += 1
        self.url = None
        self._generation += 1

    def counts(self) -> DecodeCounts | None:
        return self.decoded

    def has_video_track(self) -> bool:
        return self.video_track

    def video_aspect(self) -> float | None:
        return self.aspect

    def stats(self) -> StreamStats:
        decoded = self.decoded.video if self.decoded else 0
        return StreamStats(640, 360, "h264", "mp4a", 1000, decoded, 0)

    def set_volume(self, volume: int, muted: bool) -> None:
        self.volume = (volume, muted)

    def set_pause(self, paused: bool) -> None:
        self.paused = paused

    def time_s(self) -> float | None:
        return self.time

    def set_time_s(self, seconds: float) -> None:
        self.time = max(0.0, seconds)

    def set_fraction(self, fraction: float) -> None:
        self.fraction = min(1.0, max(0.0, fraction))

    @property
    def audio_track(self) -> int:
        return self._audio_track

    def set_audio_track(self, track: int) -> None:
        self._audio_track = track

    def audio_tracks(self) -> list[tuple[int, str]]:
        return list(self.audio_choices)

    @property
    def subtitle_track(self) -> int:
        return self._subtitle_track

    def set_subtitle_track(self, track: int) -> None:
        self._subtitle_track = track

    def subtitle_tracks(self) -> list[tuple[int, str]]:
        return [(5, "English")]

    def release(self) -> None:
        self.released = True

    # -- what the "stream" does --------------------------------------------------------------------------
    def post(self, kind: str, generation: int | None = None) -> None:
        stamp = self._generation if generation is None else generation
        self._messages.put(PlayerMessage(self._name, kind, stamp, at=self._clock()))

    def show_picture(self) -> None:
        """The first picture of this input is displayed (the decoder's count may lag behind)."""
        self.post("first-frame")

    def decode(self, video: int = 0, audio: int = 0) -> None:
        """The decoder counts ``video`` more pictures and ``audio`` more audio blocks."""
        counts = self.decoded or DecodeCounts(0, 0)
        self.decoded = DecodeCounts(counts.video + video, counts.audio + audio)

    def play(self) -> None:
        """A working input: a picture shown and counted."""
        self.decode(video=1, audio=1)
        self.show_picture()

    def reveal_audio(self, tracks: list[tuple[int, str]]) -> None:
        """The stream's audio tracks become known; libVLC then plays the first unless told ":no-audio"."""
        self.audio_choices = tracks
        if self.opened and ":no-audio" not in self.opened[-1][1]:
            self._audio_track = tracks[0][0]


class FakeEngine:
    """A PlayerSource whose players drive fake adapters, all on one fake clock."""

    def __init__(self, options: EngineOptions | None = None, clock: FakeClock | None = None) -> None:
        self.options = options or EngineOptions()
        self.clock = clock or FakeClock()
        self.messages: queue.SimpleQueue[PlayerMessage] = queue.SimpleQueue()
        self.adapters: dict[str, FakeAdapter] = {}

    def create_player(self, name: str) -> Player:
        adapter = self.adapters[name] = FakeAdapter(name, self.messages, self.clock)
        return Player(adapter, self.options, self.clock)

    def deliver(self, player: Player) -> bool:
        """Hand every posted message to ``player`` as the UI thread does; True when its state changed."""
        changed = False
        while not self.messages.empty():
            changed = player.handle(self.messages.get_nowait()) or changed
        return changed


def channel(number: int = 1, *urls: str) -> Channel:
    return Channel(number=number, id=f"c{number}", name=f"C{number}", urls=list(urls) or [f"http://h/{number}"])


def _conforms(adapter: FakeAdapter, engine: FakeEngine) -> tuple[PlayerAdapter, PlayerSource]:
    """Never called: mypy (``make lint``) checks here that the fakes still fit the seams they stand in for."""
    return adapter, engine
