"""XMLTV times to UTC seconds.

XMLTV writes `YYYYMMDDhhmmss +hhmm`; providers drop the seconds, the offset, or both. With an offset
the arithmetic is exact; without one the time is read in a configured zone, through zoneinfo, so the
two daylight-saving days of the year come out right (in the repeated autumn hour the first
occurrence is taken, as most providers mean).
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

TIME = re.compile(r"^\s*(\d{8})(\d{2})?(\d{2})?(\d{2})?\s*(?:([+-])(\d{2}):?(\d{2})|(Z|UTC|GMT))?\s*$")
MIN_YEAR, MAX_YEAR = 1970, 2100  # anything outside is a broken guide, not television


@lru_cache(maxsize=262144)  # guides repeat the same few thousand slot times across all channels
def parse_time(text: str, zone: str = "UTC") -> int | None:
    """UTC epoch seconds for an XMLTV time, or None when it is not one (or absurd)."""
    m = TIME.match(text)
    if m is None:
        return None
    date, hh, mm, ss, sign, oh, om, utc = m.groups()
    year, month, day = int(date[:4]), int(date[4:6]), int(date[6:8])
    hour, minute, second = int(hh or 0), int(mm or 0), int(ss or 0)
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    if hour > 23 or minute > 59 or second > 60:
        return None
    if sign or utc:
        seconds = calendar.timegm((year, month, day, hour, minute, min(second, 59), 0, 0, 0))
        if sign:
            offset = int(oh) * 3600 + int(om) * 60
            seconds -= offset if sign == "+" else -offset
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
