"""A synthetic XMLTV guide of realistic shape, written as a stream (it can be gigabytes)."""

from __future__ import annotations

import random
import time
from pathlib import Path
from xml.sax.saxutils import escape

WORDS = (  # noqa: SIM905 - a sentence reads better than 29 quoted words
    "the news weather sport live final city united world report morning evening story island secret kitchen "
    "garden detective crime family comedy drama wild planet ocean history science travel music"
).split()


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def write_guide(path: Path, channels: int, days: int, per_day: int = 25, seed: int = 1) -> int:
    """Write the guide; returns the number of programmes. Programmes are 24 h / per_day long, aligned."""
    rng = random.Random(seed)
    start0 = int(time.time()) // 86400 * 86400 - 86400
    length = 86400 // per_day
    count = 0
    with open(path, "w", encoding="utf-8", buffering=1024 * 1024) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tv SYSTEM "xmltv.dtd">\n<tv>\n')
        for c in range(channels):
            out.write(f'<channel id="ch{c}.bench"><display-name>Channel {c}</display-name></channel>\n')
        for c in range(channels):
            for i in range(days * per_day):
                start = start0 + i * length
                a = time.strftime("%Y%m%d%H%M%S +0000", time.gmtime(start))
                b = time.strftime("%Y%m%d%H%M%S +0000", time.gmtime(start + length))
                season, episode = rng.randint(1, 9), rng.randint(1, 20)
                out.write(
                    f'<programme start="{a}" stop="{b}" channel="ch{c}.bench">'
                    f'<title lang="en">{escape(_sentence(rng, 3))}</title>'
                    f'<sub-title lang="en">Episode {episode}</sub-title>'
                    f'<desc lang="en">{escape(_sentence(rng, rng.randint(15, 45)))}</desc>'
                    f'<category lang="en">{rng.choice(WORDS).capitalize()}</category>'
                    f'<episode-num system="xmltv_ns">{season - 1}.{episode - 1}.0/1</episode-num>'
                    f'<episode-num system="onscreen">S{season:02d}E{episode:02d}</episode-num>'
                    f'<rating system="VCHIP"><value>TV-PG</value></rating>'
                    "</programme>\n"
                )
                count += 1
        out.write("</tv>\n")
    return count
