"""M3U playlists as IPTV providers hand them out, in and out, the way Kodi's IPTV Simple reads them.

No library covers this: `m3u8` parses HLS playlists, not IPTV channel lists, and the IPTV-specific
ones on PyPI neither report problems by line nor keep the attributes Kodi relies on.

Import never raises on bad input: each broken entry becomes a Problem with its line number and is
skipped, the rest is imported. Nothing is fetched: URLs are only read as text.

Export writes what import reads back into the same line-up; what M3U has no attribute for goes into
`stb-*` attributes and `#STB-FALLBACK:` lines, which other readers ignore. M3U has no escapes, so
export has to change a few values that cannot be written as they are (import then reads the
changed value):

- a `"` inside an attribute value becomes `'` (IPTV Simple ends the value at the first `"`);
- line breaks inside any value become spaces;
- group names are joined with `;` (IPTV Simple's separator), so a `;` inside a group name splits it;
- guide sources are joined with `,` in `url-tvg`, so a `,` inside one splits it;
- a `|` in a stream URL starts Kodi's header suffix (`stb lineup check` warns about it);
- import strips the whitespace around names, groups and tag lines;
- only `catchup*` keys of `catchup` are read back; the line-up's `name`, `$schema` and `headend` are not
  written (the importer names the line-up);
- catch-up attributes of the `#EXTM3U` line apply to every channel (as in IPTV Simple): a channel
  written without one of them gets it back on import.

Stream headers are written for both players: `User-Agent` and `Referer` as `#EXTVLCOPT:http-user-agent`
/ `http-referrer` lines before a plain URL (VLC reads them, and IPTV Simple reads them too), and only
when other headers are needed (a cookie, a token) all of them in Kodi's `URL|Header=…` form as well, which
VLC cannot play but which such a stream needs anyway.
"""

from __future__ import annotations

import codecs
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError

from stb.errors import StbError
from stb.lineup.check import Problem, Severity, json_path, stream_url_problem
from stb.lineup.ids import IdSource, assign_ids
from stb.lineup.load import open_input
from stb.lineup.model import Channel, Lineup

ATTRIBUTE = re.compile(r"""([A-Za-z0-9_-]+)=(?:"([^"]*)"|'([^']*)'|([^\s"',]*))""")
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
SURROGATE = re.compile("[\ud800-\udfff]")
NUMBER_ATTRIBUTES = ("tvg-chno", "channel-id", "channel-number")
HEADER_ATTRIBUTES = {"http-user-agent": "User-Agent", "http-referrer": "Referer", "http-referer": "Referer"}
# Attributes read into fields of their own; any other one is kept as it is in Channel.attributes.
KNOWN_ATTRIBUTES = frozenset({*NUMBER_ATTRIBUTES, *HEADER_ATTRIBUTES, "tvg-id", "tvg-name", "tvg-logo", "group-title",
                              "tvg-shift", "radio", "stb-id", "stb-locked", "stb-age"})  # fmt: skip
GUIDE_URL_ATTRIBUTES = ("url-tvg", "x-tvg-url")
MAX_ATTRIBUTES = 50  # kept per line; a line of thousands of junk attributes is not a channel's business
MAX_NUMBER = 99999
MAX_NAME = 200
MAX_LINE = 64 * 1024  # characters; longer lines are skipped (the longest real URLs are a few KiB)
NO_HEADER = "no #EXTM3U header; reading it as a playlist anyway"
MAX_PROBLEMS = 1000  # listed; the rest are counted
DEFAULT_NAME = "Imported playlist"


@dataclass
class M3UResult:
    """What an import produced: the line-up, and every problem met on the way (path `line N`)."""

    lineup: Lineup
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Entry:
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
class _Header:
    guide_sources: list[str] = field(default_factory=list)
    shift: float = 0.0
    attributes: dict[str, str] = field(default_factory=dict)  # all but the guide URLs, kept for export

    @property
    def catchup(self) -> dict[str, str]:
        return {k: v for k, v in self.attributes.items() if k.startswith("catchup")}


