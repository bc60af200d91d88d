"""M3U playlists as IPTV providers hand them out, in and out, the way Kodi's IPTV Simple reads them.

No library covers this: `m3u8` parses HLS playlists, not IPTV channel lists, and the IPTV-specific
ones on PyPI neither report problems by line nor keep the attributes Kodi relies on.

Import never raises on bad input: each broken entry becomes a Problem with its line number and is
skipped, the rest is imported. Export writes what import reads back into the same line-up; what
M3U has no attribute for goes into `stb-*` attributes and `#STB-FALLBACK` lines, which other
readers ignore.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from pydantic import ValidationError

from stb.errors import StbError
from stb.lineup.check import Problem, json_path, stream_url_problem
from stb.lineup.model import Channel, Lineup

ATTRIBUTE = re.compile(r"""([A-Za-z0-9_-]+)=(?:"([^"]*)"|'([^']*)'|([^\s"',]*))""")
VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_NUMBER = 99999


@dataclass
class M3UResult:
    lineup: Lineup
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Entry:
    line: int
    name: str
    attrs: dict[str, str]
    groups: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    vlc_options: list[str] = field(default_factory=list)
    kodi_props: list[str] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    broken: bool = False


def split_extinf(body: str) -> tuple[str, str] | None:
    """(attributes, name) of an #EXTINF body: the name follows the first comma outside quotes."""
    quote_char = None
    for i, c in enumerate(body):
        if quote_char:
            if c == quote_char:
                quote_char = None
        elif c in "\"'" and i > 0 and body[i - 1] == "=":
            quote_char = c
        elif c == ",":
            return body[:i], body[i + 1 :].strip()
    return None


def parse_attributes(text: str) -> dict[str, str]:
    return {m[1].lower(): next(v for v in m.groups()[1:] if v is not None) for m in ATTRIBUTE.finditer(text)}


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:100] or "channel"


def _split_pipe_headers(url: str) -> tuple[str, dict[str, str]]:
    """Kodi's `URL|User-Agent=…&Referer=…` suffix into (URL, headers)."""
    if "|" not in url:
        return url, {}
    url, _, suffix = url.partition("|")
    headers = {}
    for pair in suffix.split("&"):
        key, sep, value = pair.partition("=")
        if sep and key.strip():
            headers[unquote(key.strip())] = unquote(value)
    return url, headers


