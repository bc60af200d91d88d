"""Every problem in a line-up, each with its JSON path, so an integrator fixes them all in one pass.

Pydantic does the schema part; the rules a schema cannot say (unique numbers and ids, playable
URLs, guide sources) run on the raw data too, so a file with a type error still gets its duplicate
numbers reported in the same run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import ValidationError

from stb.lineup.model import Lineup

# What libVLC plays from a playlist: mms:// and its variants are still how many radio stations stream.
STREAM_SCHEMES = frozenset({"http", "https", "udp", "rtp", "rtsp", "rtmp", "mms", "mmsh", "mmst", "mmsu"})
MULTICAST_SCHEMES = frozenset({"udp", "rtp"})  # `udp://@:5000` listens on any address: no host needed
GUIDE_SCHEMES = frozenset({"http", "https"})
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an RFC 9110 token

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where it is, and whether it stops the line-up from loading."""

    path: str  # JSON path ("$.channels[3].urls[0]") or a place in another format ("line 17")
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        label = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.path}: {label}{self.message}"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def json_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """A pydantic error location as a JSONPath: `$.channels[3].headers['User-Agent']`."""
    out = "$"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(str(part)):
            out += f".{part}"
        else:
            out += "['" + str(part).replace("\\", "\\\\").replace("'", "\\'") + "']"
    return out


def stream_url_problem(url: str) -> tuple[Severity, str] | None:
    """(severity, message) when ``url`` is not a stream URL the box can play, else None."""
    if not url:
        return "error", "URL is empty"
    if any(c.isspace() for c in url):
        return "error", f"URL contains whitespace: {url!r}"
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # .port raises on a bad port
    except ValueError as exc:
        return "error", f"malformed URL {url!r}: {exc}"
    scheme = parts.scheme.lower()
    if scheme == "file":
        return "warning", f"file: URL plays a local file, not a stream: {url!r}"
    if not scheme or len(scheme) == 1:  # one letter: a Windows drive, i.e. a path
        return "error", f"not a URL: {url!r} (write a local file as file:///path)"
    if scheme not in STREAM_SCHEMES:
        return "error", f"unsupported URL scheme {scheme!r} in {url!r} (use {', '.join(sorted(STREAM_SCHEMES))})"
    if not host and not (scheme in MULTICAST_SCHEMES and parts.netloc.startswith("@") and _port):
        return "error", f"URL has no host: {url!r}"
    if "|" in url:
        return "warning", f"Kodi reads what follows '|' as HTTP headers; put them in headers: {url!r}"
    return None


def guide_source_problem(source: str) -> str | None:
    """Why ``source`` is not an XMLTV path or http(s) URL, else None."""
    if not source.strip():
        return "guide source is empty"
    try:
        parts = urlsplit(source)
    except ValueError as exc:
        return f"malformed guide URL {source!r}: {exc}"
    scheme = parts.scheme.lower()
    if scheme in ("", "file") or len(scheme) == 1:  # a path, a file: URL or a Windows drive
        return None
    if scheme not in GUIDE_SCHEMES:
        return f"guide source must be a path or http(s) URL: {source!r}"
    if not parts.netloc or any(c.isspace() for c in source):
        return f"guide URL has no host or contains whitespace: {source!r}"
    return None


def check_lineup(data_or_path: Any) -> list[Problem]:
    """Every problem in a line-up given as a file path, raw JSON bytes, parsed JSON or a Lineup.

    Never raises: an unreadable file or broken JSON is itself a problem at `$`.
    """
    if isinstance(data_or_path, (str, Path)):
        return check_file(Path(data_or_path))
    if isinstance(data_or_path, (bytes, bytearray)):
        return check_json_bytes(bytes(data_or_path))
    if isinstance(data_or_path, Lineup):
        data_or_path = data_or_path.model_dump(mode="json", by_alias=True)
    return check_data(data_or_path)


def check_file(path: Path) -> list[Problem]:
    """All problems in a line-up file; an unreadable file is one problem, not an exception."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [Problem("$", f"cannot read {path}: {exc.strerror or exc}")]
    return check_json_bytes(raw)


