"""`stb bench relay` at a tiny size: every figure is there and the behaviour is right (never the timings)."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from stb.bench.relay_clients import Counter, Dechunker, added_latency
from stb.ts.packets import PACKET, SYNC


def chunked(parts: list[bytes]) -> bytes:
    return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts) + b"0\r\n\r\n"


def test_the_dechunker_gives_the_body_back_however_the_bytes_are_cut():
    rng = random.Random(7)
    parts = [rng.randbytes(rng.randint(1, 3000)) for _ in range(20)]
    wire = chunked(parts)
    for _ in range(20):
        dechunker, body, at = Dechunker(), bytearray(), 0
        while at < len(wire):
            step = rng.randint(1, 700)
            body += dechunker.feed(wire[at : at + step])
            at += step
        assert bytes(body) == b"".join(parts) and dechunker.done


def packet(pid: int, fill: int) -> bytes:
    return bytes([SYNC, pid >> 8, pid & 0xFF, 0x10]) + bytes([fill]) * (PACKET - 4)


def test_added_latency_matches_packets_past_the_rewritten_header_and_skips_repeats():
    direct, relayed = Counter(hashes={}), Counter(hashes={})
    payload = [packet(0x100, n) for n in range(10)]
    direct.take(b"".join(payload) + packet(0, 99), 10.0)
    rewritten = [bytes([SYNC, 0x01, 0x01, 0x17]) + p[4:] for p in payload]  # another PID and counter
    relayed.take(b"".join(rewritten[:5]), 10.2)
    relayed.take(b"".join(rewritten[5:]) + packet(0, 99), 10.5)
    latency = added_latency(relayed, direct, since=0.0)
    assert latency["packets"] == 10  # the PAT is not matched: tables repeat
    assert latency["p50_ms"] == pytest.approx(500, abs=1) and latency["max_ms"] == pytest.approx(500, abs=1)


def test_bad_client_counts_are_one_line_errors():
    for value in ("0", "1,x", "1000"):
        run = subprocess.run([sys.executable, "-m", "stb", "bench", "relay", "--clients", value],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
        assert run.returncode == 1 and run.stderr.startswith("stb: --clients") and "Traceback" not in run.stderr


@pytest.mark.slow
def test_bench_relay_reports_every_figure_and_the_relay_reads_the_headend_once():
    out = subprocess.run(
        [sys.executable, "-m", "stb", "bench", "relay", "--clients", "1,3", "--seconds", "1", "--starts", "1",
         "--zaps", "2", "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    d = json.loads(out.stdout)
    assert [(s["mode"], s["clients"]) for s in d["steps"]] == [
        (mode, n) for n in (1, 3) for mode in ("direct", "relay_channel", "relay_live")
    ]
    for step in d["steps"]:
        n = step["clients"]
        what = f"{step['mode']} with {n} clients"
        assert step["connected"] == step["clients_with_data"] == n, what
        assert step["clients_dropped"] == 0, what
        assert step["per_client_mbit_s"]["min"] > 0, what
        assert step["tv"]["video_fps"] > 0 and step["tv"]["ui_frames"] > 0, what
        if step["mode"] == "direct":
            assert step["headend_connections"] == n, what
        else:
            assert step["headend_connections"] == 1, f"{what}: the relay must read the head-end once"
            assert step["latency_added"]["packets"] > 0, what
            assert step["relay_dropped_clients"] == 0, what
    assert {"relay_thread_cpu_percent", "box_cpu_percent", "headend_cpu_percent", "tv"} <= set(d["idle"])
    assert [r["clients"] for r in d["ratios"]] == [1, 3]
    for kind in ("relay_cold", "relay_warm", "direct"):
        runs = d["mirror_start"][kind]["runs"]
        assert len(runs) == 1 and runs[0]["channel_shown"] is not None, kind
        assert runs[0]["first_byte_ms"] is not None and runs[0]["keyframe_ms"] is not None, kind
    assert d["mirror_start"]["relay_warm"]["runs"][0]["channel_shown"] == d["channel"]["number"]
    zaps = d["zap_to_mirror"]["runs"]
    assert len(zaps) == 2 and len({z["channel"] for z in zaps}) >= 1
    for figure in ("tv_picture_ms", "mirror_stream_ms", "mirror_picture_ms", "mirror_after_tv_ms"):
        assert d["zap_to_mirror"][figure]["n"] == 2
    assert set(d["targets"]) >= {"clients_target_met", "mirror_start_target_met", "zap_target_met"}
    assert d["targets"]["live_cost_ratio"] == d["ratios"][-1]["live_cost_ratio"] > 0
    assert d["targets"]["hls_upstream_first_byte_ms"] == d["hls_upstream"]["hls_upstream_first_byte_ms"] > 0
    stock = d["zap_to_mirror"]["stock_players"]
    for name in ("ffmpeg", "mpv", "vlc"):
        assert stock[name]["zaps"] == 2 and stock[name]["followed"] >= 1, (name, stock[name])
