"""`stb bench ui` at a tiny size: it runs end to end against real video and reports every figure."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_bench_ui_reports_frames_of_live_grid_baseline_and_key_latency(tmp_path):
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    out = subprocess.run(
        [sys.executable, "-m", "stb", "bench", "ui", "--channels", "40", "--days", "2", "--frames", "40",
         "--keys", "6", "--skin", "default", "--skin", "hotel", "--json"],
        capture_output=True, text=True, timeout=600, check=True, env=env,
    ).stdout  # fmt: skip
    result = json.loads(out)
    assert result["channels"] == 40 and result["programmes"] == 40 * 2 * 25
    assert 0 < result["start_to_first_frame_s"] < 20
    for part in ("live_with_banner", "grid_scrolling", "grid_full_redraw"):
        assert result[part]["frames"] == 40
        assert 0 < result[part]["p50_ms"] <= result[part]["p99_ms"] <= result[part]["max_ms"]
    assert result["key_to_frame"]["frames"] == 6  # every key posted was seen on screen
    assert result["ratios"]["grid_p99_full_redraw_over_cached"] > 0
    assert result["skin"] == "default" and list(result["skins"]) == ["default", "hotel"]  # each skin measured
    assert all(v > 0 for figures in result["skins"].values() for v in figures.values())


def test_bench_ui_refuses_nonsense_sizes():
    done = subprocess.run([sys.executable, "-m", "stb", "bench", "ui", "--frames", "0"], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1 and done.stderr.strip() == "stb: --frames must be more than 0"
