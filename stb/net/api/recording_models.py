"""The recordings API's bodies and answers (timers, series rules, recordings), as pydantic models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from stb.lineup.model import ChannelId
from stb.net.api.models import WHOLE
from stb.net.api.problems import Problem
from stb.pvr.library import Meta
from stb.pvr.timers import SeriesRule, Timer

Epoch = Annotated[int, Field(ge=0, le=2**40, description="UTC seconds"), WHOLE]


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class RecordProgramme(_Body):
    what: Literal["programme"]
    channel: ChannelId
    start: Epoch = Field(description="The programme's start, as the guide gives it (UTC seconds)")
    programme_id: Annotated[int, Field(ge=0, le=2**40), WHOLE] | None = Field(
        None, description="The guide's id of it, checked when given (ids change when the guide is refreshed)"
    )


class RecordSeries(_Body):
    what: Literal["series"]
    channel: ChannelId
    start: Epoch = Field(description="Any episode's start on that channel: its title names the series")
    programme_id: Annotated[int, Field(ge=0, le=2**40), WHOLE] | None = None


class RecordNow(_Body):
    what: Literal["now"]
    channel: ChannelId


Schedule = Annotated[RecordProgramme | RecordSeries | RecordNow, Field(discriminator="what")]


class Position(_Body):
    position: Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False)] = Field(
        description="Seconds into the recording where playback resumes"
    )
    watched: bool | None = Field(None, description="Left out: watched once the position is past 90 %")


class PlayOnTv(_Body):
    position: Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False)] | None = Field(
        None, description="Seconds into the recording to start at; left out: where any screen stopped"
    )


class TimerOut(BaseModel):
    id: str
    channel: str
    title: str
    start: float
    stop: float
    begin: float = Field(description="When recording starts: start less the padding")
    end: float = Field(description="When it ends: stop plus the padding")
    kind: Literal["programme", "now", "series"]
    state: Literal["scheduled", "recording", "done", "missed", "failed"]
    rule: str | None
    recording: str | None
    sub_title: str | None
    episode: str | None
    rating: str | None
    genre: list[str]
    reason: str | None = Field(description="Why it needs attention: the guide moved it into a conflict")

    @classmethod
    def of(cls, t: Timer) -> TimerOut:
        return cls(id=t.id, channel=t.channel, title=t.title, start=t.start, stop=t.stop, begin=t.begin, end=t.end,
                   kind=t.kind, state=t.state, rule=t.rule, recording=t.recording, sub_title=t.sub_title,
                   episode=t.episode, rating=t.rating, genre=t.genre, reason=t.reason)  # fmt: skip


class RuleOut(BaseModel):
    id: str
    channel: str
    title: str
    pad_before: int
    pad_after: int
    skipped: list[str] = Field(description="Episodes not scheduled, and why (a conflict, cancelled)")

    @classmethod
    def of(cls, r: SeriesRule) -> RuleOut:
        return cls(id=r.id, channel=r.channel, title=r.title, pad_before=r.pad_before, pad_after=r.pad_after,
                   skipped=r.skipped[-50:])  # fmt: skip


class Timers(BaseModel):
    timers: list[TimerOut]
    rules: list[RuleOut]
    problems: list[str] = Field(description="Timer files that could not be loaded (kept aside), named")


class Scheduled(BaseModel):
    timer: TimerOut | None = Field(description="The timer made (None for a series: see rule)")
    rule: RuleOut | None
    timers: list[TimerOut] = Field(description="For a series: the episodes scheduled now")


class TimerConflictProblem(Problem):
    """409: the box cannot record that many channels at once; ``timers`` are those in the way (drop one)."""

    timers: list[TimerOut] = Field(
        description="The timers in the way: cancel one (DELETE) and ask again to keep "
        "the new one; when several moments overlap, the answer may be 409 again"
    )
    wanted: TimerOut = Field(description="The timer asked for, not scheduled")
    max_channels: int | None = Field(
        description="How many channels the box records at once (null: the same "
        "programme is already being recorded or scheduled)"
    )


class PartOut(BaseModel):
    file: str
    start: float
    end: float | None
    bytes: int
    source: str


class GapOut(BaseModel):
    start: float
    end: float | None
    reason: str


class RecordingOut(BaseModel):
    id: str
    channel: str
    channel_name: str
    title: str
    series: str
    sub_title: str | None
    description: str | None
    episode: str | None
    rating: str | None
    genre: list[str]
    start: float
    stop: float
    state: Literal["recording", "done", "partial", "interrupted", "failed"]
    reason: str | None
    parts: list[PartOut]
    gaps: list[GapOut]
    duration: float
    size: int
    position: float
    watched: bool
    new: bool = Field(description="Not watched and never started")

    @classmethod
    def of(cls, m: Meta) -> RecordingOut:
        return cls(
            id=m.id, channel=m.channel, channel_name=m.channel_name, title=m.title, series=m.series,
            sub_title=m.sub_title, description=m.description, episode=m.episode, rating=m.rating, genre=m.genre,
            start=m.start, stop=m.stop, state=m.state, reason=m.reason,
            parts=[PartOut(file=p.file, start=p.start, end=p.end, bytes=p.bytes, source=p.source) for p in m.parts],
            gaps=[GapOut(start=g.start, end=g.end, reason=g.reason) for g in m.gaps], duration=round(m.duration, 3),
            size=m.size, position=m.position, watched=m.watched, new=not m.watched and m.position == 0,
        )  # fmt: skip


class SeriesGroup(BaseModel):
    series: str
    title: str
    recordings: list[str] = Field(description="Recording ids, newest first")
    new: int


class Recordings(BaseModel):
    recordings: list[RecordingOut]
    series: list[SeriesGroup]
    free_bytes: int


class RecordingUrls(BaseModel):
    ts: str = Field(description="/stream/recording/ID, signed: MPEG-TS with byte ranges (relative to the box)")
    hls: str = Field(description="/hls/recording/ID/index.m3u8, signed: HLS (VOD, or EVENT while it records)")
    expires: int = Field(description="Unix time by which a player must start with them (they then keep working)")
    position: float = Field(description="Where playback resumes, seconds into the recording (shared by every screen)")
    growing: bool = Field(description="Still being recorded: the TS holds what exists, the playlist grows")
