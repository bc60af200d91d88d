"""`stb bench pvr --scenario catchup`: the keys scripts read are there (never timings)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_bench_pvr_catchup_reports_the_keys_scripts_read(media_dir):
    out = subprocess.run([sys.executable, "-m", "stb", "bench", "pvr", "--scenario", "catchup", "--json"],
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    if out.returncode != 0 and "too few finished programmes" in out.stderr:
        pytest.skip("just after midnight: the demo guide has no past yet")
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout)["catchup"]
    assert report["catchup_start_ms"] > 0 and report["baseline_direct_open_ms"] > 0
    assert report["rounds"] == len(report["catchup_start_each_ms"]) == len(report["baseline_each_ms"]) == 6
    assert report["ratio_to_direct_open"] > 0
