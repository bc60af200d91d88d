"""`stb bench soak`, short: the household's mix runs end to end and the box's resources stay flat."""

from __future__ import annotations

import pytest

from tests.bench.test_zap import bench

pytestmark = pytest.mark.slow


def test_bench_soak_uses_the_whole_box_and_resources_stay_flat():
    result = bench("soak", "--rounds", "30", "--dwell", "0.3")
    assert result["rounds"] == 30
    assert sum(result["actions"].values()) == 30
    assert {kind for kind, n in result["actions"].items() if n} >= {"zap", "guide", "relay"}
    assert result["client_errors"] == []
    assert set(result["start"]) == set(result["end"]) == {"rss_mb", "fds", "threads"}
    assert result["growth"]["threads"] <= 4  # a leaked player or client thread would stay behind
    assert result["fds_opened_not_fonts"] <= 2, result["fds_opened"]  # sockets, pipes, files left open
    assert result["ui_late_ms"]["p99"] < 100
