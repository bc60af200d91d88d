"""A generated XMLTV guide for the demo channels: yesterday 00:00 to seven days ahead, local time.

Deterministic per day (seeded by date and channel), so the guide is stable across restarts and
tests can rely on it, yet varied enough to look like a real provider's: series with episode
numbers, films with ratings and stars, news on the hour, live sport, premieres and repeats.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from functools import lru_cache
from xml.sax.saxutils import escape, quoteattr

from stb.headend.catalog import CHANNELS, DemoChannel

DAYS_BACK, DAYS_AHEAD = 1, 7

GENRES: dict[str, dict] = {
    "news": {
        "titles": ["News at the Hour", "World Report", "Business Today", "Morning Briefing", "Evening News"],
        "category": "News",
        "minutes": (30, 60),
        "about": ["The latest national and international news.", "Headlines, analysis and live reports."],
    },
    "sports": {
        "titles": [
            "Football: City v United",
            "Tennis Masters",
            "Cycling: Mountain Stage",
            "Sports Desk",
            "Basketball Tonight",
            "Rugby Highlights",
        ],
        "category": "Sports",
        "minutes": (60, 120),
        "about": ["Live coverage with expert commentary.", "All the action and the best moments."],
    },
    "movies": {
        "titles": [
            "The Long Night",
            "Harbour Lights",
            "Paper Crowns",
            "The Last Express",
            "Blue Meridian",
            "A Quiet Storm",
        ],
        "category": "Movie",
        "minutes": (90, 120),
        "about": [
            "A detective races against time in a city that never sleeps.",
            "Two strangers meet on a night train across the mountains.",
        ],
        "ratings": ["12", "16", "18"],
    },
    "kids": {
        "titles": ["Rocket Pals", "The Busy Burrow", "Dino Detectives", "Sketch Club", "Puzzle Planet"],
        "category": "Children",
        "minutes": (15, 30),
        "about": ["The friends build a rocket out of cardboard.", "A mystery at the museum needs solving."],
    },
    "docs": {
        "titles": [
            "Oceans Deep",
            "Secrets of the Pyramids",
            "Machines That Built Us",
            "Wild Islands",
            "Frontiers of Space",
        ],
        "category": "Documentary",
        "minutes": (45, 60),
        "about": ["An expedition into places few have seen.", "How ingenuity changed the way we live."],
    },
    "music": {
        "titles": ["Top 40 Countdown", "Live Sessions", "Throwback Hits", "Chill Mix"],
        "category": "Music",
        "minutes": (30, 60),
        "about": ["Non-stop hits from the charts.", "Live performances from the studio."],
    },
    "series": {
        "titles": ["The Flat Upstairs", "Office Hours", "Family Matters Again", "Night Shift"],
        "category": "Comedy",
        "minutes": (25, 30),
        "about": ["Trouble brews when the landlord visits.", "A misunderstanding spirals out of control."],
    },
    "weather": {
        "titles": ["Weather Forecast", "Weather Outlook", "Travel Weather"],
        "category": "Weather",
        "minutes": (15, 30),
        "about": ["Forecast for the region and the week ahead."],
    },
}


def _xmltv_time(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S %z")


def _programmes(channel: DemoChannel, day: date) -> list[str]:
    rng = random.Random(f"{channel.id}/{day.isoformat()}")
    genre = GENRES[channel.genre]
    start = datetime.combine(day, datetime.min.time()).astimezone()
    end = datetime.combine(day + timedelta(days=1), datetime.min.time()).astimezone()
    out = []
    while start < end:
        low, high = genre["minutes"]
        minutes = rng.randrange(low, high + 1, 5)
        stop = min(start + timedelta(minutes=minutes), end)
        title = rng.choice(genre["titles"])
        season, episode = rng.randint(1, 6), rng.randint(1, 12)
        parts = [
            f'  <programme start="{_xmltv_time(start)}" stop="{_xmltv_time(stop)}" channel="{channel.id}.demo">',
            f'    <title lang="en">{escape(title)}</title>',
        ]
        if channel.genre in ("series", "kids", "docs"):
            parts.append(f'    <sub-title lang="en">Episode {episode}</sub-title>')
        parts.append(f'    <desc lang="en">{escape(rng.choice(genre["about"]))}</desc>')
        parts.append(f'    <category lang="en">{escape(genre["category"])}</category>')
        if channel.genre in ("series", "kids", "docs"):
            parts.append(f'    <episode-num system="xmltv_ns">{season - 1}.{episode - 1}.0/1</episode-num>')
            parts.append(f'    <episode-num system="onscreen">S{season:02d}E{episode:02d}</episode-num>')
        if "ratings" in genre:
            parts.append(f'    <rating system="FSK"><value>{rng.choice(genre["ratings"])}</value></rating>')
            parts.append(f"    <star-rating><value>{rng.randint(2, 5)}/5</value></star-rating>")
        parts.append("    <new/>" if rng.random() < 0.3 else "    <previously-shown/>")
        parts.append("  </programme>")
        out.append("\n".join(parts))
        start = stop
    return out


@lru_cache(maxsize=2)
def _guide_for(today: date) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<tv generator-info-name="stb demo head-end">']
    for channel in CHANNELS:
        lines.append(f'  <channel id="{channel.id}.demo">')
        lines.append(f"    <display-name>{escape(channel.name)}</display-name>")
        lines.append(f"    <icon src={quoteattr(f'/logo/{channel.id}.png')}/>")
        lines.append("  </channel>")
    for channel in CHANNELS:
        for offset in range(-DAYS_BACK, DAYS_AHEAD + 1):
            lines.extend(_programmes(channel, today + timedelta(days=offset)))
    lines.append("</tv>\n")
    return "\n".join(lines).encode("utf-8")


def demo_guide(today: date | None = None) -> bytes:
    """The guide as XMLTV bytes, built once per day."""
    return _guide_for(today or date.today())
