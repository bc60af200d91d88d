"""A stock mDNS client sees the box: Avahi's `avahi-browse`, on another namespace host, reads every TXT key.

Avahi runs as households' Linux machines run it (avahi-daemon on a D-Bus system bus), but private to the
test: its own bus socket, its own /run in a mount namespace, its own network namespace. `stb run` on the
other host announces the box as it does on a real LAN.
"""

from __future__ import annotations

import json
import os
import sys
import time

import pytest

from tests.netns import netns_lan

pytestmark = [pytest.mark.netns, pytest.mark.slow]

LINEUP = {
    "name": "avahi test",
    "channels": [{"number": 1, "id": "news-24", "name": "News 24", "urls": ["http://127.0.0.1:9/1.ts"]}],
}
BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
"""
AVAHI_CONF = """[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=yes
[publish]
disable-publishing=yes
[wide-area]
enable-wide-area=no
"""


def browse(host, env: dict, service: str, until, seconds: float) -> list[list[str]]:
    """`avahi-browse -rtpk SERVICE` (resolved, terminate when done, parsable) until ``until(rows)``."""
    deadline = time.monotonic() + seconds  # only to catch a box that never shows up
    rows: list[list[str]] = []
    while time.monotonic() < deadline:
        done = host.run(["avahi-browse", "-rtpk", service], env=env, timeout=30)
        rows = [line.split(";") for line in done.stdout.splitlines() if line.startswith("=")]
        if until(rows):
            return rows
        time.sleep(0.5)
    return rows


@pytest.mark.timeout(180)
def test_avahi_browse_on_another_host_reads_the_boxs_announcement(tmp_path):
    state = tmp_path / "box"
    state.mkdir()
    (tmp_path / "channels.json").write_text(json.dumps(LINEUP))
    (state / "settings.json").write_text(json.dumps({"box_id": "00aa11bb22cc33dd", "box_name": "Den"}))
    socket = tmp_path / "bus"
    (tmp_path / "bus.conf").write_text(BUS_CONF.format(socket=socket))
    (tmp_path / "avahi.conf").write_text(AVAHI_CONF)
    env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={socket}", "SDL_VIDEODRIVER": "dummy",
           "SDL_AUDIODRIVER": "dummy", "STB_STATE_DIR": str(state)}  # fmt: skip
    lineup = str(tmp_path / "channels.json")
    run = [sys.executable, "-m", "stb", "run", "--headless", "--no-headend", "--lineup", lineup, "--listen", "0.0.0.0",
           "--interface", "eth0", "--port", "8600", "--pretune", "0", "--run-for", "90"]  # fmt: skip
    avahi = ("mount -t tmpfs tmpfs /run && exec avahi-daemon --file={} --no-drop-root --no-chroot --no-rlimits "
             "--no-proc-title").format(tmp_path / "avahi.conf")  # fmt: skip
    with netns_lan(2) as (box_host, laptop), open(tmp_path / "logs", "w") as logs:
        laptop.popen(["dbus-daemon", f"--config-file={tmp_path / 'bus.conf'}", "--nofork", "--nopidfile"],
                     env=env, stdout=logs, stderr=logs)  # fmt: skip
        deadline = time.monotonic() + 20
        while not socket.exists():
            assert time.monotonic() < deadline, "the private D-Bus never started"
            time.sleep(0.05)
        laptop.popen(["unshare", "-m", "sh", "-c", avahi], env=env, stdout=logs, stderr=logs)
        box_host.popen(run, env=env, stdout=logs, stderr=logs)
        rows = browse(laptop, env, "_stb._tcp", lambda found: any("Den" in r for r in found), 90)
        assert rows, (tmp_path / "logs").read_text()[-3000:]
        _, interface, family, name, kind, domain, host, address, port, txt = rows[0][:10]
        assert (interface, family, name, kind, domain, port) == ("eth0", "IPv4", "Den", "_stb._tcp", "local", "8600")
        assert address == box_host.address and host == "stb-00aa11bb22cc33dd.local"
        keys = dict(item.strip('"').partition("=")[::2] for item in txt.split('" "'))
        assert keys["id"] == "00aa11bb22cc33dd" and keys["name"] == "Den" and keys["pair"] == "1"
        assert keys["api"] == "/api/v1" and keys["ch"] == "News 24" and keys["cid"] == "news-24"
        assert {"ver", "model"} <= set(keys)
        web = browse(laptop, env, "_http._tcp", lambda found: any("Den" in r[3] for r in found), 30)
        assert any(r[3].startswith("Den") and r[8] == "8600" for r in web), web