def _number(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = int(float(text.strip()))
    except ValueError:
        return None
    return value if 1 <= value <= MAX_NUMBER else None


def parse_m3u(text: str, name: str = "Imported playlist") -> M3UResult:
    """Parse an IPTV playlist; never raises for any input text."""
    problems: list[Problem] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header: dict[str, str] = {}
    entries: list[tuple[_Entry, str]] = []
    entry: _Entry | None = None
    if not lines or not lines[0].lstrip("\ufeff").startswith("#EXTM3U"):
        problems.append(Problem("line 1", "no #EXTM3U header; reading it as a playlist anyway", "warning"))
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        upper = line.upper()
        if upper.startswith("#EXTM3U"):
            header.update(parse_attributes(line[7:]))
        elif upper.startswith("#EXTINF:"):
            if entry is not None and not entry.broken:
                problems.append(Problem(f"line {entry.line}", "#EXTINF without a URL; entry skipped"))
            parts = split_extinf(line[8:])
            if parts is None or not parts[1]:
                problems.append(Problem(f"line {number}", "#EXTINF without ',' and a channel name; entry skipped"))
                entry = _Entry(number, "", {}, broken=True)
            else:
                entry = _Entry(number, parts[1], parse_attributes(parts[0]))
        elif upper.startswith("#EXTGRP:"):
            if entry is not None:
                entry.groups += [g.strip() for g in line[8:].split(";") if g.strip()]
        elif upper.startswith("#EXTVLCOPT:"):
            if entry is not None:
                _vlc_option(entry, line[11:].strip())
        elif upper.startswith("#KODIPROP:"):
            if entry is not None:
                entry.kodi_props.append(line[10:].strip())
        elif upper.startswith("#STB-FALLBACK:"):
            if entry is not None:
                entry.fallbacks.append(line[14:].strip())
        elif line.startswith("#"):
            continue
        else:
            if entry is None:
                problems.append(Problem(f"line {number}", "URL without #EXTINF; named after the URL", "warning"))
                entry = _Entry(number, line.rsplit("/", 1)[-1] or line, {})
            if not entry.broken:
                entries.append((entry, line))
            entry = None
    if entry is not None and not entry.broken:
        problems.append(Problem(f"line {entry.line}", "#EXTINF without a URL; entry skipped"))
    channels = _build_channels(entries, header, problems)
    guide = header.get("url-tvg") or header.get("x-tvg-url") or ""
    sources = [s.strip() for s in guide.split(",") if s.strip()]
    return M3UResult(Lineup(name=name, guide_sources=sources, channels=channels), problems)


def _vlc_option(entry: _Entry, option: str) -> None:
    key, _, value = option.partition("=")
    key = key.strip().lower()
    if key == "http-user-agent":
        entry.headers["User-Agent"] = value
    elif key == "http-referrer":
        entry.headers["Referer"] = value
    else:
        entry.vlc_options.append(option)


def _build_channels(
    entries: list[tuple[_Entry, str]], header: dict[str, str], problems: list[Problem]
) -> list[Channel]:
    used_numbers: dict[int, int] = {}
    used_ids: set[str] = set()
    pending: list[tuple[_Entry, dict]] = []
    for entry, raw_url in entries:
        url, pipe_headers = _split_pipe_headers(raw_url)
        found = stream_url_problem(url)
        if found and found[0] == "error":
            problems.append(Problem(f"line {entry.line}", f"{found[1]}; entry skipped"))
            continue
        a = entry.attrs
        number = _number(a.get("tvg-chno") or a.get("channel-number") or a.get("channel-id"))
        if number is not None and number in used_numbers:
            message = f"number {number} already used on line {used_numbers[number]}; renumbered"
            problems.append(Problem(f"line {entry.line}", message, "warning"))
            number = None
        if number is not None:
            used_numbers[number] = entry.line
        groups = [g.strip() for g in a.get("group-title", "").split(";") if g.strip()]
        fields = {
            "number": number,
            "id": _unique_id(a, entry.name, used_ids),
            "name": entry.name,
            "urls": [url, *entry.fallbacks],
            "groups": list(dict.fromkeys(groups + entry.groups)),
            "logo": a.get("tvg-logo") or None,
            "guide_id": a.get("tvg-id") or None,
            "guide_name": a.get("tvg-name") or None,
            "guide_shift": a.get("tvg-shift") or header.get("tvg-shift") or 0.0,
            "radio": a.get("radio", "").lower() == "true",
            "locked": a.get("stb-locked", "").lower() == "true",
            "age_rating": a.get("stb-age") or None,
            "headers": {**entry.headers, **pipe_headers},
            "catchup": {k: v for k, v in a.items() if k.startswith("catchup")},
            "kodi_props": entry.kodi_props,
            "vlc_options": entry.vlc_options,
        }
        pending.append((entry, fields))
    next_number = max(used_numbers, default=0) + 1
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
            where = json_path(first["loc"]).replace("$.", "")
            problems.append(Problem(f"line {entry.line}", f"{where}: {first['msg']}; entry skipped"))
    return channels


def _unique_id(attrs: dict[str, str], name: str, used: set[str]) -> str:
    for candidate in (attrs.get("stb-id"), attrs.get("tvg-id")):
        if candidate and VALID_ID.match(candidate) and candidate not in used:
            used.add(candidate)
            return candidate
    base = slug(attrs.get("tvg-id") or name)
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate


def read_m3u_file(path: Path, name: str | None = None) -> M3UResult:
    """Read a playlist file: BOM stripped, UTF-8 or (with a warning) Latin-1."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StbError(f"cannot read {path}: {exc.strerror or exc}") from None
    warning = None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
        warning = Problem("line 1", "not UTF-8; read as Latin-1", "warning")
    if "\x00" in text[:4096]:
        raise StbError(f"{path} is not a playlist (binary data)")
    result = parse_m3u(text, name or path.stem)
    if warning:
        result.problems.insert(0, warning)
    return result


def _attr(key: str, value: object) -> str:
    # IPTV Simple has no escape for quotes inside values; a quote would end the value early.
    return f'{key}="{str(value).replace(chr(34), chr(39))}"'


def write_m3u(lineup: Lineup, guide_url: str | None = None) -> str:
    """The line-up as an IPTV Simple playlist that `parse_m3u` reads back into the same channels."""
    sources = [guide_url] if guide_url else lineup.guide_sources
    head = "#EXTM3U" + (f" {_attr('url-tvg', ','.join(sources))}" if sources else "")
    out = [head]
    for c in lineup.sorted_channels():
        attrs = [_attr("stb-id", c.id), _attr("tvg-chno", c.number)]
        if c.guide_id:
            attrs.append(_attr("tvg-id", c.guide_id))
        if c.guide_name:
            attrs.append(_attr("tvg-name", c.guide_name))
        if c.logo:
            attrs.append(_attr("tvg-logo", c.logo))
        if c.groups:
            attrs.append(_attr("group-title", ";".join(c.groups)))
        if c.radio:
            attrs.append(_attr("radio", "true"))
        if c.guide_shift:
            attrs.append(_attr("tvg-shift", c.guide_shift))
        if c.locked:
            attrs.append(_attr("stb-locked", "true"))
        if c.age_rating is not None:
            attrs.append(_attr("stb-age", c.age_rating))
        attrs += [_attr(k, v) for k, v in c.catchup.items()]
        out.append(f"#EXTINF:-1 {' '.join(attrs)},{c.name}")
        out += [f"#KODIPROP:{p}" for p in c.kodi_props]
        out += [f"#EXTVLCOPT:{o}" for o in c.vlc_options]
        url = c.urls[0]
        if c.headers:
            url += "|" + "&".join(f"{quote(k, safe='-')}={quote(v, safe='')}" for k, v in c.headers.items())
        out += [f"#STB-FALLBACK:{u}" for u in c.urls[1:]]  # before the URL: the URL ends an entry
        out.append(url)
    return "\n".join(out) + "\n"
