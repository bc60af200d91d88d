"""`stb pair BOX` and `stb remote BOX …`: pairing a laptop and using it as a remote."""

from __future__ import annotations

import argparse
import socket
import sys

from stb.cli import add_json_flag, emit
from stb.errors import StbError
from stb.lan.printable import printable


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
    """A client for BOX over TLS that proves the box's certificate, with the token pinned to that certificate;
    (client, box info, the certificate the box presented).

    The token is chosen by the certificate the box proves, never by the id its ``GET /box`` claims: a box
    that claims a paired box's id but cannot prove its key gets no token, and the command says so.
    """
    from stb.companion.client import BoxClient, Tokens, address_of
    from stb.lan.identity import fetch_certificate, pinned_context

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
    if not info.get("tls_port"):
        if with_token and Tokens.default().get(info["id"]):
            client.close()
            raise StbError(f"{box} claims to be {_quoted(info)} but cannot prove it (no TLS): not sending the token")
        return client, info, None
    try:
        cert = fetch_certificate(address[0], int(info["tls_port"]))
    except StbError:
        client.close()
        raise
    pinned = Tokens.default().pinned(cert) if with_token else None
    client.pin(int(info["tls_port"]), pinned_context(pinned.cert_pem if pinned else cert))
    if pinned is not None:
        client.token = pinned.token
    elif with_token and Tokens.default().get(info["id"]):
        client.close()
        raise StbError(f"{box} claims to be {_quoted(info)} but does not prove the key pinned at pairing: "
                       "not sending the token (an impostor, or the box was reset: then pair again)")  # fmt: skip
    return client, info, cert


def _quoted(info: dict) -> str:
    from stb.lan.printable import printable

    return f"{printable(str(info.get('name', '')))!r} (id {printable(str(info.get('id', '')))})"


def pair(args: argparse.Namespace) -> int:
    from stb.lan.identity import fingerprint
    from stb.lan.tokens import Tokens

    client, info, cert = connect(args.box, with_token=False)
    if cert is None:
        client.close()
        raise StbError(f"{args.box} cannot prove which box it is (no TLS): not pairing with it")
    with client:
        started = client.begin_pairing(args.name)
        pairing_id = started["pairing_id"]
        if started.get("shown") is False:  # other devices asked first: their codes come up before this one's
            sys.stderr.write("Other devices asked to pair first: this device's code comes up on the TV in turn "
                             "(each code shows for at most 2 minutes; Back on the TV refuses one).\n")  # fmt: skip
        code = args.code
        key = fingerprint(cert)
        sys.stderr.write(f"Box key {key}: the TV shows the same next to the code, else this is not your box.\n")
        if code is None:
            sys.stderr.write(
                f"The TV of {printable(info['name'])} now shows a code (a box without a screen: "
                "`stb pairing list` on it).\nCode, or just Enter once `stb pairing approve` was run "
                "on the box: "
            )  # stdout: --json
            sys.stderr.flush()
            code = sys.stdin.readline().strip()
        done = client.complete_pairing(pairing_id, code.replace(" ", ""))
    Tokens.default().put(info["id"], done["token"], info["name"], cert)
    emit(args, {"box": info["name"], "id": info["id"], "device_id": done["device_id"], "key": key},
         lambda d: f"paired with {d['box']} ({d['id']})")  # fmt: skip
    return 0


def remote(args: argparse.Namespace) -> int:
    client, info, _ = connect(args.box)
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
