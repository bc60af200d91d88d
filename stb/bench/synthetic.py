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


# Words of the languages real guides come in; spaceless scripts have no spaces between words.
_LANGUAGE_WORDS = {
    "en": (" ", "news weather sport live final city united world report morning evening story island secret"),
    "de": (" ", "Nachrichten Wetter Sport Tagesschau Krimi Dokumentation Familie Abenteuer Geschichte"),
    "ru": (" ", "новости погода спорт фильм сериал история природа концерт детектив"),
    "zh": ("", "新闻 天气 体育 电视剧 纪录片 综艺 少儿 财经 联播 节目 今日 国际"),
    "ja": ("", "ニュース 天気 ドラマ スポーツ アニメ 映画 特集 きょう 番組 情報"),
    "th": ("", "ข่าว สภาพอากาศ กีฬา ละคร สารคดี ภาพยนตร์ รายการ วันนี้"),
}
LANGUAGES = {lang: (sep, words.split()) for lang, (sep, words) in _LANGUAGE_WORDS.items()}
NAMES = ["Anna Berg", "Chen Wei", "Sato Yuki", "Ivan Petrov", "Somchai Dee", "Maria Rossi", "John Smith"]


def _text(rng: random.Random, lang: str, n: int) -> str:
    sep, words = LANGUAGES[lang]
    return escape(sep.join(rng.choice(words) for _ in range(n)))


def write_real_guide(path: Path, channels: int, days: int, seed: int = 2) -> int:
    """A guide shaped like real ones: channels in six languages (three written without spaces),
    programmes of uneven length, descriptions up to ~2 KB, credits, icons, several categories,
    episode numbers in both systems. Returns the number of programmes."""
    rng = random.Random(seed)
    start0 = int(time.time()) // 86400 * 86400 - 86400
    langs = list(LANGUAGES)
    count = 0
    with open(path, "w", encoding="utf-8", buffering=1024 * 1024) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tv SYSTEM "xmltv.dtd">\n<tv>\n')
        for c in range(channels):
            lang = langs[c % len(langs)]
            name = f'<display-name lang="{lang}">{_text(rng, lang, 2)} {c}</display-name>'
            out.write(f'<channel id="real{c}.{lang}">{name}<icon src="http://logos.test/{c}.png"/></channel>\n')
        for c in range(channels):
            lang = langs[c % len(langs)]
            t = start0
            while t < start0 + days * 86400:
                length = rng.choice((5, 10, 15, 25, 30, 45, 50, 60, 90, 120)) * 60
                a = time.strftime("%Y%m%d%H%M%S +0000", time.gmtime(t))
                b = time.strftime("%Y%m%d%H%M%S +0000", time.gmtime(t + length))
                cast = "".join(f"<actor>{rng.choice(NAMES)}</actor>" for _ in range(rng.randint(0, 6)))
                season, episode = rng.randint(1, 9), rng.randint(1, 30)
                out.write(
                    f'<programme start="{a}" stop="{b}" channel="real{c}.{lang}">'
                    f'<title lang="{lang}">{_text(rng, lang, rng.randint(1, 4))}</title>'
                    f'<sub-title lang="{lang}">{_text(rng, lang, 3)}</sub-title>'
                    f'<desc lang="{lang}">{_text(rng, lang, rng.randint(20, 300))}</desc>'
                    f"<credits><director>{rng.choice(NAMES)}</director>{cast}</credits>"
                    f"<date>{rng.randint(1970, 2025)}</date>"
                    + "".join(
                        f'<category lang="{lang}">{_text(rng, lang, 1)}</category>' for _ in range(rng.randint(1, 3))
                    )
                    + f'<icon src="http://img.test/{c}/{count}.jpg"/>'
                    f'<episode-num system="xmltv_ns">{season - 1}.{episode - 1}.</episode-num>'
                    f"<episode-num>S{season}E{episode}</episode-num>"
                    '<rating system="FSK"><value>12</value></rating>'
                    "</programme>\n"
                )
                t += length
                count += 1
        out.write("</tv>\n")
    return count
