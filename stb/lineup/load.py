"""Reading and writing `channels.json` with errors a person can act on."""

from __future__ import annotations

import io
import json
from pathlib import Path

from stb.config import atomic_write_bytes
from stb.errors import StbError
from stb.lineup.check import check_data, parse_json_bytes
from stb.lineup.model import Lineup


def read_input(path: Path, what: str) -> bytes:
    """The bytes of a file the user named; every way it can fail is one StbError line."""
    with open_input(path, what) as f:
        return f.read()


def open_input(path: Path, what: str) -> io.BufferedReader:
    """A file the user named, opened for reading (for one too large to read whole); failures as in read_input."""
    try:
        return open(path, "rb")  # the caller closes it
    except FileNotFoundError:
        raise StbError(f"{what} {path} not found") from None
    except IsADirectoryError:
        raise StbError(f"{what} {path} is a directory, not a file") from None
    except OSError as exc:
        raise StbError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def write_output(path: Path, data: bytes) -> None:
    """Atomically write a file the user named; failures are one StbError line."""
    if path.is_dir():
        raise StbError(f"{path} is a directory; give a file name")
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise StbError(f"cannot write {path}: {exc.strerror or exc}") from None


def load_lineup(path: Path | str) -> Lineup:
    """The line-up in ``path``; any error is a StbError naming the first problem and how to see all."""
    path = Path(path)
    if not path.exists():
        raise StbError(f"line-up {path} not found (make one with `stb lineup import PLAYLIST.m3u -o {path}`)")
    raw = read_input(path, "line-up")
    try:
        data = parse_json_bytes(raw)
    except ValueError as exc:
        raise StbError(f"{path}: {exc}") from None
    errors = [p for p in check_data(data) if p.severity == "error"]
    if errors:
        more = f" ({len(errors) - 1} more; run `stb lineup check {path}`)" if len(errors) > 1 else ""
        raise StbError(f"{path}: {errors[0]}{more}")
    return Lineup.model_validate(data)  # cannot fail: check_data reported every validation error


def dump_lineup(lineup: Lineup) -> bytes:
    """Pretty JSON without default values, so a hand-edited file stays short; loads back equal."""
    data = lineup.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if lineup.headend is not None:  # spelled out: where the demo head-end listens is worth seeing
        data["headend"] = lineup.headend.model_dump(mode="json")
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def save_lineup(lineup: Lineup, path: Path | str) -> None:
    """Write ``lineup`` atomically: readers see the old file or the new one, never half."""
    write_output(Path(path), dump_lineup(lineup))
