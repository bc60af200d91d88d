"""Who may control the box: pairing with a code shown on the TV, long-lived tokens, revocation.

A client asks to pair with its name; the TV shows a 6-digit code; the client sends the code back
and gets a token. Only the token's SHA-256 is stored (tokens are 256 random bits, so a fast hash
is enough; the PIN is different). Codes expire after two minutes. Requests wait in a queue, one per
client address, the first one's code on the TV: one address cannot keep the household from pairing.
Wrong codes count against the address that sent them (``stb.lan.lockouts``: a sliding window, lock-outs
that double and survive a restart). On a box without a screen, ``stb pairing`` lists the requests with
their codes and approves or refuses them (``stb.lan.console``). Used from several threads: one lock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stb.config import JsonStore
from stb.lan.lockouts import FIRST_LOCKOUT_S as FIRST_LOCKOUT_S  # where a lock-out's length is read
from stb.lan.lockouts import Lockouts, LockoutStore
from stb.lan.printable import printable

CODE_TTL_S = 120.0
MAX_CODE_TRIES = 5  # wrong codes that end one pairing, whoever sent them
MAX_WAITING = 8  # requests in the queue (one per address)
MAX_DEVICES = 64
LOCAL = "local"  # the address of a request made on the box itself (tests, benches)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})  # the TV's quotes are ours
NAME_MAX = 60


class AuthError(Exception):
    """A refusal with an HTTP status and a sentence for the client."""

    def __init__(self, status: int, title: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.retry_after = status, title, detail, retry_after


@dataclass
class Device:
    id: str
    name: str
    token_sha256: str
    paired_at: float
    last_seen: float = 0.0


@dataclass
class PairedDevices:
    devices: list[Device] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Any) -> PairedDevices:
        if not isinstance(data, dict) or not isinstance(data.get("devices", []), list):
            raise ValueError("expected an object with a list of devices")
        devices = []
        for i, d in enumerate(data.get("devices", [])):
            try:
                device = Device(str(d["id"]), str(d["name"])[:NAME_MAX], str(d["token_sha256"]),
                                float(d["paired_at"]), float(d.get("last_seen", 0.0)))  # fmt: skip
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"devices[{i}] is not a paired device") from None
            if len(device.token_sha256) != 64:
                raise ValueError(f"devices[{i}].token_sha256 is not a SHA-256")
            devices.append(device)
        return cls(devices)

    def to_json(self) -> dict[str, Any]:
        return {"devices": [asdict(d) for d in self.devices]}


class PairedStore(JsonStore[PairedDevices]):
    FILE = "paired.json"
    LABEL = "paired devices"
    MODEL = PairedDevices


@dataclass
class PendingPairing:
    id: str
    client_name: str
    code: str
    expires_at: float  # once shown; until then the request waits its turn (``shown`` False)
    tries: int = 0
    address: str = LOCAL
    shown: bool = False
    approved: bool = False  # `stb pairing approve`: the device pairs without typing the code


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


UNNAMED = "Unnamed device"


def device_name(name: str) -> str:
    """A device's name as the TV and the console show it: one line, no controls, no quote marks of ours."""
    flat = printable(" ".join(name.split()))
    return flat.translate(_QUOTES)[:NAME_MAX]


