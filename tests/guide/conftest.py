from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.guide.xmltv_docs import HOUR


@pytest.fixture
def now() -> int:
    return int(time.time()) // HOUR * HOUR


@pytest.fixture
def write(tmp_path) -> Callable[[str, str | bytes], str]:
    def _write(name: str, content: str | bytes) -> str:
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return str(path)

    return _write
