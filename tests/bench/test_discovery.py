"""`stb bench discovery` at a tiny size: both parts run between namespace hosts and every box is seen."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from stb import netns
from stb.bench import mdns_actors
from stb.bench.discovery import BROWSERS, render
from stb.cli import main
from tests.netns import netns_unavailable


def _stats_ok(stats: dict, n: int) -> None:
    assert stats["n"] == n and len(stats["samples_ms"]) == n
    assert stats["p50_ms"] <= stats["p95_ms"] <= stats["max_ms"]  # no timing asserted: machines are noisy


@pytest.mark.netns
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_bench_discovery_sees_every_box_with_both_browsers():
    reason = netns_unavailable()
    if reason is not None:
        pytest.skip(reason)
    bench = subprocess.Popen(
        [sys.executable, "-m", "stb", "bench", "discovery", "--boxes", "3", "--rounds", "2", "--max-seconds", "120",
         "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    out, err = bench.communicate(timeout=200)
    assert bench.returncode == 0, err
    result = json.loads(out)

    assert (result["boxes"], result["rounds"], result["capped"]) == (3, 2, False)
    assert result["hosts"] == {"browsers": 2, "new_box": 1, "listener": 1, "boxes": 1, "boxes_per_host": 4}
    registration, browse = result["registration"], result["browse"]
    assert registration["rounds"] == browse["rounds"] == 2
    _stats_ok(registration["probing"], 2)
    for name in BROWSERS:
        assert registration[name]["missed"] == 0 and browse[name]["missed"] == 0  # every box was seen
        for figure in ("from_start", "from_probed"):
            _stats_ok(registration[name][figure], 2)
        for figure in ("first_query", "first", "all", "first_from_query", "all_from_query"):
            _stats_ok(browse[name][figure], 2)
        pairs = zip(browse[name]["first"]["samples_ms"], browse[name]["all"]["samples_ms"], strict=True)
        assert all(first <= every for first, every in pairs)
    assert set(registration["ratio_p50"]) == {"from_start", "from_probed"}
    assert set(browse["ratio_p50"]) == {"first_query", "first", "all", "first_from_query", "all_from_query"}
    assert result["target"]["ms"] == 100 and isinstance(result["target"]["met"], bool)

    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert f"stbb-{bench.pid}-" not in namespaces  # the LAN is gone
    text = render(result)
    assert "(a) registration → seen" in text and "(b) browse with 3 boxes up" in text and "target ≤ 100 ms" in text


def test_bench_discovery_refuses_nonsense_sizes():
    done = subprocess.run([sys.executable, "-m", "stb", "bench", "discovery", "--boxes", "0"], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1 and done.stderr.strip() == "stb: --boxes must be more than 0"
    done = subprocess.run([sys.executable, "-m", "stb", "bench", "discovery", "--boxes", "65"], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1 and done.stderr.strip() == "stb: --boxes must be between 1 and 64"


def test_bench_discovery_without_namespaces_is_one_line_and_touches_nothing(monkeypatch, capsys):
    monkeypatch.setattr(netns.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(netns, "remove_stale", lambda prefix: pytest.fail("nothing may be touched"))
    assert main(["bench", "discovery", "--boxes", "2", "--rounds", "1"]) == 1
    assert capsys.readouterr().err == "stb: cannot make network namespaces: that needs root\n"


@pytest.mark.parametrize("launcher_netns", [None, "own"])
def test_the_actors_refuse_to_run_on_the_real_network(monkeypatch, launcher_netns):
    monkeypatch.delenv(mdns_actors.LAUNCHER_NETNS, raising=False)
    if launcher_netns == "own":  # launched from this very namespace: still not a namespace host
        monkeypatch.setenv(mdns_actors.LAUNCHER_NETNS, str(mdns_actors.netns_id()))
    done = subprocess.run([sys.executable, "-m", "stb.bench.mdns_actors", "boxes"], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
    assert done.returncode == 2 and "only runs inside a namespace host" in done.stderr
