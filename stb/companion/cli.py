"""`stb discover`: list the boxes announced on the LAN."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from stb.cli import add_json_flag, emit
from stb.errors import StbError

_MAX_TIMEOUT_S = 60.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("discover", help="list the boxes on the LAN (mDNS)")
    p.add_argument("--timeout", type=float, default=3.0, metavar="S", help="listen this long (default: %(default)s)")
    p.add_argument(
        "--interface",
        action="append",
        metavar="IF",
        help="only this network interface, e.g. eth0 (repeatable; default: all but loopback)",
    )
    add_json_flag(p)
    p.set_defaults(handler=cmd_discover)


def cmd_discover(args: argparse.Namespace) -> int:
    import asyncio

    from stb.lan.discovery import async_discover

    if not 0 < args.timeout <= _MAX_TIMEOUT_S:
        raise StbError(f"--timeout wants seconds in (0, {_MAX_TIMEOUT_S:g}], not {args.timeout:g}")
    on_found = None if args.json else _print_box
    boxes = asyncio.run(async_discover(args.timeout, args.interface, on_found))
    if args.json:
        emit(args, [asdict(box) for box in boxes], str)
    elif not boxes:
        print(f"no boxes found within {args.timeout:g} s", file=sys.stderr)
    return 0


def _print_box(box) -> None:
    """One line per box; every string in it came from the LAN, so control and format characters are escaped."""
    from stb.lan.printable import printable

    address = f"[{box.addresses[0]}]" if box.addresses and ":" in box.addresses[0] else (box.addresses or ["?"])[0]
    channel = f"  on {printable(box.channel)}" if box.channel else ""
    flag = "  (unverified: another host announces the same id)" if box.unverified else ""
    print(f"{printable(box.name)}  id {printable(box.box_id)}  {printable(address)}:{box.port}{channel}{flag}",
          flush=True)  # fmt: skip
