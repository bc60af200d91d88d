"""`stb bench pvr` at a tiny size: the keys scripts read are there and the checks can see a fault (never timings)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from stb.bench.pvr import continuity_errors
from stb.reliability.tvlab import demo_clip


def test_the_continuity_check_counts_a_splice_and_passes_a_clean_file(tmp_path, media_dir):
    clip = demo_clip(1)
    clean, spliced = tmp_path / "clean.ts", tmp_path / "spliced.ts"
    clean.write_bytes(clip[: 188 * 3000])
    spliced.write_bytes(clip[: 188 * 1500] + clip[188 * 2500 : 188 * 4000])  # a thousand packets left out
    assert continuity_errors(clean) == 0
    assert continuity_errors(spliced) > 0


def test_bad_counts_are_one_line_errors():
    run = subprocess.run([sys.executable, "-m", "stb", "bench", "pvr", "--recordings", "0"],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 1 and run.stderr.startswith("stb: --recordings") and "Traceback" not in run.stderr


@pytest.mark.slow
def test_bench_pvr_reports_the_keys_scripts_read(media_dir):
    command = [sys.executable, "-m", "stb", "bench", "pvr", "--recordings", "2", "--seconds", "2", "--scenario",
               "recordings", "--json"]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    rec = json.loads(out.stdout)["recordings"]
    assert rec["continuity_errors_alone"] == 0 and len(rec["continuity_errors_per_file"]) == 2
    assert len(rec["recording_start_ms_alone"]["each"]) == 2 and rec["recording_start_ms_alone"]["p50"] is not None
    assert set(rec["states"].values()) == {"done"}, rec["states"]  # a loaded machine may add a gap, never a failure
    assert rec["disk_write_mb_s"] > 0 and rec["cpu_percent_per_recording"] >= 0


@pytest.mark.slow
def test_bench_pvr_combined_reports_the_issues_keys_from_recordings_beside_live_tv_and_timeshift(media_dir):
    command = [sys.executable, "-m", "stb", "bench", "pvr", "--recordings", "2", "--seconds", "2", "--scenario",
               "combined", "--json"]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    rec = json.loads(out.stdout)["combined"]
    per_file = rec["continuity_errors_per_file"]
    assert rec["continuity_errors"] == 0 and len(per_file["stb_ts"]) == len(per_file["ffmpeg"]) == 2, per_file
    assert rec["ffmpeg_decode_error_lines"] == 0, rec["ffmpeg_decode_errors_sample"]
    assert len(rec["recording_start_ms"]["each"]) == 2 and rec["recording_start_ms"]["max"] is not None
    assert set(rec["states"].values()) == {"done"}, rec["states"]
    assert rec["tv_channel"] not in rec["states"] and rec["tv_still_on_its_channel"]  # live TV beside them
    assert rec["timeshift_buffer_packets"] > 0 and rec["timeshift_buffer_continuity_errors"] == 0
    assert rec["disk_write_mb_s_recordings"] > 0 and rec["disk_write_mb_s_timeshift"] > 0
    assert rec["tv_pictures_per_s"]["with_recordings"] > 0 and "cpu_percent_per_recording" in rec


@pytest.mark.slow
def test_bench_pvr_timeshift_reports_the_keys_scripts_read(media_dir):
    out = subprocess.run([sys.executable, "-m", "stb", "bench", "pvr", "--scenario", "timeshift", "--seconds", "2",
                          "--json"], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    shift = json.loads(out.stdout)["timeshift"]
    for key in ("pause_resume_ms", "skip_p50_ms", "back_to_live_ms", "start_over_ms", "trick_max_gap_ms"):
        assert shift[key] > 0, key
    assert set(shift["trick_gaps_ms"]) == {"forward_x8", "rewind_x8", "forward_x32", "rewind_x32"}
    assert set(shift["speedup_vs_baseline"]) == {"pause_resume", "skip", "start_over", "back_to_live"}


def test_the_buffer_wrap_soak_wraps_and_reports_rss(media_dir):
    from stb.bench.timeshift import buffer_wrap

    report = buffer_wrap(hours=0.2, keep_hours=0.1, sample_minutes=1)
    assert report["buffer_span_s"] <= 0.1 * 3600 + 10  # the buffer turned: what it keeps stays bounded
    assert report["written_mb"] > 0 and report["reader_jumps"] == 0
    assert report["rss_growth_while_wrapping_mb"] is not None and len(report["rss_mb"]) >= 10


@pytest.mark.slow
@pytest.mark.skipif(not __import__("shutil").which("chromium"), reason="Debian's chromium is not installed")
def test_bench_pvr_phone_reports_the_keys_scripts_read(media_dir):
    out = subprocess.run([sys.executable, "-m", "stb", "bench", "pvr", "--scenario", "phone", "--seconds", "2",
                          "--json"], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    phone = json.loads(out.stdout)["phone"]
    assert phone["recording_first_frame_ms"] > 0 and phone["bare_hls_first_frame_ms"] > 0
    assert phone["missed_seeks"] == 0 and phone["phone_seek_ms"] > 0 and phone["bare_hls_seek_ms"] > 0


def test_bench_pvr_other_screens_reports_the_keys_scripts_read(media_dir):
    out = subprocess.run([sys.executable, "-m", "stb", "bench", "pvr", "--scenario", "other_screens", "--seconds", "2",
                          "--json"], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    part = json.loads(out.stdout)["other_screens"]
    seek, resume = part["recording_seek_ms"], part["resume_elsewhere_ms"]
    assert seek["p50"] > 0 and seek["file_p50"] > 0 and len(seek["each"]) == 7
    assert resume["ts_first_frame_ms"] > 0 and resume["hls_first_frame_ms"] > 0 and resume["file_first_frame_ms"] > 0
    # the second client starts where the first stopped (a position, not a time: a GOP's worth of slack)
    assert resume["stopped_at_s"] > 0 and resume["ts_position_diff_s"] < 2.0 and resume["hls_position_diff_s"] < 2.0
