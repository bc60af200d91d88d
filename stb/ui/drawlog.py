"""What the screens drew this frame: panels (always, cheaply) and, while recording, every text too.

Two users. Toasts ask which panels are on screen so they can go where nothing is (``occupied``). The
render checks (:mod:`stb.ui.layoutrules`, `stb skin check`) record a whole preview render — each text
with its font size, the string asked for and the one shown, the room it was given — and judge the
layout from that record instead of from pixels. Screens draw through ``stb.ui.widgets``, which reports
here; a part drawn on a piece of its own (the guide's rows) is placed with :func:`place`, so its
records move with it onto the canvas.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Drawn:
    """One thing drawn: ``kind`` is "text", "panel" or "toast"; ``rect`` is (x, y, width, height)."""

    kind: str
    rect: tuple[int, int, int, int]
    size: int = 0  # a text's font size in pixels on the 1280x720 canvas
    value: str = ""  # the text asked for
    shown: str = ""  # the text drawn (cut with "…" when it did not fit)
    room: int | None = None  # the width the text was given, if any
    full_width: int = 0  # the width the whole text needs

    @property
    def cut(self) -> bool:
        return self.kind == "text" and self.shown != self.value

    def moved(self, dx: int, dy: int) -> Drawn:
        x, y, w, h = self.rect
        return replace(self, rect=(x + dx, y + dy, w, h))


@dataclass
class DrawLog:
    """Records per surface; ``detail`` also records texts (for checks: slower, never on a running box)."""

    detail: bool = False
    _records: dict[int, tuple[object, list[Drawn]]] = field(default_factory=dict)

    def add(self, surface, item: Drawn) -> None:
        if item.kind == "text" and not self.detail:
            return
        entry = self._records.get(id(surface))
        if entry is None or entry[0] is not surface:
            entry = self._records[id(surface)] = (surface, [])  # the surface is kept: its id stays its own
        entry[1].append(item)

    def on(self, surface) -> list[Drawn]:
        entry = self._records.get(id(surface))
        return list(entry[1]) if entry is not None and entry[0] is surface else []

    def clear(self, surface=None) -> None:
        if surface is None:
            self._records.clear()
        else:
            self._records.pop(id(surface), None)


_log = DrawLog()


def active() -> DrawLog:
    return _log


def new_frame() -> None:
    """The window starts a frame: what was on screen before is gone."""
    _log.clear()


@contextmanager
def recording() -> Iterator[DrawLog]:
    """Record everything drawn inside the block (a preview render) in a log of its own."""
    global _log
    previous, _log = _log, DrawLog(detail=True)
    try:
        yield _log
    finally:
        _log = previous


def add(surface, item: Drawn) -> None:
    _log.add(surface, item)


def place(canvas, piece, pos: tuple[int, int]) -> None:
    """``piece`` was blitted onto ``canvas`` at ``pos``: what was drawn on it is now on the canvas there."""
    if _log.detail:
        for item in _log.on(piece):
            _log.add(canvas, item.moved(*pos))


def occupied(canvas) -> list[tuple[int, int, int, int]]:
    """The panels and toasts on ``canvas`` this frame: where another toast should not go."""
    return [d.rect for d in _log.on(canvas) if d.kind in ("panel", "toast")]
