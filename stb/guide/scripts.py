"""Search in scripts written without spaces between words: Chinese, Japanese, Thai, Lao, Khmer, Myanmar
(and Korean, whose words carry particles: 뉴스를).

FTS5's word tokenizer sees "新闻联播今晚" as one word, so "新闻" only matches at its start. The
trigram tokenizer cannot find one- and two-character words (新闻 is two). So such text gets a second
index of overlapping character pairs (新闻 闻联 联播 播今 今晚, and the last character alone): any
substring of two or more characters is a set of pairs that must all be there, a single character is
a pair prefix. The pairs are candidates; `contains_all` then keeps the rows that really hold the text.
"""

from __future__ import annotations

import re
import unicodedata

SPACELESS = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u0f00-\u0fff"  # Tibetan
    "\u1000-\u109f"  # Myanmar
    "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"  # Hangul
    "\u1780-\u17ff"  # Khmer
    "\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff"  # 々〆〇, Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # Han extensions
)
RUN = re.compile(f"[{SPACELESS}]+")


def normalised(text: str) -> str:
    """NFKC (half-width kana and full-width letters as their usual forms), case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def has_spaceless(*texts: str | None) -> bool:
    return any(t and not t.isascii() and RUN.search(t) for t in texts)


def pairs(*texts: str | None) -> str:
    """The space-separated character pairs of every spaceless run in ``texts``, for the pair index."""
    out: list[str] = []
    for text in texts:
        for run in RUN.findall(normalised(text)) if text else ():
            out += [run[i : i + 2] for i in range(len(run) - 1)]
            out.append(run[-1])  # so that a single character at the end of a run is found too
    return " ".join(dict.fromkeys(out))  # each pair once: the index keeps no positions anyway


def split_query(text: str) -> tuple[list[str], list[str]]:
    """(words for the word index, spaceless runs for the pair index) of what someone typed."""
    text = normalised(text)
    runs = RUN.findall(text)
    rest = RUN.sub(" ", text)
    words = [w for w in "".join(c if c.isalnum() else " " for c in rest).split() if w]
    return words, runs


def pair_query(runs: list[str]) -> str:
    """An FTS5 query for the pair index: every pair of every run (a lone character as a prefix)."""
    terms = []
    for run in runs:
        terms += [f'"{run}"*'] if len(run) == 1 else [f'"{run[i : i + 2]}"' for i in range(len(run) - 1)]
    return " ".join(dict.fromkeys(terms))


def contains_all(runs: list[str], *texts: str | None) -> bool:
    """Whether the runs really occur in the texts (the pairs could come from different places)."""
    haystack = "\n".join(normalised(t) for t in texts if t)
    return all(run in haystack for run in runs)
