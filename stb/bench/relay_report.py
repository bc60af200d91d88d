"""`stb bench relay`'s report: the same-run ratios, the targets and whether each is met, and the text table."""

from __future__ import annotations

import statistics

from stb.bench.stock_clients import PLAYERS

ZAP_FIGURES = {
    "tv_picture_ms": "TV picture",
    "mirror_stream_ms": "mirror gets the new channel",
    "mirror_picture_ms": "mirror picture",
    "mirror_after_tv_ms": "mirror picture after TV's",
}
START_FIGURES = ("first_byte_ms", "keyframe_ms", "picture_ms")
TARGET_CLIENTS = 50
TARGET_MIRROR_START_MS = 1000.0
TARGET_ZAP_AFTER_TV_MS = 1000.0
TARGET_LIVE_COST = 1.3  # a /stream/live client against a /stream/channel one, at 50 clients
TARGET_HLS_FIRST_BYTE_MS = 1500.0
TARGET_STOCK_GAP_MS = 500.0  # the longest time a stock player goes without a new picture at a zap


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(samples: list[float]) -> dict:
    if not samples:
        return {"n": 0}
    return {"n": len(samples), "p50_ms": round(statistics.median(samples), 1), "p95_ms": round(pct(samples, 0.95), 1),
            "max_ms": round(max(samples), 1)}  # fmt: skip


def ratios(idle: dict, steps: list[dict]) -> list[dict]:
    """Per client count: the relay's CPU over what the same fan-out costs the head-end, and throughputs.

    CPU is counted beyond the idle period's, so the TV's own playback and the UI are left out.
    """
    out = []
    for n in sorted({s["clients"] for s in steps}):
        by_mode = {s["mode"]: s for s in steps if s["clients"] == n}
        direct = by_mode.get("direct")
        if direct is None:
            continue
        headend_cost = direct["headend_cpu_percent"] - idle["headend_cpu_percent"]
        row: dict = {"clients": n, "headend_fanout_cpu_percent": round(headend_cost, 1)}
        for mode in ("relay_channel", "relay_live"):
            step = by_mode.get(mode)
            if step is None:
                continue
            cost = step["relay_thread_cpu_percent"] - idle["relay_thread_cpu_percent"]
            row[f"{mode}_cpu_percent"] = round(cost, 1)
            row[f"{mode}_cpu_vs_headend"] = round(cost / max(headend_cost, 0.5), 1)
            # against the direct reader of the same window: the demo clips' bit rate varies along their loop
            row[f"{mode}_throughput_vs_direct"] = round(
                step["per_client_mbit_s"]["median"] / max(step["direct_reference_mbit_s"], 1e-6), 3
            )
        if "relay_live_cpu_percent" in row and "relay_channel_cpu_percent" in row:
            # what a /stream/live client costs the relay against a /stream/channel client, same N, same run
            row["live_cost_ratio"] = round(
                max(row["relay_live_cpu_percent"], 0.1) / max(row["relay_channel_cpu_percent"], 0.1), 2
            )
        out.append(row)
    return out


def targets(idle: dict, steps: list[dict], starts: dict, zaps: dict, ratios: list[dict] | None = None) -> dict:
    relay_steps = [s for s in steps if s["mode"] != "direct"]
    biggest = max((s["clients"] for s in steps), default=0)
    at_biggest = [s for s in relay_steps if s["clients"] == biggest]
    tv_kept = all(s["tv"]["video_gaps"] <= idle["tv"]["video_gaps"] for s in at_biggest)
    healthy = all(s["clients_dropped"] == 0 and s["clients_with_data"] == s["clients"] for s in steps)
    start_max = max((starts[k]["picture_ms"].get("max_ms", 0) for k in ("relay_cold", "relay_warm")), default=0)
    after_tv = zaps["mirror_after_tv_ms"].get("max_ms")
    at_most = next((r for r in reversed(ratios or []) if "live_cost_ratio" in r), {})
    live_cost = at_most.get("live_cost_ratio")
    return {
        "live_cost_ratio": live_cost,
        "live_cost_clients": at_most.get("clients"),
        "live_cost_target_met": live_cost is not None and live_cost <= TARGET_LIVE_COST and biggest >= TARGET_CLIENTS,
        "clients_tested": biggest,
        "tv_pictures_kept_at_most_clients": tv_kept,
        "no_client_dropped": healthy,
        "clients_target_met": biggest >= TARGET_CLIENTS and tv_kept and healthy,
        "mirror_start_max_ms": start_max,
        "mirror_start_target_met": start_max <= TARGET_MIRROR_START_MS,
        "zap_mirror_after_tv_max_ms": after_tv,
        "zap_target_met": after_tv is not None and after_tv <= TARGET_ZAP_AFTER_TV_MS,
    }


