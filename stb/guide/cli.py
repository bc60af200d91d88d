"""`stb guide import|now|search`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from stb.cli import add_json_flag, emit
from stb.errors import StbError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("guide", help="import XMLTV guides and ask what is on")
    actions = p.add_subparsers(dest="guide_command", metavar="ACTION", required=True)

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--db", type=Path, help="guide database (default: in the user cache)")
        parser.add_argument("--lineup", type=Path, default=Path("channels.json"), help="default: %(default)s")
        add_json_flag(parser)

    imp = actions.add_parser("import", help="import XMLTV files or URLs (plain, .gz, .xz, .bz2)")
    imp.add_argument("sources", nargs="*", help="paths or http(s) URLs (default: the line-up's guide sources)")
    imp.add_argument("--zone", default="UTC",
                     help="IANA zone of times written without one (default: UTC, as the XMLTV DTD says; "
                          "give it for providers that write local times without saying so)")  # fmt: skip
    imp.add_argument("--prune-days", type=int, default=2, help="drop programmes that ended this many days ago")
    imp.add_argument("--force", action="store_true",
                     help="import a source even when it leaves no programme, or far fewer than before")  # fmt: skip
    imp.add_argument("--min-fraction", type=_fraction, default=0.1, metavar="F",
                     help="refuse a source that leaves under this share of what its previous guide still had "
                          "(default: %(default)s)")  # fmt: skip
    common(imp)
    imp.set_defaults(handler=cmd_import)

    now = actions.add_parser("now", help="what is on now and next")
    now.add_argument("--channel", type=int, metavar="N", help="only channel number N")
    now.add_argument("--at", help="another moment than now (YYYY-MM-DD HH:MM, local time)")
    common(now)
    now.set_defaults(handler=cmd_now)

    search = actions.add_parser("search", help="full-text search in titles and descriptions")
    search.add_argument("text")
    search.add_argument("--limit", type=int, default=20)
    common(search)
    search.set_defaults(handler=cmd_search)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"wants a number from 0 to 1, not {text!r}")
    return value


def _db(args: argparse.Namespace) -> Path:
    from stb.guide.store import default_db_path

    return args.db or default_db_path()


def _lineup(args: argparse.Namespace):
    from stb.lineup.load import load_lineup

    return load_lineup(args.lineup)


def cmd_import(args: argparse.Namespace) -> int:
    from stb.guide.matching import match_lineup
    from stb.guide.store import connect, import_sources

    lineup = _lineup(args) if (not args.sources or args.lineup.exists()) else None
    sources = args.sources or (lineup.guide_sources if lineup else [])
    if not sources:
        raise StbError(f"no guide sources given and none in {args.lineup}")
    report = import_sources(_db(args), sources, zone=args.zone, prune_days=args.prune_days, force=args.force,
                            min_fraction=args.min_fraction)  # fmt: skip
    data = report.as_dict()
    if lineup is not None:
        conn = connect(_db(args))
        matching = match_lineup(lineup, conn)
        conn.close()
        data["matching"] = {"matched": len(matching.matches), "by_rule": matching.by_rule(),
                            "unmatched": matching.unmatched}  # fmt: skip
    emit(args, data, _render_import)
    return 0


def _none_kept(s: dict) -> str:
    """Why a source that gave programmes has none in the guide: duplicates of an earlier source, or old."""
    if s["kept"] or not s["programmes"]:
        return ""
    old = s["programmes"] - s["offered"]
    why = [f"{s['offered']} duplicate an earlier source" if s["offered"] else "",
           f"{old} ended before the pruning cut-off" if old else ""]  # fmt: skip
    why = [w for w in why if w]
    return ": " + (f"all {why[0]}" if len(why) == 1 else ", ".join(why))


def _render_import(d: dict) -> str:
    lines = []
    for s in d["sources"]:
        kind = f", {s['compression']}" if s["compression"] else ""
        skipped = "; skipped " + ", ".join(f"{n} {why}" for why, n in s["skipped"].items()) if s["skipped"] else ""
        cut = f"; {s['truncated']} over-long texts cut" if s["truncated"] else ""
        clumped = f"; {s['clumped']} sharing a slot with another" if s["clumped"] else ""
        kept = f"; {s['kept']} kept{_none_kept(s)}"
        lines.append(f"{s['source']}: {s['programmes']} programmes, {s['channels']} channels "
                     f"({s['bytes'] / 1e6:.1f} MB{kind}){skipped}{cut}{clumped}{kept}")  # fmt: skip
    lines.append(
        f"timeline: {d['overlaps_fixed']} overlaps trimmed, {d['duplicates_removed']} duplicates removed, "
        f"{d['gaps']} gaps, {d['stops_guessed']} missing stops filled; {d['pruned']} old programmes pruned"
    )
    if "matching" in d:
        m = d["matching"]
        rules = ", ".join(f"{n} by {rule}" for rule, n in m["by_rule"].items() if n)
        lines.append(f"matched {m['matched']} channels ({rules or 'none'})")
        if m["unmatched"]:
            lines.append("unmatched: " + ", ".join(m["unmatched"]))
    old = d["programmes"] - d["kept"]  # read but not kept: ended before the pruning cut-off, or repaired away
    gone = f" ({old} of them old or duplicates, not kept)" if old > 0 else ""
    lines.append(f"imported {d['programmes']} programmes in {d['seconds']:.2f} s; {d['kept']} in the guide{gone}")
    return "\n".join(lines)


def _open_guide(args: argparse.Namespace):
    from stb.guide.query import Guide

    db = _db(args)
    if not db.exists():
        raise StbError(f"no guide yet at {db}; run `stb guide import`")
    return Guide(db, _lineup(args))


def _parse_at(text: str | None) -> float:
    if text is None:
        return time.time()
    try:
        return time.mktime(time.strptime(text, "%Y-%m-%d %H:%M"))
    except ValueError:
        raise StbError(f"--at wants YYYY-MM-DD HH:MM, not {text!r}") from None


def cmd_now(args: argparse.Namespace) -> int:
    from stb.guide.times import format_local

    guide = _open_guide(args)
    at = _parse_at(args.at)
    channels = guide.lineup.sorted_channels()
    if args.channel is not None:
        channels = [c for c in channels if c.number == args.channel]
        if not channels:
            raise StbError(f"no channel {args.channel} in {args.lineup}")
    table = guide.now_next(at)
    rows = []
    for c in channels:
        current, upcoming = table.get(c.id, (None, None))
        now_d = current.as_dict() if current else None
        next_d = upcoming.as_dict() if upcoming else None
        rows.append({"number": c.number, "channel": c.id, "name": c.name, "now": now_d, "next": next_d})
    guide.close()

    def text(items: list[dict]) -> str:
        out = []
        for r in items:
            now_s = f"{format_local(r['now']['start'])} {r['now']['title']}" if r["now"] else "—"
            next_s = f"{format_local(r['next']['start'])} {r['next']['title']}" if r["next"] else "—"
            out.append(f"{r['number']:>4}  {r['name'][:22]:<22}  {now_s[:40]:<40}  next {next_s}")
        return "\n".join(out)

    emit(args, rows, text)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from stb.guide.times import format_local

    guide = _open_guide(args)
    found = guide.search(args.text, limit=args.limit)
    names = {c.id: c for c in guide.lineup.channels}
    guide.close()

    def text(items: list[dict]) -> str:
        if not items:
            return f"nothing upcoming matches {args.text!r}"
        return "\n".join(
            f"{time.strftime('%a %d', time.localtime(p['start']))} {format_local(p['start'])}  "
            f"{names[p['channel']].number:>4} {names[p['channel']].name[:20]:<20}  {p['title']}"
            for p in items
        )

    emit(args, [p.as_dict() for p in found], text)
    return 0
