"""`stb skin list|check|preview|schema`: tools for integrators."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from stb.cli import add_json_flag, emit
from stb.errors import StbError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("skin", help="skins: list, check, preview", description="Tools for skinners.")
    cmds = p.add_subparsers(dest="skin_command", metavar="COMMAND", required=True)
    ls = cmds.add_parser("list", help="installed skins and where they are")
    add_json_flag(ls)
    ls.set_defaults(handler=skin_list)
    ck = cmds.add_parser("check", help="every problem of a skin folder, with contrast warnings; exit 1 on errors")
    ck.add_argument("dir", type=Path, metavar="DIR")
    add_json_flag(ck)
    ck.set_defaults(handler=skin_check)
    pv = cmds.add_parser("preview", help="render every screen with demo data to PNG, plus a contact sheet")
    pv.add_argument("name", metavar="NAME")
    pv.add_argument("-o", "--output", type=Path, required=True, metavar="DIR")
    add_json_flag(pv)
    pv.set_defaults(handler=skin_preview)
    sc = cmds.add_parser("schema", help="the JSON Schema of skin.json")
    sc.add_argument("-o", "--output", type=Path, metavar="FILE")
    sc.add_argument("--markdown", action="store_true", help="the token and widget reference (docs/skinning.md)")
    sc.set_defaults(handler=skin_schema)


def skin_list(args: argparse.Namespace) -> int:
    from stb.skin.resolve import installed_skins, read_folder

    rows = []
    for directory in installed_skins():
        folder = read_folder(directory)
        m = folder.manifest
        ok = not any(p.severity == "error" for p in folder.problems)
        rows.append({"name": directory.name, "title": (m.title or m.name) if m else None,
                     "version": m.version if m else None, "extends": m.extends if m else None,
                     "path": str(directory), "ok": ok})  # fmt: skip

    def render(data: list[dict]) -> str:
        if not data:
            return "no skins found"
        lines = []
        for r in data:
            parent = f"extends {r['extends']}" if r["extends"] else "root"
            broken = "" if r["ok"] else "BROKEN  "
            lines.append(
                f"{r['name']:<16} {r['version'] or '?':<8} {parent:<16} {broken}{r['title'] or ''}  ({r['path']})"
            )
        return "\n".join(lines)

    emit(args, rows, render)
    return 0


def skin_check(args: argparse.Namespace) -> int:
    from stb.skin.check import check_skin_dir
    from stb.ui.layoutcheck import layout_problems

    problems = check_skin_dir(args.dir, layout=layout_problems)
    errors = sum(p.severity == "error" for p in problems)

    def render(data: dict) -> str:
        lines = [str(p) for p in problems]
        verdict = f"{args.dir}: {errors} error(s), {len(problems) - errors} warning(s)"
        return "\n".join([*lines, verdict if problems else f"{args.dir}: ok"])

    emit(args, {"dir": str(args.dir), "errors": errors, "problems": [p.as_dict() for p in problems]}, render)
    return 1 if errors else 0


def skin_preview(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from stb.skin.resolve import SkinError, resolve
    from stb.ui import preview

    try:
        skin = resolve(args.name)
    except SkinError as exc:
        raise StbError(str(exc)) from None
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StbError(f"cannot create {args.output}: {exc.strerror or exc}") from None
    now = time.time()
    images, written = {}, []
    with tempfile.TemporaryDirectory(prefix="stb-preview-") as tmp:
        for name in preview.SCREENS:
            images[name] = preview.render(name, Path(tmp) / name, skin.theme, now)
            path = args.output / f"{name}.png"
            pygame.image.save(images[name], str(path))
            written.append(str(path))
    sheet = args.output / "contact-sheet.png"
    pygame.image.save(preview.contact_sheet(images, skin.theme()), str(sheet))
    written.append(str(sheet))
    emit(args, {"skin": args.name, "files": written}, lambda d: "\n".join(d["files"]))
    return 0


def skin_schema(args: argparse.Namespace) -> int:
    from stb.skin.manifest import json_schema, reference_markdown

    text = reference_markdown() if args.markdown else json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        from stb.lineup.load import write_output

        write_output(args.output, text.encode())
    else:
        sys.stdout.write(text)
    return 0
