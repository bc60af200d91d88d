"""A generated XMLTV guide for the demo channels: yesterday 00:00 to seven days ahead, local time.

Deterministic per day (seeded by channel and date), so the guide is stable across restarts and
tests can rely on it, yet varied enough to look like a real provider's: news bulletins on the hour,
series with episode numbers (``xmltv_ns`` and on-screen), films with age ratings, stars and credits,
live sport, kids' shows, documentaries, premieres and repeats. Built with ElementTree, so every
value is escaped; times carry the local UTC offset of their own moment (right across DST changes).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from stb.headend.catalog import CHANNELS, DemoChannel, base_url

DAYS_BACK, DAYS_AHEAD = 1, 7
STEP_MIN = 5  # every start and stop is on a 5-minute boundary
TIME_FORMAT = "%Y%m%d%H%M%S %z"


@dataclass(frozen=True)
class Show:
    """A programme format: what it is called, how long it runs and how the guide describes it."""

    title: str
    kind: str  # news, series, film, sport, kids, doc, music, weather
    minutes: tuple[int, ...]
    categories: tuple[str, ...]
    about: tuple[str, ...]
    subtitles: tuple[str, ...] = ()
    rating: str | None = None  # FSK age for films and late series


# fmt: off
SHOWS: dict[str, tuple[Show, ...]] = {
    "news": (
        Show("Business Today", "news", (15, 30), ("News", "Business"),
             ("Markets, companies and the economy in half an hour.", "The day's trading, with analysis.")),
        Show("World Report", "news", (15, 30, 45), ("News", "Current affairs"),
             ("Correspondents report from around the globe.", "The stories behind the headlines.")),
        Show("The Interview", "news", (15, 30), ("News", "Talk"),
             ("One guest, twenty-five minutes, no easy questions.",)),
        Show("Sports Desk", "news", (10, 15), ("News", "Sports"), ("Results, transfers and the weekend ahead.",)),
    ),
    "sports": (
        Show("Football: City v United", "sport", (105, 120), ("Sports", "Football"),
             ("Live coverage of the derby, with build-up and analysis.", "Top of the table clash under the lights.")),
        Show("Tennis Masters", "sport", (90, 120), ("Sports", "Tennis"),
             ("Quarter-final day on the centre court.", "The semi-finals, live and in full.")),
        Show("Cycling: Mountain Stage", "sport", (90, 120), ("Sports", "Cycling"),
             ("Five climbs and a summit finish decide the race.",)),
        Show("Basketball Tonight", "sport", (60, 90), ("Sports", "Basketball"), ("The night's big game, live.",)),
        Show("Rugby Highlights", "sport", (30, 45), ("Sports", "Rugby"), ("Every try from the weekend's round.",)),
        Show("Goals!", "sport", (30,), ("Sports", "Football"), ("All the goals from all the leagues.",)),
    ),
    "movies": (
        Show("The Long Night", "film", (95, 110, 120), ("Movie", "Thriller"),
             ("A detective races against time in a city that never sleeps.",), rating="16"),
        Show("Harbour Lights", "film", (90, 105), ("Movie", "Drama"),
             ("A fisherman's daughter returns home to save the family boatyard.",), rating="12"),
        Show("Paper Crowns", "film", (85, 100), ("Movie", "Comedy"),
             ("Two rival florists are forced to share a shop for one chaotic summer.",), rating="6"),
        Show("The Last Express", "film", (110, 120), ("Movie", "Action"),
             ("A hijacked night train, one off-duty marshal and no way off.",), rating="16"),
        Show("Blue Meridian", "film", (100, 115), ("Movie", "Science fiction"),
             ("The first crew to cross the solar system finds the route already charted.",), rating="12"),
        Show("A Quiet Storm", "film", (95, 105), ("Movie", "Horror"),
             ("A lighthouse keeper hears voices in the fog, and they know her name.",), rating="18"),
    ),
    "kids": (
        Show("Rocket Pals", "kids", (10, 15), ("Children", "Animation"),
             ("The friends build a rocket out of cardboard.", "A trip to the moon goes slightly wrong."),
             ("Countdown", "Moon Cheese", "Lost in Orbit", "The Big Launch")),
        Show("The Busy Burrow", "kids", (10, 15), ("Children", "Animation"),
             ("Spring cleaning turns up a mystery under the floor.",), ("Muddy Boots", "Rainy Day", "The New Tunnel")),
        Show("Dino Detectives", "kids", (20, 25), ("Children", "Adventure"),
             ("A mystery at the museum needs solving.",), ("The Missing Egg", "Fossil Fools", "Roar of the Crowd")),
        Show("Sketch Club", "kids", (15, 20), ("Children", "Arts"), ("Learn to draw animals in five easy steps.",)),
        Show("Puzzle Planet", "kids", (25, 30), ("Children", "Game show"), ("Three teams, ten puzzles, one trophy.",)),
    ),
    "docs": (
        Show("Machines That Built Us", "doc", (45, 50), ("Documentary", "Technology"),
             ("How ingenuity changed the way we live.",), ("Steam", "The Loom", "Concrete", "The Chip")),
        Show("Frontiers of Space", "doc", (45, 55), ("Documentary", "Science"),
             ("Telescopes that see to the edge of time.",), ("Dark Matter", "Exoplanets", "The First Stars")),
        Show("Inside the Lab", "doc", (25, 30), ("Documentary", "Science"),
             ("A week with the scientists chasing a cure.",), ("Trial and Error", "Breakthrough")),
    ),
    "nature": (
        Show("Oceans Deep", "doc", (50, 55), ("Documentary", "Nature"),
             ("An expedition into places few have seen.",), ("The Abyss", "Coral Cities", "Giants")),
        Show("Wild Islands", "doc", (45, 50), ("Documentary", "Nature"),
             ("Life on islands no bigger than a football pitch.",), ("Galápagos", "Madagascar", "Borneo")),
        Show("Birdsong", "doc", (25, 30), ("Documentary", "Nature"), ("A dawn chorus, recorded over a year.",)),
    ),
    "history": (
        Show("Secrets of the Pyramids", "doc", (50, 55), ("Documentary", "History"),
             ("New scans reveal chambers no one has entered.",), ("The Builders", "The Hidden Room")),
        Show("Empires", "doc", (45, 55), ("Documentary", "History"),
             ("How great powers rise, and why they fall.",), ("Rome", "The Mongols", "The Ottomans", "Britain")),
        Show("The War Years", "doc", (45, 50), ("Documentary", "History"),
             ("Letters home tell the story of a generation.",), ("1914", "1939", "1944")),
    ),
    "music": (
        Show("Top 40 Countdown", "music", (55, 60), ("Music", "Pop"), ("Non-stop hits from the charts.",)),
        Show("Live Sessions", "music", (30, 45), ("Music", "Live"), ("Live performances from the studio.",)),
        Show("Throwback Hits", "music", (60, 90), ("Music", "Pop"), ("The songs you loved, twenty years on.",)),
        Show("Chill Mix", "music", (60, 120), ("Music", "Electronic"), ("Slow beats for the small hours.",)),
    ),
    "comedy": (
        Show("The Flat Upstairs", "series", (25, 30), ("Series", "Comedy"),
             ("Trouble brews when the landlord visits.", "A party gets out of hand."),
             ("The Lease", "Noise Complaint", "Housewarming", "The Cat")),
        Show("Office Hours", "series", (25, 30), ("Series", "Comedy"),
             ("A misunderstanding spirals out of control.",), ("The Promotion", "Team Building", "Casual Friday")),
        Show("Night Shift", "series", (40, 45), ("Series", "Comedy-drama"),
             ("The hospital's night crew faces a full moon.",), ("Full Moon", "Double Shift"), rating="12"),
        Show("Stand-Up Live", "series", (45, 60), ("Entertainment", "Comedy"), ("Three comics, one stage.",)),
    ),
    "weather": (
        Show("Weather Outlook", "weather", (10, 15), ("Weather",), ("The week ahead, region by region.",)),
        Show("Travel Weather", "weather", (10,), ("Weather", "Travel"), ("Roads, rail and airports.",)),
        Show("Climate Watch", "weather", (25, 30), ("Weather", "Science"), ("The science behind the forecast.",)),
    ),
    "travel": (
        Show("Slow Roads", "doc", (25, 30), ("Travel", "Documentary"),
             ("A coast road, a small car and no timetable.",), ("Portugal", "Scotland", "Croatia")),
        Show("City Breaks", "series", (25, 30), ("Travel",), ("Forty-eight hours, one city, a modest budget.",),
             ("Lisbon", "Prague", "Kyoto", "Montréal")),
        Show("Rail Journeys", "doc", (45, 55), ("Travel", "Documentary"), ("Across a continent by train.",)),
    ),
}
# fmt: on

#: Genres whose schedule starts a bulletin at the top of every hour.
ON_THE_HOUR = {
    "news": Show("News at the Hour", "news", (15,), ("News",), ("The latest national and international news.",)),
    "weather": Show("Weather Forecast", "weather", (5, 10), ("Weather",), ("Forecast for the region.",)),
}
MAJOR_BULLETIN = {7: "Morning Briefing", 13: "Lunchtime News", 19: "Evening News", 22: "Late News"}
PEOPLE = ("Ana Ruiz", "Tom Becker", "Mei Lin", "Omar Haddad", "Lena Novak", "Sam Okafor", "Ivy Brandt")


def _local_midnight(day: date) -> datetime:
    """Local midnight of ``day`` as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day).astimezone().astimezone(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone().strftime(TIME_FORMAT)


def _day_schedule(channel: DemoChannel, day: date) -> list[tuple[datetime, datetime, Show, int]]:
    """(start, stop, show, minutes since local midnight) from local midnight to the next one."""
    rng = random.Random(f"{channel.id}/{day.isoformat()}")
    shows = SHOWS[channel.genre]
    hourly = ON_THE_HOUR.get(channel.genre)
    start, end = _local_midnight(day), _local_midnight(day + timedelta(days=1))
    elapsed, out = 0, []
    while start < end:
        on_the_hour = elapsed % 60 == 0
        if hourly is not None and on_the_hour:
            show = hourly
            hour = elapsed // 60
            if channel.genre == "news" and hour in MAJOR_BULLETIN:
                show = Show(MAJOR_BULLETIN[hour], "news", (30,), ("News",), hourly.about)
        else:
            show = rng.choice(shows)
        minutes = rng.choice(show.minutes)
        if hourly is not None:  # never run over the next bulletin
            minutes = min(minutes, 60 - elapsed % 60)
        stop = min(start + timedelta(minutes=minutes), end)
        out.append((start, stop, show, elapsed))
        elapsed += int((stop - start).total_seconds()) // 60
        start = stop
    return out


def _programme(tv, channel: DemoChannel, start: datetime, stop: datetime, show: Show, rng: random.Random) -> None:
    from xml.etree import ElementTree as ET

    p = ET.SubElement(tv, "programme", start=_stamp(start), stop=_stamp(stop), channel=channel.guide_id)
    title = show.title
    if show.kind == "news" and show.title == "News at the Hour":
        title = f"News at {start.astimezone():%H:%M}"
    elif show.kind == "sport" and rng.random() < 0.5:
        title = f"LIVE: {show.title}"
    ET.SubElement(p, "title", lang="en").text = title
    episodic = show.kind in ("series", "kids", "doc") and show.subtitles
    season = 1 + sum(map(ord, show.title)) % 6
    episode = 1 + rng.randrange(12)
    if episodic:
        ET.SubElement(p, "sub-title", lang="en").text = rng.choice(show.subtitles)
    ET.SubElement(p, "desc", lang="en").text = " ".join(rng.sample(show.about, k=min(2, len(show.about))))
    if show.kind == "film":
        credits = ET.SubElement(p, "credits")
        people = rng.sample(PEOPLE, k=3)
        ET.SubElement(credits, "director").text = people[0]
        for actor in people[1:]:
            ET.SubElement(credits, "actor").text = actor
        ET.SubElement(p, "date").text = str(rng.randint(1972, 2025))
    for category in show.categories:
        ET.SubElement(p, "category", lang="en").text = category
    if episodic:
        ET.SubElement(p, "episode-num", system="xmltv_ns").text = f"{season - 1}.{episode - 1}.0/1"
        ET.SubElement(p, "episode-num", system="onscreen").text = f"S{season:02d}E{episode:02d}"
    fresh = show.kind in ("news", "sport", "weather") or rng.random() < 0.3
    if fresh:
        ET.SubElement(p, "new")
    else:
        ET.SubElement(p, "previously-shown")
    age = show.rating or {"kids": "0", "series": "6", "doc": "6"}.get(show.kind)
    if age is not None:
        rating = ET.SubElement(p, "rating", system="FSK")
        ET.SubElement(rating, "value").text = age
    if show.kind in ("film", "series", "doc"):
        stars = ET.SubElement(p, "star-rating")
        ET.SubElement(stars, "value").text = f"{rng.randint(5, 9)}/10"


@lru_cache(maxsize=4)
def _guide_for(today: date, base: str) -> bytes:
    from xml.etree import ElementTree as ET

    tv = ET.Element(
        "tv",
        {"generator-info-name": "stb demo head-end", "source-info-name": "stb", "source-info-url": base},
    )
    for channel in CHANNELS:
        element = ET.SubElement(tv, "channel", id=channel.guide_id)
        ET.SubElement(element, "display-name", lang="en").text = channel.name
        ET.SubElement(element, "display-name").text = str(channel.number)
        ET.SubElement(element, "icon", src=f"{base}/logo/{channel.id}.png")
    for channel in CHANNELS:
        for offset in range(-DAYS_BACK, DAYS_AHEAD + 1):
            day = today + timedelta(days=offset)
            rng = random.Random(f"{channel.id}/{day.isoformat()}/details")
            for start, stop, show, _ in _day_schedule(channel, day):
                _programme(tv, channel, start, stop, show, rng)
    ET.indent(tv, space=" ")
    body = ET.tostring(tv, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tv SYSTEM "xmltv.dtd">\n' + body + "\n").encode()


def demo_guide(today: date | None = None, host: str = "127.0.0.1", port: int = 8554) -> bytes:
    """The guide as XMLTV bytes (icons pointing at ``host:port``), built once per day and address."""
    return _guide_for(today or date.today(), base_url(host, port))