# --- reading -----------------------------------------------------------------------------------


def split_extinf(body: str) -> tuple[str, str] | None:
    """(attributes, name) of an #EXTINF body, or None when there is no name separator.

    The name follows the first comma outside quoted attribute values, so names keep their own
    commas ("BBC One, London") and quotes; a quote only opens a value right after `=`.
    """
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
    """`key="value" key='value' key=value` into a dict with lower-case keys."""
    return {m[1].lower(): next(v for v in m.groups()[1:] if v is not None) for m in ATTRIBUTE.finditer(text)}


def split_pipe_headers(url: str) -> tuple[str, dict[str, str]]:
    """Kodi's `URL|User-Agent=…&Referer=…` suffix into (URL, headers), URL-decoded."""
    url, sep, suffix = url.partition("|")
    headers = {}
    for pair in suffix.split("&") if sep else ():
        key, eq, value = pair.partition("=")
        if eq and key.strip():
            headers[unquote(key.strip())] = unquote(value)
    return url, headers


def parse_m3u(
    text: str, name: str = DEFAULT_NAME, local_root: Path | None = None, previous: Lineup | None = None
) -> M3UResult:
    """Parse an IPTV playlist into a line-up called ``name``; never raises for any input text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return parse_m3u_lines(lines, name, local_root, previous)


def parse_m3u_lines(
    lines: Iterable[str], name: str = DEFAULT_NAME, local_root: Path | None = None, previous: Lineup | None = None
) -> M3UResult:
    """Parse a playlist given line by line (without line ends), keeping only one line in memory.

    At most MAX_NUMBER entries are read (a line-up has no more channel numbers) and MAX_PROBLEMS
    problems listed, so a huge or hostile file costs bounded memory. ``file:`` URLs are imported
    only inside ``local_root`` (the playlist's folder): a downloaded playlist must not reach
    into the box's files. Channels still there from ``previous`` (the line-up this import
    replaces) keep their ids.
    """
    problems = _Problems()
    name = _valid_unicode(name)
    header = _Header()
    entries: list[tuple[_Entry, int, str]] = []  # (entry, line of its URL, URL)
    entry: _Entry | None = None
    seen_first = False
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, LongLine):
            entry = _skip_long_line(raw, number, entry, problems)
            continue
        if SURROGATE.search(raw):
            if not problems.bad_text:
                problems.bad_text = True
                problems.append(Problem(f"line {number}", "invalid characters (lone surrogates) replaced by U+FFFD",
                                        "warning"))  # fmt: skip
            raw = SURROGATE.sub("\ufffd", raw)
        line = raw.strip().lstrip("\ufeff")
        upper = line.upper()
        if not line:
            continue
        if not seen_first:
            seen_first = True
            if not upper.startswith("#EXTM3U"):
                problems.append(Problem(f"line {number}", NO_HEADER, "warning"))
        if len(entries) >= MAX_NUMBER and (upper.startswith("#EXTINF") or not line.startswith("#")):
            problems.append(Problem(f"line {number}", f"more than {MAX_NUMBER} entries; the rest of the playlist "
                                    "was not read"))  # fmt: skip
            entry = None
            break
        if upper.startswith("#EXTM3U"):
            _read_header(line[7:], number, header, problems)
        elif upper.startswith("#EXTINF"):  # the `:` is often missing in hand-made files
            if entry is not None and entry.has_extinf and not entry.broken:
                problems.append(Problem(f"line {entry.line}", "#EXTINF without a URL; entry skipped"))
            if entry is None or entry.has_extinf:
                entry = _Entry(number)
            _read_extinf(line[7:].removeprefix(":"), number, entry, problems)
        elif line.startswith("#"):
            entry = _read_tag(line, number, entry)
        else:
            if entry is None or not entry.has_extinf:
                problems.append(Problem(f"line {number}", "URL without #EXTINF; named after the URL", "warning"))
                entry = entry or _Entry(number)
                entry.line, entry.has_extinf, entry.name = number, True, _name_from_url(line)
            if not entry.broken:
                entries.append((entry, number, line))
            entry = None
    if entry is not None and entry.has_extinf and not entry.broken:
        problems.append(Problem(f"line {entry.line}", "#EXTINF without a URL; entry skipped"))
    channels = _build_channels(entries, header, problems, local_root, previous)
    lineup_name = _one_line(name).strip()[:MAX_NAME] or DEFAULT_NAME
    listed = problems.listed()
    listed.sort(key=lambda p: int(p.path.removeprefix("line ")))  # stable: same line keeps its order
    lineup = Lineup(name=lineup_name, guide_sources=header.guide_sources, playlist_attributes=header.attributes,
                    channels=channels)  # fmt: skip
    return M3UResult(lineup, listed)


class _Problems(list):
    """A problem list that keeps the first MAX_PROBLEMS and counts the rest (a junk file has millions)."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0
        self.first_dropped_line = 0
        self.bad_text = False  # lone surrogates are reported once, where first met

    def append(self, problem: Problem) -> None:
        if len(self) < MAX_PROBLEMS:
            super().append(problem)
            return
        if not self.dropped:
            self.first_dropped_line = int(problem.path.removeprefix("line "))
        self.dropped += 1

    def listed(self) -> list[Problem]:
        if not self.dropped:
            return list(self)
        more = Problem(f"line {self.first_dropped_line}", f"{self.dropped} more problem(s) from here on, not listed")
        return [*self, more]


