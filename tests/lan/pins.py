"""A device's stored token for a box as pairing leaves it: with the box's certificate, made beforehand in the
box's state directory (what the box would make at its first start)."""

from __future__ import annotations

from pathlib import Path

from stb.lan.identity import BoxIdentity, full_fingerprint


def pinned_entry(box_state: Path, box_id: str, token: str, name: str) -> dict:
    cert = BoxIdentity.load_or_create(box_state, box_id).cert_pem
    return {"token": token, "name": name, "cert": cert, "cert_sha256": full_fingerprint(cert)}
