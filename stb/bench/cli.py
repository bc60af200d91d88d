"""`stb bench <scenario>`."""

from __future__ import annotations

import argparse

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


def bench_guide(args: argparse.Namespace) -> int:
    from stb.bench import guide

    emit(args, guide.run(args.channels, args.days, args.scale, args.runs), guide.render)
    return 0
