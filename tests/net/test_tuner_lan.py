"""The network tuner found as households' apps find an HDHomeRun: `stb run --network-tuner` on one namespace
host; on another, Debian's `hdhomerun_config discover` (libhdhomerun, UDP 65001) and an SSDP M-SEARCH.
With the switch off, neither gets an answer."""

from __future__ import annotations

import json
import os
import re
import sys
import time

import pytest

from stb.net import hdhr
from tests.netns import netns_lan

pytestmark = [pytest.mark.netns, pytest.mark.slow]

BOX_ID = "00aa11bb22cc33dd"
LINEUP = {
    "name": "tuner test",
    "channels": [{"number": n, "id": f"c{n}", "name": f"Channel {n}", "urls": [f"http://127.0.0.1:9/{n}.ts"]}
                 for n in (1, 2, 3)],
}  # fmt: skip
# One M-SEARCH from the client host, every answer within the wait printed as JSON (a real control point's ask).
MSEARCH = r"""
import json, socket, sys, time
st, wait = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
s.bind(("0.0.0.0", 0))
s.sendto(("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n"
          f"ST: {st}\r\n\r\n").encode(), ("239.255.255.250", 1900))
s.settimeout(0.2)
end, got = time.monotonic() + wait, []
while time.monotonic() < end:
    try:
        data, addr = s.recvfrom(4096)
    except socket.timeout:
        continue
    headers = dict((k.strip().upper(), v.strip()) for k, _, v in
                   (line.partition(":") for line in data.decode().split("\r\n")[1:] if ":" in line))
    got.append({"from": addr[0], **headers})
print(json.dumps(got))
"""


def start_box(host, tmp_path, name: str, *extra: str):
    state = tmp_path / name
    state.mkdir()
    (state / "settings.json").write_text(json.dumps({"box_id": BOX_ID, "box_name": "Den"}))
    (tmp_path / "channels.json").write_text(json.dumps(LINEUP))
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "STB_STATE_DIR": str(state)}
    lineup = str(tmp_path / "channels.json")
    run = [sys.executable, "-m", "stb", "run", "--headless", "--no-headend", "--lineup", lineup,
           "--listen", "0.0.0.0", "--interface", "eth0", "--port", "8600", "--pretune", "0", "--run-for", "90",
           *extra]  # fmt: skip
    log = open(tmp_path / f"{name}.err", "w")  # noqa: SIM115 (closed with the process below)
    return host.popen(run, env=env, stdout=log, stderr=log), log


def wait_http(client, url: str, seconds: float = 60.0) -> str:
    """The box starts pygame, libVLC and the API first: its tuner answers once the API does."""
    deadline = time.monotonic() + seconds
    code = ""
    while time.monotonic() < deadline:
        code = client.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url], capture_output=True,
                          text=True).stdout  # fmt: skip
        if code not in ("", "000"):
            return code
        time.sleep(0.5)
    return code


def discover(client) -> str:
    return client.run(["hdhomerun_config", "discover"], capture_output=True, text=True, timeout=30).stdout


def until(ask, done, seconds: float = 30.0):
    """Ask again until ``done(answer)``: the API answers a moment before the tuner's responders are bound."""
    deadline = time.monotonic() + seconds
    answer = ask()
    while not done(answer) and time.monotonic() < deadline:
        answer = ask()
    return answer


def msearch(client, st: str, wait: float = 2.0) -> list[dict]:
    done = client.run([sys.executable, "-c", MSEARCH, st, str(wait)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.timeout(240)
def test_hdhomerun_config_and_ssdp_find_the_box_only_while_the_switch_is_on(tmp_path):
    device_id = hdhr.device_id_text(BOX_ID)
    with netns_lan(2) as (box_host, client):
        base = f"http://{box_host.address}:8600"
        box, log = start_box(box_host, tmp_path, "on", "--network-tuner")
        try:
            assert wait_http(client, f"{base}/discover.json") == "200", (tmp_path / "on.err").read_text()[-2000:]
            found = until(lambda: discover(client), lambda text: device_id in text)
            # libhdhomerun: "hdhomerun device 1XXXXXXX found at 10.123.…" (it checks the id's check digit too)
            assert re.search(rf"hdhomerun device {device_id} found at {re.escape(box_host.address)}\b", found), found
            for st in ("urn:schemas-upnp-org:device:MediaServer:1", "ssdp:all"):
                answers = until(lambda st=st: msearch(client, st), bool)
                assert answers, st
                assert {a["from"] for a in answers} == {box_host.address}
                assert {a["LOCATION"] for a in answers} == {f"{base}/device.xml"}
                assert st == "ssdp:all" or [a["ST"] for a in answers] == [st]
            xml = client.run(["curl", "-s", f"{base}/device.xml"], capture_output=True, text=True).stdout
            assert "<deviceType>urn:schemas-upnp-org:device:MediaServer:1</deviceType>" in xml
            assert msearch(client, "urn:schemas-upnp-org:device:Printer:1", wait=1.0) == []  # not what it is
            model = client.run(["hdhomerun_config", device_id, "get", "/sys/model"], capture_output=True, text=True,
                               timeout=30)  # fmt: skip
            assert model.stdout.strip() == "hdhomerun5_atsc", model.stdout + model.stderr
            hwmodel = client.run(["hdhomerun_config", box_host.address, "get", "/sys/hwmodel"], capture_output=True,
                                 text=True, timeout=30)  # fmt: skip
            assert hwmodel.stdout.strip() == hdhr.MODEL
        finally:
            box.terminate()
            box.wait(timeout=20)
            log.close()

        box, log = start_box(box_host, tmp_path, "off")  # the same box, the switch as it is by default: off
        try:
            assert wait_http(client, f"{base}/api/v1/box") == "200", (tmp_path / "off.err").read_text()[-2000:]
            assert wait_http(client, f"{base}/discover.json") == "404"
            # the tuner's responders would start before zeroconf binds its socket: once that is there, they are not
            listening = until(lambda: box_host.run(["ss", "-uln"], capture_output=True, text=True).stdout,
                              lambda text: ":5353" in text)  # fmt: skip
            assert ":5353" in listening and ":65001" not in listening and ":1900" not in listening, listening
            assert device_id not in discover(client)
            assert msearch(client, "ssdp:all", wait=1.5) == []
        finally:
            box.terminate()
            box.wait(timeout=20)
            log.close()
