"""XMLTV as a stream of rows: lxml's iterparse, each element cleared as soon as it is read.

Memory stays flat however large the file: only the element being read exists. The parser never
expands entities, never loads a DTD and never touches the network (the prolog was already checked
for entity declarations by `sources.open_guide`).

What the DTD leaves implicit is read its way: `<episode-num>` without `system` is "onscreen";
programmes that share a slot (`clumpidx="1/2"`) are all kept, numbered within their clump; a channel
id is one string however it is spaced around (`channel_id`), in `<channel>` and `<programme>` alike.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

from stb.guide.errors import GuideSourceError
from stb.guide.scripts import has_spaceless
from stb.guide.times import parse_time

MAX_TITLE = 500
MAX_LENGTH_S = 2 * 86400  # longer is a broken entry, and would make every window query scan it
MAX_TEXT = 16 * 1024  # descriptions longer than this are cut: a guide is not a library
MAX_URL = 2048  # icon URLs
MAX_NAME = 200  # ids, display names, languages, rating systems

# Column order of a programme row, shared with the store's INSERT.
PROGRAMME_COLUMNS = (
    "channel", "start", "stop", "title", "sub_title", "description", "categories", "episode_ns",
    "episode_onscreen", "icon", "rating_system", "rating", "star_rating", "is_new", "previously_shown", "language",
    "clump", "spaceless", "credits", "date",
)  # fmt: skip
# <credits> children, in the DTD's order (the export writes them in it)
CREDIT_ROLES = (
    "director", "actor", "writer", "adapter", "producer", "composer", "editor", "presenter", "commentator", "guest",
)  # fmt: skip
MAX_CREDITS = 50
CLUMP = re.compile(r"^\s*(\d{1,3})\s*/\s*(\d{1,3})\s*$")


@dataclass
class ParseCounts:
    channels: int = 0
    programmes: int = 0
    skipped_bad_time: int = 0
    skipped_no_title: int = 0
    skipped_bad_length: int = 0
    truncated: int = 0
    clumped: int = 0  # programmes after the first of a shared slot
    worker_rss_mb: int = 0  # the parse workers' peak RSS, summed (stb.guide.parallel)


@dataclass(frozen=True)
class GuideChannel:
    id: str
    names: tuple[str, ...]
    icon: str | None


def _bounded(text: str | None, limit: int, counts: ParseCounts) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) > limit:
        counts.truncated += 1
        return text[:limit]
    return text or None


def channel_id(text: str | None) -> str:
    """A guide channel id as stored and matched: without the spaces around it (WebGrab+Plus writes
    `id="GO "`), at most MAX_NAME characters; "" when there is none."""
    return (text or "").strip()[:MAX_NAME]


PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False,
                  "remove_comments": True}  # fmt: skip


def parse_guide(stream: BinaryIO, name: str, zone: str, counts: ParseCounts) -> Iterator[GuideChannel | tuple]:
    """Yield GuideChannel objects and programme rows (tuples in PROGRAMME_COLUMNS order)."""
    events = etree.iterparse(stream, events=("end",), tag=("channel", "programme"), **PARSER_OPTIONS)
    last_line = 0
    try:
        for _, element in events:
            last_line = element.sourceline or last_line
            if element.tag == "programme":
                row = _programme(element, zone, counts)
                if row is not None:
                    counts.programmes += 1
                    yield row
            else:
                channel = _channel(element, counts)
                if channel is not None:
                    counts.channels += 1
                    yield channel
            release(element)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or last_line
        message = " ".join(str(exc.msg).split())  # libxml2's text may span lines: errors are one line
        raise GuideSourceError(f"{name}: broken XML at line {line}: {message}") from None


def release(element) -> None:
    """Free an element iterparse has given and read, and the siblings before it: memory stays flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


Batch = tuple[list[GuideChannel], list[tuple]]


def batches(items: Iterator[GuideChannel | tuple], size: int) -> Generator[Batch, None, None]:
    """`parse_guide`'s items as (channels, programme rows) of about ``size`` rows, as the chunks come."""
    channels: list[GuideChannel] = []
    rows: list[tuple] = []
    for item in items:
        if isinstance(item, GuideChannel):
            channels.append(item)
            continue
        rows.append(item)
        if len(rows) >= size:
            yield channels, rows
            channels, rows = [], []
    yield channels, rows


def chunk_items(header: bytes, body: bytes, last: bool, zone: str) -> tuple[Batch, tuple] | None:
    """A worker's part of `stb.guide.parallel`: the channels and rows of one chunk and its counts, or
    None when the chunk cannot be read exactly as `parse_guide` reads the whole document."""
    try:
        root = etree.fromstring(header + body + (b"" if last else b"</tv>"), etree.XMLParser(**PARSER_OPTIONS))
    except etree.XMLSyntaxError:
        return None
    if root.tag != "tv":
        return None
    counts = ParseCounts()
    channels: list[GuideChannel] = []
    rows: list[tuple] = []
    for element in root.iter("channel", "programme"):
        if element.getparent() is not root:
            return None  # nested: the serial parser's order of end events is not this one
        if element.tag == "programme":
            if (row := _programme(element, zone, counts)) is not None:
                rows.append(row)
        elif (channel := _channel(element, counts)) is not None:
            channels.append(channel)
    counts.programmes, counts.channels = len(rows), len(channels)
    return (channels, rows), (counts.channels, counts.programmes, counts.skipped_bad_time, counts.skipped_no_title,
                              counts.skipped_bad_length, counts.truncated, counts.clumped)  # fmt: skip


