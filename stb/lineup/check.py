"""Every problem in a line-up, each with its JSON path, so an integrator fixes them in one pass."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import ValidationError

from stb.lineup.model import Lineup

STREAM_SCHEMES = {"http", "https", "udp", "rtp", "rtsp", "rtmp"}


@dataclass(frozen=True)
class Problem:
    path: str  # JSON path ("$.channels[3].urls[0]") or a place in another format ("line 17")
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.path}: {self.severity}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


def json_path(loc: tuple[Any, ...]) -> str:
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def stream_url_problem(url: str) -> tuple[str, str] | None:
    """(severity, message) when ``url`` is not a stream URL the box can play, else None."""
    if url != url.strip() or any(c.isspace() for c in url):
        return "error", f"URL contains whitespace: {url!r}"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return "warning", "file: URL plays a local file, not a stream"
    if scheme not in STREAM_SCHEMES:
        return "error", f"unsupported URL scheme {scheme or '(none)'!r} in {url!r}"
    if not parts.hostname and scheme in ("http", "https", "rtsp", "rtmp"):
        return "error", f"URL has no host: {url!r}"
    try:
        _ = parts.port
    except ValueError:
        return "error", f"URL has a bad port: {url!r}"
    return None


def check_data(data: Any) -> list[Problem]:
    """Problems in already-parsed JSON: schema first, then the rules a schema cannot say."""
    try:
        lineup = Lineup.model_validate(data)
    except ValidationError as exc:
        return [Problem(json_path(e["loc"]), _message(e)) for e in exc.errors()]
    return semantic_problems(lineup)


def _message(error: dict) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required field is missing"
    return error["msg"]


def semantic_problems(lineup: Lineup) -> list[Problem]:
    problems: list[Problem] = []
    seen_numbers: dict[int, int] = {}
    seen_ids: dict[str, int] = {}
    for i, channel in enumerate(lineup.channels):
        here = f"$.channels[{i}]"
        if channel.number in seen_numbers:
            first = seen_numbers[channel.number]
            problems.append(Problem(f"{here}.number", f"number {channel.number} is also used by $.channels[{first}]"))
        else:
            seen_numbers[channel.number] = i
        if channel.id in seen_ids:
            problems.append(
                Problem(f"{here}.id", f"id {channel.id!r} is also used by $.channels[{seen_ids[channel.id]}]")
            )
        else:
            seen_ids[channel.id] = i
        for j, url in enumerate(channel.urls):
            found = stream_url_problem(url)
            if found:
                problems.append(Problem(f"{here}.urls[{j}]", found[1], found[0]))
            if url in channel.urls[:j]:
                problems.append(Problem(f"{here}.urls[{j}]", "same URL listed twice", "warning"))
        for j, group in enumerate(channel.groups):
            if not group.strip():
                problems.append(Problem(f"{here}.groups[{j}]", "empty group name", "warning"))
    for i, source in enumerate(lineup.guide_sources):
        scheme = urlsplit(source).scheme.lower()
        if scheme not in ("", "http", "https", "file") and len(scheme) > 1:  # one letter: a Windows drive
            problems.append(Problem(f"$.guide_sources[{i}]", f"guide source must be a path or http(s) URL: {source!r}"))
    return problems


def check_file(path: Path) -> list[Problem]:
    """All problems in a line-up file; unreadable files are one problem, not an exception."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [Problem("$", f"cannot read {path}: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [Problem("$", f"not UTF-8 (byte {exc.start})")]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [Problem("$", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]
    except RecursionError:
        return [Problem("$", "JSON nested too deeply")]
    return check_data(data)
