"""Fixtures for the line-up tests: a valid channels.json as data, and a writer of test files."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

GOOD = {
    "$schema": "./channels.schema.json",
    "name": "Home",
    "guide_sources": ["http://epg.example.test/guide.xml", "/srv/guide.xml"],
    "channels": [
        {"number": 1, "id": "one", "name": "One", "urls": ["http://example.test/1.ts"]},
        {"number": 2, "id": "two", "name": "Two", "urls": ["udp://@239.1.1.1:5000"], "groups": ["News"]},
        {"number": 3, "id": "three", "name": "Three", "urls": ["rtsp://cam.test/live", "rtmp://x.test/app/s"]},
    ],
}


@pytest.fixture
def good() -> dict:
    """A fresh copy of a line-up with no problems at all, to break one way per test."""
    return copy.deepcopy(GOOD)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """write(name, content) -> path of a file in the test's temporary directory."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return _write
