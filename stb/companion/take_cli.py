"""`stb take BOX`: hand the programme over from the TV to this computer.

The laptop plays the TV's channel through the relay's ``/stream/channel/{id}`` (not ``/stream/live``,
so it keeps the programme whatever the TV does next) and, once the first picture shows here, tells
the box it was taken; the box goes to standby if its Settings say so. The TV's player and the
relay's feeds are separate, so standby does not stop the stream this computer reads.
"""

from __future__ import annotations

import argparse
import sys
import threading

from stb.cli import emit
from stb.errors import StbError

HANDOFF_WAIT_S = 10.0  # at the end, for an answer still on its way


def register(sub: argparse._SubParsersAction) -> None:
    from stb.companion.watch_cli import viewer_flags

    t = sub.add_parser("take", help="take the programme from the TV to this computer (the TV may go to standby)")
    viewer_flags(t)
    t.set_defaults(handler=take)


def nothing_to_take(state: dict, name: str) -> str | None:
    """Why the TV shows nothing another screen can take over, in one line; None when it does."""
    if state.get("standby"):
        return f"{name} is in standby: nothing to take"
    if state.get("stream"):
        return f"{name} plays a stream flung to it, not a channel of its line-up: nothing to take"
    if not state.get("channel"):
        return f"{name} shows no channel: nothing to take"
    if state.get("locked"):
        return f"the parental lock hides what {name} shows: enter the PIN on the TV first"
    return None


def take(args: argparse.Namespace) -> int:
    from stb.companion.viewer import Viewer
    from stb.companion.watch_cli import label, paired

    client, info = paired(args.box)
    with client:
        state = client.state()
        why = nothing_to_take(state, info["name"])
        if why is not None:
            raise StbError(why)
        channel = state["channel"]
        outcome: dict = {}

        def tell_the_box() -> None:
            try:
                outcome["handoff"] = answer = client.handoff(channel["id"])
            except StbError as exc:
                outcome["error"] = str(exc)
                print(f"stb: the box was not told: {exc}", file=sys.stderr, flush=True)
                return
            viewer.note("handoff")
            if not args.json:
                print(f"took {label(channel)} from {info['name']}: {answer['reason']}", flush=True)

        told = threading.Thread(target=tell_the_box, name="stb-handoff", daemon=True)
        viewer = Viewer(client.stream_url(f"/stream/channel/{channel['id']}"), label(channel), args.headless,
                        args.fullscreen, on_first_frame=lambda _s: told.start())  # fmt: skip
        report = viewer.run(args.seconds)
        if told.is_alive():
            told.join(HANDOFF_WAIT_S)
    from dataclasses import asdict

    data = asdict(report) | {"channel": channel, "handoff": outcome.get("handoff"), "error": outcome.get("error")}
    if args.json:
        emit(args, data, str)
    elif report.first_frame_s is None:
        print(f"stb: no picture from {label(channel)} ({report.state}); the TV was left as it was", file=sys.stderr)
    return 0 if report.first_frame_s is not None and "handoff" in outcome else 1
