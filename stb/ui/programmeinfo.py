"""A programme in words, for the grid's details pane and the programme details screen."""

from __future__ import annotations

from datetime import datetime, timedelta

from stb.guide.query import Programme
from stb.guide.times import format_local


def when(p: Programme, now: float) -> str:
    """When it is on, e.g. "Tue 24 Nov  20:00–21:30 (90 min)"; the day is left out for today."""
    day = datetime.fromtimestamp(p.start).date()
    prefix = "" if day == datetime.fromtimestamp(now).date() else day.strftime("%a %d %b  ")
    minutes = max(0, (p.stop - p.start) // 60)
    length = f"{minutes // 60} h {minutes % 60:02d}" if minutes >= 120 else f"{minutes} min"
    return f"{prefix}{format_local(p.start)}–{format_local(p.stop)} ({length})"


def day_and_time(p: Programme, now: float) -> str:
    """The day always said, for the details screen: "Today  20:00–21:30 (90 min)", "Tomorrow …", "Tue 24 Nov …"."""
    day, today = datetime.fromtimestamp(p.start).date(), datetime.fromtimestamp(now).date()
    name = {today: "Today", today + timedelta(days=1): "Tomorrow", today - timedelta(days=1): "Yesterday"}.get(
        day, day.strftime("%a %d %b")
    )
    return f"{name}  {when(p, p.start)}"  # ``when`` leaves the day out for the programme's own day


def rating(p: Programme) -> str:
    return f"Rated {p.rating}" if p.rating else ""


def facts(p: Programme, with_rating: bool = True) -> str:
    """Episode, rating, stars, new/repeat, language, categories: one line, the known ones only."""
    parts = [
        p.episode_onscreen or "",
        rating(p) if with_rating else "",
        f"{p.star_rating} stars" if p.star_rating else "",  # words: a skin's font may lack ★
        "New" if p.is_new else ("Repeat" if p.previously_shown else ""),
        p.language.upper() if p.language else "",
        ", ".join(p.categories),
    ]
    return "  ·  ".join(part for part in parts if part)


def heading(p: Programme) -> str:
    return f"{p.title} — {p.sub_title}" if p.sub_title else p.title
