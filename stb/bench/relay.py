"""`stb bench relay`: what serving other screens costs the box, and how fast a mirror starts and follows.

The box is the real thing: a headless :class:`~stb.ui.app.App` (TV UI, libVLC with pre-tuning, the
HTTP API with the relay in its network thread) whose UI loop the bench runs at 30 Hz, as `stb run`
does. The demo head-end is a child process on loopback. Clients run in another process
(:mod:`stb.bench.relay_clients`) and connect over real TCP, so their CPU is not the box's; the
relay's CPU is the network thread's own run time (``/proc/self/task/TID/schedstat``).

On the TV's channel, for each client count N, three ways in turn (``--seconds`` each, after a 1 s
warm-up):

- ``direct``: N readers of the head-end itself (its own fan-out): the same-run baseline;
- ``relay_channel``: N readers of ``/stream/channel/ID`` (one upstream, fanned out);
- ``relay_live``: N readers of ``/stream/live`` (one upstream, a splicer per client).

Each reports the relay's CPU (and the box's, and the head-end's), throughput per client, clients
that ended early (dropped), the head-end connections the clients cost (1 through the relay), the
TV's pictures and UI frames while it ran (the target: none lost at 50 clients), and the latency the
relay adds: one relay reader is matched packet by packet against a direct reader started with it.
An idle period with no clients is the baseline for the CPU figures.

Then: time from opening ``/stream/live`` to the first byte, the first keyframe and the first decoded
picture (ffmpeg in the client process), with the relay's feed cold and warm, against the head-end
directly; and zaps on the TV with a mirror watching: when the TV shows the new channel (its frame
buffer's burnt-in marker) and when the mirror does (the marker in ffmpeg's pictures). The TV's own
zap time is `stb bench zap`'s subject; here it is only the reference the mirror is compared with.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from stb.bench import relay_report as report
from stb.bench.relay_box import (
    EVENT_TIMEOUT_S,
    Client,
    Tv,
    get_json,
    process_cpu_s,
    start_paired,
    thread_cpu_s,
)
from stb.bench.relay_report import START_FIGURES, ZAP_FIGURES, summary
from stb.bench.stock_clients import PLAYERS, StockPlayer, zap_gaps
from stb.bench.zap import GOOD_CHANNELS, channel_on_screen
from stb.errors import StbError

MODES = ("direct", "relay_channel", "relay_live")
WARMUP_S = 1.0
MAX_CLIENTS = 60  # of the 128 requests the box serves at once (api.MAX_REQUESTS, streams included): room for the rest


# -- the bench ---------------------------------------------------------------------------------------


class Bench:
    """The parts of the run, sharing the box, its TV loop, the head-end and a paired token."""

    def __init__(self, app, tv: Tv, headend: subprocess.Popen, headend_url: str, token: str) -> None:
        self.app, self.tv, self.headend, self.headend_url, self.token = app, tv, headend, headend_url, token
        self.box_url = f"http://127.0.0.1:{app.net.bound_port}"
        self.channel = app.box.current
        net = next((t for t in threading.enumerate() if t.name == "stb-net"), None)
        if net is None or net.native_id is None:
            raise StbError("relay benchmark: the box's network thread is not running")
        self.net_tid = net.native_id
        self.tv_connections = 0

    # -- helpers
    def cpu(self) -> tuple[float, float, float, float]:
        return (time.monotonic(), thread_cpu_s(self.net_tid), process_cpu_s(), process_cpu_s(self.headend.pid))

    @staticmethod
    def cpu_percent(before: tuple, after: tuple) -> dict:
        wall = after[0] - before[0]
        names = ("relay_thread_cpu_percent", "box_cpu_percent", "headend_cpu_percent")
        return {name: round(100 * (after[i] - before[i]) / wall, 1) for i, name in enumerate(names, 1)}

    def headend_clients(self, channel_id: str) -> int:
        return get_json(f"{self.headend_url}/health")["channels"][channel_id]["clients"]

    def relay_stats(self) -> dict:
        return get_json(f"{self.box_url}/api/v1/relay", self.token)

    def url(self, mode: str, channel_id: str) -> str:
        return {"direct": f"{self.headend_url}/live/{channel_id}.ts",
                "relay_channel": f"{self.box_url}/stream/channel/{channel_id}?token={self.token}",
                "relay_live": f"{self.box_url}/stream/live?token={self.token}"}[mode]  # fmt: skip

    # -- fan-out
    def idle(self, seconds: float) -> dict:
        self.tv_connections = self.headend_clients(self.channel.id)
        before = self.cpu()
        tv = self.tv.measure(seconds)
        return {**self.cpu_percent(before, self.cpu()), "headend_connections_of_the_tv": self.tv_connections,
                "tv": tv}  # fmt: skip

    def fan_out(self, mode: str, clients: int, seconds: float) -> dict:
        cid = self.channel.id
        reference = self.url("direct", cid) if mode != "direct" else None
        client = Client({"kind": "readers", "urls": [self.url(mode, cid)] * clients, "reference": reference})
        try:
            connected = client.wait(self.tv, lambda e: e["event"] == "connected", f"{clients} {mode} clients connect")
            self.tv.run_for(WARMUP_S)
            before = self.cpu()
            client.send("start")
            tv = self.tv.measure(seconds)
            after = self.cpu()
            relayed = self.relay_stats()["channels"].get(cid)
            # the head-end's viewers of the channel, less the latency reference and, for the direct readers,
            # the TV's own: the TV's relay reads the channel once, and the box's relay for other screens (a
            # feed lingering from the step before too) reads through it, so one read serves both
            others = (1 if reference else 0) + (self.tv_connections if mode == "direct" else 0)
            headend = self.headend_clients(cid) - others
            relayed = relayed or {}
            client.send("stop")
            result = client.wait(self.tv, lambda e: e["event"] == "result", f"{mode} clients report")
        finally:
            client.close()
        window = result["seconds"]
        rates = [8 * r["window_bytes"] / window / 1e6 for r in result["readers"]]
        step = {
            "mode": mode,
            "clients": clients,
            "connected": connected["ok"],
            **self.cpu_percent(before, after),
            "per_client_mbit_s": {
                "min": round(min(rates), 3),
                "median": round(statistics.median(rates), 3),
                "max": round(max(rates), 3),
            },
            "clients_with_data": sum(r["window_bytes"] > 0 for r in result["readers"]),
            "clients_dropped": sum(r["ended_early"] for r in result["readers"]),
            "longest_pause_s": max(r["max_gap_s"] for r in result["readers"]),
            "headend_connections": headend,
            "client_process_cpu_percent": result["client_cpu_percent"],
            "tv": tv,
        }
        if reference:
            step["direct_reference_mbit_s"] = round(8 * result["reference_window_bytes"] / window / 1e6, 3)
            step["latency_added"] = result["latency_added"]
            step["relay_upstream_connects"] = relayed.get("connects")
            step["relay_dropped_clients"] = relayed.get("dropped_clients")
        return step

    # -- mirror start
    def mirror_start(self, url: str) -> dict:
        client = Client({"kind": "mirror", "url": url})
        try:
            request = client.wait(self.tv, lambda e: e["event"] == "request", "the mirror client starts")
            picture = client.wait(self.tv, lambda e: e["event"] == "picture", "a first picture on the mirror")
            events = {e["event"]: e for e in client.events if e["event"] in ("first_byte", "keyframe")}
        finally:
            client.close()
        at = request["t"]
        return {
            "first_byte_ms": round((events["first_byte"]["t"] - at) * 1000, 1) if "first_byte" in events else None,
            "keyframe_ms": round((events["keyframe"]["t"] - at) * 1000, 1) if "keyframe" in events else None,
            "picture_ms": round((picture["t"] - at) * 1000, 1),
            "channel_shown": picture["channel"],
        }

    def zap_tv(self, number: int) -> tuple[float, float]:
        """Zap the TV as a key press would: (pressed, the TV's first picture of ``number``), monotonic."""
        pressed = time.monotonic()
        self.app.box.zap_number(number)
        player, seen = self.app.player, pressed
        deadline = pressed + EVENT_TIMEOUT_S
        while time.monotonic() < deadline:
            if player.frames.wait_for_frame(after=seen, timeout=0.05):
                seen = player.frames.last_frame_at
                if channel_on_screen(player) == number:
                    return pressed, seen
            self.app.step()  # keep the UI's own work going (player messages, pre-tuning)
        raise StbError(f"relay benchmark: channel {number} did not show on the TV in {EVENT_TIMEOUT_S:.0f} s")

    def mirror_starts(self, starts: int) -> dict:
        numbers = [n for n in GOOD_CHANNELS if n != self.channel.number]
        cold: list[dict] = []
        for number in numbers:
            if len(cold) >= starts:
                break
            channel = self.app.box.lineup.by_number(number)
            if channel is None or channel.id in self.relay_stats()["channels"]:
                continue  # its feed still lingers: not a cold start
            self.zap_tv(number)
            self.tv.run_for(0.5)
            cold.append(self.mirror_start(self.url("relay_live", "")))
        self.zap_tv(self.channel.number)
        self.tv.run_for(0.5)
        keeper = Client({"kind": "readers", "urls": [self.url("relay_live", "")]})  # keeps the live feed warm
        try:
            keeper.wait(self.tv, lambda e: e["event"] == "connected", "a live client connects")
            self.tv.run_for(WARMUP_S)
            warm = [self.mirror_start(self.url("relay_live", "")) for _ in range(starts)]
        finally:
            keeper.close()
        direct = [self.mirror_start(self.url("direct", self.channel.id)) for _ in range(starts)]
        out = {
            name: {"runs": runs, **{f: summary([r[f] for r in runs if r[f] is not None]) for f in START_FIGURES}}
            for name, runs in (("relay_cold", cold), ("relay_warm", warm), ("direct", direct))
        }
        base = out["direct"]["picture_ms"].get("p50_ms")
        for name in ("relay_cold", "relay_warm"):
            p50 = out[name]["picture_ms"].get("p50_ms")
            out[name]["picture_p50_vs_direct"] = round(p50 / max(base, 1.0), 2) if p50 and base else None
        return out

    # -- zap → mirror
    def zaps(self, count: int, dwell: float, seed: int, stock: bool = True) -> dict:
        """Zaps on the TV while the bench's mirror client and stock players (ffmpeg, mpv, VLC) watch /stream/live."""
        rng = random.Random(seed)
        mirror = Client({"kind": "mirror", "url": self.url("relay_live", "")})
        names = [n for n in PLAYERS if StockPlayer.available(n)] if stock else []
        players = [StockPlayer(name, self.url("relay_live", "")).start() for name in names]
        pressed_at: list[tuple[float, int]] = []
        runs = []
        try:
            first = mirror.wait(self.tv, lambda e: e["event"] == "picture", "a first picture on the mirror")
            # every stock player shows pictures before the first zap (ffmpeg probes for seconds at its start)
            self.tv.run_until(lambda: all(p.pictures for p in players), EVENT_TIMEOUT_S, "a stock player's picture")
            self.tv.run_for(1.0)
            current = first["channel"]
            for _ in range(count):
                number = rng.choice([n for n in GOOD_CHANNELS if n != current])
                channel = self.app.box.lineup.by_number(number)
                warm = channel is not None and channel.id in self.relay_stats()["channels"]
                pressed, tv_at = self.zap_tv(number)
                pressed_at.append((pressed, number))
                spliced = mirror.wait(self.tv, _after(pressed, "pmt"), f"the mirror's stream switches to {number}")
                shown = mirror.wait(self.tv, _after(pressed, "picture", number), f"the mirror shows channel {number}")
                runs.append({"channel": number, "relay_feed_was_running": warm,
                             "tv_picture_ms": round((tv_at - pressed) * 1000, 1),
                             "mirror_stream_ms": round((spliced["t"] - pressed) * 1000, 1),
                             "mirror_picture_ms": round((shown["t"] - pressed) * 1000, 1),
                             "mirror_after_tv_ms": round((shown["t"] - tv_at) * 1000, 1)})  # fmt: skip
                current = number
                self.tv.run_for(max(0.0, dwell - (time.monotonic() - pressed)))
            self.tv.run_for(1.0)
        finally:
            mirror.close()
            for player in players:
                player.stop()
        # beside them, when the bench's own mirror client showed the new channel (it reports changes, not gaps)
        stock_gaps: dict = {"bench_mirror_new_channel_ms": summary([r["mirror_picture_ms"] for r in runs])}
        for player in players:
            zapped = zap_gaps(player.pictures, pressed_at)
            gaps = [z["gap_ms"] for z in zapped if z["gap_ms"] is not None]
            stock_gaps[player.name] = {"followed": sum(z["followed"] for z in zapped), "zaps": len(zapped),
                                       "gap_ms": summary(gaps), "runs": zapped}  # fmt: skip
        missing = [n for n in PLAYERS if n not in names]
        return {"runs": runs, **{f: summary([r[f] for r in runs]) for f in ZAP_FIGURES},
                "stock_players": stock_gaps, "stock_players_missing": missing}  # fmt: skip

    # -- an HLS channel's first byte through the relay
    def hls_upstream(self, lineup, starts: int) -> dict:
        """Time to the first byte of an HLS head-end channel through a cold relay feed, against a TS channel's.

        A relay of its own in this process (the box's would keep a feed lingering between the runs), on the
        same head-end: each open is cold, from the playlist request (ffmpeg's start included) to the first TS.
        """
        import asyncio

        from stb.relay.feed import ChannelSource
        from stb.relay.relay import Relay

        hls = next((c for c in lineup.channels if c.urls and c.urls[0].endswith(".m3u8")), None)
        if hls is None:
            return {"error": "the head-end has no HLS channel"}
        ts = self.channel

        def source(cid: str) -> ChannelSource | None:
            channel = lineup.by_id(cid)
            return ChannelSource(channel.id, channel.name, tuple(channel.urls)) if channel else None

        async def first_byte(channel_id: str) -> float:
            relay = Relay(source)
            try:
                began = time.monotonic()
                stream = await relay.open_channel(channel_id)
                await anext(stream)
                took = time.monotonic() - began
                await stream.aclose()
                return took * 1000
            finally:
                await relay.close()

        async def measure() -> tuple[list[float], list[float]]:
            await first_byte(ts.id)  # warm-up: the TLS context and the imports, made once per process
            return ([await first_byte(hls.id) for _ in range(starts)], [await first_byte(ts.id) for _ in range(starts)])

        hls_ms, ts_ms = asyncio.run(measure())
        hls_sum, ts_sum = summary(hls_ms), summary(ts_ms)
        return {"channel": hls.id, "hls": hls_sum, "ts": ts_sum,
                "hls_upstream_first_byte_ms": hls_sum["p50_ms"], "hls_upstream_first_byte_max_ms": hls_sum["max_ms"],
                "vs_ts": round(hls_sum["p50_ms"] / max(ts_sum["p50_ms"], 1.0), 1)}  # fmt: skip


def _after(pressed: float, kind: str, channel: int | None = None) -> Callable[[dict], bool]:
    """Matches a client event of ``kind`` (showing ``channel``) that happened after ``pressed``."""
    return lambda e: e["event"] == kind and e["t"] > pressed and (channel is None or e["channel"] == channel)


def run(clients: list[int], seconds: float, starts: int = 4, zaps: int = 6, dwell: float = 2.5, seed: int = 1) -> dict:
    from stb.assembly import build_app
    from stb.config import StateStore
    from stb.headend.catalog import demo_lineup
    from stb.headend.process import headend_on_free_port
    from stb.lineup.model import Lineup

    began = time.monotonic()
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    with tempfile.TemporaryDirectory(prefix="stb-bench-relay-") as tmp, headend_on_free_port() as (child, port):
        headend_url = f"http://127.0.0.1:{port}"
        full = demo_lineup("127.0.0.1", port)
        lineup = Lineup(name="bench relay", channels=[c for c in full.channels if c.number in GOOD_CHANNELS])
        app = build_app(lineup, headless=True, store=StateStore(Path(tmp)), guide_db=Path(tmp) / "g.db", api_port=0)
        try:
            token, tv = start_paired(app, "stb bench relay", "relay benchmark")
            app.net.ctx.limits.raise_for_one_client(MAX_CLIENTS)  # its screens share one token and loopback
            tv.run_for(2.0)  # the pre-tuned neighbours start too
            bench = Bench(app, tv, child, headend_url, token)
            channel = bench.channel
            idle = bench.idle(seconds)
            steps = [bench.fan_out(mode, n, seconds) for n in clients for mode in MODES]
            mirror_starts = bench.mirror_starts(starts)
            zapping = bench.zaps(zaps, dwell, seed)
            hls_upstream = bench.hls_upstream(full, max(2, starts))
        finally:
            app.close()
    ratios = report.ratios(idle, steps)
    return {
        "channel": {"id": channel.id, "name": channel.name, "number": channel.number},
        "seconds_per_step": seconds,
        "clients": clients,
        "cores": os.cpu_count(),
        "idle": idle,
        "steps": steps,
        "ratios": ratios,
        "mirror_start": mirror_starts,
        "zap_to_mirror": zapping,
        "hls_upstream": hls_upstream,
        "targets": {
            **report.targets(idle, steps, mirror_starts, zapping, ratios),
            **report.hls_and_stock_targets(hls_upstream, zapping),
        },
        "total_s": round(time.monotonic() - began, 1),
    }
