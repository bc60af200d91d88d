"""Who may control the box: pairing with a code shown on the TV, long-lived tokens, revocation.

A client asks to pair with its name; the TV shows a 6-digit code; the client sends the code back
and gets a token. Only the token's SHA-256 is stored (tokens are 256 random bits, so a fast hash
is enough; the PIN is different). Codes expire after two minutes; five wrong codes end the pairing
and lock pairing out for a minute, doubling each time. Used from both threads: one lock guards it.
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
from stb.lan.printable import printable

CODE_TTL_S = 120.0
MAX_CODE_TRIES = 5
FIRST_LOCKOUT_S = 60.0
MAX_LOCKOUT_S = 3600.0
MAX_DEVICES = 64
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
    expires_at: float
    tries: int = 0


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Auth:
    def __init__(self, store: PairedStore | None = None, directory: Path | None = None) -> None:
        self.store = store or PairedStore(directory)
        self.paired = self.store.load()
        self.pending: PendingPairing | None = None
        self._lock = threading.Lock()
        self._lockouts = 0
        self._locked_until = 0.0
        self.fingerprint: str | None = None  # the box's certificate: the TV shows it next to the code
        self.version = 0  # bumped on any change the TV shows (a code to display, a device paired)
        #: Wall-clock seconds for codes and lock-outs; a test moves it on rather than wait out a lock-out.
        self.clock: Callable[[], float] = time.time

    # -- pairing ----------------------------------------------------------------------------------------
    def begin(self, client_name: str, now: float | None = None) -> PendingPairing:
        now = self.clock() if now is None else now
        name = printable(" ".join(client_name.split()))[:NAME_MAX]  # drawn on the TV: nothing in it may act
        if not name:
            raise AuthError(422, "Bad name", "give the device a name, e.g. 'Anna's phone'")
        with self._lock:
            if now < self._locked_until:
                wait = self._locked_until - now
                raise AuthError(429, "Pairing locked", f"too many wrong codes; try again in {wait:.0f} s", wait)
            if self.pending is not None and now < self.pending.expires_at:
                raise AuthError(409, "Pairing in progress", "another device is pairing; try again in a moment",
                                self.pending.expires_at - now)  # fmt: skip
            self.pending = PendingPairing(secrets.token_urlsafe(12), name, f"{secrets.randbelow(10**6):06d}",
                                          now + CODE_TTL_S)  # fmt: skip
            self.version += 1
            return self.pending

    def complete(self, pairing_id: str, code: str, now: float | None = None) -> tuple[Device, str]:
        """The new device and its token (shown once, never stored)."""
        now = self.clock() if now is None else now
        with self._lock:
            pending = self.pending
            if pending is None or not hmac.compare_digest(pending.id.encode(), pairing_id.encode()):
                raise AuthError(404, "No such pairing", "this pairing is over or never started; start again")
            if now >= pending.expires_at:
                self._end_pairing()
                raise AuthError(410, "Code expired", "the code on the TV expired; start again")
            if not hmac.compare_digest(pending.code.encode(), code.strip().encode()):
                pending.tries += 1
                if pending.tries >= MAX_CODE_TRIES:
                    self._end_pairing()
                    self._lockouts += 1
                    self._locked_until = now + min(FIRST_LOCKOUT_S * 2 ** (self._lockouts - 1), MAX_LOCKOUT_S)
                    raise AuthError(429, "Too many wrong codes", "pairing is locked for a while; start again later",
                                    self._locked_until - now)  # fmt: skip
                left = MAX_CODE_TRIES - pending.tries
                raise AuthError(403, "Wrong code", f"that is not the code on the TV; {left} tries left")
            if len(self.paired.devices) >= MAX_DEVICES:
                raise AuthError(409, "Too many devices", "remove a paired device in Settings first")
            token = secrets.token_urlsafe(32)
            device = Device(secrets.token_hex(8), pending.client_name, token_hash(token), now, now)
            self.paired.devices.append(device)
            self._lockouts = 0
            self._end_pairing()
            self._save()
            return device, token

    def cancel(self) -> None:
        """The viewer dismissed the code on the TV."""
        with self._lock:
            self._end_pairing()

    def code_to_show(self, now: float | None = None) -> PendingPairing | None:
        now = self.clock() if now is None else now
        with self._lock:
            if self.pending is not None and now >= self.pending.expires_at:
                self._end_pairing()
            return self.pending

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

    def _end_pairing(self) -> None:
        self.pending = None
        self.version += 1

    def _save(self) -> None:
        self.version += 1
        self.store.save(self.paired)
