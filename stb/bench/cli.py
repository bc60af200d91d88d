"""`stb bench <scenario>`."""

from __future__ import annotations

import argparse
from pathlib import Path

from stb.cli import add_json_flag, emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="benchmarks (ratios against a baseline run in the same process)")
    scenarios = p.add_subparsers(dest="scenario", metavar="SCENARIO", required=True)
    g = scenarios.add_parser("guide", help="XMLTV import speed and memory, and guide query latencies")
    g.add_argument("--channels", type=int, default=1000)
    g.add_argument("--days", type=int, default=14)
    g.add_argument("--scale", type=int, default=1, help="also import a file SCALE times larger (5: ~1 GB)")
    g.add_argument("--runs", type=int, default=200, help="repetitions per query for the latency percentiles")
    add_json_flag(g)
    g.set_defaults(handler=bench_guide)

    z = scenarios.add_parser(
        "zap", help="key press to first new frame: libVLC defaults vs our engine, without and with pre-tuning"
    )
    z.add_argument("--zaps", type=int, default=20, help="zaps per series (default: %(default)s)")
    z.add_argument("--dwell", type=float, default=1.5, help="seconds watched after each zap (default: %(default)s)")
    z.add_argument("--pretune", type=int, default=3, help="pre-tuned players in scenario (c) (default: %(default)s)")
    z.add_argument(
        "--join", choices=["keyframe", "live-edge", "both"], default="both",
        help="how the head-end lets a player in: at the latest keyframe (fast join), at the live edge "
        "(an ordinary server), or both (default: %(default)s)",
    )  # fmt: skip
    add_json_flag(z)
    z.set_defaults(handler=bench_zap)

    s = scenarios.add_parser(
        "soak",
        help="the whole box used for a long while (zaps, guide, relay clients, phones, reconnects); "
        "RSS, fds and threads before/after",
    )
    s.add_argument("--rounds", type=int, default=300, help="things done by the household (default: %(default)s)")
    s.add_argument("--dwell", type=float, default=0.5, help="at most this long after each (default: %(default)s)")
    s.add_argument("--pretune", type=int, default=3, help="(default: %(default)s)")
    s.add_argument("--max-seconds", type=float, default=600, help="stop after this (default: %(default)s)")
    add_json_flag(s)
    s.set_defaults(handler=bench_soak)

    u = scenarios.add_parser("ui", help="TV UI frame times (live, guide grid vs full redraw), key → frame, start")
    u.add_argument("--channels", type=int, default=1000, help="(default: %(default)s)")
    u.add_argument("--days", type=int, default=14, help="(default: %(default)s)")
    u.add_argument("--frames", type=int, default=300, help="frames measured per part (default: %(default)s)")
    u.add_argument("--keys", type=int, default=60, help="keys timed for key → frame (default: %(default)s)")
    u.add_argument("--skin", action="append", metavar="NAME",
                   help="draw with this skin (repeat it: the first gets every figure, the others the grid and key → "
                        "frame figures beside it; default: default)")  # fmt: skip
    add_json_flag(u)
    u.set_defaults(handler=bench_ui)

    d = scenarios.add_parser(
        "discovery",
        help="zeroconf between network namespaces (root): a new box's registration → seen, and browsing "
        "N boxes, stb's discovery vs bare python-zeroconf",
    )
    d.add_argument("--boxes", type=int, default=20, help="boxes up while browsing (default: %(default)s)")
    d.add_argument("--rounds", type=int, default=10, help="rounds of each part (default: %(default)s)")
    d.add_argument(
        "--max-seconds", type=float, default=300, help="stop starting rounds after this (default: %(default)s)"
    )
    add_json_flag(d)
    d.set_defaults(handler=bench_discovery)

    r = scenarios.add_parser(
        "relay",
        help="the relay for other screens: box CPU, throughput per client, latency added, TV pictures kept, "
        "mirror start and zap → mirror, against reading the head-end directly",
    )
    r.add_argument("--clients", default="1,10,50", help="client counts, comma-separated (default: %(default)s)")
    r.add_argument("--seconds", type=float, default=5.0, help="measured seconds per step (default: %(default)s)")
    r.add_argument("--starts", type=int, default=4, help="mirror starts of each kind (default: %(default)s)")
    r.add_argument("--zaps", type=int, default=6, help="TV zaps watched by a mirror (default: %(default)s)")
    add_json_flag(r)
    r.set_defaults(handler=bench_relay)

    w = scenarios.add_parser(
        "web", help="the web companion in Debian's chromium: page weight, time to interactive, watch here → first frame"
    )
    w.add_argument("--runs", type=int, default=5, help="page loads and watch-here taps (default: %(default)s)")
    add_json_flag(w)
    w.set_defaults(handler=bench_web)

    pv = scenarios.add_parser(
        "pvr", help="combined: N recordings + live TV + its timeshift buffer at once in the real box (TS continuity, "
        "CPU per recording, disk writes, timer → bytes on disk); "
        "recordings: N at once from the demo head-end, timer → bytes on disk, TS continuity (ffmpeg), "
        "CPU per recording against plain relay reads, disk write rate; timeshift: key → picture for pause, skip, "
        "start over, back to live and trick play, beside plain libVLC; catchup: a past programme → first picture "
        "from the archive, beside libVLC opening the archive URL; phone: chromium playing and seeking a recording, "
        "beside bare hls.js; other_screens: a recording seeked and resumed in a laptop's mpv over the box's routes, "
        "beside the file on disk; screens: 10 ffmpeg clients on 10 different recordings (TS and HLS routes) while 2 "
        "channels record, continuity errors and box CPU beside the same reads from disk",
    )  # fmt: skip
    pv.add_argument("--recordings", type=int, default=4, help="recordings at once (default: %(default)s)")
    pv.add_argument(
        "--seconds",
        type=float,
        default=10.0,
        help="measured seconds; the timeshift buffer is filled for 4× that (default: %(default)s)",
    )
    pv.add_argument("--scenario", action="append", help="only this part (repeatable; default: all)")
    add_json_flag(pv)
    pv.set_defaults(handler=bench_pvr)

    k = scenarios.add_parser(
        "kodi",
        help="the box's M3U and XMLTV exports in Kodi 20 with IPTV Simple (headless under Xvfb, in a network "
        "namespace; root): channels, guide, live and catch-up played through the box, beside the head-end's "
        "URLs opened directly",
    )
    k.add_argument("--kodi-log", type=Path, metavar="FILE", help="keep Kodi's log (kodi.log) here")
    add_json_flag(k)
    k.set_defaults(handler=bench_kodi)

    rel = scenarios.add_parser(
        "reliability",
        help="hostile inputs and faults (broken files, hostile requests, dead streams, kill -9): "
        "cases tried, passed and data lost; exit 1 if any failed",
    )
    rel.add_argument("--area", action="append", help="only this area (repeatable), e.g. M3U or 'HTTP API'")
    rel.add_argument("--case", action="append", help="only cases whose name contains this (repeatable)")
    rel.add_argument("--short", action="store_true", help="skip the long cases (as the test suite does)")
    add_json_flag(rel)
    rel.set_defaults(handler=bench_reliability)


