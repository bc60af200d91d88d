"""Routes: timers (a programme, a series, what is on now), and the recordings library.

The recorder (:class:`stb.pvr.service.Pvr`) runs on this same event loop, beside the relay it reads
channels from, so the routes await it directly. Ids in paths are 16 hex digits or a 422: nothing a
request sends ever names a file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from stb.net.api.access import authed
from stb.net.api.context import API, Ctx
from stb.net.api.document import BODY, problems
from stb.net.api.models import State
from stb.net.api.recording_models import (
    PlayOnTv,
    Position,
    RecordingOut,
    Recordings,
    RecordNow,
    RecordProgramme,
    RuleOut,
    Schedule,
    Scheduled,
    SeriesGroup,
    TimerOut,
    Timers,
)
from stb.pvr.service import TimerConflict
from stb.pvr.timers import ID_PATTERN

router = APIRouter(prefix=API)

Id = Annotated[str, Path(pattern=ID_PATTERN, description="16 hex digits")]

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The box cannot record that many channels at once: the timers in the way are listed",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/TimerConflictProblem"}}},
    }
}


async def timer_conflict(request: Request, exc: TimerConflict) -> JSONResponse:
    body = {"type": "about:blank", "title": "Timer conflict", "status": 409, "detail": str(exc),
            "timers": [TimerOut.of(t).model_dump() for t in exc.timers], "wanted": TimerOut.of(exc.timer).model_dump(),
            "max_channels": exc.max_channels}  # fmt: skip
    return JSONResponse(body, 409, media_type="application/problem+json")


@router.get("/timers", dependencies=authed, summary="Timers and series rules", responses=problems(401, 404))
async def timers(ctx: Ctx) -> Timers:
    pvr = ctx.the_pvr()
    return Timers(timers=[TimerOut.of(t) for t in sorted(pvr.timers.values(), key=lambda t: t.begin)],
                  rules=[RuleOut.of(r) for r in pvr.rules.values()], problems=pvr.problems)  # fmt: skip


@router.post("/timers", dependencies=authed, summary="Record a programme, a series, or what is on now",
             responses=problems(400, 413, 401, 404) | CONFLICT)  # fmt: skip
async def schedule(body: Schedule, ctx: Ctx) -> Scheduled:
    pvr = ctx.the_pvr()
    if isinstance(body, RecordNow):
        return Scheduled(timer=TimerOut.of(await pvr.schedule_now(body.channel)), rule=None, timers=[])
    if isinstance(body, RecordProgramme):
        timer = await pvr.schedule_programme(body.channel, body.start, body.programme_id)
        return Scheduled(timer=TimerOut.of(timer), rule=None, timers=[])
    rule = await pvr.schedule_series(body.channel, body.start, body.programme_id)
    made = [TimerOut.of(t) for t in pvr.timers.values() if t.rule == rule.id]
    return Scheduled(timer=None, rule=RuleOut.of(rule), timers=made)


@router.delete("/timers/{timer_id}", dependencies=authed, status_code=204, response_class=Response,
               summary="Cancel a timer or a series rule (a recording under way stops, and is kept)",
               responses=problems(401, 404))  # fmt: skip
async def cancel(timer_id: Id, ctx: Ctx) -> Response:
    pvr = ctx.the_pvr()
    if timer_id in pvr.rules:
        await pvr.cancel_rule(timer_id)
    else:
        await pvr.cancel_timer(timer_id)
    return Response(status_code=204)


@router.get("/recordings", dependencies=authed, summary="Recordings, by series, and the free space",
            responses=problems(401, 404))  # fmt: skip
async def recordings(ctx: Ctx) -> Recordings:
    pvr = ctx.the_pvr()
    groups = [SeriesGroup(series=key, title=metas[0].title, recordings=[m.id for m in metas],
                          new=sum(not m.watched and m.position == 0 for m in metas))
              for key, metas in pvr.series().items()]  # fmt: skip
    return Recordings(recordings=[RecordingOut.of(m) for m in pvr.recordings()], series=groups,
                      free_bytes=pvr.free_bytes())  # fmt: skip


@router.get("/recordings/{recording_id}", dependencies=authed, summary="One recording",
            responses=problems(401, 404))  # fmt: skip
async def recording(recording_id: Id, ctx: Ctx) -> RecordingOut:
    return RecordingOut.of(ctx.the_pvr().recording(recording_id))


@router.delete("/recordings/{recording_id}", dependencies=authed, status_code=204, response_class=Response,
               summary="Delete a recording (its files are removed; one under way stops first)",
               responses=problems(401, 404))  # fmt: skip
async def delete(recording_id: Id, ctx: Ctx) -> Response:
    await ctx.the_pvr().delete_recording(recording_id)
    return Response(status_code=204)


@router.post("/recordings/{recording_id}/play-on-tv", dependencies=authed,
             summary="Play a recording on the TV, from a position or where any screen stopped",
             responses=problems(*BODY, 401, 404, 503))  # fmt: skip
async def play_on_tv(recording_id: Id, body: PlayOnTv, ctx: Ctx) -> State:
    meta = ctx.the_pvr().recording(recording_id)
    copy = replace(meta, parts=list(meta.parts), gaps=list(meta.gaps))  # the TV's own: the recorder may add parts
    if body.position is not None:
        copy = replace(copy, position=body.position, watched=False)
    return await ctx.commands.call(ctx.box.api_play_recording, copy)


@router.put("/recordings/{recording_id}/position", dependencies=authed, summary="Where playback resumes",
            responses=problems(400, 413, 401, 404))  # fmt: skip
async def position(recording_id: Id, body: Position, ctx: Ctx) -> RecordingOut:
    meta = await ctx.the_pvr().set_position(recording_id, body.position, body.watched)
    return RecordingOut.of(meta)
