"""`stb pair` and `stb remote` against a running box on loopback: the code typed from the TV, keys, zaps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from stb.assembly import build_app
from stb.config import StateStore
from stb.lan.tokens import address_of
from stb.lineup.model import Channel, Lineup
from stb.ui.app import App

LINEUP = Lineup(name="t", channels=[
    Channel(number=n, id=f"c{n}", name=f"Channel {n}", urls=[f"http://127.0.0.1:9/{n}.ts"]) for n in (1, 2, 3)
])  # fmt: skip


@pytest.fixture
def box(tmp_path):
    app = build_app(LINEUP, headless=True, store=StateStore(tmp_path / "box"), guide_db=tmp_path / "g.db", pretune=0,
              api_port=0)  # fmt: skip
    app.start()
    yield app
    app.close()


def stb(box: App, tmp_path, *argv: str, stdin_when_pairing: str | None = None) -> subprocess.CompletedProcess:
    """Run `stb …` as the laptop would, while the box's loop runs here."""
    env = {**os.environ, "STB_CONFIG_DIR": str(tmp_path / "laptop")}
    child = subprocess.Popen([sys.executable, "-m", "stb", *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    deadline = time.monotonic() + 30
    typed = stdin_when_pairing is None
    while child.poll() is None and time.monotonic() < deadline:
        box.step()
        if not typed and box.auth.pending is not None:
            child.stdin.write(box.auth.pending.code + "\n")  # read off the TV
            child.stdin.flush()
            typed = True
        time.sleep(0.01)
    out, err = child.communicate(timeout=5)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def test_pair_then_remote_keys_and_zap(box, tmp_path):
    address = f"127.0.0.1:{box.net.bound_port}"
    refused = stb(box, tmp_path, "remote", address, "zap", "2")
    assert refused.returncode == 1 and "not paired with Living Room" in refused.stderr
    paired = stb(box, tmp_path, "pair", address, "--name", "Test laptop", "--json", stdin_when_pairing="code")
    assert paired.returncode == 0, paired.stderr
    assert json.loads(paired.stdout)["box"] == box.box.settings.box_name and [d.name for d in box.auth.devices()] == [
        "Test laptop"
    ]
    token_file = tmp_path / "laptop" / "companion-tokens.json"
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"
    zapped = stb(box, tmp_path, "remote", address, "zap", "3")
    assert zapped.returncode == 0 and zapped.stdout.strip() == f"{box.box.settings.box_name}: 3 Channel 3"
    assert box.box.current.number == 3
    keys = stb(box, tmp_path, "remote", address, "channel_down", "channel_down")
    assert keys.returncode == 0 and box.box.current.number == 1
    bad = stb(box, tmp_path, "remote", address, "self_destruct")
    assert bad.returncode == 1 and "no remote key 'self_destruct'" in bad.stderr and "Traceback" not in bad.stderr


def test_a_wrong_code_is_one_line_and_no_token_is_kept(box, tmp_path):
    address = f"127.0.0.1:{box.net.bound_port}"
    wrong = stb(box, tmp_path, "pair", address, "--code", "000000")
    if box.auth.devices():  # one chance in a million that 000000 was the code
        pytest.skip("the random code was 000000")
    assert wrong.returncode == 1 and "the box said 403: that is not the code on the TV" in wrong.stderr
    assert not (tmp_path / "laptop" / "companion-tokens.json").exists()


def test_an_unreachable_box_is_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "stb", "remote", "127.0.0.1:9", "zap", "1"], capture_output=True,
                          text=True, timeout=30, env={**os.environ, "STB_CONFIG_DIR": str(tmp_path)})  # fmt: skip
    assert done.returncode == 1 and "cannot reach the box" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("box", "address"),
    [("10.0.0.5", ("10.0.0.5", 8600)), ("10.0.0.5:9000", ("10.0.0.5", 9000)), ("[fe80::1]:8601", ("fe80::1", 8601)),
     ("fe80::1", ("fe80::1", 8600)), ("living-room.local", ("living-room.local", 8600)), ("Living Room", None),
     ("a1b2c3", None)],
)  # fmt: skip
def test_box_arguments_that_are_addresses(box, address):
    assert address_of(box) == address
