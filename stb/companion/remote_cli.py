"""`stb pair BOX` and `stb remote BOX …`: pairing a laptop and using it as a remote."""

from __future__ import annotations

import argparse
import socket
import sys

from stb.cli import add_json_flag, emit
from stb.errors import StbError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pair", help="pair this computer with a box (type the code the TV shows)")
    p.add_argument("box", metavar="BOX", help="address (10.0.0.5[:8600]), or the box's name or id")
    p.add_argument("--name", default=socket.gethostname(), help="how the TV lists this computer")
    p.add_argument("--code", help="the code from the TV (asked for when left out)")
    add_json_flag(p)
    p.set_defaults(handler=pair)
    r = sub.add_parser("remote", help="press keys on a paired box, or zap it",
                       description="stb remote BOX KEY… (keymap actions: channel_up, guide, digit_5…) "
                       "or stb remote BOX zap N")  # fmt: skip
    r.add_argument("box", metavar="BOX")
    r.add_argument("keys", nargs="+", metavar="KEY")
    add_json_flag(r)
    r.set_defaults(handler=remote)


def connect(box: str, with_token: bool = True):
    """A client for BOX, with its stored token; (client, box info)."""
    from stb.companion.client import BoxClient, Tokens, address_of

    address = address_of(box)
    if address is None:
        try:
            from stb.lan.discovery import discover, match_box
        except ImportError:  # discovery not available: addresses only
            raise StbError(f"{box!r} is not an address; give the box's IP address") from None
        found = match_box(discover(3.0), box)
        address = (found.addresses[0], found.port)
    client = BoxClient(*address)
    info = client.box_info()
    if with_token:
        client.token = Tokens.default().get(info["id"])
    return client, info


def pair(args: argparse.Namespace) -> int:
    from stb.lan.tokens import Tokens

    client, info = connect(args.box, with_token=False)
    with client:
        pairing_id = client.begin_pairing(args.name)
        code = args.code
        if code is None:
            sys.stderr.write(f"The TV of {info['name']} now shows a code.\nCode: ")  # stdout stays for --json
            sys.stderr.flush()
            code = sys.stdin.readline().strip()
            if not code:
                raise StbError("no code given")
        done = client.complete_pairing(pairing_id, code.replace(" ", ""))
    Tokens.default().put(info["id"], done["token"], info["name"])
    emit(args, {"box": info["name"], "id": info["id"], "device_id": done["device_id"]},
         lambda d: f"paired with {d['box']} ({d['id']})")  # fmt: skip
    return 0


def remote(args: argparse.Namespace) -> int:
    client, info = connect(args.box)
    with client:
        if client.token is None:
            raise StbError(f"not paired with {info['name']}: run `stb pair {args.box}` first")
        if args.keys[0] == "zap":
            if len(args.keys) != 2 or not args.keys[1].isdigit():
                raise StbError("usage: stb remote BOX zap NUMBER")
            state = client.zap(number=int(args.keys[1]))
        else:
            state = {}
            for key in args.keys:
                state = client.key(key)
    channel = state.get("channel") or {}
    emit(args, state, lambda d: f"{info['name']}: {channel.get('number', '?')} {channel.get('name', '')}".rstrip())
    return 0
