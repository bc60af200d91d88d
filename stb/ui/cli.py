"""`stb run`: the box itself."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

from stb.cli import add_json_flag, emit
from stb.errors import StbError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the box (TV UI + player)", description="Run the box: TV UI and player.")
    p.add_argument("--lineup", type=Path, default=Path("channels.json"), help="line-up file (default: %(default)s)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--headless", action="store_true", help="no window: render off-screen, still play")
    mode.add_argument("--fullscreen", action="store_true", help="full screen, scaled from the 1280x720 canvas")
    p.add_argument("--run-for", type=float, metavar="SECONDS", help="quit after SECONDS and print a report")
    p.add_argument("--screenshot", type=Path, metavar="PNG", help="save the screen to PNG when quitting")
    p.add_argument(
        "--pretune", type=int, default=3, metavar="N",
        help="keep N likely next channels (up, down, last) tuned for instant zaps; 0: off (default: %(default)s)",
    )  # fmt: skip
    p.add_argument(
        "--caching", type=int, default=150, metavar="MS",
        help="network buffer: more rides out Wi-Fi hiccups, less zaps faster (default: %(default)s)",
    )  # fmt: skip
    p.add_argument("--no-headend", action="store_true", help="never start the demo head-end, even if needed")
    p.add_argument("--port", type=int, default=8600, help="HTTP API port; 0: any free one (default: %(default)s)")
    p.add_argument(
        "--listen", default="127.0.0.1", metavar="ADDR",
        help="address the API listens on: 0.0.0.0 (or the box's LAN address) to serve the home network "
        "(default: %(default)s, this machine only)",
    )  # fmt: skip
    p.add_argument("--no-api", action="store_true", help="do not serve the HTTP API")
    p.add_argument(
        "--interface", action="append", metavar="IF",
        help="announce the box over zeroconf only on this network interface (repeatable; default: all, "
        "when --listen is not loopback)",
    )  # fmt: skip
    p.add_argument(
        "--keyframe-cache", action="store_true",
        help="read likely channels ahead (further neighbours, favourites, recent) so zaps to them start at a "
        "keyframe at once; costs bandwidth within the budget in settings.json. Turns the Settings switch "
        "'Read channels ahead' on and keeps it on (default: off)",
    )  # fmt: skip
    p.add_argument(
        "--timeshift", action="store_true",
        help="keep the channel on screen on disk (2 h by default), so live TV can be paused, rewound and started "
        "over; every channel is then read through the box's own relay. Turns the Settings switch 'Pause live TV' "
        "on and keeps it on (default: off)",
    )  # fmt: skip
    p.add_argument(
        "--network-tuner", action="store_true",
        help="offer this box as an HDHomeRun network tuner (Plex, Jellyfin, Channels, Kodi find it on the LAN); "
        "turns the Settings switch on and keeps it on. Its tuner routes and streams need no token: see "
        "docs/security.md",
    )  # fmt: skip
    p.add_argument("--skin", metavar="NAME", help="draw with this skin (default: the one chosen in Settings)")
    p.add_argument("--skin-dev", action="store_true", help="reload the skin when its files change (for skinners)")
    add_json_flag(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from stb.assembly import build_app
    from stb.lineup.load import load_lineup
    from stb.player.engine import EngineOptions
    from stb.ui.window import display_available

    lineup = load_lineup(args.lineup)
    if not lineup.channels:
        raise StbError(f"{args.lineup} has no channels; add some or import a playlist with `stb lineup import`")
    if not 0 <= args.pretune <= 8:
        raise StbError(f"--pretune {args.pretune}: use 0 (off) to 8")
    if not 0 <= args.caching <= 10_000:
        raise StbError(f"--caching {args.caching}: use 0 to 10000 ms")
    headless = args.headless
    if not headless and not display_available():
        print("stb: no display found, running headless (still playing; Ctrl-C to stop)", file=sys.stderr)
        headless = True
    with _headend_if_needed(lineup, allowed=not args.no_headend):
        app = build_app(
            lineup,
            headless=headless,
            fullscreen=args.fullscreen,
            pretune=args.pretune,
            engine_options=EngineOptions(network_caching_ms=args.caching),
            skin=args.skin,
            skin_dev=args.skin_dev,
            keyframe_cache=True if args.keyframe_cache else None,
            timeshift=True if args.timeshift else None,
            api_port=None if args.no_api else args.port,
            api_host=args.listen,
            interfaces=args.interface,
            network_tuner=args.network_tuner,
        )
        if headless and app.net is not None:  # nobody sees the TV: its pairing codes go to the console
            from stb.lan.console import announce

            app.auth.on_shown = announce
        report = app.run(run_for=args.run_for, screenshot=args.screenshot)
    if args.run_for is not None:
        data = {
            "first_frame_s": None if report.first_frame_s is None else round(report.first_frame_s, 3),
            "channel": report.channel,
            "state": report.state,
            "zaps": report.zaps,
            "frames_drawn": report.frames_drawn,
            "skin": report.skin,
            "notices": report.notices,
        }
        emit(args, data, _render_report)
    return 0


def _render_report(data: dict) -> str:
    first = "no picture" if data["first_frame_s"] is None else f"first frame after {data['first_frame_s']:.2f} s"
    return f"channel {data['channel']}: {data['state']}, {first}, {data['frames_drawn']} frames drawn"


@contextlib.contextmanager
def _headend_if_needed(lineup, allowed: bool) -> Iterator[None]:
    """Start the demo head-end as a child process when the line-up names it and nothing answers."""
    ref = lineup.headend
    if ref is None or not allowed:
        yield
        return
    from stb.headend.process import headend_running, start_headend_process, wait_until_ready

    if headend_running(ref.host, ref.port):
        yield
        return
    print(f"stb: starting the demo head-end on {ref.host}:{ref.port}", file=sys.stderr)
    child = start_headend_process(ref.host, ref.port)
    try:
        wait_until_ready(child, ref.host, ref.port)
        yield
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except Exception:
            child.kill()
            raise StbError("the demo head-end did not stop in time") from None
