"""Typing a channel number on the remote: digits show at once, commit after a pause or on OK."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

COMMIT_AFTER_S = 2.0
MAX_DIGITS = 4


@dataclass
class NumberEntry:
    digits: str = ""
    deadline: float = 0.0

    @property
    def active(self) -> bool:
        return bool(self.digits)

    def press(self, digit: int, now: float, numbers: Iterable[int] | None = None) -> int | None:
        """Add a digit; returns the number when it cannot grow any further (commit at once).

        With ``numbers`` (the line-up's), "cannot grow" also means no channel number starts with what was
        typed and is longer: "7" on a box with channels 1–12 tunes at once instead of after the pause.
        """
        self.digits += str(digit)
        self.deadline = now + COMMIT_AFTER_S
        if len(self.digits) >= MAX_DIGITS:
            return self.commit()
        if numbers is not None and self.digits.lstrip("0"):
            typed = self.digits.lstrip("0")
            if not any(len(str(n)) > len(typed) and str(n).startswith(typed) for n in numbers):
                return self.commit()
        return None

    def due(self, now: float) -> int | None:
        """The number to tune when the pause is over, else None."""
        if self.digits and now >= self.deadline:
            return self.commit()
        return None

    def commit(self) -> int | None:
        number, self.digits = self.digits, ""
        return int(number) if number else None
