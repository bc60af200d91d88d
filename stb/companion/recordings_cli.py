"""`stb recordings list|play|delete|schedule BOX …`: the box's recordings from a laptop (a multi-room DVR).

Every call goes through the paired, pinned connection `stb remote` uses (:func:`connect`); the player gets
a short-lived signed URL of the recording's MPEG-TS (byte ranges: libVLC seeks in it), never the token.
`play` starts at the resume position every screen shares, and stores where it stopped when the window
closes, so the TV (or a phone) goes on from there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from stb.cli import add_json_flag, emit
from stb.errors import StbError

RESUME_MIN_S = 5.0  # as the TV: a resume position closer to the start than this starts from the start
END_S = 1.0  # stopped this close to the end (it ended): watched, and the next play starts from the start


def register(sub: argparse._SubParsersAction) -> None:
    from stb.companion.watch_cli import viewer_flags

    r = sub.add_parser("recordings", help="a box's recordings: list, play here, delete, schedule")
    actions = r.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = actions.add_parser("list", help="recordings with their series, state and resume position")
    ls.add_argument("box", metavar="BOX")
    add_json_flag(ls)
    ls.set_defaults(handler=cmd_list)
    play = actions.add_parser("play", help="play a recording here from where any screen stopped it")
    viewer_flags(play)
    play.add_argument("recording", metavar="RECORDING", help="its id (from `list`), or a word of its title")
    play.add_argument("--start", type=float, metavar="S", help="start here (seconds) instead of the resume position")
    play.add_argument("--no-resume-store", action="store_true", help="leave the shared resume position as it is")
    play.set_defaults(handler=cmd_play)
    rm = actions.add_parser("delete", help="delete a recording (asks first)")
    rm.add_argument("box", metavar="BOX")
    rm.add_argument("recording", metavar="RECORDING")
    rm.add_argument("--yes", action="store_true", help="do not ask")
    add_json_flag(rm)
    rm.set_defaults(handler=cmd_delete)
    sc = actions.add_parser("schedule", help="record a programme (CHANNEL TIME), a series (--series) or now (--now)",
                            description="stb recordings schedule BOX CHANNEL TIME [--series] | BOX --now CHANNEL; "
                            "TIME is HH:MM (the next one, local time), YYYY-MM-DDTHH:MM (local) or UTC "
                            "seconds")  # fmt: skip
    sc.add_argument("box", metavar="BOX")
    sc.add_argument("channel", metavar="CHANNEL", nargs="?", help="number, id or name")
    sc.add_argument("time", metavar="TIME", nargs="?", help="a moment of the programme")
    sc.add_argument("--now", metavar="CHANNEL", help="record what this channel shows now")
    sc.add_argument("--series", action="store_true", help="every episode of the programme's series")
    add_json_flag(sc)
    sc.set_defaults(handler=cmd_schedule)


def _client(box: str):  # type: ignore[no-untyped-def]
    from stb.companion.watch_cli import paired

    return paired(box)


def minutes(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else (
        f"{seconds // 60}:{seconds % 60:02d}")  # fmt: skip


def describe(r: dict) -> str:
    from stb.lan.printable import printable

    when = dt.datetime.fromtimestamp(r["start"]).strftime("%Y-%m-%d %H:%M")
    resume = f"  resume at {minutes(r['position'])}" if r["position"] >= RESUME_MIN_S and not r["watched"] else ""
    state = "" if r["state"] == "done" else f"  [{r['state']}]"
    mark = " (watched)" if r["watched"] else (" (new)" if r.get("new") else "")
    title = printable(r["title"]) + (f" · {printable(r['sub_title'])}" if r.get("sub_title") else "")
    return (f"{r['id']}  {when}  {printable(r['channel_name'] or r['channel'])}  {title}  "
            f"{minutes(r['duration'])}{resume}{state}{mark}")  # fmt: skip


def cmd_list(args: argparse.Namespace) -> int:
    client, _ = _client(args.box)
    with client:
        listing = client.request("GET", "/recordings")

    def text(data: dict) -> str:
        from stb.lan.printable import printable

        if not data["recordings"]:
            return "no recordings"
        by_id = {r["id"]: r for r in data["recordings"]}
        lines = []
        for group in data["series"]:
            lines.append(f"{printable(group['title'])}" + (f"  ({group['new']} new)" if group["new"] else ""))
            lines += [f"  {describe(by_id[i])}" for i in group["recordings"] if i in by_id]
        lines.append(f"{data['free_bytes'] / 1e9:.1f} GB free")
        return "\n".join(lines)

    emit(args, listing, text)
    return 0


def find_recording(recordings: list[dict], wanted: str) -> dict:
    """By id, or one recording whose title holds the words; a clear error when none or several match."""
    text = wanted.strip()
    for r in recordings:
        if r["id"] == text:
            return r
    found = [r for r in recordings if text.casefold() in f"{r['title']} {r.get('sub_title') or ''}".casefold()]
    if len(found) == 1:
        return found[0]
    if found:
        raise StbError(f"{wanted!r} could be several recordings: " + "; ".join(describe(r) for r in found[:5]))
    raise StbError(f"no recording {wanted!r} on this box (`stb recordings list BOX` shows them)")


def cmd_play(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from stb.companion.viewer import Viewer

    client, _ = _client(args.box)
    with client:
        meta = find_recording(client.request("GET", "/recordings")["recordings"], args.recording)
        urls = client.request("POST", f"/recordings/{meta['id']}/stream-urls")
        start = args.start if args.start is not None else urls["position"]
        start = 0.0 if start < RESUME_MIN_S or (meta["duration"] and start >= meta["duration"] - END_S) else start
        viewer = Viewer(
            f"{client.root}{urls['ts']}",
            meta["title"],
            args.headless,
            args.fullscreen,
            start_s=start,
            length_s=meta["duration"],
        )
        report = viewer.run(args.seconds)
        stored = None if args.no_resume_store else store_position(client, meta, report)
    data = asdict(report) | {"recording": meta["id"], "started_at": start,
                             "stored_position": stored["position"] if stored else None}  # fmt: skip
    emit(args, data, lambda d: f"first picture after {d['first_frame_s']} s (from {minutes(start)}); "
         + (f"resume position now {minutes(d['stored_position'])}" if stored else "resume position unchanged")
         if d["first_frame_s"] is not None else f"no picture ({d['state']})")  # fmt: skip
    return 0 if report.first_frame_s is not None else 1


def store_position(client, meta: dict, report) -> dict | None:  # type: ignore[no-untyped-def]
    """Where this screen stopped ``meta``, as the resume position every screen shares (None: it never played)."""
    if report.first_frame_s is None or report.position_s is None:
        return None
    at = report.position_s  # the box judges watched (past 90 %) as for the TV; an end starts over next time
    ended = meta["duration"] > 0 and at >= meta["duration"] - END_S
    body = {"position": 0.0 if ended else round(at, 1), "watched": True if ended else None}
    stored: dict = client.request("PUT", f"/recordings/{meta['id']}/position", json=body)
    return stored


def cmd_delete(args: argparse.Namespace) -> int:
    client, info = _client(args.box)
    with client:
        meta = find_recording(client.request("GET", "/recordings")["recordings"], args.recording)
        if not args.yes:
            if not sys.stdin.isatty():
                raise StbError("not deleting without a yes: add --yes (no terminal to ask on)")
            sys.stderr.write(f"Delete {describe(meta)} from {info['name']}? [y/N] ")
            sys.stderr.flush()
            if sys.stdin.readline().strip().lower() not in ("y", "yes"):
                raise StbError("not deleted")
        client.request("DELETE", f"/recordings/{meta['id']}")
    emit(args, {"deleted": meta["id"], "title": meta["title"]}, lambda d: f"deleted {d['title']} ({d['deleted']})")
    return 0


def parse_time(text: str, now: float | None = None) -> float:
    """UTC seconds from HH:MM (the next such time, local), YYYY-MM-DD[T ]HH:MM (local), or UTC seconds."""
    value = text.strip()
    if value.isdigit():
        return float(value)
    now_dt = dt.datetime.fromtimestamp(time.time() if now is None else now)
    try:
        if len(value) <= 5 and ":" in value:
            hour, minute = (int(v) for v in value.split(":"))
            moment = now_dt.replace(hour=hour, minute=minute, second=0, microsecond=0)
            if moment < now_dt - dt.timedelta(hours=1):  # earlier today than an hour ago: tomorrow's
                moment += dt.timedelta(days=1)
            return moment.timestamp()
        return dt.datetime.fromisoformat(value.replace(" ", "T")).timestamp()
    except ValueError:
        raise StbError(f"{text!r} is not a time: give HH:MM, YYYY-MM-DDTHH:MM or UTC seconds") from None


def cmd_schedule(args: argparse.Namespace) -> int:
    from stb.companion.watch_cli import find_channel

    if args.now and (args.channel or args.time or args.series):
        raise StbError("usage: stb recordings schedule BOX --now CHANNEL (nothing else)")
    if not args.now and not (args.channel and args.time):
        raise StbError("usage: stb recordings schedule BOX CHANNEL TIME [--series], or BOX --now CHANNEL")
    client, _ = _client(args.box)
    with client:
        channel = find_channel(client.lineup(), args.now or args.channel)
        if args.now:
            body: dict = {"what": "now", "channel": channel["id"]}
        else:
            at = parse_time(args.time)
            window = client.request("GET", "/guide/window", params={"channel": channel["id"], "start": at - 6 * 3600,
                                                                     "hours": 12})  # fmt: skip
            on = [p for p in window.get(channel["id"], []) if p["start"] <= at < p["stop"]]
            if not on:
                raise StbError(f"the guide has no programme on {channel['name']} at {args.time}")
            body = {"what": "series" if args.series else "programme", "channel": channel["id"],
                    "start": on[0]["start"], "programme_id": on[0]["id"]}  # fmt: skip
        made = client.request("POST", "/timers", json=body)

    def text(d: dict) -> str:
        if d["rule"] is not None:
            return f"series rule {d['rule']['id']} for {d['rule']['title']}: {len(d['timers'])} episodes scheduled"
        t = d["timer"]
        when = dt.datetime.fromtimestamp(t["start"]).strftime("%Y-%m-%d %H:%M")
        return f"timer {t['id']}: {t['title']} on {t['channel']} at {when} ({t['state']})"

    emit(args, made, text)
    return 0
