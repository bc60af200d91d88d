"""`stb bench zap` at a tiny size: it runs end to end and reports every figure."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from stb.bench.zap import smooth_start

pytestmark = pytest.mark.slow


def test_smooth_start_is_after_the_last_long_gap():
    frames = [1.00, 1.04, 1.08, 1.90, 1.94, 1.98, 2.02, 2.06]  # a first still, then a hold, then motion
    assert smooth_start(frames, first=1.0, until=2.1) == 1.90
    assert smooth_start(frames[:3], first=1.0, until=2.1) == 2.1  # stopped again: not smooth yet
    assert smooth_start([1.0 + i * 0.04 for i in range(30)], first=1.0, until=2.17) == 1.0


def bench(*argv: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "stb", "bench", *argv, "--json"], capture_output=True, text=True, timeout=600, check=True
    ).stdout
    return json.loads(out)


def test_bench_zap_measures_four_engines_both_ways():
    result = bench("zap", "--zaps", "2", "--dwell", "0.5", "--join", "live-edge")
    assert "keyframe_join" not in result
    block = result["live_edge_join"]
    for name in ("a_libvlc_defaults", "b_engine_no_pretune", "c_engine_pretune", "d_engine_cache"):
        for kind in ("up", "random"):
            series = block[name][kind]
            assert series["zaps"] == 2
            for figure in ("first_picture", "smooth"):
                assert 0 < series[figure]["p50_ms"] <= series[figure]["p99_ms"]
                assert (name == "a_libvlc_defaults") != ("speedup_p50_vs_a" in series[figure])
            assert series["cpu_percent"] > 0
        assert block[name]["ui_thread_max_ms"] >= block[name]["ui_thread_p99_ms"] > 0
    assert "pretune_cpu_cost_percent" in block
    assert result["random_cached_p50_ms"] == block["d_engine_cache"]["random"]["first_picture"]["p50_ms"] > 0
    assert result["cache_speedup_vs_engine"] > 0
