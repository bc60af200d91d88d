"""`stb mirror`, `stb watch`, `stb fling`: the box's pictures on this computer, and channels sent back to the TV."""

from __future__ import annotations

import argparse
import re
import threading

from stb.cli import add_json_flag, emit
from stb.errors import StbError

_URL_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # a scheme, as in `file:` or `javascript:`


def register(sub: argparse._SubParsersAction) -> None:
    m = sub.add_parser("mirror", help="watch what the TV shows, following its zaps, in a window here")
    viewer_flags(m)
    m.set_defaults(handler=mirror)
    w = sub.add_parser("watch", help="watch another channel of the box here (number, id or name)")
    viewer_flags(w, channel=True)
    w.set_defaults(handler=watch)
    f = sub.add_parser("fling", help="put a channel (number, id, name) or any stream URL on the TV")
    f.add_argument("box", metavar="BOX")
    f.add_argument("channel", metavar="CHANNEL|URL",
                   help="a line-up channel, or an http, https, udp or rtp URL (played until the next zap)")  # fmt: skip
    f.add_argument("--title", help="the TV's banner title for a URL not in the line-up (default: from the URL)")
    add_json_flag(f)
    f.set_defaults(handler=fling)


def viewer_flags(p: argparse.ArgumentParser, channel: bool = False) -> None:
    p.add_argument("box", metavar="BOX", help="address (10.0.0.5[:8600]), or the box's name or id")
    if channel:
        p.add_argument("channel", metavar="CHANNEL")
    p.add_argument("--fullscreen", action="store_true")
    p.add_argument("--headless", action="store_true", help="no window (scripts, tests): play and report")
    p.add_argument("--seconds", type=float, help="stop after this long (default: until the window closes)")
    add_json_flag(p)


def paired(box: str):
    from stb.companion.remote_cli import connect

    client, info, _ = connect(box)
    if client.token is None:
        client.close()
        raise StbError(f"not paired with {info['name']}: run `stb pair {box}` first")
    return client, info


def _show(args: argparse.Namespace, report) -> int:
    from dataclasses import asdict

    emit(args, asdict(report), lambda r: f"first picture after {r['first_frame_s']} s, {r['pictures']} pictures"
         if r["first_frame_s"] is not None else f"no picture ({r['state']})")  # fmt: skip
    return 0 if report.first_frame_s is not None else 1


def mirror(args: argparse.Namespace) -> int:
    from stb.companion.viewer import Viewer, follow_events

    client, info = paired(args.box)
    with client:
        state = client.state()
        channel = state.get("channel") or {}
        viewer = Viewer(client.stream_url("/stream/live"), label(channel) or info["name"], args.headless,
                        args.fullscreen)  # fmt: skip
        stop = threading.Event()
        follow_events(f"{client.base}/events", client.token or "", lambda c: viewer.say(label(c)), stop, client.tls)
        try:
            report = viewer.run(args.seconds)
        finally:
            stop.set()
    return _show(args, report)


def watch(args: argparse.Namespace) -> int:
    from stb.companion.viewer import Viewer

    client, _ = paired(args.box)
    with client:
        channel = find_channel(client.lineup(), args.channel)
        viewer = Viewer(client.stream_url(f"/stream/channel/{channel['id']}"), label(channel), args.headless,
                        args.fullscreen)  # fmt: skip
        report = viewer.run(args.seconds)
    return _show(args, report)


def fling(args: argparse.Namespace) -> int:
    client, info = paired(args.box)
    with client:
        target = args.channel.strip()
        channel = None
        if "://" not in target:
            try:
                channel = find_channel(client.lineup(), target)
            except StbError:
                if not _URL_LIKE.match(target):  # `javascript:alert(1)` goes to the box, which says why not
                    raise
        state = client.zap(channel_id=channel["id"]) if channel is not None else client.play(target, args.title)
    emit(args, state, lambda s: f"{info['name']} now shows {shown(s)}")
    return 0


def shown(state: dict) -> str:
    """What the TV shows, in a few words: a line-up channel, or a flung stream's title and host."""
    stream = state.get("stream")
    if stream:
        return f"{stream['title']} (a stream from {stream['host']})"
    return label(state.get("channel") or {}) or "nothing"


def find_channel(lineup: list[dict], wanted: str) -> dict:
    """A channel by number, id or (case-insensitive) name; a clear error when none or several match."""
    text = wanted.strip()
    exact = (lambda c: text.isdigit() and c["number"] == int(text), lambda c: c["id"] == text,
             lambda c: c["name"].casefold() == text.casefold())  # fmt: skip
    for match in exact:
        found = [c for c in lineup if match(c)]
        if found:
            return found[0]
    partial = [c for c in lineup if text.casefold() in c["name"].casefold()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        names = ", ".join(f"{c['number']} {c['name']}" for c in partial[:5])
        raise StbError(f"{wanted!r} could be several channels: {names}")
    raise StbError(f"no channel {wanted!r} on this box (give its number, id or name)")


def label(channel: dict) -> str:
    return f"{channel.get('number', '')} {channel.get('name', '')}".strip()