def hls_and_stock_targets(hls: dict, zaps: dict) -> dict:
    first_byte = hls.get("hls_upstream_first_byte_ms")
    stock = {k: v for k, v in zaps["stock_players"].items() if k in PLAYERS}
    worst = max((v["gap_ms"].get("max_ms", 0.0) for v in stock.values()), default=None)
    followed = all(v["followed"] == v["zaps"] for v in stock.values())
    return {
        "hls_upstream_first_byte_ms": first_byte,
        "hls_first_byte_target_met": first_byte is not None and first_byte <= TARGET_HLS_FIRST_BYTE_MS,
        "stock_players_followed_every_zap": followed,
        "stock_zap_gap_max_ms": worst,
        "stock_zap_gap_target_met": bool(stock) and followed and worst is not None and worst <= TARGET_STOCK_GAP_MS,
    }


def _row(label: str, s: dict) -> str:
    rate = s["per_client_mbit_s"]
    latency = s.get("latency_added") or {}
    added = f"{latency['p50_ms']:6.1f}/{latency['p95_ms']:6.1f}" if latency.get("packets") else f"{'-':>13}"
    tv = s["tv"]
    return (f"  {label:<14}{s['clients']:>4}  {s['relay_thread_cpu_percent']:6.1f}  {s['box_cpu_percent']:6.1f}  "
            f"{s['headend_cpu_percent']:6.1f}  {rate['min']:5.2f}/{rate['median']:5.2f}  {s['clients_dropped']:>4}  "
            f"{s['headend_connections']:>4}  {added}  {tv['video_fps']:5.1f} {tv['video_gaps']:>3} "
            f"{tv['video_max_gap_ms']:6.0f}  {tv['ui_late_frames']:>4}")  # fmt: skip


