"""A recording's parts on the TV without libVLC: which part and where a resume starts, the lock it carries,
skips that stop at a part's end, the next part at the end of one, live TV after the last."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stb.box import Box
from stb.config import StateStore
from stb.lineup.model import Channel, Lineup
from stb.pvr.library import Meta, Part
from stb.tv.playback import END_S, Playback
from stb.tv.recordings import TvRecordings

NEWS = Channel(number=1, id="news", name="News", urls=["http://127.0.0.1:9/news"], age_rating=6)


def meta(position: float = 0.0, rating: str | None = "16") -> Meta:
    parts = [Part("part-1.ts", 1000.0, 1030.0, source="timeshift"), Part("part-2.ts", 1030.0, 1090.0)]
    return Meta("0123456789abcdef", "news", "News", "Film", 1000.0, 1090.0, rating=rating, parts=parts,
                position=position)  # fmt: skip


@dataclass
class StillPlayer:
    """The on-screen player's position as the test sets it (a PlayerPort's few calls used here)."""

    channel: Channel | None = None
    at: float | None = None
    paused: bool = False
    seeks: list[float] = field(default_factory=list)

    def position(self) -> float | None:
        return self.at

    def seek_by(self, seconds: float) -> None:
        self.seeks.append(seconds)
        self.at = (self.at or 0.0) + seconds


def test_a_resume_position_in_the_second_part_starts_that_part_there(tmp_path):
    playback = Playback.of(meta(position=45.0), tmp_path, NEWS, frozenset())
    assert playback.part == 1 and playback.lengths == [30.0, 60.0]
    assert playback.channel.urls == [(tmp_path / "part-2.ts").as_uri()]
    assert "start-time=15.0" in playback.channel.vlc_options
    assert playback.channel.age_rating == 16 and not playback.channel.locked  # the programme's age, above 6
    player = StillPlayer(playback.channel, 20.0)
    assert playback.position(player) == 50.0 and not playback.watched(50.0) and playback.watched(85.0)


def test_a_recording_of_a_locked_channel_is_locked_and_a_short_resume_starts_at_the_start(tmp_path):
    playback = Playback.of(meta(position=2.0, rating=None), tmp_path, NEWS, frozenset({"news"}))
    assert playback.part == 0 and playback.channel.locked and playback.channel.age_rating == 6
    assert not any(o.startswith("start-time") for o in playback.channel.vlc_options)


def test_a_skip_past_the_end_of_a_part_stops_at_its_end(tmp_path):
    playback = Playback.of(meta(), tmp_path, NEWS, frozenset())
    player = StillPlayer(playback.channel, 25.0)
    playback.transport("skip_forward_long", player)
    assert player.at == 30.0 - END_S and playback.at_part_end(player)  # type: ignore[arg-type]


class Recorder:
    """Just enough of the recorder for the TV's playback: where a recording's parts are."""

    loop = None  # no view is asked for

    def __init__(self, folder: Path) -> None:
        class Library:
            def folder(self, recording_id: str) -> Path:
                return folder

        self.library = Library()


def test_the_next_part_follows_and_after_the_last_live_tv_comes_back(tmp_path):
    box = Box(Lineup(name="t", channels=[NEWS]), StateStore(tmp_path))
    box.zap("news")
    player = StillPlayer()

    class Zapper:
        active = player

    said: list[str] = []
    recordings = TvRecordings(said.append, box, Zapper(), Recorder(tmp_path))  # type: ignore[arg-type]
    asked: list = []
    recordings._ask = lambda call, done, failed="": asked.append(failed) or True  # type: ignore[method-assign]
    assert recordings.play(meta())
    assert box.is_flung(box.current) and box.current.urls == [(tmp_path / "part-1.ts").as_uri()]
    player.channel, player.at = box.current, 29.5
    recordings.step(0.0)
    assert box.current.urls == [(tmp_path / "part-2.ts").as_uri()] and recordings.playing is not None
    player.channel, player.at = box.current, 59.5
    recordings.step(0.0)
    assert recordings.playing is None and box.current.id == "news" and said == ["End of Film"]
    assert asked == ["Position not kept"]  # the position (and watched) was sent to the recorder


def test_a_part_being_written_is_as_long_as_its_file_reaches_and_skips_stop_short_of_that(tmp_path):
    from dataclasses import replace

    from stb.headend.catalog import CHANNELS
    from stb.headend.media import clip_path, ensure_media
    from stb.tv.playback import EDGE_S

    ensure_media()
    clip = clip_path(CHANNELS[0]).read_bytes()
    (tmp_path / "part-1.ts").write_bytes(b"")
    (tmp_path / "part-2.ts").write_bytes(clip[: len(clip) // 2 + 100])  # half, and a packet cut short
    growing = meta()
    growing.state, growing.parts[1].end = "recording", None
    playback = Playback.of(growing, tmp_path, NEWS, frozenset())
    assert playback.growing and playback.lengths[0] == 30.0 and 8.0 < playback.lengths[1] < 12.0
    player = StillPlayer(playback.channel, 0.0)
    playback.part = 1
    playback.transport("skip_forward_long", player)
    assert player.at == pytest.approx(playback.lengths[1] - EDGE_S) and not playback.at_part_end(player)  # type: ignore[arg-type]
    (tmp_path / "part-2.ts").write_bytes(clip)  # the writer went on to the clip's end
    assert playback.measure() == pytest.approx(19.92, abs=0.1) and playback.lengths[1] == playback.measure()
    done = replace(growing, state="done", parts=[growing.parts[0], replace(growing.parts[1], end=1200.0)])
    playback.refresh(done, tmp_path)  # over: the part's length is still the file's (not the clock's 170 s)
    assert not playback.growing and playback.lengths[1] == pytest.approx(19.92, abs=0.1)
    player.at = playback.lengths[1] - END_S / 2
    assert playback.at_part_end(player)  # type: ignore[arg-type]
