"""The demo scene every preview screen is drawn in: a Box over a small line-up, a guide written here as XMLTV and
imported into SQLite around ``now``, and still stand-ins for the player, the zapper and the other boxes.

A render then depends only on the skin and the clock, and nothing touches the user's state: it all lives in
``work``. The screens themselves are :mod:`stb.ui.preview`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from stb.box import Box
from stb.config import StateStore
from stb.guide.query import Guide
from stb.guide.store import import_sources
from stb.lineup.model import Channel, Lineup
from stb.player.engine import PlaybackState, StreamStats
from stb.player.ports import Frame, FrameSource, PlayerPort
from stb.player.zapper import PlaybackChanged
from stb.relay.shift import ShiftWindow
from stb.skin.theme import Theme
from stb.tv.catchup import oldest
from stb.tv.core import TvCore
from stb.tv.ports import ZapperPort
from stb.ui.grid import GridScreen
from stb.ui.live import LiveScreen
from stb.ui.settings import Hooks, SettingsScreen

ThemeFor = Callable[[str], Theme]


class NoFrames:
    """A frame source that never has a picture."""

    frames = 0

    def front(self) -> AbstractContextManager[Frame | None]:
        return nullcontext(None)


@dataclass
class StillPlayer:
    """The player seam (a :class:`PlayerPort`): a state, figures and tracks, no pictures (every frame the same)."""

    state: PlaybackState = PlaybackState.PLAYING
    error: str | None = None
    aspect: float | None = 16 / 9
    frames: FrameSource = field(default_factory=NoFrames)
    audio_track: int = 1
    subtitle_track: int = -1
    channel: Channel | None = None  # what a real player plays; the screen asks whether it is a radio channel
    audio_only: bool = False
    paused: bool = False
    first_frame_at: float | None = None
    retry_at: float | None = None

    def stats(self) -> StreamStats:
        return StreamStats(1280, 720, "h264", "mp4a", 4200, 12345, 2)

    def audio_tracks(self) -> list[tuple[int, str]]:
        return [(1, "English"), (2, "Deutsch"), (3, "English (audio description)")]

    def subtitle_tracks(self) -> list[tuple[int, str]]:
        return [(5, "English")]

    def select_audio_track(self, track: int) -> None:
        self.audio_track = track

    def select_subtitle_track(self, track: int) -> None:
        self.subtitle_track = track

    # timeshift's Transport and a recording's seeking: it stands still whatever it is told
    def position(self) -> float | None:
        return None

    def seek_by(self, seconds: float) -> None:
        pass

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def play_from(self, urls: Sequence[str], paused: bool = False, options: Sequence[str] = ()) -> None:
        self.paused = paused

    def stop(self) -> None:
        self.paused = False


@dataclass
class StillFeeds:
    """Timeshift's buffer seam (a :class:`~stb.tv.timeshift.ShiftFeeds`): a fixed window, on the monotonic clock."""

    start_at: float
    live_at: float

    def watch(self, channel: Channel | None) -> None:
        pass

    def window(self, channel_id: str) -> ShiftWindow | None:
        return ShiftWindow(self.start_at, self.live_at, None)

    def shift_url(self, channel_id: str, at: float) -> str:
        return f"http://127.0.0.1/shift/{channel_id}?at={at:.3f}"

    def route(self, channel: Channel) -> Sequence[str]:
        return channel.urls


@dataclass
class StillZapper:
    """The zapper the TV core drives (a :class:`ZapperPort`): the still player on screen, two channels
    pre-tuned, nothing to tune."""

    active: StillPlayer = field(default_factory=StillPlayer)
    pretuned: dict[str, PlaybackState] = field(
        default_factory=lambda: {"b": PlaybackState.PLAYING, "c": PlaybackState.PLAYING}
    )

    def zap(self, channel: Channel) -> bool:
        return False

    def step(self, now: float) -> list[PlaybackChanged]:
        return []

    def set_audio(self, volume: int, muted: bool) -> None:
        pass

    def stop_all(self) -> None:
        pass

    def set_pretuning(self, on: bool) -> None:
        pass