def render(d: dict) -> str:
    ch, idle = d["channel"], d["idle"]
    lines = [
        f"relay benchmark: channel {ch['number']} ({ch['name']}), {d['seconds_per_step']} s per step, "
        f"{d['cores']} cores, {d['total_s']} s in all",
        "  CPU in % of one core: relay = the box's network thread, box = the whole box process; head-end = its "
        "Python process",
        f"  {'':<14}{'N':>4}  {'relay':>6}  {'box':>6}  {'h-end':>6}  {'Mbit/s min/med':>11}  {'drop':>4}  "
        f"{'conn':>4}  {'added ms p50/p95':>13}  {'TV fps gaps maxgap lateUI':>24}",
        f"  {'idle':<14}{0:>4}  {idle['relay_thread_cpu_percent']:6.1f}  {idle['box_cpu_percent']:6.1f}  "
        f"{idle['headend_cpu_percent']:6.1f}  {'':>11}  {'':>4}  {'':>4}  {'':>13}  {idle['tv']['video_fps']:5.1f} "
        f"{idle['tv']['video_gaps']:>3} {idle['tv']['video_max_gap_ms']:6.0f}  {idle['tv']['ui_late_frames']:>4}",
    ]  # fmt: skip
    for step in d["steps"]:
        lines.append(_row(step["mode"].replace("relay_", "relay "), step))
    lines.append("  ratios: relay's CPU beyond idle / head-end's CPU beyond idle for the same clients; Mbit/s per "
                 "client / a direct reader's in the same window")  # fmt: skip
    for r in d["ratios"]:
        parts = [f"N={r['clients']}: head-end {r['headend_fanout_cpu_percent']} %"]
        for mode in ("relay_channel", "relay_live"):
            if f"{mode}_cpu_percent" in r:
                cpu, vs, rate = (r[f"{mode}_{k}"] for k in ("cpu_percent", "cpu_vs_headend", "throughput_vs_direct"))
                parts.append(f"{mode.removeprefix('relay_')} {cpu} % ({vs}x), {rate}x Mbit/s")
        lines.append("    " + "; ".join(parts))
    lines.append("  mirror start (request → first byte / keyframe / decoded picture, p50 and max ms):")
    for name, s in d["mirror_start"].items():
        cells = "  ".join(
            f"{f.removesuffix('_ms').replace('_', ' ')} {s[f].get('p50_ms', '-')} ({s[f].get('max_ms', '-')})"
            for f in START_FIGURES
        )
        ratio = f"  picture {s['picture_p50_vs_direct']}x direct" if s.get("picture_p50_vs_direct") else ""
        lines.append(f"    {name:<11} {cells}{ratio}")
    z = d["zap_to_mirror"]
    lines.append(f"  zap on the TV → mirror ({len(z['runs'])} zaps, p50 / p95 / max ms after the key press):")
    for f, label in ZAP_FIGURES.items():
        s = z[f]
        lines.append(f"    {label:<28} {s.get('p50_ms', '-'):>7} {s.get('p95_ms', '-'):>7} {s.get('max_ms', '-'):>7}")
    lines.append("  stock players on /stream/live at each zap: longest time without a new picture (p50 / max ms), "
                 "zaps followed:")  # fmt: skip
    for name, s in z["stock_players"].items():
        if name in PLAYERS:
            gap = s["gap_ms"]
            lines.append(f"    {name:<8} {gap.get('p50_ms', '-'):>7} {gap.get('max_ms', '-'):>7}   "
                         f"followed {s['followed']}/{s['zaps']}")  # fmt: skip
    mirror = z["stock_players"]["bench_mirror_new_channel_ms"]
    lines.append(
        f"    (the bench's mirror client showed the new channel after p50 {mirror.get('p50_ms', '-')} / max "
        f"{mirror.get('max_ms', '-')} ms; not run: {', '.join(z['stock_players_missing']) or 'none'})"
    )
    h = d["hls_upstream"]
    if "hls" in h:
        lines.append(
            f"  HLS channel's first byte through a cold relay feed: p50 {h['hls']['p50_ms']} / max "
            f"{h['hls']['max_ms']} ms; a TS channel's p50 {h['ts']['p50_ms']} ms ({h['vs_ts']}x)"
        )
    t = d["targets"]
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    lines.append(
        f"  live cost per client vs /stream/channel: {t['live_cost_ratio']}x at {t['live_cost_clients']} "
        f"clients (≤ {TARGET_LIVE_COST}x at {TARGET_CLIENTS}: {verdict(t['live_cost_target_met'])}); "
        f"HLS first byte ≤ {TARGET_HLS_FIRST_BYTE_MS:.0f} ms: {verdict(t['hls_first_byte_target_met'])}; "
        f"stock players ≤ {TARGET_STOCK_GAP_MS:.0f} ms without a picture: "
        f"{verdict(t['stock_zap_gap_target_met'])}"
    )
    if t["clients_tested"] >= TARGET_CLIENTS:
        clients = f"{t['clients_tested']} clients, no TV picture or client lost: {verdict(t['clients_target_met'])}"
    else:
        kept = "kept" if t["tv_pictures_kept_at_most_clients"] and t["no_client_dropped"] else "NOT kept"
        clients = f"{TARGET_CLIENTS} clients: not tried (at {t['clients_tested']}, TV pictures and clients {kept})"
    lines.append(f"  targets: {clients}; mirror start ≤ 1 s (max {t['mirror_start_max_ms']} ms): "
                 f"{verdict(t['mirror_start_target_met'])}; mirror ≤ 1 s after the TV (max "
                 f"{t['zap_mirror_after_tv_max_ms']} ms): {verdict(t['zap_target_met'])}")  # fmt: skip
    return "\n".join(lines)
