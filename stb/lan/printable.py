"""Strings from the LAN made safe to print or draw: control and format characters shown as escapes.

A TXT record, an instance name or a device's name comes from anyone on the LAN; printed raw, an escape
sequence retitles a terminal, clears it or fakes lines, and a bidi override (Cf) reorders what a
person reads. Every such character (Unicode categories Cc and Cf) becomes a visible ``\\xNN`` /
``\\uNNNN`` escape, so nothing is hidden and nothing acts.
"""

from __future__ import annotations

import unicodedata

__all__ = ["printable"]


def printable(text: str, limit: int = 255) -> str:
    """``text`` with every Cc/Cf character escaped, cut to ``limit`` characters (an ellipsis says so)."""
    out = []
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(char)
    shown = "".join(out)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
