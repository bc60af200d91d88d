"""Small XMLTV documents for guide tests."""

from __future__ import annotations

import time

HOUR = 3600


def xmltv_time(seconds: int) -> str:
    return time.strftime("%Y%m%d%H%M%S +0000", time.gmtime(seconds))


def programme(channel: str, start: int, stop: int | None, title: str = "Show", extra: str = "") -> str:
    stop_attr = f' stop="{xmltv_time(stop)}"' if stop is not None else ""
    return (
        f'<programme start="{xmltv_time(start)}"{stop_attr} channel="{channel}">'
        f"<title>{title}</title>{extra}</programme>"
    )


def document(channels: dict[str, list[str]], programmes: list[str], doctype: str = "") -> str:
    chans = "".join(
        f'<channel id="{cid}">' + "".join(f"<display-name>{n}</display-name>" for n in names) + "</channel>"
        for cid, names in channels.items()
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<tv>{chans}{"".join(programmes)}</tv>'
