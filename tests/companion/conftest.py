"""A running box on loopback with this 'laptop' paired to it, and the `stb` CLI as a laptop runs it."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from stb.companion.client import Tokens
from stb.config import StateStore
from stb.headend.catalog import demo_lineup
from stb.ui.app import App
from tests.net.test_api import pair, run_client


@pytest.fixture
def paired_box(tmp_path, headend):
    """A running box on loopback, and this 'laptop' paired with it (token stored as `stb pair` stores it)."""
    app = App(demo_lineup(*headend), headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db",
              pretune=0, api_port=0)  # fmt: skip
    app.start()

    def client(base):
        with httpx.Client(timeout=10) as c:
            return pair(c, base, app, "laptop")

    token = run_client(app, client)
    Tokens.default().put(app.box.settings.box_id, token, app.box.settings.box_name)
    yield app, f"127.0.0.1:{app.net.bound_port}", token
    app.close()


def stb(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stb", *args], capture_output=True, text=True, timeout=timeout)
