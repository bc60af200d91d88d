"""`stb bench pvr --scenario screens` at a tiny size (3 screens, 1 recording, 3 s): the keys scripts read, every
screen received bytes, and no continuity error in what stock ffmpeg received or in the recording (never timings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stb.bench import pvr, pvr_screens
from stb.errors import StbError
from stb.headend.process import headend_on_free_port

pytestmark = pytest.mark.timeout(600)


@pytest.mark.slow
def test_screens_on_different_recordings_while_a_channel_records_see_no_continuity_error(media_dir, tmp_path):
    with headend_on_free_port() as (_, port):
        part = pvr_screens.run(host="127.0.0.1", port=port, work=tmp_path, seconds=3.0, screens=3, recording=1)
    assert part["screens"] == 3 and part["recordings_while"] == 1
    assert part["routes"] == {"ts": 2, "hls": 1, "seeking": 1}
    each = part["each"]
    assert len({s["channel"] for s in each}) == 3  # three different recordings
    assert all(s["bytes"] > 0 and s["exit"] == 0 for s in each), each
    assert next(s for s in each if s["seek_s"] is not None)["seeks"] > 0  # it asked for a range partway
    assert part["continuity_errors_screens"] == 0, [(s["screen"], s["continuity_errors"]) for s in each]
    assert part["continuity_errors_disk"] == 0
    assert part["continuity_errors_recordings"] == 0 and part["continuity_errors_recordings_stb_ts"] == 0
    assert list(part["recordings_while_states"].values()) == ["partial"]  # stopped through the API, kept
    assert part["bytes_per_screen"] > 0 and part["mb_s_per_screen"] > 0 and part["bytes_ratio_to_disk"] > 0
    for key in ("cpu_percent", "cpu_percent_recordings_alone", "cpu_ratio_to_recordings_alone", "setup_s"):
        assert key in part
    text = pvr.render({"screens": part})
    assert text.startswith("screens: 3 ffmpeg clients") and "continuity errors: 0 in what the screens received" in text


def test_a_screen_that_received_nothing_or_whose_ffmpeg_failed_fails_the_bench_by_name():
    plan = [pvr_screens.Screen(i, f"{i:016x}", f"ch-{i}", "ts" if i % 2 == 0 else "hls", None, "u", Path("f"))
            for i in range(3)]  # fmt: skip
    fine = {"bytes": 1000, "exit": 0, "last_line": None}
    pvr_screens.check_screens(plan, [fine, fine, fine])
    with pytest.raises(StbError, match=r"1 screen\(s\) failed: screen 1 \(hls, ch-1\): no bytes received"):
        pvr_screens.check_screens(plan, [fine, fine | {"bytes": 0}, fine])
    with pytest.raises(StbError, match=r"screen 2 \(ts, ch-2\): ffmpeg exit 1: Connection refused"):
        pvr_screens.check_screens(plan, [fine, fine, {"bytes": 0, "exit": 1, "last_line": "Connection refused"}])
