"""The parental lock's rules: which programme needs the PIN, checking it, and the back-off after wrong ones.

Pure logic, driven by the UI thread with an explicit ``now`` (wall-clock epoch seconds) so tests need no
sleeping. The lock mutates the :class:`~stb.settings.ParentalSettings` it is given and raises ``dirty``;
the caller saves them through :class:`~stb.settings.SettingsStore`, failure counters included, so a
reboot hands out no fresh tries.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stb.settings import ParentalSettings

MAX_AGE = 21
MAX_TRIES = 3  # wrong PINs in a row before the first lock-out
FIRST_LOCKOUT_S = 30.0
MAX_LOCKOUT_S = 15 * 60.0

# scrypt with fixed costs (~16 MiB, well under 100 ms here). The costs are not stored in the hash on
# purpose: a hand-edited settings file must not be able to make the box hash with n=2**30.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_SALT_BYTES = 16
_PIN_HASH_RE = re.compile(rf"scrypt\$([0-9a-f]{{{2 * _SALT_BYTES}}})\$([0-9a-f]{{{2 * _SCRYPT['dklen']}}})")
_PIN_RE = re.compile(r"[0-9]{4}")


# -- PIN hashing -----------------------------------------------------------------------------------------
def check_pin_format(pin: object) -> str:
    """Return ``pin`` if it is exactly four ASCII digits, else raise ValueError (what a remote can type)."""
    if not isinstance(pin, str) or not _PIN_RE.fullmatch(pin):
        raise ValueError("the PIN must be exactly 4 digits")
    return pin


def hash_pin(pin: str) -> str:
    """A salted slow hash, ``scrypt$<salt-hex>$<hash-hex>``: the settings file never holds the PIN itself."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.scrypt(check_pin_format(pin).encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def is_pin_hash(value: object) -> bool:
    """Whether ``value`` has the form :func:`hash_pin` writes (settings validation uses it)."""
    return isinstance(value, str) and _PIN_HASH_RE.fullmatch(value) is not None


def verify_pin(pin: str, encoded: str) -> bool:
    """Constant-time check of ``pin`` against a :func:`hash_pin` string; False for anything malformed."""
    match = _PIN_HASH_RE.fullmatch(encoded) if isinstance(encoded, str) else None
    if match is None or not isinstance(pin, str) or not _PIN_RE.fullmatch(pin):
        return False
    digest = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(match[1]), **_SCRYPT)
    return hmac.compare_digest(digest, bytes.fromhex(match[2]))


# -- ratings ---------------------------------------------------------------------------------------------
_US = {"TVY": 0, "TVY7": 7, "TVY7FV": 7, "TVG": 0, "TVPG": 10, "TV14": 14, "TVMA": 17}
_US |= {"G": 0, "PG": 10, "PG13": 13, "R": 17, "NC17": 18}  # MPAA
_BBFC = {"U": 0, "UC": 0, "PG": 8, "12A": 12, "R18": 18}  # plain numbers are read below
_BBFC_SYSTEMS = {"BBFC", "UK", "GB"}
# "12", "16+", "FSK 16", "FSK16", "FSK ab 12", "ab 12", "-18" (CSA), "18 ans", "PEGI 16", "12 Jahre"
_NUMERIC = re.compile(r"(?:(?:FSK|PEGI|AGE)\s*)?(?:AB\s*)?[-+]?\s*([0-9]{1,2})\s*\+?\s*(?:ANS|J|JAHRE|JAHREN|YEARS)?")


def age_of(rating: str | None, system: str | None = None) -> int | None:
    """The minimum age a guide rating means (0..21), or None when it cannot be read.

    A rating we cannot read never locks a programme: one guide full of unknown labels would otherwise
    lock everything and teach the family to switch the lock off. Channels that must always ask are
    locked by id instead. ``system`` (XMLTV's ``<rating system=…>``) settles labels that differ between
    systems: "PG" is 8 under the BBFC and 10 otherwise (US TV and MPAA).
    """
    if not isinstance(rating, str) or len(rating) > 64:
        return None
    text = " ".join(rating.upper().split())
    key = re.sub(r"(?<=[A-Z])[\s_-]+|[\s_-]+(?=[A-Z])", "", text)  # "TV-14", "PG 13", but "1 2" stays apart
    sys_key = re.sub(r"[^A-Z]", "", system.upper()) if isinstance(system, str) else ""
    tables = (_BBFC, _US) if sys_key in _BBFC_SYSTEMS else (_US, _BBFC)
    for table in tables:
        if key in table:
            return table[key]
    match = _NUMERIC.fullmatch(text)
    if match is None:
        return None
    age = int(match[1])
    return age if age <= MAX_AGE else None