def _channel(element, counts: ParseCounts) -> GuideChannel | None:
    cid = channel_id(element.get("id"))
    if not cid:
        return None
    names = tuple(name for n in element.iterchildren("display-name") if (name := _bounded(n.text, MAX_NAME, counts)))[
        :20
    ]
    icon = next((i.get("src") for i in element.iterchildren("icon") if i.get("src")), None)
    return GuideChannel(cid, names, _bounded(icon, MAX_URL, counts))


def _programme(element, zone: str, counts: ParseCounts) -> tuple | None:
    get = element.get
    start = parse_time(get("start") or "", zone)
    stop_text = get("stop")
    stop = parse_time(stop_text, zone) if stop_text else None
    channel = channel_id(get("channel"))
    if start is None or not channel or (stop_text and stop is None):
        counts.skipped_bad_time += 1
        return None
    if stop is not None and not 0 < stop - start <= MAX_LENGTH_S:
        counts.skipped_bad_length += 1
        return None
    title = sub_title = description = ns = onscreen = icon = rating_system = rating = star = language = None
    made = None
    categories: list[str] = []
    credits: list[str] = []  # "role\tname"
    is_new = previously_shown = 0
    # Fields where the last one wins are kept raw and bounded once at the end (one call each, not
    # one per element: this loop is most of an import's Python time).
    for child in element:
        tag = child.tag
        if tag == "title":
            if title is None and (text := child.text) and (text := text.strip()):
                if len(text) > MAX_TITLE:
                    text, counts.truncated = text[:MAX_TITLE], counts.truncated + 1
                title, language = text, child.get("lang")
        elif tag == "desc":
            if description is None and (text := child.text) and (text := text.strip()):
                if len(text) > MAX_TEXT:
                    text, counts.truncated = text[:MAX_TEXT], counts.truncated + 1
                description = text
        elif tag == "sub-title":
            sub_title = child.text
        elif tag == "category":
            if (text := child.text) and (text := text.strip()) and len(categories) < 10:
                categories.append(text[:100])
        elif tag == "episode-num":
            system = child.get("system") or "onscreen"  # the DTD's default
            if system == "xmltv_ns":
                ns = child.text
            elif system == "onscreen":
                onscreen = child.text
        elif tag == "rating":
            rating_system = child.get("system")
            rating = _value(child)
        elif tag == "credits":
            credits += _credits(child, counts)[: MAX_CREDITS - len(credits)]
        elif tag == "date":
            made = child.text
        elif tag == "icon":
            icon = child.get("src")
        elif tag == "star-rating":
            star = _value(child)
        elif tag == "new":
            is_new = 1
        elif tag == "previously-shown":
            previously_shown = 1
    if language is not None:
        language = _bounded(language, MAX_NAME, counts)
    if sub_title is not None:
        sub_title = _bounded(sub_title, MAX_TITLE, counts)
    if ns is not None:
        ns = _bounded(ns, 100, counts)
    if onscreen is not None:
        onscreen = _bounded(onscreen, 100, counts)
    if rating_system is not None:
        rating_system = _bounded(rating_system, MAX_NAME, counts)
    if rating is not None:
        rating = _bounded(rating, 50, counts)
    if made is not None:
        made = _bounded(made, 50, counts)
    if icon is not None:
        icon = _bounded(icon, MAX_URL, counts)
    if star is not None:
        star = _bounded(star, 50, counts)
    if not title:
        counts.skipped_no_title += 1
        return None
    # most guides are ASCII: isascii() is far cheaper than the script search
    ascii_only = title.isascii() and (sub_title or "").isascii() and (description or "").isascii()
    spaceless = 0 if ascii_only else int(has_spaceless(title, sub_title, description))
    index = 0
    if clumpidx := get("clumpidx"):  # rare: the regex only runs when there is one
        clump = CLUMP.match(clumpidx)
        index = int(clump[1]) if clump and int(clump[1]) < int(clump[2]) else 0
        counts.clumped += index > 0
    return (
        channel, start, stop, title, sub_title, description, "\n".join(categories) or None, ns, onscreen,
        icon, rating_system, rating, star, is_new, previously_shown, language, index,
        spaceless, "\n".join(credits) or None, made,
    )  # fmt: skip


def _value(element) -> str | None:
    """The text of the first `<value>` child ("" when empty), None without one: findtext's answer,
    without its path machinery."""
    for value in element.iterchildren("value"):
        return value.text or ""
    return None


def _credits(element, counts: ParseCounts) -> list[str]:
    """The people of a ``<credits>`` as "role\tname" lines; tabs and line breaks in a name become spaces."""
    people = []
    for child in element:
        if child.tag in CREDIT_ROLES and (name := _bounded(child.text, MAX_NAME, counts)):
            people.append(f"{child.tag}\t{' '.join(name.split())}")
    return people
