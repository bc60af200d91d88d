import calendar

import pytest

from stb.guide.times import parse_time


def utc(*parts: int) -> int:
    return calendar.timegm((*parts, 0, 0, 0))


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("20261123060000 +0100", "UTC", utc(2026, 11, 23, 5, 0, 0)),
        ("20261123060000 -0530", "UTC", utc(2026, 11, 23, 11, 30, 0)),
        ("20261123060000 +01:00", "UTC", utc(2026, 11, 23, 5, 0, 0)),
        ("202611230600 Z", "UTC", utc(2026, 11, 23, 6, 0, 0)),
        ("20261123060000", "UTC", utc(2026, 11, 23, 6, 0, 0)),
        ("20261123060000", "Europe/Berlin", utc(2026, 11, 23, 5, 0, 0)),  # winter: +1
        ("20260715060000", "Europe/Berlin", utc(2026, 7, 15, 4, 0, 0)),  # summer: +2
        # Spring forward (29 March 2026, 02:00 → 03:00 in Berlin): 01:30 is +1, 03:30 is +2.
        ("20260329013000", "Europe/Berlin", utc(2026, 3, 29, 0, 30, 0)),
        ("20260329033000", "Europe/Berlin", utc(2026, 3, 29, 1, 30, 0)),
        # Fall back (25 October 2026): 02:30 happens twice; the first (summer time) is taken.
        ("20261025023000", "Europe/Berlin", utc(2026, 10, 25, 0, 30, 0)),
        ("20261025033000", "Europe/Berlin", utc(2026, 10, 25, 2, 30, 0)),
        # The DTD: a named zone (its own example is BST), an initial part of the time, no zone = UTC.
        ("200007281733 BST", "UTC", utc(2000, 7, 28, 16, 33, 0)),
        ("20261123060000 CET", "Europe/London", utc(2026, 11, 23, 5, 0, 0)),  # a named zone beats --zone
        ("20261123060000 est", "UTC", utc(2026, 11, 23, 11, 0, 0)),
        ("200209", "UTC", utc(2002, 9, 1, 0, 0, 0)),
        ("2002", "UTC", utc(2002, 1, 1, 0, 0, 0)),
        ("2026112306", "UTC", utc(2026, 11, 23, 6, 0, 0)),
    ],
)
def test_xmltv_times(text, zone, expected):
    assert parse_time(text, zone) == expected


def test_the_default_zone_is_utc():
    assert parse_time("20261123060000") == utc(2026, 11, 23, 6, 0, 0)


def test_an_hour_of_programmes_across_fall_back_stays_an_hour_long():
    start = parse_time("20261025020000", "Europe/Berlin")
    stop = parse_time("20261025030000", "Europe/Berlin")
    assert stop - start == 2 * 3600  # 02:00 CEST to 03:00 CET is two real hours


@pytest.mark.parametrize(
    "text",
    ["", "garbage", "99991231000000 +0000", "20261340000000", "20260231000000 +0000", "20261123060000 XYZ",
     "20261123060000 IST", "2026-11-23"],  # IST is Irish, Indian or Israeli: not guessed
)  # fmt: skip
def test_absurd_times_are_none(text):
    assert parse_time(text, "UTC") is None
