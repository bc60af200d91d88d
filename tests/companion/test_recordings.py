"""`stb recordings list|play|delete|schedule` as a laptop runs them, against a running box on loopback whose
recorder holds a recording made by ffmpeg: the resume position is shared (the TV stopped at 12 s, the laptop
starts there and stores where it stopped), delete asks first, schedule makes timers from the box's guide."""

from __future__ import annotations

import asyncio
import json

import pytest

from stb.headend.catalog import CHANNELS
from tests.companion.conftest import stb
from tests.net.test_api import run_client
from tests.net.test_recording_streams import REC_ID, SECONDS, clip, make_recording  # noqa: F401  (clip: a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture
def box_with_recording(paired_box, clip):  # noqa: F811
    app, address, _ = paired_box
    pvr = app.net.ctx.pvr
    make_recording(pvr.library.directory, clip, series="test programme")
    asyncio.run_coroutine_threadsafe(asyncio.to_thread(pvr.library.rebuild), pvr.loop).result(30)
    return app, address, pvr


def test_list_play_from_the_shared_position_and_store_it_back(box_with_recording):
    app, address, pvr = box_with_recording
    asyncio.run_coroutine_threadsafe(pvr.set_position(REC_ID, 12.0), pvr.loop).result(30)  # the TV stopped here

    def laptop(base):
        listed = stb("recordings", "list", address, "--json")
        text = stb("recordings", "list", address)
        played = stb("recordings", "play", address, REC_ID, "--headless", "--seconds", "4", "--json", timeout=120)
        return listed, text, played

    listed, text, played = run_client(app, laptop, timeout=200)
    assert listed.returncode == 0, listed.stderr
    found = {r["id"]: r for r in json.loads(listed.stdout)["recordings"]}[REC_ID]
    assert (found["position"], found["state"], found["series"]) == (12.0, "done", "test programme")
    assert REC_ID in text.stdout and "resume at 0:12" in text.stdout
    assert played.returncode == 0, played.stderr
    report = json.loads(played.stdout)
    assert report["started_at"] == 12.0 and report["first_frame_s"] is not None
    assert 12.0 <= report["position_s"] < SECONDS, report  # libVLC started at the resume position, not at 0
    assert report["stored_position"] == pytest.approx(report["position_s"], abs=0.1)
    assert pvr.library.recordings[REC_ID].position == report["stored_position"]  # the TV resumes from there


def test_delete_asks_first_and_schedule_makes_timers(box_with_recording):
    app, address, pvr = box_with_recording
    channel = CHANNELS[1]

    def laptop(base):
        unasked = stb("recordings", "delete", address, REC_ID)  # stdin is no terminal: it cannot ask
        refused = pvr.library.recordings.get(REC_ID) is not None
        deleted = stb("recordings", "delete", address, REC_ID, "--yes", "--json")
        now = stb("recordings", "schedule", address, "--now", str(channel.number), "--json")
        bad = stb("recordings", "schedule", address, channel.id, "not-a-time")
        return unasked, refused, deleted, now, bad

    unasked, refused, deleted, now, bad = run_client(app, laptop, timeout=200)
    assert unasked.returncode != 0 and "--yes" in unasked.stderr and refused
    assert "Traceback" not in unasked.stderr
    assert deleted.returncode == 0 and json.loads(deleted.stdout)["deleted"] == REC_ID
    assert REC_ID not in pvr.library.recordings and not (pvr.library.directory / REC_ID).exists()
    assert now.returncode == 0, now.stderr
    timer = json.loads(now.stdout)["timer"]
    assert timer["channel"] == channel.id and timer["kind"] == "now"
    assert bad.returncode != 0 and "is not a time" in bad.stderr and "Traceback" not in bad.stderr


def test_times_are_read_as_a_household_types_them():
    from datetime import datetime

    from stb.companion.recordings_cli import parse_time
    from stb.errors import StbError

    now = datetime(2027, 1, 15, 20, 30).timestamp()
    assert parse_time("21:15", now) == datetime(2027, 1, 15, 21, 15).timestamp()
    assert parse_time("20:00", now) == datetime(2027, 1, 15, 20, 0).timestamp()  # on now: today's
    assert parse_time("06:00", now) == datetime(2027, 1, 16, 6, 0).timestamp()  # past: tomorrow's
    assert parse_time("2027-02-01T08:00", now) == datetime(2027, 2, 1, 8, 0).timestamp()
    assert parse_time("1800000000", now) == 1_800_000_000
    for bad in ("25:00", "soon", "12:xx", ""):
        with pytest.raises(StbError, match="not a time"):
            parse_time(bad, now)
