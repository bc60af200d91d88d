"""Catch-up URLs from M3U attributes, built exactly as Kodi's IPTV Simple builds them.

Kodi's pvr.iptvsimple is what households' playlists are written for, so its rules are the contract:
``Channel::ConfigureCatchupMode`` turns `catchup`/`catchup-type`, `catchup-source` and the channel URL
into one template (modes default, append, shift, flussonic/-hls/-ts/fs, xc; the old SIPTV `timeshift`
and `tvg-rec` tags), and ``CatchupController``'s ``FormatDateTime`` fills the template for a programme:
``{utc}`` ``${start}`` ``{utcend}`` ``${end}`` ``{lutc}`` ``${now}`` ``${timestamp}`` ``{duration}``
``${duration}`` ``{duration:N}`` ``${offset}`` ``{offset:N}`` ``{Y}{m}{d}{H}{M}{S}`` and the format forms
``{utc:Ymd-H-M}`` ``${start:…}`` ``{utcend:…}`` ``${end:…}`` ``{lutc:…}`` ``${now:…}`` ``${timestamp:…}``.
Kodi's quirks are kept on purpose (an epoch specifier is filled once, its first occurrence; ``{Y}``…
everywhere; date fields in local time), so a template that works in Kodi works here.

Unlike Kodi, a request is checked first: the start must lie within the channel's `catchup-days` and
not in the future, and only digits (and the literal characters of a format form) are ever written
into the URL, so nothing a caller passes can reach the URL as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from stb.errors import StbError

DEFAULT_DAYS = 5  # pvr.iptvsimple's "Catchup window" setting default
MAX_DAYS = 366
DEFAULT_DURATION_S = 3600  # Kodi's duration when there is no programme
#: what `catchup` / `catchup-type` may say, and the mode each stands for
MODES = {
    "default": "default",
    "append": "append",
    "shift": "shift",
    "flussonic": "flussonic",
    "flussonic-hls": "flussonic",
    "flussonic-ts": "flussonic",
    "fs": "flussonic",
    "xc": "xc",
}
_FS = re.compile(r"^(https?://[^/]+)/(.*)/([^/]*)(mpegts|\.m3u8)(\?.+=.+)?$")
_FS_GENERIC = re.compile(r"^(https?://[^/]+)/(.*)/([^?]*)(\?.+=.+)?$")
_XC = re.compile(r"^(https?://[^/]+)/(?:live/)?([^/]+)/([^/]+)/([^/.]+)(\.m3u8?)?$")
_UNITS = re.compile(r"\{(duration|offset):(\d+)\}")
_FORMS = (("{utc:", "start"), ("${start:", "start"), ("{utcend:", "end"), ("${end:", "end"))
_NOW_FORMS = ("{lutc:", "${now:", "${timestamp:")


class CatchupError(StbError):
    """A catch-up request that cannot be served: no catch-up, outside the window, bad attributes."""


@dataclass(frozen=True)
class Catchup:
    """A channel's catch-up as IPTV Simple configures it: one template, a window and a correction."""

    mode: str  # default, append, shift, flussonic, xc (the SIPTV `timeshift` tag is shift)
    source: str  # the template, complete (IPTV Simple's m_catchupSource)
    days: int
    correction_s: int = 0  # catchup-correction (hours in the M3U), subtracted from the start like Kodi
    ts_stream: bool = False  # flussonic-ts / fs / xc without extension: the archive is MPEG-TS

    @property
    def terminates(self) -> bool:
        """The archive stream ends by itself (the template names an end), as IPTV Simple decides it."""
        marks = ("{duration}", "{duration:", "{lutc}", "{lutc:", "${timestamp}", "${timestamp:")
        return any(m in self.source for m in (*marks, "{utcend}", "{utcend:", "${end}", "${end:"))

    @property
    def window_s(self) -> int:
        return self.days * 86400