def _conforms(player: StillPlayer, zapper: StillZapper) -> tuple[PlayerPort, ZapperPort]:
    """Never called: mypy (``make lint``) checks here that the stand-ins still fit the ports."""
    return player, zapper


CHANNELS = [  # names in the scripts the fonts must cover, and one too long for any box
    (1, "news", "News 24", ["News"]),
    (2, "sport", "Sports Arena", ["Sport"]),
    (3, "cinema", "Cinema One with a Name Far Too Long for Its Box", ["Movies"]),
    (4, "perviy", "Первый канал", ["International"]),
    (5, "ert", "ΕΡΤ1", ["International"]),
    (6, "empty", "No Guide TV", []),
]
ARCHIVED = ("news", "sport")  # channels with a catch-up archive: their past programmes get a ▶
ARCHIVE = {"catchup": "shift", "catchup-days": "3"}
Show = tuple[int, int, str, str, str | None]  # minutes from the hour, length, title, category, rating
SHOWS: dict[str, list[Show]] = {  # channel → its shows
    "news": [(-60, 60, "Evening News", "News", None), (0, 30, "Weather and Traffic", "News", None),
             (30, 60, "World Report: a Long Look at Everything That Happened Today", "News", None),
             (90, 60, "Late News", "News", None)],
    "sport": [(-30, 120, "Football: Cup Final", "Sport", None), (90, 60, "Highlights", "Sport", None)],
    "cinema": [(-45, 105, "Harbour Lights", "Movie", "12"), (60, 120, "The Last Express", "Movie", "16")],
    "perviy": [(-20, 50, "Время", "News", None), (30, 90, "Кино: Ирония судьбы", "Movie", None)],
    "ert": [(0, 60, "Ειδήσεις", "News", None), (60, 90, "Ντοκιμαντέρ", "Documentary", None)],
}  # fmt: skip


def write_xmltv(path: Path, now: float) -> None:
    hour = int(now) // 3600 * 3600

    def stamp(minutes: int) -> str:
        return time.strftime("%Y%m%d%H%M%S +0000", time.gmtime(hour + minutes * 60))

    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<tv>']
    for _, cid, name, _ in CHANNELS:
        parts.append(f'<channel id="{cid}.demo"><display-name>{name}</display-name></channel>')
    for cid, shows in SHOWS.items():
        for start, length, title, category, rating in shows:
            rated = f'<rating system="FSK"><value>{rating}</value></rating>' if rating else ""
            parts.append(
                f'<programme start="{stamp(start)}" stop="{stamp(start + length)}" channel="{cid}.demo">'
                f"<title>{title}</title><desc>A description of {title}, long enough to wrap over more than one "
                f"line in the details pane, with accents (é, ü, ñ) to show the font covers them.</desc>"
                f"<category>{category}</category>{rated}</programme>"
            )
    parts.append("</tv>")
    path.write_text("\n".join(parts), encoding="utf-8")


@dataclass
class Scene:
    box: Box
    guide: Guide
    now: float
    theme_for: ThemeFor
    canvas: object

    def live(self, zapper: StillZapper | None = None) -> LiveScreen:
        screen = LiveScreen(TvCore(self.box, zapper or StillZapper(), self.guide), self.theme_for("live"))
        screen.notice = None
        return screen

    def grid(self) -> GridScreen:
        def preview(canvas, rect) -> None:
            canvas.fill((40, 90, 140), rect)  # stands for the live picture

        return GridScreen(self.box, self.theme_for("guide"), lambda: self.guide, preview, lambda p, c: None,
                          now=self.now, archived=oldest)  # fmt: skip

    def settings(self) -> SettingsScreen:
        hooks = Hooks(push=lambda s: None, set_pretuning=lambda on: None, set_refresh_hours=lambda h: None,
                      refresh_guide_now=lambda: None, skins=lambda: ["default"])  # fmt: skip
        return SettingsScreen(self.box, self.theme_for("settings"), hooks)


