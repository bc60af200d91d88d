"""Skin folders for tests: a manifest, and the fixed clock every reference render is drawn at."""

from __future__ import annotations

NOW = 1_800_000_000 + 10 * 60  # 08:10 UTC on a Friday


def manifest(name: str, **extra) -> dict:
    return {"name": name, "version": "1", "author": "t", "licence": "MIT", "api": 1, "resolution": [1280, 720],
            "extends": "default", **extra}  # fmt: skip
