"""`stb bench reliability` end to end on a small choice of cases: the table counts what ran."""

from __future__ import annotations

import subprocess
import sys

from tests.bench.test_zap import bench


def test_the_report_counts_the_chosen_cases_per_area():
    report = bench("reliability", "--area", "m3u", "--area", "channels.JSON", "--case", "binary", "--case", "UTF-8")
    assert [(r["area"], r["case"], r["result"]) for r in report["cases"]] == [
        ("channels.json", "not UTF-8", "passed"), ("M3U", "binary junk", "passed")]  # fmt: skip
    assert {a["area"]: (a["tried"], a["passed"], a["lost"]) for a in report["areas"]} == {
        "channels.json": (1, 1, 0), "M3U": (1, 1, 0)}  # fmt: skip


def test_a_choice_that_matches_nothing_is_one_line_and_exit_1():
    done = subprocess.run([sys.executable, "-m", "stb", "bench", "reliability", "--area", "nowhere"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1 and done.stderr.strip() == "stb: no case matches --area/--case"
