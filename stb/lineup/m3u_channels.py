"""A playlist's entries, as its lines were read (``stb.lineup.m3u``), made channels.

Numbers as given (Kodi's `5.1` is 5), a number taken twice or out of range renumbered after the highest one used;
the stream URL and its `#STB-FALLBACK:` URLs checked (a `file:` URL only inside the playlist's own folder), Kodi's
`URL|Header=…` suffix read into headers; ids kept from the line-up the import replaces; every channel validated by
the model. A bad entry becomes a Problem with its line number and is skipped, never an exception.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError

from stb.lineup.check import Problem, Severity, json_path, stream_url_problem
from stb.lineup.ids import IdSource, assign_ids
from stb.lineup.model import Channel, Lineup

NUMBER_ATTRIBUTES = ("tvg-chno", "channel-id", "channel-number")
HEADER_ATTRIBUTES = {"http-user-agent": "User-Agent", "http-referrer": "Referer", "http-referer": "Referer"}
# Attributes read into fields of their own; any other one is kept as it is in Channel.attributes.
KNOWN_ATTRIBUTES = frozenset({*NUMBER_ATTRIBUTES, *HEADER_ATTRIBUTES, "tvg-id", "tvg-name", "tvg-logo", "group-title",
                              "tvg-shift", "radio", "stb-id", "stb-locked", "stb-age"})  # fmt: skip
MAX_ATTRIBUTES = 50  # kept per line; a line of thousands of junk attributes is not a channel's business
MAX_NUMBER = 99999
MAX_NAME = 200


@dataclass
class Entry:
    """One channel being read: the #EXTINF plus the tag lines around it, until its URL."""

    line: int
    name: str = ""
    attrs: dict[str, str] = field(default_factory=dict)
    has_extinf: bool = False
    broken: bool = False
    groups: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    vlc_options: list[str] = field(default_factory=list)
    kodi_props: list[str] = field(default_factory=list)
    fallbacks: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Header:
    """What the #EXTM3U line says for the whole playlist."""

    guide_sources: list[str] = field(default_factory=list)
    shift: float = 0.0
    attributes: dict[str, str] = field(default_factory=dict)  # all but the guide URLs, kept for export

    @property
    def catchup(self) -> dict[str, str]:
        return {k: v for k, v in self.attributes.items() if k.startswith("catchup")}


def split_pipe_headers(url: str) -> tuple[str, dict[str, str]]:
    """Kodi's `URL|User-Agent=…&Referer=…` suffix into (URL, headers), URL-decoded."""
    url, sep, suffix = url.partition("|")
    headers = {}
    for pair in suffix.split("&") if sep else ():
        key, eq, value = pair.partition("=")
        if eq and key.strip():
            headers[unquote(key.strip())] = unquote(value)
    return url, headers


def name_from_url(url: str) -> str:
    """A name for a URL that came without #EXTINF: its last path part, else its host."""
    try:
        parts = urlsplit(url.partition("|")[0])
    except ValueError:
        return url[:MAX_NAME]
    last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    return (" ".join(last.split()) or parts.netloc or url)[:MAX_NAME]


def shift_hours(text: str | None, number: int, default: float, problems: list[Problem]) -> float:
    """Hours of tvg-shift, or ``default`` when absent (or bad: a warning)."""
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not -24 <= value <= 24:  # also false for NaN
        problems.append(Problem(f"line {number}", f"tvg-shift {text!r} is not hours -24..24; ignored", "warning"))
        return default
    return value


def _number(text: str | None, number: int, problems: list[Problem]) -> int | None:
    """The channel number in ``text`` (`5`, or `5.1` as Kodi's sub-channel: 5), None if absent or bad."""
    if text is None or not text.strip():
        return None
    match = re.fullmatch(r"\s*([0-9]{1,9})(?:\.[0-9]+)?\s*", text)
    value = int(match[1]) if match else 0
    if not 1 <= value <= MAX_NUMBER:
        message = f"channel number {text!r} is not 1..{MAX_NUMBER}; numbered automatically"
        problems.append(Problem(f"line {number}", message, "warning"))
        return None
    return value


def _age(text: str | None, number: int, problems: list[Problem]) -> int | None:
    if text is None:
        return None
    if re.fullmatch(r"\s*[0-9]{1,2}\s*", text) and int(text) <= 21:
        return int(text)
    problems.append(Problem(f"line {number}", f"stb-age {text!r} is not 0..21; ignored", "warning"))
    return None