# -- the lock --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PinResult:
    """What became of one PIN entry, with a line the TV can show as it is."""

    ok: bool
    tries_left: int  # before the next lock-out
    wait_s: float  # seconds until another try is allowed; 0 if allowed now
    message: str


def _lockout_length(failed_tries: int) -> float:
    """30 s at the third wrong PIN in a row, doubled for each one after, at most 15 min."""
    if failed_tries < MAX_TRIES:
        return 0.0
    exponent = min(failed_tries - MAX_TRIES, 10)  # bounded: no overflow after a night of guessing
    return min(FIRST_LOCKOUT_S * 2**exponent, MAX_LOCKOUT_S)


def _wait_text(seconds: float) -> str:
    return f"{math.ceil(seconds)} s" if seconds < 120 else f"{math.ceil(seconds / 60)} min"


@dataclass(frozen=True)
class ParentalRule:
    """The one rule that decides whether a channel, with what is on it now, is hidden behind the PIN.

    An immutable copy of the lock's state at one moment: the TV asks it every frame, and the network side
    (the relay's streams, the API) reads the copy the TV published last, so no thread but the UI thread
    ever touches the lock itself.
    """

    enabled: bool = False  # a PIN is set
    unlocked_until: float = 0.0  # epoch seconds; the right PIN was entered recently
    locked_channels: frozenset[str] = frozenset()
    age_limit: int | None = None

    def hides(
        self,
        channel_id: str,
        rating: str | None,
        rating_system: str | None,
        now: float,
        *,
        channel_locked: bool = False,
        channel_age: int | None = None,
    ) -> bool:
        """Whether this programme on this channel needs the PIN before it is seen or heard.

        ``channel_locked`` and ``channel_age`` carry the line-up's own ``locked`` and ``age_rating``.
        """
        if not self.enabled or now < self.unlocked_until:
            return False
        if channel_locked or channel_id in self.locked_channels:
            return True
        if self.age_limit is None:
            return False
        ages = (age_of(rating, rating_system), channel_age)
        return any(age is not None and age >= self.age_limit for age in ages)


