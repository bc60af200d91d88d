"""Channel ids that stay with their station across playlist revisions.

Favourites, locks and guide matches are stored by channel id, so an id must never move to another
station when a provider reorders its playlist, adds channels or renames a few. An id comes from what
identifies the channel, never from its position:

- our own export's `stb-id`, else a valid ASCII `tvg-id`, else an ASCII slug of the name (or of the
  `tvg-id`); when letters had no ASCII form (Chinese, Cyrillic, Arabic, Thai…) or nothing was left,
  a short stable hash of the whole name is appended, so "新闻" and "体育" never share an id;
- entries that still share an id (the same name twice, one `tvg-id` for two streams) are told apart
  by a hash of their name and URL: the plain id goes to the one with the smallest (URL, name), so
  reordering changes nothing;
- re-importing over an earlier line-up first gives every channel that is still there its old id:
  matched by name and URL, then (when unambiguous) by URL, name or guide id alone; the ids of channels
  that are gone are not given to new ones.

Everything is dictionary look-ups: linear in the number of entries.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stb.lineup.model import Channel

VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_BASE = 100  # leaves room for two hash suffixes within the 128 characters of an id


@dataclass(frozen=True)
class IdSource:
    """What an entry offers to identify it."""

    name: str
    url: str
    tvg_id: str | None = None
    stb_id: str | None = None


def _hash(*parts: str) -> str:
    return hashlib.blake2s("\n".join(parts).encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


def _folded(text: str) -> str:
    """The text as compared for identity: NFC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def slug(text: str) -> str:
    """An id made from a name: lower-case ASCII words joined by `-`, plus a hash of the name when
    letters had no ASCII form or nothing was left ("CCTV-1 综合" → `cctv-1-3f2a9c1d`)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:MAX_BASE].rstrip("-")
    lost = any(c.isalnum() and not _ascii_part(c) for c in text)
    if base and not lost:
        return base
    return f"{base}-{_hash(_folded(text))}" if base else f"ch-{_hash(_folded(text))}"


def _ascii_part(c: str) -> str:
    return unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode()


def base_id(source: IdSource) -> str:
    """The id an entry asks for before duplicates are told apart."""
    if source.tvg_id and VALID_ID.match(source.tvg_id):
        return source.tvg_id
    return slug(source.tvg_id or source.name)


def assign_ids(sources: Sequence[IdSource], previous: Sequence[Channel] = ()) -> list[str]:
    """One unique, valid id per entry: kept from ``previous`` where the channel is still there."""
    ids: list[str | None] = [None] * len(sources)
    used: set[str] = set()
    for i, source in enumerate(sources):  # our own export names its ids
        if source.stb_id and VALID_ID.match(source.stb_id) and source.stb_id not in used:
            ids[i] = source.stb_id
            used.add(source.stb_id)
    old = [c for c in previous if c.id not in used]
    for i, old_id in _match_previous(sources, ids, old).items():
        if old_id not in used:
            ids[i] = old_id
            used.add(old_id)
    used |= {c.id for c in previous}  # a gone channel's id is not handed to a new one: its lock would follow
    groups: dict[str, list[int]] = defaultdict(list)
    for i, source in enumerate(sources):
        if ids[i] is None:
            groups[base_id(source)].append(i)
    others: list[tuple[str, int]] = []
    for base, members in groups.items():
        members.sort(key=lambda i: (sources[i].url, sources[i].name))
        if base not in used:
            ids[members[0]] = base
            used.add(base)
            members = members[1:]
        others += [(base, i) for i in members]
    for base, i in others:  # after every plain id is taken, so none is claimed by a suffixed one
        candidate = f"{base[:MAX_BASE]}-{_hash(_folded(sources[i].name), sources[i].url)}"
        n = 2
        while candidate in used:  # the same name and URL twice: nothing else tells them apart
            candidate, n = f"{base[:MAX_BASE]}-{_hash(_folded(sources[i].name), sources[i].url, str(n))}", n + 1
        ids[i] = candidate
        used.add(candidate)
    return [i for i in ids if i is not None]


Key = Callable[[str, str, str], tuple | str | None]  # (folded name, url, guide id) -> key, None when it says nothing
STRONG: tuple[Key, ...] = (lambda n, u, g: (n, u, g), lambda n, u, g: (n, u))
WEAK: tuple[Key, ...] = (  # used only where one old and one new channel have the key
    lambda n, u, g: (n, g) if g else None,
    lambda n, u, g: u or None,
    lambda n, u, g: n or None,
    lambda n, u, g: g or None,
)


def _match_previous(sources: Sequence[IdSource], ids: list[str | None], old: Sequence[Channel]) -> dict[int, str]:
    """New entry index → id of the old channel that is the same station."""
    new_facts = {i: (_folded(s.name), s.url, s.tvg_id or "") for i, s in enumerate(sources) if ids[i] is None}
    old_facts = [(_folded(c.name), c.urls[0], c.guide_id or "") for c in old]
    left = set(range(len(old)))
    matched: dict[int, str] = {}
    for strong, keys in ((True, STRONG), (False, WEAK)):
        for key in keys:
            index: dict[tuple | str, list[int]] = defaultdict(list)
            for j in sorted(left):
                if (k := key(*old_facts[j])) is not None:
                    index[k].append(j)
            wanted: dict[tuple | str, list[int]] = defaultdict(list)
            for i, facts in new_facts.items():
                if i not in matched and (k := key(*facts)) is not None and k in index:
                    wanted[k].append(i)
            for k, new_ones in wanted.items():
                olds = index[k]
                if not strong and (len(olds) != 1 or len(new_ones) != 1):
                    continue  # two candidates: guessing could hand a lock to the wrong station
                for i, j in zip(new_ones, olds, strict=False):
                    matched[i] = old[j].id
                    left.discard(j)
    return matched
