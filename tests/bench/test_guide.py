"""`stb bench guide` at a tiny size: it runs end to end and its figures are consistent (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from stb.bench.synthetic import write_guide, write_real_guide
from stb.guide.store import import_sources


def test_the_synthetic_guide_imports_completely(tmp_path):
    written = write_guide(tmp_path / "g.xml", channels=3, days=2, per_day=10)
    report = import_sources(tmp_path / "g.db", [str(tmp_path / "g.xml")], prune_days=30)
    assert written == 3 * 2 * 10
    assert report.programmes == written
    assert report.overlaps_fixed == report.duplicates_removed == report.gaps == 0


def test_the_real_shaped_guide_imports_completely_in_every_language(tmp_path):
    written = write_real_guide(tmp_path / "r.xml", channels=6, days=1)
    report = import_sources(tmp_path / "r.db", [str(tmp_path / "r.xml")], prune_days=30)
    assert report.programmes == written and report.sources[0].channels == 6
    assert report.overlaps_fixed == report.duplicates_removed == report.gaps == 0


def test_bench_guide_reports_imports_baseline_ratios_and_query_latencies():
    out = subprocess.run(
        [sys.executable, "-m", "stb", "bench", "guide", "--channels", "20", "--days", "2", "--runs", "5", "--json"],
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout  # fmt: skip
    result = json.loads(out)
    small, full = result["import"]
    assert (small["programmes"], full["programmes"]) == (2 * 2 * 25, 20 * 2 * 25)
    for row in (small, full):
        assert row["programmes_per_s"] > 0 and row["peak_rss_mb"] > 10
        assert row["file_mb"] > 0
    assert result["ratios_on_small"]["speed_vs_naive"] > 0
    assert result["naive_on_small"]["peak_rss_mb"] > 10
    assert result["bare_parse_on_full"]["programmes_per_s"] > 0 and result["bare_parse_on_full"]["vs_ours"] > 0
    assert result["memory_growth"]["file_x"] > 5
    assert set(result["queries"]) == {"now_next_all_channels", "grid_20ch_4h", "search"}
    for latency in result["queries"].values():
        assert 0 <= latency["p50_ms"] <= latency["p99_ms"]
    real = result["real"]
    assert real["import"]["programmes"] > 0 and real["import"]["peak_rss_mb"] > 10
    searches = {"search_words", "search_chinese", "search_japanese", "search_thai"}
    assert set(real["queries"]) == {*searches, "now_next_all_channels"}
    assert all(real["found"][name] > 0 for name in searches)  # each script's search finds its programmes


def test_bench_guide_text_report_names_every_figure():
    out = subprocess.run(
        [sys.executable, "-m", "stb", "bench", "guide", "--channels", "10", "--days", "1", "--runs", "3"],
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout  # fmt: skip
    assert "naive" in out and "now_next_all_channels" in out and "peak RSS" in out and "bare parse" in out
    assert "real-shaped guide" in out and "search_chinese" in out