def _hours(text: str | None) -> int:
    """Kodi reads hours with atof (a bad value is 0) and keeps whole seconds."""
    try:
        value = float(text or 0)
    except ValueError:
        return 0
    return int(value * 3600) if abs(value) <= 24 else 0


def _int(text: str | None) -> int:
    match = re.match(r"[ \t]*([+-]?[0-9]{1,9})", text or "")  # atoi: leading blanks, a sign, ASCII digits
    return int(match.group(1)) if match else 0


def configure(url: str, attributes: Mapping[str, str], query_format: str = "") -> Catchup | None:
    """The channel's catch-up from its M3U attributes (catchup…, timeshift, tvg-rec), or None when it has none.

    ``query_format`` is IPTV Simple's "Query format string" setting, appended in default/append mode
    when the channel gives no `catchup-source`.
    """
    a = {k.lower(): v for k, v in attributes.items()}
    name = (a.get("catchup") or a.get("catchup-type") or "").lower()
    siptv_days = _int(a.get("timeshift")) or _int(a.get("tvg-rec"))
    mode = MODES.get(name)
    if mode is None and siptv_days > 0:
        mode = "shift"  # the SIPTV `timeshift="days"` tag: shift with a window
    if mode is None:
        return None
    base, bar, options = url.partition("|")  # Kodi keeps protocol options after "|" at the end
    source = a.get("catchup-source", "")
    append_options = True
    ts_stream = name in ("flussonic-ts", "fs")
    if mode == "default" and source:
        append_options = "|" not in source
    elif mode in ("default", "append"):
        tail = source or query_format
        if not tail:
            return None
        source = base + tail
    elif mode == "shift":
        source = base + ("&" if "?" in base else "?") + "utc={utc}&lutc={lutc}"
    elif mode == "flussonic":
        built = _flussonic(base, ts_stream)
        if built is None:
            return None
        source, ts_stream = built
    else:
        built = _xtream(base)
        if built is None:
            return None
        source, ts_stream = built
    if bar and append_options:
        source += bar + options
    days = _int(a.get("catchup-days")) or siptv_days or DEFAULT_DAYS
    return Catchup(
        mode=mode,
        source=source,
        days=max(1, min(days, MAX_DAYS)),
        correction_s=_hours(a.get("catchup-correction")),
        ts_stream=ts_stream,
    )


def _flussonic(url: str, ts_stream: bool) -> tuple[str, bool] | None:
    """IPTV Simple's GenerateFlussonicCatchupSource."""
    m = _FS.match(url)
    if m:
        host, channel, list_type, stream_type, tail = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5) or ""
        if stream_type == "mpegts":
            return f"{host}/{channel}/timeshift_abs-${{start}}.ts{tail}", True
        if list_type == "index":
            return f"{host}/{channel}/timeshift_rel-{{offset:1}}.m3u8{tail}", False
        return f"{host}/{channel}/{list_type}-timeshift_rel-{{offset:1}}.m3u8{tail}", False
    m = _FS_GENERIC.match(url)
    if m is None:
        return None
    host, channel, tail = m.group(1), m.group(2), m.group(4) or ""
    if ts_stream:
        return f"{host}/{channel}/timeshift_abs-${{start}}.ts{tail}", True
    return f"{host}/{channel}/timeshift_rel-{{offset:1}}.m3u8{tail}", False


def _xtream(url: str) -> tuple[str, bool] | None:
    """IPTV Simple's GenerateXtreamCodesCatchupSource."""
    m = _XC.match(url)
    if m is None:
        return None
    host, user, password, channel, ext = m.groups()
    source = f"{host}/timeshift/{user}/{password}/{{duration:60}}/{{Y}}-{{m}}-{{d}}:{{H}}-{{M}}/{channel}{ext or '.ts'}"
    return source, not ext


def _once(text: str, mark: str, value: int) -> str:
    """Kodi's FormatUtc: the first occurrence only, as an unsigned number."""
    return text.replace(mark, str(max(value, 0)), 1)


