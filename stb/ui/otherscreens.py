"""Other screens (the `other_screens` key): the other boxes in the house, and watching what they show.

A row per box, as they appear and go (``Peers.boxes``, a snapshot read each frame): its name and what it
shows. OK on a box offers **Watch here** (mirror its live stream, which follows its zaps), **Tune the
same channel** (from this box's own line-up, matched by channel id, then by name) and **Its recordings**
(the multi-room DVR: a recording made in another room plays here, from where any screen stopped, and where
it stops here is where the others resume). Calling a box this one has no token for pairs with it first:
the other TV shows a code, typed here with the digit keys.
Every call to the other box runs on the network thread; this screen only waits for its ``Outcome``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from stb.lan.discovery import FoundBox
from stb.lan.peers import LiveTarget, Outcome
from stb.lan.remote_recordings import RecordingTarget, RemoteRecording
from stb.lineup.model import Channel, Lineup
from stb.skin.theme import Theme
from stb.ui.fonts import Fonts
from stb.ui.keymap import THROUGH_DIALOGS
from stb.ui.screen import Dismissable
from stb.ui.text import fit
from stb.ui.widgets import centred_text, keys_hint, paragraph, sheet, text

ROW_HEIGHT = 80
LOOK_FOR_S = 8.0  # after this long with nobody found, the screen says so instead of "Looking…"
CODE_LENGTH = 6


class PeersView(Protocol):
    """What the screen needs of ``stb.lan.peers.Peers`` (a fixed list in the previews)."""

    boxes: tuple[FoundBox, ...]
    error: str | None

    def token_for(self, box_id: str) -> str | None: ...
    def begin_pairing(self, box: FoundBox, device_name: str, done: Callable[[Outcome], None]) -> None: ...
    def complete_pairing(self, box: FoundBox, pairing_id: str, code: str, done: Callable[[Outcome], None]) -> None: ...
    def open_live(self, box: FoundBox, done: Callable[[Outcome], None]) -> None: ...
    def list_recordings(self, box: FoundBox, done: Callable[[Outcome], None]) -> None: ...
    def open_recording(self, box: FoundBox, recording: RemoteRecording, done: Callable[[Outcome], None]) -> None: ...


@dataclass
class ScreensHooks:
    peers: PeersView
    lineup: Callable[[], Lineup]
    device_name: Callable[[], str]  # this box's name: how the other TV asks "Pair “Bedroom”?"
    mirror: Callable[[FoundBox, LiveTarget], None]
    tune: Callable[[Channel], None]
    play_recording: Callable[[FoundBox, RecordingTarget], None] = lambda box, target: None


def showing(box: FoundBox) -> str:
    return f"Showing: {box.channel}" if box.channel else "channel hidden"


def same_channel(lineup: Lineup, box: FoundBox) -> Channel | None:
    """The channel ``box`` shows, in this line-up: by id first (the same head-end), then by name."""
    if not box.channel:
        return None
    if box.channel_id:
        found = lineup.by_id(box.channel_id)
        if found is not None:
            return found
    wanted = " ".join(box.channel.split()).casefold()
    return next((c for c in lineup.sorted_channels() if " ".join(c.name.split()).casefold() == wanted), None)


class OtherScreensScreen(Dismissable):
    """States: ``list`` → ``actions`` (one box) → ``busy`` (a call is out) / ``code`` (typing a pairing code) /
    ``recordings`` (the box's recordings)."""

    context = "screens"
    opaque = False

    def __init__(self, theme: Theme, hooks: ScreensHooks) -> None:
        self.theme, self.hooks = theme, hooks
        self.fonts = Fonts(theme.fonts)
        self.state = "list"
        self.focus = 0
        self.focus_id: str | None = None  # the list keeps its focus on a box while others come and go
        self.action = 0
        self.chosen: FoundBox | None = None
        self.busy_text = ""
        self.message = ""
        self.digits = ""
        self.pairing_id: str | None = None
        self.intent = "watch"  # what pairing was for: "watch" or "recordings"
        self.recordings: list[RemoteRecording] = []
        self.recording_focus = 0
        self._generation = 0  # Back while a call is out: its answer, when it comes, is ignored
        self.opened_at: float | None = None  # the first update: "looking" turns into "none found" after a while
        self.now = 0.0

    # -- what is listed ---------------------------------------------------------------------------------
    @property
    def boxes(self) -> tuple[FoundBox, ...]:
        return self.hooks.peers.boxes

    def _current(self) -> FoundBox | None:
        """The chosen box as the latest snapshot has it (its channel moves with its zaps)."""
        if self.chosen is None:
            return None
        return next((b for b in self.boxes if b.box_id == self.chosen.box_id), self.chosen)

    def _actions(self, box: FoundBox) -> list[tuple[str, bool]]:
        """(label, enabled) for the chosen box."""
        if not box.channel:
            tune = ("Tune the same channel: its channel is hidden", False)
        elif same_channel(self.hooks.lineup(), box) is None:
            tune = (f"{box.channel} is not in this box's line-up", False)
        else:
            tune = ("Tune the same channel", True)
        return [("Watch here", True), tune, ("Its recordings", True)]

    # -- input ----------------------------------------------------------------------------------------
    def handle(self, action: str, now: float) -> bool:
        if action in THROUGH_DIALOGS:
            return False
        handler = {"list": self._list_key, "actions": self._actions_key, "busy": self._busy_key,
                   "code": self._code_key, "recordings": self._recordings_key}[self.state]  # fmt: skip
        handler(action)
        return True  # the screen keeps the keys: a digit here must not zap live TV

    def _list_key(self, action: str) -> None:
        boxes = self.boxes
        if action in ("up", "down") and boxes:
            self.focus = (self._focus_index() + (1 if action == "down" else -1)) % len(boxes)
            self.focus_id = boxes[self.focus].box_id
        elif action == "ok" and boxes:
            self.chosen = boxes[self._focus_index()]
            self.state, self.action, self.message = "actions", 0, ""
        elif action in ("back", "other_screens", "menu"):
            self.dismiss()

    def _focus_index(self) -> int:
        boxes = self.boxes
        if self.focus_id is not None:
            for i, box in enumerate(boxes):
                if box.box_id == self.focus_id:
                    self.focus = i
                    return i
        self.focus = min(self.focus, max(0, len(boxes) - 1))
        return self.focus

    def _actions_key(self, action: str) -> None:
        box = self._current()
        if box is None or action == "back":
            self.state, self.message = "list", ""
            return
        items = self._actions(box)
        if action in ("up", "down"):
            self.action = (self.action + (1 if action == "down" else -1)) % len(items)
        elif action == "ok":
            label, enabled = items[self.action]
            if not enabled:
                self.message = label
            elif self.action == 0:
                self.intent = "watch"
                self._watch(box)
            elif self.action == 2:
                self.intent = "recordings"
                self._list_recordings(box)
            else:
                channel = same_channel(self.hooks.lineup(), box)
                if channel is not None:
                    self.hooks.tune(channel)
                    self.dismiss()

    def _busy_key(self, action: str) -> None:
        if action == "back":
            self._generation += 1
            self.state, self.message = "actions", ""

    def _code_key(self, action: str) -> None:
        box = self._current()
        if action.startswith("digit_") and box is not None and self.pairing_id is not None:
            self.digits += action[6:]
            self.message = ""
            if len(self.digits) == CODE_LENGTH:
                code, self.digits = self.digits, ""
                self._busy(f"Checking the code with {box.name}…")
                self.hooks.peers.complete_pairing(box, self.pairing_id, code, self._answer(self._paired))
        elif action == "back":
            if self.digits:
                self.digits = self.digits[:-1]
            else:
                self.state, self.message = "actions", ""

    # -- the calls to the other box -------------------------------------------------------------------
    def _busy(self, text_: str) -> None:
        self.state, self.busy_text, self.message = "busy", text_, ""
        self._generation += 1

    def _answer(self, then: Callable[[FoundBox, Outcome], None]) -> Callable[[Outcome], None]:
        """``then`` for the answer of the call just made, unless Back (or another call) came in between."""
        generation, box = self._generation, self._current()

        def deliver(outcome: Outcome) -> None:
            if generation == self._generation and not self.closed and box is not None:
                then(box, outcome)

        return deliver

    def _watch(self, box: FoundBox) -> None:
        if box.pairing_required and self.hooks.peers.token_for(box.box_id) is None:
            self._pair(box)
            return
        self._busy(f"Connecting to {box.name}…")
        self.hooks.peers.open_live(box, self._answer(self._opened))

    def _opened(self, box: FoundBox, outcome: Outcome) -> None:
        if outcome.ok:
            self.hooks.mirror(box, outcome.value)
            self.dismiss()
        elif outcome.status == 401:  # no token, or this box was removed from its paired devices
            self._pair(box)
        else:
            self._failed(outcome)

    def _pair(self, box: FoundBox) -> None:
        self._busy(f"Asking {box.name} to pair…")
        self.hooks.peers.begin_pairing(box, self.hooks.device_name(), self._answer(self._pairing_started))

    def _pairing_started(self, box: FoundBox, outcome: Outcome) -> None:
        if outcome.ok:
            self.state, self.pairing_id, self.digits, self.message = "code", outcome.value, "", ""
        else:
            self._failed(outcome)

    def _paired(self, box: FoundBox, outcome: Outcome) -> None:
        if outcome.ok:
            (self._list_recordings if self.intent == "recordings" else self._watch)(box)
        elif outcome.status == 403:  # a wrong code: type it again (the other box counts the tries)
            self.state, self.message = "code", f"Wrong code: {outcome.error}"
        else:
            self._failed(outcome)

    def _failed(self, outcome: Outcome) -> None:
        what = "Could not list its recordings" if self.intent == "recordings" else "Could not watch"
        self.state, self.message = "actions", f"{what}: {outcome.error}"

    # -- its recordings (the multi-room DVR) -----------------------------------------------------------
    def _list_recordings(self, box: FoundBox) -> None:
        if box.pairing_required and self.hooks.peers.token_for(box.box_id) is None:
            self._pair(box)
            return
        self._busy(f"Asking {box.name} for its recordings…")
        self.hooks.peers.list_recordings(box, self._answer(self._listed))

    def _listed(self, box: FoundBox, outcome: Outcome) -> None:
        if outcome.ok:
            self.state, self.recordings, self.recording_focus = "recordings", list(outcome.value), 0
            self.message = "" if self.recordings else f"{box.name} has no recordings"
        elif outcome.status == 401:
            self._pair(box)
        else:
            self._failed(outcome)

    def _recordings_key(self, action: str) -> None:
        box = self._current()
        if box is None or action == "back":
            self.state, self.message = "actions", ""
            return
        if action in ("up", "down") and self.recordings:
            self.recording_focus = (self.recording_focus + (1 if action == "down" else -1)) % len(self.recordings)
        elif action == "ok" and self.recordings:
            recording = self.recordings[self.recording_focus]
            self._busy(f"Opening {recording.title}…")
            self.hooks.peers.open_recording(box, recording, self._answer(self._recording_opened))

    def _recording_opened(self, box: FoundBox, outcome: Outcome) -> None:
        if outcome.ok:
            self.hooks.play_recording(box, outcome.value)
            self.dismiss()
        elif outcome.status == 401:
            self._pair(box)
        else:
            self.state, self.message = "recordings", f"Could not play it: {outcome.error}"

    def update(self, now: float) -> None:
        if self.opened_at is None:
            self.opened_at = now
        self.now = now

    # -- drawing --------------------------------------------------------------------------------------
    def draw(self, canvas, now: float) -> None:
        t = self.theme
        rect = sheet(canvas, t, self.fonts, "Other screens")
        small = self.fonts.get(t.font_small)
        box = self._current()
        if self.state == "list" or box is None:
            self._draw_list(canvas, rect)
            hint = keys_hint(("OK", "watch or tune the same channel"), ("Back", "close"))
        else:
            self._draw_box(canvas, rect, box)
            hint = {"actions": keys_hint(("OK", "choose"), ("Back", "the list")),
                    "recordings": keys_hint(("OK", "play here"), ("Back", "its actions")),
                    "busy": keys_hint(("Back", "stop waiting")),
                    "code": keys_hint(("Digits", "the code"), ("Back", "erase"))}[self.state]  # fmt: skip
        if self.message:
            text(canvas, small, self.message, t.warning, (rect.x + 28, rect.bottom - 56 - small.get_height()),
                 rect.width - 56)  # fmt: skip
        text(canvas, small, hint, t.text_dim, (rect.x + 28, rect.bottom - 20 - small.get_height()), rect.width - 56)

    def _draw_list(self, canvas, rect) -> None:
        import pygame

        t = self.theme
        medium, small = self.fonts.get(t.font_medium), self.fonts.get(t.font_small)
        boxes = self.boxes
        if not boxes:
            error = getattr(self.hooks.peers, "error", None)
            waited = self.now - self.opened_at if self.opened_at is not None else 0.0
            if error:
                line = f"Not looking: {error}"
            elif waited < LOOK_FOR_S:
                line = "Looking for other boxes on the network…"
            else:  # mDNS answers within a second or two: by now there is nobody, and the viewer is told
                line = ("No other boxes found on this network. Other stb boxes show up here by themselves "
                        "when they are switched on and on the same network.")  # fmt: skip
            paragraph(canvas, small, line, t.text_dim, (rect.x + 28, rect.y + 80), rect.width - 56, 4)
            return
        focus = self._focus_index()
        y = rect.y + 76
        height = max(ROW_HEIGHT, medium.get_height() + small.get_height() + 24)  # a skin's larger fonts fit
        for i, box in enumerate(boxes[: (rect.height - 190) // height]):
            row = pygame.Rect(rect.x + 12, y, rect.width - 24, height - 8)
            focused = i == focus
            if focused:
                pygame.draw.rect(canvas, t.accent, row, border_radius=t.radius // 2)
            text(canvas, medium, box.name, t.focus_text if focused else t.text, (row.x + 16, row.y + 6),
                 row.width - 32)  # fmt: skip
            text(canvas, small, showing(box), t.focus_text if focused else t.text_dim,
                 (row.x + 16, row.y + 12 + medium.get_height()), row.width - 32)  # fmt: skip
            y += height

    def _draw_box(self, canvas, rect, box: FoundBox) -> None:
        import pygame

        t = self.theme
        large, medium, small = (self.fonts.get(t.font_large, bold=True), self.fonts.get(t.font_medium),
                                self.fonts.get(t.font_small))  # fmt: skip
        x, width = rect.x + 28, rect.width - 56
        text(canvas, large, box.name, t.text, (x, rect.y + 76), width)
        text(canvas, small, showing(box), t.text_dim, (x, rect.y + 84 + large.get_height()), width)
        y = rect.y + 150 + large.get_height()
        if self.state == "actions":
            for i, (label, enabled) in enumerate(self._actions(box)):
                row = pygame.Rect(rect.x + 12, y, rect.width - 24, 48)
                focused = i == self.action
                if focused:
                    pygame.draw.rect(canvas, t.accent, row, border_radius=t.radius // 2)
                colour = t.focus_text if focused else (t.text if enabled else t.text_dim)
                text(canvas, small, fit(small, label, row.width - 32), colour,
                     (row.x + 16, row.centery - small.get_height() // 2))  # fmt: skip
                y += 56
        elif self.state == "recordings":
            self._draw_recordings(canvas, rect, y - 16)
        elif self.state == "busy":
            text(canvas, medium, self.busy_text, t.text, (x, y), width)
        elif self.state == "code":
            text(canvas, small, f"Type the code shown on the TV “{box.name}”:", t.text, (x, y), width)
            self._draw_code(canvas, (rect.centerx, y + 90))

    def _draw_code(self, canvas, centre: tuple[int, int]) -> None:
        """Six boxes; the digits typed so far are shown (the code is no secret on this side: it is on the other TV)."""
        import pygame

        t = self.theme
        font = self.fonts.get(t.font_medium, bold=True)
        size, gap = 52, 14
        x = centre[0] - (CODE_LENGTH * size + (CODE_LENGTH - 1) * gap + gap) // 2
        for i in range(CODE_LENGTH):
            cell = pygame.Rect(x + i * (size + gap) + (gap if i >= 3 else 0), centre[1] - size // 2, size, size)
            pygame.draw.rect(canvas, t.surface_raised, cell, border_radius=8)
            if i < len(self.digits):
                centred_text(canvas, font, self.digits[i], t.text, cell.centerx, cell.centery - font.get_height() // 2)
            elif i == len(self.digits):
                pygame.draw.rect(canvas, t.accent, cell, width=3, border_radius=8)

    def _draw_recordings(self, canvas, rect, top: int) -> None:
        """The other box's recordings, a window of rows around the focused one."""
        import pygame

        t = self.theme
        medium, small = self.fonts.get(t.font_medium), self.fonts.get(t.font_small)
        height = medium.get_height() + small.get_height() + 20
        fits = max(1, (rect.bottom - 110 - top) // height)
        first = min(max(0, self.recording_focus - fits // 2), max(0, len(self.recordings) - fits))
        y = top
        for i, recording in enumerate(self.recordings[first : first + fits], start=first):
            row = pygame.Rect(rect.x + 12, y, rect.width - 24, height - 6)
            focused = i == self.recording_focus
            if focused:
                pygame.draw.rect(canvas, t.accent, row, border_radius=t.radius // 2)
            title, details = describe_remote(recording)
            text(canvas, medium, fit(medium, title, row.width - 32), t.focus_text if focused else t.text,
                 (row.x + 16, row.y + 6))  # fmt: skip
            text(canvas, small, fit(small, details, row.width - 32), t.focus_text if focused else t.text_dim,
                 (row.x + 16, row.y + 10 + medium.get_height()))  # fmt: skip
            y += height


def describe_remote(recording: RemoteRecording) -> tuple[str, str]:
    """A row's two lines: title and episode and "channel · date · 45 min · Resume at 12 min"."""
    title = f"{recording.title}: {recording.episode}" if recording.episode else recording.title
    when = time.strftime("%a %d %b %H:%M", time.localtime(recording.start))
    if recording.state == "recording":
        status = "Recording now"
    elif recording.watched:
        status = "Watched"
    elif recording.position > 0:
        status = f"Resume at {int(recording.position // 60)} min"
    else:
        status = "New"
    return title, f"{recording.channel_name} · {when} · {max(1, round(recording.duration / 60))} min · {status}"
