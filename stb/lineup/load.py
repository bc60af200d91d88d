"""Reading and writing `channels.json` with errors a person can act on."""

from __future__ import annotations

import json
from pathlib import Path

from stb.config import atomic_write_bytes
from stb.errors import StbError
from stb.lineup.check import check_file
from stb.lineup.model import Lineup


def load_lineup(path: Path) -> Lineup:
    """The line-up in ``path``; any error is a StbError naming the first problem and how to see all."""
    if not path.exists():
        raise StbError(f"line-up {path} not found (make one with `stb lineup import PLAYLIST.m3u -o {path}`)")
    problems = [p for p in check_file(path) if p.severity == "error"]
    if problems:
        more = f" ({len(problems) - 1} more; run `stb lineup check {path}`)" if len(problems) > 1 else ""
        raise StbError(f"{path}: {problems[0].path}: {problems[0].message}{more}")
    return Lineup.model_validate_json(path.read_bytes().decode("utf-8-sig"))


def dump_lineup(lineup: Lineup) -> bytes:
    data = lineup.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if lineup.headend is not None:  # spelled out: where the demo head-end listens is worth seeing
        data["headend"] = lineup.headend.model_dump()
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def save_lineup(lineup: Lineup, path: Path) -> None:
    atomic_write_bytes(path, dump_lineup(lineup))