class Auth:
    def __init__(self, store: PairedStore | None = None, directory: Path | None = None) -> None:
        self.store = store or PairedStore(directory)
        self.paired = self.store.load()
        self.queue: list[PendingPairing] = []  # the first one is shown on the TV; one per address
        self._ended: dict[str, tuple[int, str, str]] = {}  # pairing id -> what its device hears now (refused, expired)
        self._lock = threading.Lock()
        self.lockouts = Lockouts(LockoutStore(self.store.path.parent))
        self.fingerprint: str | None = None  # the box's certificate: the TV shows it next to the code
        self.version = 0  # bumped on any change the TV shows (a code to display, a device paired)
        #: Wall-clock seconds for codes and lock-outs; a test moves it on rather than wait out a lock-out.
        self.clock: Callable[[], float] = time.time
        #: Told of each code as it is shown (a headless box prints it on its console); runs under the lock.
        self.on_shown: Callable[[PendingPairing], None] | None = None

    @property
    def pending(self) -> PendingPairing | None:
        """The pairing whose code the TV shows now (None: none)."""
        return self.queue[0] if self.queue and self.queue[0].shown else None

    # -- pairing ----------------------------------------------------------------------------------------
    def begin(self, client_name: str, address: str = LOCAL, now: float | None = None) -> PendingPairing:
        """Ask to pair from ``address``: shown at once, or queued behind the devices that asked first.

        One request per address: asking again replaces the earlier one (at the back of the queue), so one
        address holds one place, and nobody else is refused because of it.
        """
        now = self.clock() if now is None else now
        # drawn on the TV: nothing in it may act; a name of nothing printable (the API's schema lets any
        # non-space character through, e.g. U+001E) is not refused, it is called what it is
        name = device_name(client_name) or UNNAMED
        with self._lock:
            wait = self.lockouts.locked_for(address, now)
            if wait > 0:
                raise AuthError(429, "Pairing locked", f"too many wrong codes; try again in {wait:.0f} s", wait)
            self._expire(now)
            self.queue = [p for p in self.queue if p.address != address]
            if len(self.queue) >= MAX_WAITING:
                wait = self.queue[0].expires_at - now
                raise AuthError(503, "Too many devices waiting", f"{MAX_WAITING} devices are waiting to pair; "
                                "try again in a few minutes", wait)  # fmt: skip
            # hex: an id starting with "-" (token_urlsafe's alphabet) reads as an option to `stb pairing approve`
            pending = PendingPairing(secrets.token_hex(12), name, f"{secrets.randbelow(10**6):06d}", 0.0,
                                     address=address)  # fmt: skip
            self.queue.append(pending)
            self._show_next(now)
            self.version += 1
            return pending

    def expires_in(self, pending: PendingPairing, now: float | None = None) -> float:
        """Seconds until ``pending``'s code expires: its own time once shown, plus the turns ahead of it."""
        now = self.clock() if now is None else now
        with self._lock:
            return self._expires_in(pending, now)

    def complete(self, pairing_id: str, code: str, address: str | None = None,
                 now: float | None = None) -> tuple[Device, str]:  # fmt: skip
        """The new device and its token (shown once, never stored). Wrong codes count against the address
        that sent them; an empty code pairs only a request the box's owner approved."""
        now = self.clock() if now is None else now
        code = code.strip()
        with self._lock:
            self._expire(now)
            pending = next((p for p in self.queue if hmac.compare_digest(p.id.encode(), pairing_id.encode())), None)
            if pending is None:
                ended = self._ended.get(pairing_id)
                if ended is not None:
                    raise AuthError(*ended)
                raise AuthError(404, "No such pairing", "this pairing is over or never started; start again")
            sender = address or pending.address
            wait = self.lockouts.locked_for(sender, now)
            if wait > 0:
                raise AuthError(429, "Pairing locked", f"too many wrong codes; try again in {wait:.0f} s", wait)
            if not pending.approved:
                if not pending.shown:
                    ahead, wait = self.queue.index(pending), self._expires_in(pending, now) - CODE_TTL_S
                    raise AuthError(409, "Waiting to be shown", f"the TV shows another device's code first "
                                    f"({ahead} ahead); this one's comes up in turn", wait)  # fmt: skip
                if not code:
                    raise AuthError(403, "No code", "type the code the TV shows (or have the box's owner run "
                                    "`stb pairing approve`)")  # fmt: skip
                if not hmac.compare_digest(pending.code.encode(), code.encode()):
                    self._wrong(pending, sender, now)
            if len(self.paired.devices) >= MAX_DEVICES:
                raise AuthError(409, "Too many devices", "remove a paired device in Settings first")
            token = secrets.token_urlsafe(32)
            device = Device(secrets.token_hex(8), pending.client_name, token_hash(token), now, now)
            self.paired.devices.append(device)
            self.lockouts.paired(sender, now)
            self._end(pending, now)
            self._save()
            return device, token

    def _expires_in(self, pending: PendingPairing, now: float) -> float:
        if pending.shown or pending not in self.queue:
            return max(0.0, pending.expires_at - now)
        ahead = self.queue.index(pending)  # each one ahead shows its code for at most CODE_TTL_S
        return max(0.0, self.queue[0].expires_at - now) + ahead * CODE_TTL_S

    def _wrong(self, pending: PendingPairing, sender: str, now: float) -> None:
        """Count a wrong code (raises): the sender's window, and this pairing's own tries."""
        pending.tries += 1
        earned = self.lockouts.wrong_code(sender, now)
        if earned > 0:
            self._end(pending, now)
            raise AuthError(429, "Too many wrong codes", "pairing is locked for a while; start again later", earned)
        if pending.tries >= MAX_CODE_TRIES:  # guesses from several addresses at one code
            self._end(pending, now)
            raise AuthError(403, "Too many wrong codes", "this pairing ended after too many wrong codes; start again")
        left = min(MAX_CODE_TRIES - pending.tries, self.lockouts.tries_left(sender, now))
        raise AuthError(403, "Wrong code", f"that is not the code on the TV; {left} tries left")

    def cancel(self) -> None:
        """The viewer dismissed the code on the TV (Back): that device is refused; the next one shows."""
        with self._lock:
            if self.queue and self.queue[0].shown:
                self._refuse(self.queue[0], "the TV refused this pairing", self.clock())

    def approve(self, pairing_id: str) -> PendingPairing:
        """`stb pairing approve`: the person at the box confirms this request; the device pairs on its next
        call, with or without the code. KeyError when there is no such request."""
        with self._lock:
            self._expire(self.clock())
            pending = self._find(pairing_id)
            pending.approved = True
            self.version += 1
            return pending

    def deny(self, pairing_id: str) -> PendingPairing:
        """`stb pairing deny`: as Back on the TV. KeyError when there is no such request."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            pending = self._find(pairing_id)
            self._refuse(pending, "the box's owner refused this pairing", now)
            return pending

    def requests(self, now: float | None = None) -> list[tuple[PendingPairing, float]]:
        """Every request waiting, the shown one first, with the seconds until each one's code expires."""
        now = self.clock() if now is None else now
        with self._lock:
            self._expire(now)
            return [(p, self._expires_in(p, now)) for p in self.queue]

    def code_to_show(self, now: float | None = None) -> PendingPairing | None:
        now = self.clock() if now is None else now
        with self._lock:
            self._expire(now)
            return self.pending

    def _find(self, pairing_id: str) -> PendingPairing:
        for pending in self.queue:
            if pending.id == pairing_id:
                return pending
        raise KeyError(pairing_id)

    def _expire(self, now: float) -> None:
        while self.queue and self.queue[0].shown and now >= self.queue[0].expires_at:
            self._forget(self.queue[0], (410, "Code expired", "the code on the TV expired; start again"), now)

    def _show_next(self, now: float) -> None:
        if self.queue and not self.queue[0].shown:
            head = self.queue[0]
            head.shown, head.expires_at = True, now + CODE_TTL_S
            self.version += 1
            if self.on_shown is not None:
                self.on_shown(head)

    def _refuse(self, pending: PendingPairing, why: str, now: float) -> None:
        self._forget(pending, (403, "Pairing refused", why), now)

    def _forget(self, pending: PendingPairing, answer: tuple[int, str, str], now: float) -> None:
        """End ``pending``; its device's next call hears ``answer`` (not "never started")."""
        self._ended[pending.id] = answer
        while len(self._ended) > 64:
            self._ended.pop(next(iter(self._ended)))
        self._end(pending, now)

    def _end(self, pending: PendingPairing, now: float) -> None:
        if pending in self.queue:
            self.queue.remove(pending)
        self.version += 1
        self._show_next(now)

    # -- tokens -----------------------------------------------------------------------------------------
    def check(self, token: str | None) -> Device | None:
        if not token:
            return None
        digest = token_hash(token)
        with self._lock:
            for device in self.paired.devices:
                if hmac.compare_digest(device.token_sha256, digest):
                    device.last_seen = self.clock()  # in memory; written with the next change
                    return device
        return None

    def device(self, device_id: str) -> Device | None:
        """The paired device with this id (None once revoked): signed stream URLs name it."""
        with self._lock:
            return next((d for d in self.paired.devices if d.id == device_id), None)

    def devices(self) -> list[Device]:
        with self._lock:
            return list(self.paired.devices)

    def revoke(self, device_id: str) -> bool:
        with self._lock:
            before = len(self.paired.devices)
            self.paired.devices = [d for d in self.paired.devices if d.id != device_id]
            if len(self.paired.devices) == before:
                return False
            self.version += 1
            self._save()
            return True

    def _save(self) -> None:
        self.version += 1
        self.store.save(self.paired)
