"""`stb mirror`, `stb watch`, `stb fling`: the box's pictures on this computer, and channels sent back to the TV."""

from __future__ import annotations

import argparse
import threading

from stb.cli import add_json_flag, emit
from stb.errors import StbError


def register(sub: argparse._SubParsersAction) -> None:
    m = sub.add_parser("mirror", help="watch what the TV shows, following its zaps, in a window here")
    _viewer_flags(m)
    m.set_defaults(handler=mirror)
    w = sub.add_parser("watch", help="watch another channel of the box here (number, id or name)")
    _viewer_flags(w, channel=True)
    w.set_defaults(handler=watch)
    f = sub.add_parser("fling", help="put a channel on the TV (number, id, name, or one of its stream URLs)")
    f.add_argument("box", metavar="BOX")
    f.add_argument("channel", metavar="CHANNEL|URL")
    add_json_flag(f)
    f.set_defaults(handler=fling)


def _viewer_flags(p: argparse.ArgumentParser, channel: bool = False) -> None:
    p.add_argument("box", metavar="BOX", help="address (10.0.0.5[:8600]), or the box's name or id")
    if channel:
        p.add_argument("channel", metavar="CHANNEL")
    p.add_argument("--fullscreen", action="store_true")
    p.add_argument("--headless", action="store_true", help="no window (scripts, tests): play and report")
    p.add_argument("--seconds", type=float, help="stop after this long (default: until the window closes)")
    add_json_flag(p)


def _paired(box: str):
    from stb.companion.remote_cli import connect

    client, info = connect(box)
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

    client, info = _paired(args.box)
    with client:
        state = client.state()
        channel = state.get("channel") or {}
        viewer = Viewer(client.stream_url("/stream/live"), _label(channel) or info["name"], args.headless,
                        args.fullscreen)  # fmt: skip
        stop = threading.Event()
        follow_events(f"{client.base}/events", client.token or "", lambda c: viewer.say(_label(c)), stop)
        try:
            report = viewer.run(args.seconds)
        finally:
            stop.set()
    return _show(args, report)


def watch(args: argparse.Namespace) -> int:
    from stb.companion.viewer import Viewer

    client, _ = _paired(args.box)
    with client:
        channel = find_channel(client.lineup(), args.channel)
        viewer = Viewer(client.stream_url(f"/stream/channel/{channel['id']}"), _label(channel), args.headless,
                        args.fullscreen)  # fmt: skip
        report = viewer.run(args.seconds)
    return _show(args, report)


def fling(args: argparse.Namespace) -> int:
    client, info = _paired(args.box)
    with client:
        target = args.channel
        if "://" in target:
            state = client.request("POST", "/actions/play", json={"url": target})
        else:
            state = client.zap(channel_id=find_channel(client.lineup(), target)["id"])
    emit(args, state, lambda s: f"{info['name']} now shows {_label(s.get('channel') or {})}")
    return 0


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


def _label(channel: dict) -> str:
    return f"{channel.get('number', '')} {channel.get('name', '')}".strip()
