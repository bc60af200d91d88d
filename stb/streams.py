"""Streams flung to the TV that are not line-up channels: which URLs the TV takes, and how they show.

A phone or laptop may put any stream on the TV (`stb fling BOX URL`). The box plays it as a temporary
channel: never saved into the line-up or the state file, left by the next zap. Only network stream
schemes are taken, so a request cannot make the box open its own files (``file:``) or hand a script
to anything (``javascript:``).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote, urlsplit

from stb.lineup.model import Channel

FLING_SCHEMES = ("http", "https", "udp", "rtp")
# What the API document promises; ``fling_problem`` says the same in a sentence.
URL_PATTERN = r"^(?:[Hh][Tt][Tt][Pp][Ss]?|[Uu][Dd][Pp]|[Rr][Tt][Pp])://[^\x00-\x20\x7f]+$"
TITLE_PATTERN = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$"  # something visible, no controls
TITLE_MAX = 100
STREAM_NUMBER = 1  # the model wants a number; the banner shows a play mark for a flung stream instead
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def fling_problem(url: str) -> str | None:
    """Why the TV will not play ``url`` as a flung stream, in one sentence; None when it will."""
    head, colon, _ = url.partition(":")
    scheme = head.lower() if colon and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,31}", head) else ""
    if scheme not in FLING_SCHEMES:
        what = f"{scheme}: URLs" if scheme else "this (no URL scheme)"
        return f"the TV plays http, https, udp and rtp streams, not {what}"
    if not re.fullmatch(URL_PATTERN, url):
        return "write the URL as scheme://address, without spaces or control characters"
    return None


def host_of(url: str) -> str:
    """The URL's host, for the banner and the API's state (never the whole URL: it may carry credentials)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # e.g. an unclosed IPv6 bracket: the player will fail on it like on a dead channel
        host = ""
    return _clean(host) or "stream"


def title_for(url: str, title: str | None = None) -> str:
    """``title`` if given, else the URL's last path part (``5.ts``), else its host."""
    if title and _clean(title):
        return _clean(title)[:TITLE_MAX]
    try:
        last = unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])
    except ValueError:
        last = ""
    return (_clean(last) or host_of(url))[:TITLE_MAX]


def stream_channel(url: str, title: str | None = None) -> Channel:
    """The temporary channel the player tunes: an id of its own (``stream.<hash>``), the host as its group."""
    problem = fling_problem(url)
    if problem is not None:
        raise ValueError(problem)
    name = title_for(url, title)
    digest = hashlib.sha256(f"{url}\n{name}".encode()).hexdigest()[:12]  # flung again with a new title: retitled
    return Channel(number=STREAM_NUMBER, id=f"stream.{digest}", name=name, urls=[url],
                   groups=[host_of(url)])  # fmt: skip


def describe(channel: Channel) -> dict:
    """What the API and the event stream say about a flung stream."""
    return {"title": channel.name, "host": channel.groups[0] if channel.groups else ""}


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()
