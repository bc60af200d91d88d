"""Wrong pairing codes per client address, and the lock-outs they earn, kept across restarts.

A code that expires must not forgive the guesses made against it (four wrong codes, let it expire, repeat
was ~2,900 tries a day), and one address's guesses must not lock the whole household out. So each address
has its own sliding window of wrong codes; the fifth in the window locks that address out, for a minute the
first time and twice as long each time after (for a day, or until it pairs). The book is a state file
(atomic, 0600 like the others): a restart does not erase a lock-out or its doubling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stb.config import JsonStore

WRONG_WINDOW_S = 3600.0  # wrong codes older than this are forgiven
MAX_WRONG = 5  # wrong codes in the window that earn a lock-out
FIRST_LOCKOUT_S = 60.0
MAX_LOCKOUT_S = 3600.0
REMEMBER_LOCKOUTS_S = 86400.0  # a lock-out doubles the next one for a day
MAX_ADDRESSES = 1024  # the book's size is bounded: the oldest records go first


@dataclass
class AddressRecord:
    wrong: list[float] = field(default_factory=list)  # times of wrong codes, oldest first
    lockouts: int = 0
    locked_until: float = 0.0
    last_lockout: float = 0.0

    def touched(self) -> float:
        return max([self.last_lockout, self.locked_until, *self.wrong])


@dataclass
class LockoutBook:
    addresses: dict[str, AddressRecord] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> LockoutBook:
        if not isinstance(data, dict) or not isinstance(data.get("addresses", {}), dict):
            raise ValueError("expected an object with the addresses")
        book = cls()
        for address, raw in data.get("addresses", {}).items():
            try:
                wrong = [float(t) for t in raw.get("wrong", [])][-MAX_WRONG * 4 :]
                record = AddressRecord(wrong, int(raw.get("lockouts", 0)), float(raw.get("locked_until", 0.0)),
                                       float(raw.get("last_lockout", 0.0)))  # fmt: skip
            except (AttributeError, TypeError, ValueError):
                raise ValueError(f"addresses[{address!r}] is not a lock-out record") from None
            book.addresses[str(address)[:64]] = record
        return book

    def to_json(self) -> dict[str, Any]:
        return {"addresses": {a: vars(r) for a, r in self.addresses.items()}}


class LockoutStore(JsonStore[LockoutBook]):
    FILE = "pairing-lockouts.json"
    LABEL = "pairing lock-outs"
    MODEL = LockoutBook


class Lockouts:
    """The book and its rules; the caller (``Auth``) holds its lock around every call."""

    def __init__(self, store: LockoutStore) -> None:
        self.store = store
        self.book = store.load()

    def locked_for(self, address: str, now: float) -> float:
        """Seconds ``address`` is still locked out (0: not)."""
        record = self.book.addresses.get(address)
        return max(0.0, record.locked_until - now) if record is not None else 0.0

    def wrong_code(self, address: str, now: float) -> float:
        """Count a wrong code from ``address``; the seconds of the lock-out it earned (0: none), saved."""
        record = self.book.addresses.setdefault(address, AddressRecord())
        record.wrong = [t for t in record.wrong if now - t < WRONG_WINDOW_S] + [now]
        earned = 0.0
        if len(record.wrong) >= MAX_WRONG:
            if now - record.last_lockout >= REMEMBER_LOCKOUTS_S:
                record.lockouts = 0
            record.lockouts += 1
            earned = min(FIRST_LOCKOUT_S * 2 ** (record.lockouts - 1), MAX_LOCKOUT_S)
            record.locked_until, record.last_lockout = now + earned, now
            record.wrong = []  # the lock-out paid for them; the next ones count afresh, and the next lock-out doubles
        self._save(now)
        return earned

    def tries_left(self, address: str, now: float) -> int:
        record = self.book.addresses.get(address)
        recent = [t for t in record.wrong if now - t < WRONG_WINDOW_S] if record is not None else []
        return max(0, MAX_WRONG - len(recent))

    def paired(self, address: str, now: float) -> None:
        """``address`` gave the right code: its record is forgotten."""
        if self.book.addresses.pop(address, None) is not None:
            self._save(now)

    def _save(self, now: float) -> None:
        stale = [a for a, r in self.book.addresses.items()
                 if now - r.touched() > max(WRONG_WINDOW_S, REMEMBER_LOCKOUTS_S)]  # fmt: skip
        for address in stale:
            del self.book.addresses[address]
        if len(self.book.addresses) > MAX_ADDRESSES:
            oldest = sorted(self.book.addresses, key=lambda a: self.book.addresses[a].touched())
            for address in oldest[: len(oldest) - MAX_ADDRESSES]:
                del self.book.addresses[address]
        self.store.save(self.book)
