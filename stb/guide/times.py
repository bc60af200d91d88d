"""XMLTV times to UTC seconds.

The DTD: `YYYYMMDDhhmmss` or an initial part of it (`YYYYMM` is a time too), then optionally a space
and a zone: a numeric offset (`+0100`) or a name (`BST`, the DTD's own example). Without a zone the
time is UTC. Providers that write local times without saying so are read with `--zone`, through
zoneinfo, so the two daylight-saving days of the year come out right (in the repeated autumn hour the
first occurrence is taken, as most providers mean).
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

TIME = re.compile(
    r"^\s*(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(?:([+-])(\d{2}):?(\d{2})|([A-Za-z]{1,5}))?\s*$"
)
MIN_YEAR, MAX_YEAR = 1970, 2100  # anything outside is a broken guide, not television
# Zone names as XMLTV's own tools (Date::Manip) read them; an unknown name makes the time bad, not a guess.
ZONE_NAMES = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 60, "WEST": 60, "CET": 60, "MET": 60,
    "CEST": 120, "MEST": 120, "EET": 120, "SAST": 120, "EEST": 180, "MSK": 180, "MSD": 240,
    "AST": -240, "ADT": -180, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600, "NST": -210, "NDT": -150,
    "AWST": 480, "HKT": 480, "SGT": 480, "JST": 540, "KST": 540, "ACST": 570, "ACDT": 630, "AEST": 600,
    "AEDT": 660, "NZST": 720, "NZDT": 780,
}  # fmt: skip


@lru_cache(maxsize=262144)  # guides repeat the same few thousand slot times across all channels
def parse_time(text: str, zone: str = "UTC") -> int | None:
    """UTC epoch seconds for an XMLTV time, or None when it is not one (or absurd).

    ``zone`` is the IANA zone of times written without one: UTC per the DTD, unless the user says otherwise.
    """
    m = TIME.match(text)
    if m is None:
        return None
    yyyy, mo, dd, hh, mm, ss, sign, oh, om, name = m.groups()
    year, month, day = int(yyyy), int(mo or 1), int(dd or 1)
    hour, minute, second = int(hh or 0), int(mm or 0), int(ss or 0)
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    if hour > 23 or minute > 59 or second > 60:
        return None
    if name is not None and name.upper() not in ZONE_NAMES:
        return None
    if sign or name or zone == "UTC":
        seconds = calendar.timegm((year, month, day, hour, minute, min(second, 59), 0, 0, 0))
        if sign:
            offset = int(oh) * 3600 + int(om) * 60
            seconds -= offset if sign == "+" else -offset
        elif name:
            seconds -= ZONE_NAMES[name.upper()] * 60
        return seconds
    return int(datetime(year, month, day, hour, minute, min(second, 59), tzinfo=ZoneInfo(zone)).timestamp())


def format_local(seconds: int, zone: str | None = None) -> str:
    """HH:MM in the box's zone (or ``zone``), for people."""
    tz = ZoneInfo(zone) if zone else None
    return datetime.fromtimestamp(seconds, tz).strftime("%H:%M")


def local_zone_name() -> str:
    """The box's IANA zone: $TZ, else where /etc/localtime points, else UTC."""
    import os
    from pathlib import Path

    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if name:
            try:
                ZoneInfo(name)
                return name
            except (ValueError, OSError):
                continue
    return "UTC"
