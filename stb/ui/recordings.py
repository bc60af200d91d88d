"""The Recordings screen: what the box recorded, grouped by series, with new/watched, and free space.

OK plays the focused recording on the TV (from where it was left); the red key deletes it after a
confirm whose focused button is Cancel. The list is the recorder's last view (asked again on opening);
the screen never waits for the recorder.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from stb.pvr.library import Meta
from stb.pvr.service import PvrView
from stb.skin.theme import Theme
from stb.tv.recordings import TvRecordings
from stb.ui.confirm import ConfirmDialog
from stb.ui.fonts import Fonts
from stb.ui.keymap import THROUGH_DIALOGS
from stb.ui.screen import Dismissable, Screen
from stb.ui.widgets import keys_hint, paragraph, sheet, text

ROW_HEIGHT = 62
HEAD_HEIGHT = 40


@dataclass(frozen=True)
class Row:
    """A series heading (``meta`` None) or one recording."""

    heading: str
    meta: Meta | None = None


def rows_of(view: PvrView | None) -> list[Row]:
    """Series by their newest recording, each heading followed by its recordings newest first (a single
    recording needs no heading: its row says its title)."""
    if view is None:
        return []
    by_id = {m.id: m for m in view.recordings}
    rows: list[Row] = []
    for _, ids in view.series:
        metas = [by_id[i] for i in ids if i in by_id]
        if len(metas) > 1:
            rows.append(Row(f"{metas[0].title}  ({len(metas)})"))
        rows += [Row(m.title, m) for m in metas]
    return rows


def describe(meta: Meta) -> tuple[str, str]:
    """The row's two lines: title and episode and, dim, "channel · date · 45 min · New"."""
    episode = meta.sub_title or (f"Episode {meta.episode}" if meta.episode else "")
    episode = f"{meta.title}: {episode}" if episode else meta.title
    when = time.strftime("%a %d %b %H:%M", time.localtime(meta.start))
    if meta.state == "recording":
        status = "Recording now"
    elif meta.watched:
        status = "Watched"
    elif meta.position > 0:
        status = f"Resume at {int(meta.position // 60)} min"
    else:
        status = "New"
    if meta.state in ("partial", "failed") and meta.reason:
        status += f" · {meta.reason}"
    return episode, f"{meta.channel_name} · {when} · {max(1, round(meta.duration / 60))} min · {status}"


def size_text(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


class RecordingsScreen(Dismissable):
    """Ends with "play" when a recording was put on screen, None when closed."""

    context = "recordings"
    opaque = False

    def __init__(self, recordings: TvRecordings, theme: Theme, push: Callable[[Screen], None],
                 confirm_theme: Theme | None = None) -> None:  # fmt: skip
        self.recordings, self.theme, self.push = recordings, theme, push
        self.confirm_theme = confirm_theme or theme
        self.fonts = Fonts(theme.fonts)
        self.focus = 0  # index among the recordings (headings are skipped)
        self.top = 0  # first row drawn
        recordings.refresh()

    def metas(self) -> list[Meta]:
        return [row.meta for row in rows_of(self.recordings.view) if row.meta is not None]

    def focused(self) -> Meta | None:
        metas = self.metas()
        return metas[min(self.focus, len(metas) - 1)] if metas else None

    def handle(self, action: str, now: float) -> bool:
        metas = self.metas()
        if action in ("up", "down") and metas:
            self.focus = (min(self.focus, len(metas) - 1) + (1 if action == "down" else -1)) % len(metas)
        elif action == "ok" and (meta := self.focused()) is not None:
            if self.recordings.play(meta):
                self.dismiss("play")
        elif action == "red" and (meta := self.focused()) is not None:
            self._ask_delete(meta)
        elif action in ("back", "recordings"):
            self.dismiss()
        return action not in THROUGH_DIALOGS

    def _ask_delete(self, meta: Meta) -> None:
        def delete() -> None:
            self.recordings.delete(meta)

        title, facts = describe(meta)
        body = f"{title} ({facts.rsplit(' · ', 1)[0]}). Its files are removed from the disk."
        self.push(ConfirmDialog("Delete this recording?", body, "Delete", self.confirm_theme, delete))

    def update(self, now: float) -> None:
        pass

    def draw(self, canvas, now: float) -> None:
        import pygame

        t = self.theme
        rect = sheet(canvas, t, self.fonts, "Recordings")
        small, bold = self.fonts.get(t.font_small), self.fonts.get(t.font_small, bold=True)
        view = self.recordings.view
        bottom = rect.bottom - 28 - 2 * small.get_linesize() - 8
        if view is None or not view.recordings:
            note = ("Asking the recorder…" if view is None and self.recordings.available else
                    "Nothing recorded yet. R records the channel on screen; the guide's details record a "
                    "programme or a series." if self.recordings.available else
                    "Recording needs the box's network side.")  # fmt: skip
            paragraph(canvas, small, note, t.text_dim, (rect.x + 28, rect.y + 80), rect.width - 56, 3)
        else:
            rows, focused = rows_of(view), self.focused()
            index = next((i for i, r in enumerate(rows) if r.meta is not None and r.meta is focused), 0)
            heights = [ROW_HEIGHT if r.meta is not None else HEAD_HEIGHT for r in rows]
            room = bottom - (rect.y + 72)
            self.top = min(self.top, index)
            while sum(heights[self.top : index + 1]) > room:
                self.top += 1
            y = rect.y + 72
            for row, h in zip(rows[self.top :], heights[self.top :], strict=True):
                if y + h > bottom:
                    break
                if row.meta is None:
                    text(canvas, bold, row.heading, t.accent, (rect.x + 28, y + 10), rect.width - 56)
                else:
                    self._draw_row(canvas, pygame.Rect(rect.x + 12, y, rect.width - 24, h - 6), row.meta,
                                   row.meta is focused)  # fmt: skip
                y += h
        free = f"Free: {size_text(view.free_bytes)}" if view is not None else ""
        text(canvas, small, free, t.text, (rect.x + 28, rect.bottom - 28 - 2 * small.get_linesize()))
        hint = keys_hint(("OK", "play"), ("Red", "delete"), ("Back", "close"))
        text(canvas, small, hint, t.text_dim, (rect.x + 28, rect.bottom - 24 - small.get_linesize()), rect.width - 56)

    def _draw_row(self, canvas, row, meta: Meta, focused: bool) -> None:
        import pygame

        t = self.theme
        small, bold = self.fonts.get(t.font_small), self.fonts.get(t.font_small, bold=True)
        if focused:
            pygame.draw.rect(canvas, t.accent, row, border_radius=t.radius // 2)
        episode, facts = describe(meta)
        x = row.x + 16
        if meta.state == "recording" or (not meta.watched and meta.position <= 0):  # a dot: new, red: recording
            colour = t.error if meta.state == "recording" else (t.focus_text if focused else t.accent)
            pygame.draw.circle(canvas, colour, (x + 5, row.y + 8 + bold.get_height() // 2), 5)
        x += 20
        text(canvas, bold, episode, t.focus_text if focused else t.text, (x, row.y + 6), row.right - 16 - x)
        text(canvas, small, facts, t.focus_text if focused else t.text_dim, (x, row.y + 8 + bold.get_linesize()),
             row.right - 16 - x)  # fmt: skip