def _units(text: str, name: str, value: int) -> str:
    """Kodi's FormatUnits: ``{name:N}`` becomes value // N (never below 0); N = 0 is left alone."""
    found = [m for m in _UNITS.finditer(text) if m.group(1) == name]
    if not found or int(found[-1].group(2)) == 0:  # Kodi's greedy regex picks the last one…
        return text
    expr = found[-1].group(0)  # …and replaces the first occurrence of that same text
    return text.replace(expr, str(max(value // int(found[-1].group(2)), 0)), 1)


def _form(text: str, prefix: str, moment: datetime) -> str:
    """Kodi's FormatTime(name, …): ``{utc:Ymd-H-M}`` with each of YmdHMS a date field, the rest literal."""
    at = text.find(prefix)
    if at < 0:
        return text
    end = text.find("}", at + len(prefix) + 1)
    if end < 0:
        return text
    fmt = text[at + len(prefix) : end]
    filled = "".join(moment.strftime("%" + ch) if ch in "YmdHMS" else ch for ch in fmt)
    return text[:at] + filled + text[end + 1 :] if filled else text


def format_url(template: str, start: int, duration: int, now: int, tz: tzinfo | None = None) -> str:
    """Kodi's FormatDateTime: ``template`` filled for a programme at ``start`` (epoch s) lasting ``duration``.

    ``tz`` is the zone of the date fields; Kodi uses the machine's local time (None here too).
    """
    zone = tz or datetime.now().astimezone().tzinfo or UTC
    at_start = datetime.fromtimestamp(start, zone)
    at_end = at_start + timedelta(seconds=duration)
    at_now = datetime.fromtimestamp(now, zone)
    url = template
    for ch in "YmdHMS":
        url = url.replace("{" + ch + "}", at_start.strftime("%" + ch))
    for mark, value in (
        ("{utc}", start),
        ("${start}", start),
        ("{utcend}", start + duration),
        ("${end}", start + duration),
        ("{lutc}", now),
        ("${now}", now),
        ("${timestamp}", now),
        ("${duration}", duration),
        ("{duration}", duration),
    ):
        url = _once(url, mark, value)
    url = _units(url, "duration", duration)
    url = _once(url, "${offset}", now - start)
    url = _units(url, "offset", now - start)
    for prefix, which in _FORMS:
        url = _form(url, prefix, at_start if which == "start" else at_end)
    for prefix in _NOW_FORMS:
        url = _form(url, prefix, at_now)
    return url


def archive_url(catchup: Catchup, start: int, end: int | None, now: int, *, epg_shift_s: int = 0,
                tz: tzinfo | None = None) -> str:  # fmt: skip
    """The provider's URL for a programme from ``start`` to ``end`` (epoch s; None: an hour, as Kodi).

    Refused unless the start is in the past and within `catchup-days`. The duration is capped at now,
    as IPTV Simple's GetCatchupUrl does, and the start moved by the EPG shift and the correction.
    """
    if not isinstance(start, int) or not isinstance(now, int) or (end is not None and not isinstance(end, int)):
        raise CatchupError("catch-up times must be whole seconds")
    if start >= now:
        raise CatchupError("that programme has not started yet")
    if start < now - catchup.window_s:
        raise CatchupError(f"that programme is older than this channel's archive ({catchup.days} days)")
    duration = DEFAULT_DURATION_S if end is None or end <= start else end - start
    duration = min(duration, now - start)
    return format_url(catchup.source, start - (epg_shift_s + catchup.correction_s), duration, now, tz)


def of_channel(url: str, catchup: Mapping[str, str], attributes: Mapping[str, str] | None = None) -> Catchup | None:
    """A line-up channel's catch-up: its kept `catchup*` attributes plus the SIPTV `timeshift`/`tvg-rec` tags."""
    merged = {k: v for k, v in (attributes or {}).items() if k.lower() in ("timeshift", "tvg-rec")}
    merged.update(catchup)
    return configure(url, merged)
