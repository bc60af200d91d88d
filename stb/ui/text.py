"""Text that stays inside its box: one line cut with an ellipsis, paragraphs wrapped to N lines."""

from __future__ import annotations

ELLIPSIS = "…"


def fit(font, text: str, width: int) -> str:
    """``text`` cut with an ellipsis so it renders within ``width`` pixels ("" if not even "…" fits)."""
    if font.size(text)[0] <= width:
        return text
    if font.size(ELLIPSIS)[0] > width:
        return ""
    lo, hi = 0, len(text)  # binary search: a title is cut in ~6 measurements, not one per letter
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if font.size(text[:mid].rstrip() + ELLIPSIS)[0] <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + ELLIPSIS


def wrap(font, text: str, width: int, max_lines: int) -> list[str]:
    """Words laid into lines of at most ``width`` pixels; the last line ends with "…" if text is left over."""
    lines: list[str] = []
    words = text.split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        if font.size(line)[0] > width:  # one word longer than the line: cut it
            lines.append(fit(font, line, width))
            continue
        while words and font.size(f"{line} {words[0]}")[0] <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words and lines:
        lines[-1] = fit(font, f"{lines[-1]} {' '.join(words)}", width)
        if not lines[-1].endswith(ELLIPSIS):
            lines[-1] = fit(font, lines[-1] + ELLIPSIS + ELLIPSIS, width)
    return lines
