"""Screens over live TV: what a screen is (a Protocol), how it ends (``dismiss``), and the stack that holds them.

As Textual's ``Screen.dismiss(result)`` and ``App.push_screen(screen, callback)``: a screen ends itself and hands
a result to whoever pushed it; nobody else sets its flags. The window closes screens through the stack
(``clear``, ``replace``), which dismisses them the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

Result = Callable[[Any], None]


class Screen(Protocol):
    """Handles named actions, updates on the clock, draws itself; ``context`` names its keymap section."""

    context: str
    opaque: bool  # it covers the whole canvas: nothing under it needs drawing

    @property
    def closed(self) -> bool: ...

    def handle(self, action: str, now: float) -> bool: ...

    def update(self, now: float) -> None: ...

    def draw(self, canvas: Any, now: float) -> None: ...

    def dismiss(self, result: object = None) -> None: ...

    def bind(self, on_result: Result | None) -> None: ...


class Dismissable:
    """What every screen over live TV shares: it ends once, by :meth:`dismiss`, and says so to its pusher."""

    opaque = False
    _closed = False
    _on_result: Result | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    def bind(self, on_result: Result | None) -> None:
        """Called by the stack on push: ``on_result`` gets what the screen ends with."""
        self._on_result = on_result

    def dismiss(self, result: object = None) -> None:
        if self._closed:
            return
        self._closed = True
        if self._on_result is not None:
            self._on_result(result)


class ScreenStack:
    """The screens over live TV, top last. Dismissed screens leave it at the next :meth:`prune`."""

    def __init__(self) -> None:
        self._screens: list[Screen] = []

    def push(self, screen: Screen, on_result: Result | None = None) -> None:
        screen.bind(on_result)
        self._screens.append(screen)

    def replace(self, screen: Screen, on_result: Result | None = None) -> None:
        """A main screen replaces the others (L from the guide opens the list)."""
        self.clear()
        self.push(screen, on_result)

    def clear(self) -> None:
        """Dismiss every screen (standby, a zap from a screen, another box's picture)."""
        for screen in list(self._screens):
            screen.dismiss()
        self._screens = []

    def prune(self) -> None:
        self._screens = [s for s in self._screens if not s.closed]

    @property
    def top(self) -> Screen | None:
        return self._screens[-1] if self._screens else None

    def __iter__(self) -> Iterator[Screen]:
        return iter(list(self._screens))

    def __len__(self) -> int:
        return len(self._screens)

    def __getitem__(self, index: int) -> Screen:
        return self._screens[index]
