"""Guide categories → a few genre families the grid colours by.

XMLTV categories are free text in the provider's language; DVB-sourced guides (TVHeadend, Enigma2)
carry the EN 300 468 content names ("Movie / Drama", "News / Current affairs"). A keyword match on
the lower-cased words covers both; the first category that matches wins.
"""

from __future__ import annotations

from collections.abc import Iterable

FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (  # checked in order: "children's movie" is kids
    ("kids", ("kids", "children", "child", "youth", "cartoon", "animation", "kinder", "jeunesse", "enfants")),
    ("news", ("news", "current affairs", "weather", "nachrichten", "actualit", "journal", "noticias")),
    ("sport", ("sport", "football", "soccer", "tennis", "racing", "olymp", "fußball", "rugby", "golf")),
    ("movie", ("movie", "film", "cinema", "cinéma", "spielfilm", "película")),
    ("documentary", ("documentar", "doku", "nature", "science", "history", "factual", "education")),
    ("music", ("music", "musik", "musique", "concert", "ballet", "dance", "opera")),
    ("series", ("series", "serie", "drama", "soap", "sitcom", "crime", "thriller", "episode")),
    ("entertainment", ("entertainment", "show", "game", "quiz", "reality", "talk", "comedy", "variety")),
)


def genre_family(categories: Iterable[str]) -> str | None:
    """The family of the first category that names one, else None (drawn without a genre colour)."""
    for category in categories:
        text = category.casefold()
        for family, words in FAMILIES:
            if any(word in text for word in words):
                return family
    return None
