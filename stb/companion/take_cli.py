"""`stb take BOX`: hand the programme over from the TV to this computer, where the TV is in it.

- **A live channel** plays here through the relay's ``/stream/channel/{id}`` (not ``/stream/live``, so it keeps
  the programme whatever the TV does next).
- **A channel the TV watches behind live** (paused, rewound: timeshift) plays from the TV's buffer,
  ``/stream/timeshift/{id}?behind=S``, at the same moment and on towards live; the box writes that buffer on
  while this computer reads it, even once the TV is in standby.
- **A recording** plays from the second the TV shows (``/stream/recording/{id}``); when this window closes, where
  it stopped becomes the resume position every screen shares, as with ``stb recordings play``.

Once the first picture shows here, the box is told it was taken and goes to standby if its Settings say so
(a recording is left first, so the TV's resume position is kept). The TV's player and the relay's feeds are
separate, so standby does not stop the stream this computer reads.
"""

from __future__ import annotations

import argparse
import sys
import threading
from dataclasses import dataclass

from stb.cli import emit
from stb.errors import StbError

HANDOFF_WAIT_S = 10.0  # at the end, for an answer still on its way


def register(sub: argparse._SubParsersAction) -> None:
    from stb.companion.watch_cli import viewer_flags

    t = sub.add_parser("take", help="take the programme from the TV to this computer, where the TV is in it "
                                    "(live, behind live, or a recording; the TV may go to standby)")  # fmt: skip
    viewer_flags(t)
    t.set_defaults(handler=take)


def nothing_to_take(state: dict, name: str) -> str | None:
    """Why the TV shows nothing another screen can take over, in one line; None when it does."""
    if state.get("standby"):
        return f"{name} is in standby: nothing to take"
    recording = state.get("recording")
    if recording and recording.get("remote"):
        return (f"{name} plays another box's recording: play it from that box "
                "(`stb recordings play OTHER-BOX …` goes on where the TV stopped)")  # fmt: skip
    if state.get("stream") and not recording:
        return f"{name} plays a stream flung to it, not a channel of its line-up: nothing to take"
    if not state.get("channel") and not recording:
        return f"{name} shows no channel: nothing to take"
    if state.get("locked"):
        return f"the parental lock hides what {name} shows: enter the PIN on the TV first"
    return None


@dataclass
class Taking:
    """What this computer plays, from where, and what it tells the box it took."""

    url: str
    title: str
    start_s: float = 0.0
    length_s: float | None = None
    channel: dict | None = None
    recording: dict | None = None  # the recording's listing (id, title, duration…)
    behind_s: float | None = None


def what_to_take(client, state: dict) -> Taking:  # type: ignore[no-untyped-def]
    """The stream of what the TV shows now, at the TV's moment in it."""
    from stb.companion.recordings_cli import RESUME_MIN_S, find_recording
    from stb.companion.watch_cli import label

    if (shown := state.get("recording")) is not None:
        meta = find_recording(client.request("GET", "/recordings")["recordings"], shown["id"])
        urls = client.request("POST", f"/recordings/{meta['id']}/stream-urls")
        start = shown["position"] if shown["position"] >= RESUME_MIN_S else 0.0
        return Taking(f"{client.root}{urls['ts']}", meta["title"], start, meta["duration"] or None, recording=meta)
    channel = state["channel"]
    behind = state.get("behind_s")
    if behind:
        url = client.stream_url(f"/stream/timeshift/{channel['id']}")
        url += f"{'&' if '?' in url else '?'}behind={behind:.1f}"
        return Taking(url, f"{label(channel)} (−{int(behind) // 60}:{int(behind) % 60:02d})", channel=channel,
                      behind_s=behind)  # fmt: skip
    return Taking(client.stream_url(f"/stream/channel/{channel['id']}"), label(channel), channel=channel)


def take(args: argparse.Namespace) -> int:
    from stb.companion.recordings_cli import store_position
    from stb.companion.viewer import Viewer
    from stb.companion.watch_cli import paired

    client, info = paired(args.box)
    stored = None
    with client:
        state = client.state()
        why = nothing_to_take(state, info["name"])
        if why is not None:
            raise StbError(why)
        taking = what_to_take(client, state)
        outcome: dict = {}

        def tell_the_box() -> None:
            try:
                if taking.recording is not None:
                    outcome["handoff"] = answer = client.handoff(recording_id=taking.recording["id"])
                else:
                    assert taking.channel is not None
                    outcome["handoff"] = answer = client.handoff(taking.channel["id"])
            except StbError as exc:
                outcome["error"] = str(exc)
                print(f"stb: the box was not told: {exc}", file=sys.stderr, flush=True)
                return
            viewer.note("handoff")
            if not args.json:
                print(f"took {taking.title} from {info['name']}: {answer['reason']}", flush=True)

        told = threading.Thread(target=tell_the_box, name="stb-handoff", daemon=True)
        viewer = Viewer(taking.url, taking.title, args.headless, args.fullscreen,
                        on_first_frame=lambda _s: told.start(), start_s=taking.start_s,
                        length_s=taking.length_s)  # fmt: skip
        report = viewer.run(args.seconds)
        if told.is_alive():
            told.join(HANDOFF_WAIT_S)
        if taking.recording is not None:
            stored = store_position(client, taking.recording, report)
    from dataclasses import asdict

    data = asdict(report) | {"channel": taking.channel, "recording": taking.recording["id"] if taking.recording
                             else None, "started_at": taking.start_s, "behind_s": taking.behind_s,
                             "stored_position": stored["position"] if stored else None,
                             "handoff": outcome.get("handoff"), "error": outcome.get("error")}  # fmt: skip
    if args.json:
        emit(args, data, str)
    elif report.first_frame_s is None:
        print(f"stb: no picture from {taking.title} ({report.state}); the TV was left as it was", file=sys.stderr)
    return 0 if report.first_frame_s is not None and "handoff" in outcome else 1