def parse_json_bytes(raw: bytes) -> Any:
    """Decoded JSON, or a ValueError whose message says where the text is broken."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except ValueError:  # an integer with thousands of digits
        raise ValueError("invalid JSON: a number is too long") from None


def check_json_bytes(raw: bytes) -> list[Problem]:
    try:
        data = parse_json_bytes(raw)
    except ValueError as exc:
        return [Problem("$", str(exc))]
    return check_data(data)


def check_data(data: Any) -> list[Problem]:
    """Problems in already-parsed JSON, in file order: the schema's, then the rules a schema cannot say."""
    try:
        Lineup.model_validate(data)
        problems = []
    except ValidationError as exc:
        problems = [Problem(json_path(e["loc"]), _message(e)) for e in exc.errors()]
    return sorted(problems + semantic_problems(data), key=lambda p: _path_key(p.path))


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "model_type" and not error["loc"]:
        return "top level must be a JSON object"
    return str(error["msg"])


def semantic_problems(data: Any) -> list[Problem]:
    """Rules across fields, on raw JSON: values of the wrong type are left to the schema check."""
    if not isinstance(data, dict):
        return []
    problems: list[Problem] = []
    channels = data.get("channels")
    if isinstance(channels, list):
        problems += _duplicates(channels, "number", lambda v: isinstance(v, int) and not isinstance(v, bool))
        problems += _duplicates(channels, "id", lambda v: isinstance(v, str))
        for i, channel in enumerate(channels):
            if isinstance(channel, dict):
                problems += _channel_problems(i, channel)
    sources = data.get("guide_sources")
    for i, source in enumerate(sources if isinstance(sources, list) else []):
        found = guide_source_problem(source) if isinstance(source, str) else None
        if found:
            problems.append(Problem(f"$.guide_sources[{i}]", found))
    return problems


def _duplicates(channels: list[Any], key: str, valid: Callable[[Any], bool]) -> list[Problem]:
    first: dict[Any, int] = {}
    problems = []
    for i, channel in enumerate(channels):
        value = channel.get(key) if isinstance(channel, dict) else None
        if not valid(value):
            continue
        if value in first:
            message = f"{key} {value!r} is also used by $.channels[{first[value]}]"
            problems.append(Problem(f"$.channels[{i}].{key}", message))
        else:
            first[value] = i
    return problems


def _channel_problems(index: int, channel: dict[str, Any]) -> list[Problem]:
    here = f"$.channels[{index}]"
    problems = []
    urls = channel.get("urls")
    urls = urls if isinstance(urls, list) else []
    for j, url in enumerate(urls):
        if not isinstance(url, str):
            continue
        found = stream_url_problem(url)
        if found:
            problems.append(Problem(f"{here}.urls[{j}]", found[1], found[0]))
        if url in urls[:j]:
            problems.append(Problem(f"{here}.urls[{j}]", f"same URL as {here}.urls[{urls.index(url)}]", "warning"))
    groups = channel.get("groups")
    for j, group in enumerate(groups if isinstance(groups, list) else []):
        if isinstance(group, str) and not group.strip():
            problems.append(Problem(f"{here}.groups[{j}]", "empty group name", "warning"))
    headers = channel.get("headers")
    for name, value in (headers if isinstance(headers, dict) else {}).items():
        where = json_path(("channels", index, "headers", name))
        if not _HEADER_NAME.match(name):
            problems.append(Problem(where, "not a valid HTTP header name"))
        elif isinstance(value, str) and ("\r" in value or "\n" in value):
            problems.append(Problem(where, "header value contains a line break"))
    return problems


def _path_key(path: str) -> tuple[int, ...]:
    """Sort key for file order: top-level fields, then channel by channel (the sort is stable)."""
    match = re.match(r"\$\.channels\[([0-9]+)\]", path)
    return (1, int(match[1])) if match else (0,)
