"""`stb lineup check|import|export|schema`: the line-up file from the integrator's shell."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from stb.cli import add_json_flag, emit
from stb.errors import StbError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lineup", help="check channels.json; import and export M3U playlists")
    actions = p.add_subparsers(dest="lineup_command", metavar="ACTION", required=True)

    check = actions.add_parser("check", help="report every problem in a line-up file, with its JSON path")
    check.add_argument("file", type=Path)
    add_json_flag(check)
    check.set_defaults(handler=cmd_check)

    imp = actions.add_parser("import", help="turn an IPTV playlist (M3U) into a line-up")
    imp.add_argument("playlist", type=Path)
    imp.add_argument("-o", "--output", type=Path, help="write channels.json here (default: print it)")
    imp.add_argument("--name", help="line-up name (default: the playlist's file name)")
    imp.add_argument("--force", action="store_true", help="overwrite an existing output file")
    imp.add_argument("--previous", type=Path, metavar="LINEUP",
                     help="line-up this import replaces: channels still there keep their ids "
                          "(default: the output file, when it exists)")  # fmt: skip
    add_json_flag(imp)
    imp.set_defaults(handler=cmd_import)

    exp = actions.add_parser("export", help="write a line-up as an IPTV Simple style M3U playlist")
    exp.add_argument("lineup", type=Path, nargs="?", default=Path("channels.json"), help="default: %(default)s")
    exp.add_argument("-o", "--output", type=Path, help="write the playlist here (default: print it)")
    exp.add_argument("--guide-url", help="url-tvg to put in the header (default: the line-up's guide sources)")
    exp.set_defaults(handler=cmd_export)

    schema = actions.add_parser("schema", help="print the JSON Schema of channels.json")
    schema.add_argument("-o", "--output", type=Path, help="write it here (default: print it)")
    schema.set_defaults(handler=cmd_schema)


def cmd_check(args: argparse.Namespace) -> int:
    from stb.lineup.check import check_lineup
    from stb.lineup.load import read_input

    problems = check_lineup(read_input(args.file, "line-up"))
    errors = sum(p.severity == "error" for p in problems)
    report = {
        "file": str(args.file),
        "ok": errors == 0,
        "errors": errors,
        "warnings": len(problems) - errors,
        "problems": [p.as_dict() for p in problems],
    }

    def text(r: dict[str, Any]) -> str:
        summary = f"{r['file']}: {r['errors']} error(s), {r['warnings']} warning(s)" if problems else f"{r['file']}: OK"
        return "\n".join([*map(str, problems), summary])

    emit(args, report, text)
    return 0 if report["ok"] else 1


def cmd_import(args: argparse.Namespace) -> int:
    from stb.lineup.load import dump_lineup, load_lineup, write_output
    from stb.lineup.m3u import read_m3u_file

    if args.output and args.output.exists() and not args.force:
        raise StbError(f"{args.output} exists; use --force to replace it")
    previous_path = args.previous or (args.output if args.output and args.output.is_file() else None)
    previous = None
    if args.previous:
        previous = load_lineup(args.previous)
    elif previous_path:
        try:
            previous = load_lineup(previous_path)
        except StbError as exc:  # replacing a broken file is allowed (--force): its ids cannot be kept
            sys.stderr.write(f"warning: ids not kept from the file being replaced: {exc}\n")
    result = read_m3u_file(args.playlist, args.name, previous=previous)
    if not result.lineup.channels:
        # the first error says why (a broken #EXTINF), not a warning before it (a missing #EXTM3U)
        why = next((p for p in result.problems if p.severity == "error"), None) or next(iter(result.problems), None)
        raise StbError(f"no channel could be imported from {args.playlist}" + (f" ({why})" if why else ""))
    data = dump_lineup(result.lineup)
    if args.output:
        write_output(args.output, data)
    else:
        sys.stdout.write(data.decode("utf-8"))
    report = {
        "output": str(args.output) if args.output else None,
        "channels": len(result.lineup.channels),
        "ids_kept": _ids_kept(previous, result.lineup) if previous else None,
        "guide_sources": result.lineup.guide_sources,
        "problems": [p.as_dict() for p in result.problems],
    }

    def text(r: dict[str, Any]) -> str:
        where = f" into {r['output']}" if r["output"] else ""
        summary = f"imported {r['channels']} channel(s){where}, {len(r['problems'])} problem(s)"
        if r["ids_kept"] is not None:
            summary += f"; {r['ids_kept']} channel(s) still there kept their ids from {previous_path}"
        return "\n".join([*map(str, result.problems), summary])

    if args.output:
        emit(args, report, text)
    else:  # stdout holds the line-up, so that `> channels.json` works: the report goes to stderr
        with redirect_stdout(sys.stderr):
            emit(args, report, text)
    return 0


def _ids_kept(previous, lineup) -> int:
    """Channels of ``previous`` whose id is in the new line-up (each the same station: see stb.lineup.ids)."""
    new_ids = {c.id for c in lineup.channels}
    return sum(c.id in new_ids for c in previous.channels)


def cmd_export(args: argparse.Namespace) -> int:
    from stb.lineup.load import load_lineup, write_output
    from stb.lineup.m3u_write import write_m3u

    if args.output and args.output.resolve() == args.lineup.resolve():
        raise StbError(f"refusing to write the playlist over the line-up {args.lineup}")
    text = write_m3u(load_lineup(args.lineup), args.guide_url)
    if args.output:
        write_output(args.output, text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from stb.lineup.load import write_output
    from stb.lineup.model import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        write_output(args.output, text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 0