class ParentalLock:
    """Applies the parental rules to one :class:`~stb.settings.ParentalSettings`, in place.

    After any call, if ``dirty`` is true the caller saves the settings and sets it back to False. The
    unlock after a right PIN is kept in memory only: a reboot locks the box again.
    """

    def __init__(self, settings: ParentalSettings) -> None:
        self.settings = settings
        self.dirty = False
        self._unlocked_until = 0.0

    @property
    def enabled(self) -> bool:
        """A PIN is set; without one nothing is ever locked."""
        return self.settings.pin_hash is not None

    @property
    def unlocked_until(self) -> float:
        """Epoch seconds when the current unlock ends; 0.0 when locked."""
        return self._unlocked_until

    def is_unlocked(self, now: float) -> bool:
        """Nothing needs the PIN right now: no PIN set, or a right PIN was entered recently."""
        if not self.enabled:
            return True
        span = self.settings.unlock_minutes * 60.0
        if self._unlocked_until - now > span:  # the wall clock went back: never unlock for longer than asked
            self._unlocked_until = now + span
        return now < self._unlocked_until

    def rule(self, now: float) -> ParentalRule:
        """The rule as it stands at ``now``, to apply here or hand to another thread."""
        unlocked_until = self._unlocked_until if self.is_unlocked(now) else 0.0
        s = self.settings
        return ParentalRule(self.enabled, unlocked_until, frozenset(s.locked_channels), s.age_limit)

    def needs_pin(
        self,
        channel_id: str,
        rating: str | None,
        rating_system: str | None,
        now: float,
        *,
        channel_locked: bool = False,
        channel_age: int | None = None,
    ) -> bool:
        """Whether showing this programme on this channel must ask for the PIN first (:meth:`ParentalRule.hides`)."""
        return self.rule(now).hides(
            channel_id, rating, rating_system, now, channel_locked=channel_locked, channel_age=channel_age
        )

    def wait_s(self, now: float) -> float:
        """Seconds until a PIN may be tried again (0 if now).

        A wall clock set back would otherwise leave a lock-out of days; the wait never exceeds the
        current back-off, restarted from ``now``.
        """
        s = self.settings
        remaining = s.locked_out_until - now
        if remaining <= 0:
            return 0.0
        cap = _lockout_length(s.failed_tries)
        if remaining > cap:
            s.locked_out_until = now + cap
            self.dirty = True
            remaining = cap
        return remaining

    def tries_left(self, now: float) -> int:
        """Wrong PINs allowed before the next lock-out (after a lock-out, one at a time)."""
        if self.wait_s(now) > 0:
            return 0
        return max(MAX_TRIES - self.settings.failed_tries, 1)

    def try_pin(self, pin: str, now: float) -> PinResult:
        """Check a PIN typed on the remote; a right one unlocks everything for ``unlock_minutes``."""
        return self._attempt(pin, now, unlock=True)

    def lock(self, now: float | None = None) -> None:
        """End an unlock early (the Settings screen's "lock now")."""
        self._unlocked_until = 0.0

    def set_pin(self, pin: str) -> None:
        """Set the first PIN, which turns the lock on. Changing an existing PIN needs :meth:`change_pin`."""
        if self.enabled:
            raise ValueError("a PIN is already set: change it with the old PIN")
        self.settings.pin_hash = hash_pin(pin)
        self._reset_failures()
        self.dirty = True

    def change_pin(self, old: str, new: str, now: float) -> PinResult:
        """Replace the PIN; ``old`` is checked like any try (it counts towards the lock-out)."""
        new_hash = hash_pin(new)  # a malformed new PIN raises before the old one costs a try
        if self.enabled:
            result = self._attempt(old, now, unlock=False)
            if not result.ok:
                return result
        self.settings.pin_hash = new_hash
        self.dirty = True
        return PinResult(True, MAX_TRIES, 0.0, "PIN changed")

    def clear_pin(self, old: str, now: float) -> PinResult:
        """Remove the PIN, which turns the lock off; age limit and locked channels stay for next time."""
        if not self.enabled:
            return PinResult(True, MAX_TRIES, 0.0, "No PIN is set")
        result = self._attempt(old, now, unlock=False)
        if not result.ok:
            return result
        self.settings.pin_hash = None
        self._unlocked_until = 0.0
        self.dirty = True
        return PinResult(True, MAX_TRIES, 0.0, "PIN removed: parental lock is off")

    def toggle_channel_lock(self, channel_id: str) -> bool:
        """Lock or unlock one channel by id; returns whether it is locked now.

        No PIN is asked here: the Settings screen asks for it before offering this.
        """
        locked = self.settings.locked_channels
        if channel_id in locked:
            locked.remove(channel_id)
        else:
            locked.append(channel_id)
        self.dirty = True
        return channel_id in locked

    # -- internals -------------------------------------------------------------------------------------
    def _attempt(self, pin: str, now: float, *, unlock: bool) -> PinResult:
        if self.settings.pin_hash is None:
            return PinResult(True, MAX_TRIES, 0.0, "No PIN is set")
        wait = self.wait_s(now)
        if wait > 0:  # refused unchecked: guessing during a lock-out tells nothing and costs nothing
            return self._refused(wait)
        if verify_pin(pin, self.settings.pin_hash):
            self._reset_failures()
            if unlock:
                self._unlocked_until = now + self.settings.unlock_minutes * 60.0
            return PinResult(True, MAX_TRIES, 0.0, "PIN accepted")
        self.settings.failed_tries += 1
        self.dirty = True
        lockout = _lockout_length(self.settings.failed_tries)
        if lockout:
            self.settings.locked_out_until = now + lockout
            return self._refused(lockout)
        left = MAX_TRIES - self.settings.failed_tries
        return PinResult(False, left, 0.0, f"Wrong PIN, {left} {'try' if left == 1 else 'tries'} left")

    def _refused(self, wait: float) -> PinResult:
        return PinResult(False, 0, wait, f"Too many wrong PINs: try again in {_wait_text(wait)}")

    def _reset_failures(self) -> None:
        if self.settings.failed_tries or self.settings.locked_out_until:
            self.settings.failed_tries = 0
            self.settings.locked_out_until = 0.0
            self.dirty = True
