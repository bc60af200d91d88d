"""A small window on a laptop that plays a box's stream (libVLC into pygame) with the channel named on top.

The same player engine as the TV's, so the same stall detection and reconnects. The label comes
from the box's event stream, read by a background thread; the pygame thread owns the window and
the player, as on the TV.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stb.headend import marker
from stb.lineup.model import Channel
from stb.player.engine import Engine, EngineOptions, PlaybackState
from stb.skin.theme import Theme
from stb.ui.fonts import Fonts
from stb.ui.video import draw_latest_frame

LABEL_S = 4.0
SIZE = (960, 540)
FPS = 30


@dataclass
class ViewerReport:
    """What the viewer saw, for `--json` and for the tests."""

    first_frame_s: float | None = None
    pictures: int = 0
    labels: list[str] = field(default_factory=list)
    state: str = "idle"
    reconnects: int = 0
    pictures_at: dict[str, int] = field(default_factory=dict)  # pictures decoded when `Viewer.note(name)` came
    marker: int | None = None  # the demo head-end's channel marker in the last picture (tests, benches)
    position_s: float | None = None  # seconds into the input when it stopped (a recording's resume position)


class Viewer:
    def __init__(
        self,
        url: str,
        title: str,
        headless: bool = False,
        fullscreen: bool = False,
        on_first_frame: Callable[[float], None] | None = None,
        start_s: float = 0.0,
        length_s: float | None = None,
    ) -> None:
        """``on_first_frame(seconds)``: called once, on the viewer's thread, when the first picture shows
        (`stb take` tells the box then); keep it short or hand the work to another thread."""
        if headless:
            os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        self.url, self.title = url, title
        self.headless, self.fullscreen = headless, fullscreen
        self.labels: queue.SimpleQueue[str] = queue.SimpleQueue()  # from any thread
        self.notes: queue.SimpleQueue[str] = queue.SimpleQueue()  # from any thread
        self.on_first_frame = on_first_frame
        self.start_s, self.length_s = start_s, length_s  # a recording: where to start, of how long
        self.report = ViewerReport()
        self._label, self._label_until = title, 0.0
        self.running = True

    def say(self, label: str) -> None:
        """Show ``label`` (e.g. the new channel) over the picture for a few seconds; from any thread."""
        self.labels.put(label)

    def note(self, name: str) -> None:
        """Record in the report how many pictures were decoded by now (e.g. when the TV went to standby)."""
        self.notes.put(name)

    def run(self, seconds: float | None = None, stop: Callable[[], bool] = lambda: False) -> ViewerReport:
        import pygame

        pygame.display.init()
        pygame.font.init()
        flags = pygame.FULLSCREEN if self.fullscreen else pygame.RESIZABLE
        window = pygame.display.set_mode((0, 0) if self.fullscreen else SIZE, flags)
        pygame.display.set_caption(f"stb · {self.title}")
        theme = Theme()
        font = Fonts(theme.fonts).get(theme.font_medium, bold=True)
        engine = Engine(EngineOptions(network_caching_ms=300))
        player = engine.create_player("viewer")
        started = time.monotonic()
        options = [f"start-time={self.start_s:.1f}"] if self.start_s > 0 else []
        player.tune(Channel(number=1, id="remote", name=self.title, urls=[self.url], vlc_options=options))
        self.say(self.title)
        video = pygame.Surface(window.get_size())
        clock = pygame.time.Clock()
        seek_to = self.start_s if self.start_s > 0 else None
        try:
            while self.running and not stop() and (seconds is None or time.monotonic() - started < seconds):
                now = time.monotonic()
                for event in pygame.event.get():
                    if event.type == pygame.QUIT or (
                        event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_q)
                    ):
                        self.running = False
                    elif event.type == pygame.VIDEORESIZE:
                        video = pygame.Surface(window.get_size())
                while not engine.messages.empty():
                    player.handle(engine.messages.get_nowait())
                player.poll(now)
                while not self.labels.empty():
                    self._label, self._label_until = self.labels.get_nowait(), now + LABEL_S
                    self.report.labels.append(self._label)
                if player.state is PlaybackState.PLAYING and self.report.first_frame_s is None:
                    self.report.first_frame_s = round(now - started, 3)
                    if self.on_first_frame is not None:
                        self.on_first_frame(self.report.first_frame_s)
                if seek_to is not None and player.state is PlaybackState.PLAYING and (at := player.position()):
                    seek_to = None  # libVLC 3 ignores start-time (and set_time) on a TS over HTTP: a share, once
                    if at < self.start_s - 1.0 and self.length_s:
                        player.seek_fraction(self.start_s / self.length_s)
                while not self.notes.empty():
                    self.report.pictures_at[self.notes.get_nowait()] = player.stats().decoded
                if video.get_size() != window.get_size():
                    video = pygame.Surface(window.get_size())
                if draw_latest_frame(player, video, theme.background):
                    window.blit(video, (0, 0))
                else:
                    window.fill(theme.background)
                if now < self._label_until or player.state is not PlaybackState.PLAYING:
                    text = (
                        self._label
                        if player.state is PlaybackState.PLAYING
                        else f"{self._label} · {player.state.value}"
                    )
                    rendered = font.render(text, True, theme.text)
                    box = rendered.get_rect(topleft=(24, 24)).inflate(32, 16)
                    pygame.draw.rect(window, theme.surface, box, border_radius=12)
                    window.blit(rendered, (box.x + 16, box.y + 8))
                pygame.display.flip()
                clock.tick(FPS)
        finally:
            stats = player.stats()
            self.report.position_s = player.position()
            self.report.pictures, self.report.state = stats.decoded, player.state.value
            self.report.marker = _marker(player)
            self.report.reconnects = player.reconnects
            player.release()
            engine.release()
            pygame.display.quit()
        return self.report


def _marker(player) -> int | None:
    with player.frames.front() as frame:
        if frame is None:
            return None
        pixels, fmt = frame
        return marker.decode(pixels, fmt.width, fmt.height, fmt.pitch)


def follow_events(
    events_url: str,
    token: str,
    on_channel: Callable[[dict], None],
    stop: threading.Event,
    tls: Any = None,  # the pinned ssl.SSLContext: the token goes only to the box that proves its key
) -> threading.Thread:
    """A daemon thread that calls ``on_channel(channel)`` for each `channel` event of the box."""
    import json

    import httpx

    def run() -> None:
        while not stop.is_set():
            try:
                with (
                    httpx.Client(timeout=httpx.Timeout(5.0, read=30.0), verify=tls or True) as client,
                    client.stream("GET", events_url, headers={"Authorization": f"Bearer {token}"}) as response,
                ):
                    kind = None
                    for line in response.iter_lines():
                        if stop.is_set():
                            return
                        if line.startswith("event: "):
                            kind = line[7:]
                        elif line.startswith("data: ") and kind == "channel":
                            on_channel(json.loads(line[6:]))
            except (httpx.HTTPError, ValueError):
                stop.wait(1.0)  # the box restarts or the network hiccups: listen again

    thread = threading.Thread(target=run, name="stb-events", daemon=True)
    thread.start()
    return thread
