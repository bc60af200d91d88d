"""Which guide channel belongs to which line-up channel.

Rules, in order: the line-up's guide id (tvg-id) equals a guide channel id; then the guide name
(tvg-name) and then the channel name, normalised, equal a normalised display name of a guide
channel (or a channel id, since some guides have no <channel> elements). Normalising drops case,
accents, punctuation, spaces and quality suffixes (HD, FHD, UHD, 4K, SD), so "BBC One HD" finds
"bbc one"; but `+` stays a difference ("plus"): CCTV-5+ is not CCTV-5, nor SPORT1+ SPORT1.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass

from stb.guide.xmltv import channel_id as guide_channel_id
from stb.lineup.model import Lineup

QUALITY_SUFFIX = re.compile(r"(?:\s*[\[(]?\s*(?:hd|fhd|uhd|4k|sd|hevc|h265)\s*[\])]?)+$", re.IGNORECASE)
RULES = ("guide id", "guide name", "channel name")


def normalise(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold().strip()
    text = QUALITY_SUFFIX.sub("", text).replace("+", " plus ").replace("＋", " plus ")
    return re.sub(r"[\W_]+", "", text)


@dataclass(frozen=True)
class Match:
    guide_channel: str
    rule: str  # one of RULES
    shift_s: int  # tvg-shift of the line-up channel, in seconds


@dataclass
class MatchReport:
    matches: dict[str, Match]  # line-up channel id → match
    unmatched: list[str]  # line-up channel ids

    def by_rule(self) -> dict[str, int]:
        return {rule: sum(m.rule == rule for m in self.matches.values()) for rule in RULES}


def match_lineup(lineup: Lineup, conn: sqlite3.Connection) -> MatchReport:
    ids: dict[str, str] = {}
    folded_ids: dict[str, str] = {}
    names: dict[str, str] = {}
    for channel_id, display_names in conn.execute("SELECT id, names FROM channels ORDER BY source, id"):
        ids.setdefault(channel_id, channel_id)
        folded_ids.setdefault(channel_id.casefold(), channel_id)
        for name in [*display_names.split("\n"), channel_id]:
            if key := normalise(name):
                names.setdefault(key, channel_id)
    matches: dict[str, Match] = {}
    unmatched: list[str] = []
    for channel in lineup.sorted_channels():
        shift = round(channel.guide_shift * 3600)
        found: tuple[str, str] | None = None
        if guide_id := guide_channel_id(channel.guide_id):  # the same normalisation as the guide's own ids
            hit = ids.get(guide_id) or folded_ids.get(guide_id.casefold())
            found = (hit, "guide id") if hit else None
        if found is None and channel.guide_name and (hit := names.get(normalise(channel.guide_name))):
            found = (hit, "guide name")
        if found is None and (hit := names.get(normalise(channel.name))):
            found = (hit, "channel name")
        if found is None:
            unmatched.append(channel.id)
        else:
            matches[channel.id] = Match(found[0], found[1], shift)
    return MatchReport(matches, unmatched)
