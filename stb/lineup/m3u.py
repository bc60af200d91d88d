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

from stb.errors import StbError
from stb.lineup.check import Problem
from stb.lineup.load import open_input
from stb.lineup.m3u_channels import (
    HEADER_ATTRIBUTES,
    MAX_ATTRIBUTES,
    MAX_NAME,
    MAX_NUMBER,
    Entry,
    Header,
    build_channels,
    name_from_url,
    shift_hours,
)
from stb.lineup.model import Lineup

ATTRIBUTE = re.compile(r"""([A-Za-z0-9_-]+)=(?:"([^"]*)"|'([^']*)'|([^\s"',]*))""")
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
SURROGATE = re.compile("[\ud800-\udfff]")
GUIDE_URL_ATTRIBUTES = ("url-tvg", "x-tvg-url")
MAX_LINE = 64 * 1024  # characters; longer lines are skipped (the longest real URLs are a few KiB)
NO_HEADER = "no #EXTM3U header; reading it as a playlist anyway"
MAX_PROBLEMS = 1000  # listed; the rest are counted
DEFAULT_NAME = "Imported playlist"


@dataclass
class M3UResult:
    """What an import produced: the line-up, and every problem met on the way (path `line N`)."""

    lineup: Lineup
    problems: list[Problem] = field(default_factory=list)


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
    header = Header()
    entries: list[tuple[Entry, int, str]] = []  # (entry, line of its URL, URL)
    entry: Entry | None = None
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
                entry = Entry(number)
            _read_extinf(line[7:].removeprefix(":"), number, entry, problems)
        elif line.startswith("#"):
            entry = _read_tag(line, number, entry)
        else:
            if entry is None or not entry.has_extinf:
                problems.append(Problem(f"line {number}", "URL without #EXTINF; named after the URL", "warning"))
                entry = entry or Entry(number)
                entry.line, entry.has_extinf, entry.name = number, True, name_from_url(line)
            if not entry.broken:
                entries.append((entry, number, line))
            entry = None
    if entry is not None and entry.has_extinf and not entry.broken:
        problems.append(Problem(f"line {entry.line}", "#EXTINF without a URL; entry skipped"))
    channels = build_channels(entries, header, problems, local_root, previous)
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


def _skip_long_line(line: LongLine, number: int, entry: Entry | None, problems: list[Problem]) -> Entry | None:
    """An over-long line is skipped with the entry it belongs to (an #EXTINF eats the URL after it)."""
    problems.append(Problem(f"line {number}", f"line longer than {MAX_LINE // 1024} KiB; skipped with its entry"))
    start = line.strip().lstrip("\ufeff").upper()
    if start.startswith("#EXTINF"):
        return Entry(number, has_extinf=True, broken=True)
    if start.startswith("#"):
        return entry  # a tag line: the entry goes on without it
    return None  # the URL line: its entry ends here, skipped


def _valid_unicode(text: str) -> str:
    """``text`` with lone surrogates (from `surrogateescape` decoding) replaced: they are not Unicode."""
    return SURROGATE.sub("\ufffd", text)


def _read_header(body: str, number: int, header: Header, problems: list[Problem]) -> None:
    """Guide sources, and the attributes IPTV Simple applies to every channel (catch-up, tvg-shift)."""
    attrs = parse_attributes(body)
    for key in GUIDE_URL_ATTRIBUTES:
        for source in attrs.get(key, "").split(","):
            if source.strip() and source.strip() not in header.guide_sources:
                header.guide_sources.append(source.strip())
    if "tvg-shift" in attrs:
        header.shift = shift_hours(attrs["tvg-shift"], number, math.nan, problems)
        if math.isnan(header.shift):  # reported; not kept, so export does not write it again
            header.shift = 0.0
            del attrs["tvg-shift"]
    for key, value in attrs.items():
        if key not in GUIDE_URL_ATTRIBUTES and len(header.attributes) < MAX_ATTRIBUTES:
            header.attributes[key] = value


def _read_extinf(body: str, number: int, entry: Entry, problems: list[Problem]) -> None:
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


def _read_tag(line: str, number: int, entry: Entry | None) -> Entry | None:
    """Tag lines that belong to the next URL (before or after its #EXTINF, as Kodi allows)."""
    tag, _, value = line.partition(":")
    tag, value = tag.upper(), value.strip()
    if tag not in ("#EXTGRP", "#EXTVLCOPT", "#KODIPROP", "#STB-FALLBACK") or not value:
        return entry  # comments and tags we do not use
    entry = entry or Entry(number)
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
