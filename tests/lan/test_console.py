"""`stb pairing`'s socket: only the box's user, one JSON line each way, clear errors, a stale socket replaced."""

from __future__ import annotations

import socket
import stat

import pytest

from stb.errors import StbError
from stb.lan.auth import Auth
from stb.lan.console import SOCKET, PairingConsole, ask


@pytest.fixture
def console(tmp_path):
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # a box killed -9 left its socket behind
    stale.bind(str(tmp_path / SOCKET))
    stale.close()
    auth = Auth(directory=tmp_path)
    served = PairingConsole(auth, tmp_path)
    served.start()
    yield auth, tmp_path
    served.stop()
    assert not (tmp_path / SOCKET).exists()


def test_list_approve_and_deny_over_the_socket(console):
    auth, directory = console
    assert stat.S_IMODE((directory / SOCKET).stat().st_mode) == 0o600
    phone = auth.begin("Anna's phone", "10.0.0.7")
    stranger = auth.begin("stranger\x1b[2J", "10.0.0.66")
    rows = ask(directory, {"op": "list"})["requests"]
    assert [(r["id"], r["name"], r["address"], r["code"], r["shown"]) for r in rows] == [
        (phone.id, "Anna's phone", "10.0.0.7", phone.code, True),
        (stranger.id, "stranger\\x1b[2J", "10.0.0.66", None, False),  # its code is not up yet
    ]
    assert 0 < rows[0]["seconds_left"] <= 120
    assert ask(directory, {"op": "deny", "id": stranger.id})["request"]["name"] == "stranger\\x1b[2J"
    ask(directory, {"op": "approve", "id": phone.id})
    assert auth.complete(phone.id, "", "10.0.0.7")[0].name == "Anna's phone"
    with pytest.raises(StbError, match="no pairing request 'gone'"):
        ask(directory, {"op": "approve", "id": "gone"})
    with pytest.raises(StbError, match="unknown request 'drop'"):
        ask(directory, {"op": "drop"})


def test_no_box_is_one_clear_line(tmp_path):
    with pytest.raises(StbError, match="no box runs with the state directory"):
        ask(tmp_path, {"op": "list"})