class LongLine(str):
    """What the file reader yields for a line over MAX_LINE characters: its start only."""


def _skip_long_line(line: LongLine, number: int, entry: _Entry | None, problems: list[Problem]) -> _Entry | None:
    """An over-long line is skipped with the entry it belongs to (an #EXTINF eats the URL after it)."""
    problems.append(Problem(f"line {number}", f"line longer than {MAX_LINE // 1024} KiB; skipped with its entry"))
    start = line.strip().lstrip("\ufeff").upper()
    if start.startswith("#EXTINF"):
        return _Entry(number, has_extinf=True, broken=True)
    if start.startswith("#"):
        return entry  # a tag line: the entry goes on without it
    return None  # the URL line: its entry ends here, skipped


def _valid_unicode(text: str) -> str:
    """``text`` with lone surrogates (from `surrogateescape` decoding) replaced: they are not Unicode."""
    return SURROGATE.sub("\ufffd", text)


def _read_header(body: str, number: int, header: _Header, problems: list[Problem]) -> None:
    """Guide sources, and the attributes IPTV Simple applies to every channel (catch-up, tvg-shift)."""
    attrs = parse_attributes(body)
    for key in GUIDE_URL_ATTRIBUTES:
        for source in attrs.get(key, "").split(","):
            if source.strip() and source.strip() not in header.guide_sources:
                header.guide_sources.append(source.strip())
    if "tvg-shift" in attrs:
        header.shift = _shift(attrs["tvg-shift"], number, math.nan, problems)
        if math.isnan(header.shift):  # reported; not kept, so export does not write it again
            header.shift = 0.0
            del attrs["tvg-shift"]
    for key, value in attrs.items():
        if key not in GUIDE_URL_ATTRIBUTES and len(header.attributes) < MAX_ATTRIBUTES:
            header.attributes[key] = value


def _read_extinf(body: str, number: int, entry: _Entry, problems: list[Problem]) -> None:
    entry.line, entry.has_extinf = number, True
    parts = split_extinf(body)
    if parts is None or not parts[1]:
        problems.append(Problem(f"line {number}", "#EXTINF without ',' and a channel name; entry skipped"))
        entry.broken = True
        return
    entry.attrs, entry.name = parse_attributes(parts[0]), parts[1]
    if len(entry.name) > MAX_NAME:
        problems.append(Problem(f"line {number}", f"name longer than {MAX_NAME} characters; shortened", "warning"))
        entry.name = entry.name[:MAX_NAME].rstrip()