def _urls(entry: Entry, url_line: int, url: str, problems: list[Problem], local_root: Path | None) -> list[str] | None:
    """The entry's playable URLs, main one first; None (entry skipped) when the main one is bad."""
    urls = []
    for number, candidate in [(url_line, url), *entry.fallbacks]:
        found = _local_file_problem(candidate, local_root) or stream_url_problem(candidate)
        if found and found[0] == "error":
            if number != url_line:
                problems.append(Problem(f"line {number}", f"{found[1]}; fallback skipped"))
                continue
            problems.append(Problem(f"line {number}", f"{found[1]}; entry skipped"))
            return None
        if found:
            problems.append(Problem(f"line {number}", found[1], found[0]))
        if candidate not in urls:
            urls.append(candidate)
    return urls


def _local_file_problem(url: str, local_root: Path | None) -> tuple[Severity, str] | None:
    """A `file:` URL of a playlist may only name a file in the playlist's own folder (or below)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None  # malformed: stream_url_problem says how
    if parts.scheme.lower() != "file":
        return None
    if local_root is None:
        return "error", f"file: URL in a playlist that is not a local file: {url!r}"
    root = local_root.resolve()
    try:
        target = Path(unquote(parts.path)).resolve()
    except (OSError, ValueError):
        target = root.parent
    if root not in target.parents:
        return "error", f"file: URL outside the playlist's folder {str(root)!r}: {url!r}"
    return None


def build_channels(
    entries: list[tuple[Entry, int, str]],
    header: Header,
    problems: list[Problem],
    local_root: Path | None,
    previous: Lineup | None,
) -> list[Channel]:
    used_numbers: dict[int, int] = {}  # number -> line that took it
    pending: list[tuple[Entry, dict]] = []
    for entry, url_line, raw_url in entries:
        url, pipe_headers = split_pipe_headers(raw_url)
        urls = _urls(entry, url_line, url, problems, local_root)
        if urls is None:
            continue
        a = entry.attrs
        number = _number(next((a[k] for k in NUMBER_ATTRIBUTES if a.get(k)), None), entry.line, problems)
        if number is not None and number in used_numbers:
            message = f"number {number} already used on line {used_numbers[number]}; renumbered"
            problems.append(Problem(f"line {entry.line}", message, "warning"))
            number = None
        if number is not None:
            used_numbers[number] = entry.line
        groups = [g.strip() for g in a.get("group-title", "").split(";") if g.strip()]
        attribute_headers = {HEADER_ATTRIBUTES[k]: v for k, v in a.items() if k in HEADER_ATTRIBUTES}
        others = [(k, v) for k, v in a.items() if k not in KNOWN_ATTRIBUTES and not k.startswith("catchup")]
        fields = {
            "number": number,
            "name": entry.name,
            "urls": urls,
            "groups": list(dict.fromkeys(groups + entry.groups)),
            "logo": a.get("tvg-logo") or None,
            "guide_id": a.get("tvg-id") or None,
            "guide_name": a.get("tvg-name") or None,
            "guide_shift": shift_hours(a.get("tvg-shift"), entry.line, header.shift, problems),
            "radio": a.get("radio", "").lower() == "true",
            "locked": a.get("stb-locked", "").lower() == "true",
            "age_rating": _age(a.get("stb-age"), entry.line, problems),
            "headers": {**attribute_headers, **entry.headers, **pipe_headers},
            "catchup": {**header.catchup, **{k: v for k, v in a.items() if k.startswith("catchup")}},
            "kodi_props": entry.kodi_props,
            "vlc_options": entry.vlc_options,
            "attributes": dict(others[:MAX_ATTRIBUTES]),
        }
        pending.append((entry, fields))
    sources = [IdSource(e.name, f["urls"][0], e.attrs.get("tvg-id"), e.attrs.get("stb-id")) for e, f in pending]
    for (_, fields), channel_id in zip(pending, assign_ids(sources, previous.channels if previous else ()),
                                       strict=True):  # fmt: skip
        fields["id"] = channel_id
    return _number_and_validate(pending, max(used_numbers, default=0) + 1, problems)


def _number_and_validate(
    pending: list[tuple[Entry, dict]],
    next_number: int,
    problems: list[Problem],
) -> list[Channel]:
    """Give numberless channels the numbers after the highest one used, in playlist order."""
    channels = []
    for entry, fields in pending:
        if fields["number"] is None:
            if next_number > MAX_NUMBER:
                problems.append(Problem(f"line {entry.line}", "no channel number left; entry skipped"))
                continue
            fields["number"], next_number = next_number, next_number + 1
        try:
            channels.append(Channel.model_validate(fields))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = json_path(first["loc"]).removeprefix("$.")
            problems.append(Problem(f"line {entry.line}", f"{where}: {first['msg']}; entry skipped"))
    return channels