@contextmanager
def demo_scene(work: Path, theme_for: ThemeFor, now: float) -> Iterator[Scene]:
    """A Box, a guide around ``now`` and a canvas, all kept in ``work``."""
    import pygame

    pygame.display.init()
    pygame.font.init()
    xml = work / "guide.xml"
    write_xmltv(xml, now)
    import_sources(work / "g.db", [str(xml)], now=now)
    lineup = Lineup(name="preview", channels=[
        Channel(number=n, id=cid, name=name, groups=groups, urls=[f"http://127.0.0.1:9/{cid}.ts"],
                guide_id=f"{cid}.demo", catchup=ARCHIVE if cid in ARCHIVED else {})
        for n, cid, name, groups in CHANNELS
    ])  # fmt: skip
    box = Box(lineup, StateStore(work))
    box.state.favourites = ["news", "perviy"]
    box.start()
    guide = Guide(work / "g.db", lineup)
    try:
        yield Scene(box, guide, now, theme_for, pygame.Surface((1280, 720)))
    finally:
        guide.close()


def demo_auth(s: Scene):
    """Two paired devices, for the pairing and device screens."""
    from stb.lan.auth import Auth, Device

    auth = Auth(directory=s.box.store.path.parent)
    auth.paired.devices = [Device("a1", "Anna's phone", "0" * 64, s.now - 86400, s.now - 600),
                           Device("b2", "Living room laptop", "1" * 64, s.now - 7 * 86400, 0.0)]  # fmt: skip
    return auth


def two_boxes():
    """Other screens as a box would list them: one showing a channel this line-up has, one hiding it."""
    from stb.lan.discovery import FoundBox

    common = {"port": 8600, "model": "stb", "version": "0.1", "api_path": "/api/v1", "host": "stb.local."}
    return (
        FoundBox(name="Den", box_id="d1", addresses=["10.0.0.5"], pairing_required=True, channel="Sports Arena",
                 channel_id="sport", **common),
        FoundBox(name="Kids Room", box_id="k2", addresses=["10.0.0.7"], pairing_required=True, channel=None,
                 **common),
    )  # fmt: skip


@dataclass
class StillPeers:
    """The peers seam: a fixed list of boxes, and calls that never answer."""

    boxes: tuple = field(default_factory=two_boxes)
    error: str | None = None

    def token_for(self, box_id: str) -> str | None:
        return None

    def begin_pairing(self, box, device_name, done) -> None:
        done(_outcome(True, "p1"))

    def complete_pairing(self, box, pairing_id, code, done) -> None:
        pass

    def open_live(self, box, done) -> None:
        pass

    def list_recordings(self, box, done) -> None:
        done(_outcome(True, den_recordings()))

    def open_recording(self, box, recording, done) -> None:
        pass


def den_recordings():
    """Another box's recordings as the Other screens menu lists them: one being recorded, one half watched, one
    with a title too long for its row, one watched."""
    from stb.lan.remote_recordings import RemoteRecording

    day = 1_700_000_000.0
    return [
        RemoteRecording("0000000000000001", "Football: Cup Final", "sport", "Sports Arena", day, 5400, 0, "recording",
                        False),
        RemoteRecording("0000000000000002", "The Flat Upstairs", "cinema", "Cinema Plus", day - 86400, 1800, 754,
                        "done", False, episode="Keys"),
        RemoteRecording("0000000000000003", "Cinema One with a Name Far Too Long for Its Row and Then Some More",
                        "cinema", "Cinema One with a Name Far Too Long for Its Box", day - 2 * 86400, 7200, 0, "done",
                        False),
        RemoteRecording("0000000000000004", "World Report", "news", "News 24", day - 3 * 86400, 900, 900, "done",
                        True),
    ]  # fmt: skip


def _outcome(ok: bool, value=None):
    from stb.lan.peers import Outcome

    return Outcome(ok, value)