def _read_tag(line: str, number: int, entry: _Entry | None) -> _Entry | None:
    """Tag lines that belong to the next URL (before or after its #EXTINF, as Kodi allows)."""
    tag, _, value = line.partition(":")
    tag, value = tag.upper(), value.strip()
    if tag not in ("#EXTGRP", "#EXTVLCOPT", "#KODIPROP", "#STB-FALLBACK") or not value:
        return entry  # comments and tags we do not use
    entry = entry or _Entry(number)
    if tag == "#EXTGRP":
        entry.groups += [g.strip() for g in value.split(";") if g.strip()]
    elif tag == "#EXTVLCOPT":
        key, _, option = value.partition("=")
        if key.strip().lower() in HEADER_ATTRIBUTES:
            entry.headers[HEADER_ATTRIBUTES[key.strip().lower()]] = option
        else:
            entry.vlc_options.append(value)
    elif tag == "#KODIPROP":
        entry.kodi_props.append(value)
    else:
        entry.fallbacks.append((number, value))
    return entry


def _name_from_url(url: str) -> str:
    try:
        parts = urlsplit(url.partition("|")[0])
    except ValueError:
        return url[:MAX_NAME]
    last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    return (" ".join(last.split()) or parts.netloc or url)[:MAX_NAME]


def _shift(text: str | None, number: int, default: float, problems: list[Problem]) -> float:
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


def _urls(entry: _Entry, url_line: int, url: str, problems: list[Problem], local_root: Path | None) -> list[str] | None:
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


def _build_channels(
    entries: list[tuple[_Entry, int, str]],
    header: _Header,
    problems: list[Problem],
    local_root: Path | None,
    previous: Lineup | None,
) -> list[Channel]:
    used_numbers: dict[int, int] = {}  # number -> line that took it
    pending: list[tuple[_Entry, dict]] = []
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
            "guide_shift": _shift(a.get("tvg-shift"), entry.line, header.shift, problems),
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
    pending: list[tuple[_Entry, dict]],
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


def read_m3u_file(path: Path | str, name: str | None = None, previous: Lineup | None = None) -> M3UResult:
    """Read a playlist file line by line: BOM stripped, UTF-8 or (with a warning) Latin-1; the name
    defaults to the file's. Memory stays bounded however large the file (see `parse_m3u_lines`)."""
    path = Path(path)
    with open_input(path, "playlist") as raw:
        reader = _PlaylistReader(raw, path)
        result = parse_m3u_lines(reader.lines(), name or path.stem, local_root=path.parent, previous=previous)
    if reader.latin1_from:
        message = f"not UTF-8 (from line {reader.latin1_from}); read as Latin-1"
        result.problems.insert(0, Problem("line 1", message, "warning"))
    return result


class _PlaylistReader:
    """Lines of a playlist file, decoded one at a time; a line over MAX_LINE becomes a LongLine."""

    def __init__(self, raw: io.BufferedReader, path: Path) -> None:
        head = raw.peek(4096)[:4096]
        utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if not utf16 and b"\x00" in head:
            raise StbError(f"{path} is not a playlist (binary data)")
        self.path = path
        self.latin1_from = 0  # the first line that was not UTF-8
        encoding, errors = ("utf-16", "strict") if utf16 else ("utf-8-sig", "surrogateescape")
        self._text = io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline=None)  # any line end

    def lines(self) -> Iterator[str]:
        number = 0
        try:
            while line := self._text.readline(MAX_LINE + 1):
                number += 1
                if len(line) > MAX_LINE:
                    yield LongLine(line[:100])
                    while (rest := self._text.readline(MAX_LINE)) and not rest.endswith("\n"):
                        pass
                    continue
                line = line.removesuffix("\n")
                if SURROGATE.search(line):  # bytes that are not UTF-8: this line is Latin-1
                    self.latin1_from = self.latin1_from or number
                    line = line.encode("utf-8", "surrogateescape").decode("latin-1")
                yield line
        except UnicodeDecodeError:
            raise StbError(f"{self.path} is not a playlist (broken UTF-16 text)") from None


def _one_line(value: object) -> str:
    """The value with line breaks as spaces: import splits lines on CR and LF only."""
    return re.sub(r"[\r\n]+", " ", str(value))