def bench_guide(args: argparse.Namespace) -> int:
    from stb.bench import guide

    emit(args, guide.run(args.channels, args.days, args.scale, args.runs), guide.render)
    return 0


def _positive(value: float, flag: str) -> None:
    from stb.errors import StbError

    if value <= 0:
        raise StbError(f"{flag} must be more than 0")


def bench_zap(args: argparse.Namespace) -> int:
    from stb.bench import zap

    _positive(args.zaps, "--zaps")
    _positive(args.dwell, "--dwell")
    _positive(args.pretune, "--pretune")
    joins = {"keyframe": ["keyframe_join"], "live-edge": ["live_edge_join"], "both": list(zap.JOINS)}[args.join]
    emit(args, zap.run(args.zaps, args.dwell, args.pretune, joins), zap.render)
    return 0


def bench_soak(args: argparse.Namespace) -> int:
    from stb.bench import soak

    _positive(args.rounds, "--rounds")
    _positive(args.max_seconds, "--max-seconds")
    emit(args, soak.run(args.rounds, args.dwell, args.pretune, args.max_seconds), soak.render)
    return 0


def bench_discovery(args: argparse.Namespace) -> int:
    from stb.bench import discovery

    for value, flag in ((args.boxes, "--boxes"), (args.rounds, "--rounds"), (args.max_seconds, "--max-seconds")):
        _positive(value, flag)
    emit(args, discovery.run(args.boxes, args.rounds, args.max_seconds), discovery.render)
    return 0


def bench_ui(args: argparse.Namespace) -> int:
    from stb.bench import ui

    for value, flag in ((args.channels, "--channels"), (args.days, "--days"), (args.frames, "--frames"),
                        (args.keys, "--keys")):  # fmt: skip
        _positive(value, flag)
    skins = tuple(dict.fromkeys(args.skin or ["default"]))
    emit(args, ui.run(args.channels, args.days, args.frames, args.keys, skins=skins), ui.render)
    return 0


def bench_relay(args: argparse.Namespace) -> int:
    from stb.bench import relay, relay_report
    from stb.errors import StbError

    try:
        clients = [int(part) for part in args.clients.split(",") if part.strip()]
    except ValueError:
        raise StbError(f"--clients takes numbers separated by commas, not {args.clients!r}") from None
    if not clients or min(clients) < 1 or max(clients) > relay.MAX_CLIENTS:
        raise StbError(f"--clients: each count from 1 to {relay.MAX_CLIENTS} (the box serves 128 requests at once)")
    for value, flag in ((args.seconds, "--seconds"), (args.starts, "--starts"), (args.zaps, "--zaps")):
        _positive(value, flag)
    emit(args, relay.run(clients, args.seconds, args.starts, args.zaps), relay_report.render)
    return 0


def bench_web(args: argparse.Namespace) -> int:
    from stb.bench import web

    _positive(args.runs, "--runs")
    emit(args, web.run(args.runs), web.render)
    return 0


def bench_pvr(args: argparse.Namespace) -> int:
    from stb.bench import pvr

    _positive(args.recordings, "--recordings")
    _positive(args.seconds, "--seconds")
    emit(args, pvr.run(args.recordings, args.seconds, args.scenario), pvr.render)
    return 0


def bench_kodi(args: argparse.Namespace) -> int:
    from stb.bench import kodi

    emit(args, kodi.run(args.kodi_log), kodi.render)
    return 0


def bench_reliability(args: argparse.Namespace) -> int:
    from stb.errors import StbError
    from stb.reliability import report as reliability

    report = reliability.run(args.area, args.case, args.short)
    if not report["cases"]:
        raise StbError("no case matches --area/--case")
    emit(args, report, reliability.render)
    return 1 if reliability.failed(report) else 0
