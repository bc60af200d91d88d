"""What a device keeps about the boxes it paired with: their tokens with each box's pinned certificate, and
how BOX is written.

Shared by the companion commands (a laptop) and the box itself (box to box). Tokens are kept with the
certificate the box proved at pairing, in a file readable by the user only, written atomically. A token
is looked up by the certificate a box proves (``pinned``), never by the id a server claims: an impostor
that announces a real box's id finds no token to be sent. BOX on a command line is an address
(`10.0.0.5`, `10.0.0.5:8600`, `[fe80::1]:8600`), or a name or id found by discovery.
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stb.config import atomic_write_bytes, config_dir
from stb.errors import StbError
from stb.lan.identity import full_fingerprint

DEFAULT_PORT = 8600
API = "/api/v1"


def address_of(box: str) -> tuple[str, int] | None:
    """(host, port) when BOX is an address, else None (a name or id, for discovery)."""
    text = box.strip()
    host, port = text, DEFAULT_PORT
    if text.startswith("["):  # [v6]:port
        host, _, rest = text[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else DEFAULT_PORT
    elif text.count(":") == 1:
        host, _, p = text.partition(":")
        if not p.isdigit():
            return None
        port = int(p)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return (host, port) if host == "localhost" or host.endswith(".local") else None
    return host, port


@dataclass(frozen=True)
class Pinned:
    """A token and the certificate of the box it was given by: it goes only over TLS proving that certificate."""

    token: str
    cert_pem: str
    name: str


@dataclass
class Tokens:
    path: Path

    @classmethod
    def default(cls) -> Tokens:
        return cls(config_dir() / "companion-tokens.json")

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise StbError(f"cannot read {self.path}: {exc}; delete it and pair again") from None
        return data if isinstance(data, dict) else {}

    def get(self, box_id: str) -> str | None:
        """Whether a token is kept for a box of this id (to say "pair again", never to send it)."""
        entry = self._read().get(box_id)
        return entry.get("token") if isinstance(entry, dict) else None

    def pinned(self, cert_pem: str) -> Pinned | None:
        """The token kept for the box that proved this certificate (None: never paired with it)."""
        wanted = full_fingerprint(cert_pem)
        for entry in self._read().values():
            if isinstance(entry, dict) and entry.get("cert_sha256") == wanted and isinstance(entry.get("cert"), str):
                return Pinned(str(entry.get("token", "")), entry["cert"], str(entry.get("name", "")))
        return None

    def put(self, box_id: str, token: str, name: str, cert_pem: str) -> None:
        data = self._read()
        data[box_id] = {"token": token, "name": name, "cert": cert_pem, "cert_sha256": full_fingerprint(cert_pem)}
        atomic_write_bytes(self.path, json.dumps(data, indent=2).encode())
        os.chmod(self.path, 0o600)
