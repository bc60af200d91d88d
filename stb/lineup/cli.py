"""`stb lineup check|import|export|schema`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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
    add_json_flag(imp)
    imp.set_defaults(handler=cmd_import)

    exp = actions.add_parser("export", help="write a line-up as an IPTV Simple style M3U playlist")
    exp.add_argument("lineup", type=Path, nargs="?", default=Path("channels.json"))
    exp.add_argument("-o", "--output", type=Path, help="write the playlist here (default: print it)")
    exp.add_argument("--guide-url", help="url-tvg to put in the header (default: the line-up's guide sources)")
    exp.set_defaults(handler=cmd_export)

    schema = actions.add_parser("schema", help="print the JSON Schema of channels.json")
    schema.add_argument("-o", "--output", type=Path)
    schema.set_defaults(handler=cmd_schema)


def cmd_check(args: argparse.Namespace) -> int:
    from stb.lineup.check import check_file

    problems = check_file(args.file)
    errors = sum(p.severity == "error" for p in problems)

    def text(_: object) -> str:
        lines = [str(p) for p in problems]
        lines.append(f"{args.file}: {errors} error(s), {len(problems) - errors} warning(s)")
        return "\n".join(lines)

    emit(args, {"file": str(args.file), "ok": errors == 0, "problems": [p.as_dict() for p in problems]}, text)
    return 1 if errors else 0


def cmd_import(args: argparse.Namespace) -> int:
    from stb.lineup.load import dump_lineup, save_lineup
    from stb.lineup.m3u import read_m3u_file

    if args.output and args.output.exists() and not args.force:
        raise StbError(f"{args.output} exists; use --force to replace it")
    if args.playlist.is_dir():
        raise StbError(f"{args.playlist} is a directory, not a playlist")
    result = read_m3u_file(args.playlist, args.name)
    if not result.lineup.channels:
        first = f": {result.problems[0]}" if result.problems else ""
        raise StbError(f"no channel could be imported from {args.playlist}{first}")
    if args.output:
        save_lineup(result.lineup, args.output)
    else:
        sys.stdout.buffer.write(dump_lineup(result.lineup))
    summary = {
        "channels": len(result.lineup.channels),
        "guide_sources": result.lineup.guide_sources,
        "problems": [p.as_dict() for p in result.problems],
        "output": str(args.output) if args.output else None,
    }
    if args.output or args.json:

        def text(d: dict) -> str:
            lines = [str(p) for p in result.problems]
            lines.append(f"imported {d['channels']} channels into {d['output']}, {len(d['problems'])} problem(s)")
            return "\n".join(lines)

        emit(args, summary, text)
    else:  # the line-up went to stdout: keep the report on stderr
        for problem in result.problems:
            print(problem, file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from stb.config import atomic_write_bytes
    from stb.lineup.load import load_lineup
    from stb.lineup.m3u import write_m3u

    text = write_m3u(load_lineup(args.lineup), args.guide_url)
    if args.output:
        atomic_write_bytes(args.output, text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from stb.config import atomic_write_bytes
    from stb.lineup.model import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        atomic_write_bytes(args.output, text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 0
