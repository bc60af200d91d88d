"""A running box on loopback with this 'laptop' paired to it, and the `stb` CLI as a laptop runs it."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from stb.lan.tokens import Tokens
from tests.net.test_api import pair, run_client


@pytest.fixture
def paired_box(demo_box):
    """A running box on loopback, and this 'laptop' paired with it (token stored as `stb pair` stores it)."""
    return pair_laptop(demo_box)


def pair_laptop(app):
    """Pair this 'laptop' with a running box and store its token and certificate as `stb pair` does."""

    def client(base):
        with httpx.Client(timeout=10) as c:
            return pair(c, base, app, "laptop")

    token = run_client(app, client)
    cert = app.net.identity.cert_pem  # what `stb pair` pins: the certificate the box proved at pairing
    Tokens.default().put(app.box.settings.box_id, token, app.box.settings.box_name, cert)
    return app, f"127.0.0.1:{app.net.bound_port}", token


def stb(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stb", *args], capture_output=True, text=True, timeout=timeout)
