"""mDNS on a LAN with a hostile host: malformed packets, a flood of fake boxes, a box whose link goes down.

Everything runs on a throw-away LAN of network namespaces (``stb.netns``): a real box (``stb run
--headless`` announcing on its eth0), an attacker host sending raw UDP to 224.0.0.251:5353, and a client
host running ``stb discover --json``. Nothing multicasts on the machine's own interfaces: the attacker
side of this module (``python -m stb.reliability.mdns attack KIND SECONDS``) refuses to run outside a
namespace host.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stb.reliability.harness import TRACEBACK, Case, Outcome

AREA = "mDNS"
NS_PREFIX = "stbr"  # namespaces stbr-<pid>-…
SUBNET_PREFIX = "10.126"
PORT = 8600
MDNS = ("224.0.0.251", 5353)
DISCOVER_S = 2.0  # how long each `stb discover` listens
START_S = 40.0  # the box's start and first announcement (pygame, libVLC, probing)
FAKES = 500
STB_TYPE = "_stb._tcp.local."


# -- the LAN -------------------------------------------------------------------------------------------------
@dataclass
class Lan:
    box: Any  # stb.netns.Host running the box
    attacker: Any
    client: Any
    process: subprocess.Popen
    log: Path
    box_id: str
    name: str  # the name its API gives (a new box's default name ends in its id's last hex digits)

    def box_health(self) -> list[str]:
        """What is wrong with the box after an attack (nothing: an empty list)."""
        problems = []
        if self.process.poll() is not None:
            problems.append(f"the box exited with {self.process.returncode}")
        text = self.log.read_text(errors="replace")
        if TRACEBACK in text:
            problems.append(
                "a traceback in the box's log: " + text[text.index(TRACEBACK) :][-300:].replace("\n", " | ")
            )
        if box_info(self.client, self.box.address, 5) is None:
            problems.append("the box's API does not answer any more")
        return problems


def box_info(client, address: str, limit_s: float) -> dict | None:
    """``GET /api/v1/box`` from the client host, tried until ``limit_s``; None when it never answered."""
    url = f"http://{address}:{PORT}/api/v1/box"
    fetch = f"import urllib.request; print(urllib.request.urlopen({url!r}, timeout=2).read().decode())"
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        done = client.run([sys.executable, "-c", fetch], timeout=10)
        if done.returncode == 0:
            return json.loads(done.stdout)
        time.sleep(0.3)
    return None


@dataclass
class Discovery:
    boxes: list[dict] | None  # None: it failed (see ``error``)
    seconds: float
    error: str = ""

    def has(self, lan: Lan) -> str | None:
        """None when the real box is listed rightly (id, port, address); else what is wrong."""
        if self.boxes is None:
            return f"stb discover failed: {self.error}"
        mine = [b for b in self.boxes if b.get("box_id") == lan.box_id]
        if not mine:
            return f"stb discover did not list the real box among {len(self.boxes)}"
        box = mine[0]
        if box["port"] != PORT or lan.box.address not in box["addresses"] or box["name"] != lan.name:
            return f"the real box listed wrongly: {box}"
        return None


def discover(client, timeout_s: float = DISCOVER_S) -> Discovery:
    """`stb discover --json` on the client host's eth0."""
    began = time.monotonic()
    argv = [sys.executable, "-m", "stb", "discover", "--json", "--interface", "eth0", "--timeout", f"{timeout_s:g}"]
    try:
        done = client.run(argv, timeout=timeout_s + 20)
    except subprocess.TimeoutExpired:
        return Discovery(None, time.monotonic() - began, "hung: killed")
    took = time.monotonic() - began
    if done.returncode != 0 or TRACEBACK in done.stderr:
        return Discovery(None, took, f"exit {done.returncode}: {done.stderr.strip()[-300:]}")
    return Discovery(json.loads(done.stdout), took)


def discover_until(lan: Lan, limit_s: float) -> tuple[Discovery, float]:
    """Discover again until the real box is listed or ``limit_s`` passed: (the last discovery, seconds taken)."""
    began = time.monotonic()
    while True:
        found = discover(lan.client)
        if found.has(lan) is None or time.monotonic() - began > limit_s:
            return found, time.monotonic() - began


@contextlib.contextmanager
def lan_with_box(work: Path) -> Iterator[Lan]:
    """Three namespace hosts (box, attacker, client) on one bridge; the box running and found once."""
    from stb.netns import netns_lan, wait_for_addresses

    lineup = work / "channels.json"
    lineup.write_text(json.dumps({"name": "t", "channels": [
        {"number": 1, "id": "c1", "name": "Channel 1", "urls": ["http://127.0.0.1:9/1.ts"]}]}))  # fmt: skip
    log = work / "box.log"
    with netns_lan(3, prefix=NS_PREFIX, subnet_prefix=SUBNET_PREFIX) as (box, attacker, client):
        wait_for_addresses([box, attacker, client])
        env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
        with open(log, "w") as err:
            process = box.popen([sys.executable, "-m", "stb", "run", "--headless", "--no-headend", "--pretune", "0",
                                 "--lineup", str(lineup), "--listen", "0.0.0.0", "--interface", "eth0",
                                 "--port", str(PORT)], stdout=subprocess.DEVNULL, stderr=err, env=env)  # fmt: skip
        info = box_info(client, box.address, START_S)
        if info is None:
            raise RuntimeError(f"the box did not answer: {log.read_text(errors='replace')[-300:]}")
        lan = Lan(box, attacker, client, process, log, info["id"], info["name"])
        found, _ = discover_until(lan, 15)
        if found.has(lan) is not None:
            raise RuntimeError(f"the box was not found before any attack: {found.has(lan)}")
        yield lan


def attack(lan: Lan, kind: str, seconds: float) -> subprocess.Popen:
    """Start ``python -m stb.reliability.mdns attack KIND SECONDS`` on the attacker host."""
    from stb.bench import mdns_actors

    env = {**os.environ, mdns_actors.LAUNCHER_NETNS: str(mdns_actors.netns_id())}
    argv = [sys.executable, "-m", "stb.reliability.mdns", "attack", kind, f"{seconds:g}", lan.attacker.address]
    return lan.attacker.popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finished(process: subprocess.Popen, limit_s: float) -> tuple[int | None, str]:
    """(exit code, what it said) of an attacker, killed after ``limit_s``."""
    try:
        out, err = process.communicate(timeout=limit_s)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        return None, err
    return process.returncode, (out + err).strip()


def outcome(problems: list[str], saw: str) -> Outcome:
    return Outcome(not problems, "; ".join(problems[:3]) if problems else saw)


# -- packets an attacker sends -------------------------------------------------------------------------------
def _header(flags: int, qd: int = 0, an: int = 0, ns: int = 0, ar: int = 0) -> bytes:
    return struct.pack("!HHHHHH", 0, flags, qd, an, ns, ar)


def _name(text: str) -> bytes:
    return b"".join(bytes([len(part)]) + part for part in (p.encode() for p in text.split(".") if p)) + b"\x00"


def _records(records: list[Any]) -> list[bytes]:
    """Well-formed response packets carrying ``records`` (python-zeroconf's own writer)."""
    from zeroconf import DNSOutgoing, const

    out = DNSOutgoing(const._FLAGS_QR_RESPONSE | const._FLAGS_AA)
    for record in records:
        out.add_answer_at_time(record, 0)
    return out.packets()


def malformed_packets(seed: int = 11) -> list[bytes]:
    """Truncated headers, compression loops, bad lengths, a huge TXT, PTRs to ``_stb._tcp`` with garbage
    SRV/TXT, and random bytes: what a broken or hostile device may send."""
    from zeroconf import DNSPointer, DNSService, DNSText, const

    response = 0x8400
    ptr = _name(STB_TYPE) + struct.pack("!HHIH", 12, 1, 120, 2) + b"\xc0\x0c"  # PTR pointing at itself
    packets = [
        b"", b"\x00", b"\x00\x00\x84", _header(response)[:11],  # truncated headers
        _header(response, an=65535),  # 65535 answers announced, none there
        _header(0, qd=1) + b"\xc0\x0c" + struct.pack("!HH", 12, 1),  # a question whose name points at itself
        _header(0, qd=1) + b"\xc0\x12\xc0\x0c" + struct.pack("!HH", 12, 1),  # two pointers pointing at each other
        _header(response, an=1) + ptr,  # an answer whose target points back at itself
        _header(response, an=1) + _name(STB_TYPE) + struct.pack("!HHIH", 12, 1, 120, 500) + b"\x05short",  # lies
        _header(response, an=1) + b"\x7f" + b"a" * 127 + b"\x00" + struct.pack("!HHIH", 16, 1, 120, 0),  # label > 63
        _header(response, an=1) + b"\x3fa" * 200,  # a name over 255 bytes, never ending
    ]  # fmt: skip
    garbage = [("Huge TXT", [b"k%d=" % i + b"x" * 250 for i in range(34)]),  # ~8.7 KB of TXT
               ("Bad UTF-8", [b"\xff\xfe=\xff", b"id=\xc3\x28", b"=novalue", b"\x00\x00"]),
               ("No id", [b"name=Nobody", b"pair=2"])]  # fmt: skip
    for label, txt in garbage:
        name = f"{label}.{STB_TYPE}"
        wire = b"".join(bytes([len(t)]) + t for t in txt)
        packets += _records([
            DNSPointer(STB_TYPE, const._TYPE_PTR, const._CLASS_IN, 120, name),
            DNSService(name, const._TYPE_SRV, const._CLASS_IN | const._CLASS_UNIQUE, 120, 0, 0, 0, "\x00bad..local."),
            DNSText(name, const._TYPE_TXT, const._CLASS_IN | const._CLASS_UNIQUE, 120, wire),
        ])  # fmt: skip
    rng = random.Random(seed)
    packets += [rng.randbytes(rng.randrange(1, 1400)) for _ in range(200)]
    packets += [bytes(p[: rng.randrange(len(p))]) for p in list(packets) if len(p) > 1]  # each cut short
    return packets


def fake_boxes(count: int, address: str) -> list[bytes]:
    """``count`` boxes that do not exist, each with PTR, SRV, TXT (a valid id) and an A record, as one host
    announcing them would send (its own address in every A record)."""
    from zeroconf import DNSAddress, DNSPointer, DNSService, DNSText, const

    unique = const._CLASS_IN | const._CLASS_UNIQUE
    packets: list[bytes] = []
    for start in range(0, count, 10):
        records = []
        for i in range(start, min(count, start + 10)):
            name, host = f"Fake {i}.{STB_TYPE}", f"fake-{i}.local."
            txt = b"".join(bytes([len(t)]) + t for t in (b"id=fake%04d" % i, b"name=Fake %d" % i, b"api=/api/v1"))
            records += [DNSPointer(STB_TYPE, const._TYPE_PTR, const._CLASS_IN, 120, name),
                        DNSService(name, const._TYPE_SRV, unique, 120, 0, 0, 8600, host),
                        DNSText(name, const._TYPE_TXT, unique, 120, txt),
                        DNSAddress(host, const._TYPE_A, unique, 120, socket.inet_aton(address))]  # fmt: skip
        packets += _records(records)
    return packets


def send_for(packets: list[bytes], address: str, seconds: float) -> int:
    """Send ``packets`` to the mDNS group from ``address`` over and over for ``seconds``; how many were sent."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(address))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    sent, deadline = 0, time.monotonic() + seconds
    with sock:
        while time.monotonic() < deadline:
            for packet in packets:
                with contextlib.suppress(OSError):  # an empty or oversized datagram: the next one
                    sock.sendto(packet, MDNS)
                    sent += 1
            time.sleep(0.2)
    return sent


#: Terminal escapes an attacker puts in what `stb discover` prints: a window title, a screen clear, colours,
#: a bidi override. The boxes announce ``id=esc…`` so the case can find them in the listing.
ESCAPES = ("\x1b]0;owned\x07", "\x1b[2J\x1b[H", "\x1b[31mred\x1b[0m", "\u202egnp.exe", "\x9b6n")


def escape_boxes(address: str) -> list[bytes]:
    """Boxes whose TXT values (name, channel, model) carry terminal escapes, and boxes whose instance names do."""
    from zeroconf import DNSAddress, DNSPointer, DNSService, DNSText, const

    unique = const._CLASS_IN | const._CLASS_UNIQUE
    records = []
    for i, escape in enumerate(ESCAPES):
        for kind, instance in (("txt", f"Quiet {i}"), ("name", f"Loud{escape} {i}")):
            name, host = f"{instance}.{STB_TYPE}", f"esc-{kind}-{i}.local."
            txt = [f"id=esc-{kind}-{i}", f"name=Box {escape} here", f"ch=News{escape}", f"model=stb{escape}",
                   "api=/api/v1"]  # fmt: skip
            wire = b"".join(bytes([len(t.encode())]) + t.encode() for t in txt)
            records += [DNSPointer(STB_TYPE, const._TYPE_PTR, const._CLASS_IN, 120, name),
                        DNSService(name, const._TYPE_SRV, unique, 120, 0, 0, 8600, host),
                        DNSText(name, const._TYPE_TXT, unique, 120, wire),
                        DNSAddress(host, const._TYPE_A, unique, 120, socket.inet_aton(address))]  # fmt: skip
    return [packet for record in records for packet in _records([record])] + _records(records)


ATTACKS: dict[str, Callable[[str], list[bytes]]] = {
    "malformed": lambda address: malformed_packets(),
    "flood": lambda address: fake_boxes(FAKES, address),
    "escapes": escape_boxes,
}


# -- cases ---------------------------------------------------------------------------------------------------
def _under_attack(kind: str, check: Callable[[Lan, Discovery], list[str]], saw: Callable[[Lan, Discovery], str]):
    """A case: the attacker sends ``kind`` while the client discovers; then the box must still be fine."""

    def run(work: Path) -> Outcome:
        with lan_with_box(work) as lan:
            attacker = attack(lan, kind, DISCOVER_S + 3)
            time.sleep(1)  # the attack is under way before the client looks
            during = discover(lan.client)
            code, said = finished(attacker, DISCOVER_S + 30)
            problems = [] if code == 0 else [f"the attacker failed ({code}): {said[-200:]}"]
            problems += [p for p in [during.has(lan)] if p] + check(lan, during)
            after, _ = discover_until(lan, 10)
            problems += [f"after the attack: {p}" for p in [after.has(lan)] if p] + lan.box_health()
            return outcome(problems, f"{said}; {saw(lan, during)}")

    return run


def _bounded(lan: Lan, found: Discovery) -> list[str]:
    from stb.lan.discovery import MAX_BOXES, MAX_BOXES_PER_ADDRESS

    problems = []
    boxes = found.boxes or []
    fakes = sum(1 for b in boxes if lan.attacker.address in b["addresses"])
    if len(boxes) > MAX_BOXES or fakes > MAX_BOXES_PER_ADDRESS:
        problems.append(f"stb discover listed {len(boxes)} boxes, {fakes} from the flooding host (caps: "
                        f"{MAX_BOXES}, {MAX_BOXES_PER_ADDRESS} per address)")  # fmt: skip
    if found.seconds > DISCOVER_S + 10:
        problems.append(f"stb discover took {found.seconds:.1f} s for a {DISCOVER_S:g} s listen")
    return problems


def _link_flap(work: Path) -> Outcome:
    """The box's eth0 goes down, loses its address, comes back and gets it again (a Wi-Fi drop, a DHCP renewal)."""
    with lan_with_box(work) as lan:
        ns = lan.box.namespace
        for argv in (["link", "set", "eth0", "down"], ["addr", "flush", "dev", "eth0"]):
            subprocess.run(["ip", "-n", ns, *argv], check=True)
        time.sleep(3)
        for argv in (["link", "set", "eth0", "up", "multicast", "on"], ["addr", "add", f"{lan.box.address}/24",
                     "dev", "eth0"], ["route", "add", "224.0.0.0/4", "dev", "eth0"]):  # fmt: skip
            subprocess.run(["ip", "-n", ns, *argv], check=True)
        found, took = discover_until(lan, 20)
        problems = [f"not found again within {took:.0f} s: {p}" for p in [found.has(lan)] if p] + lan.box_health()
        return outcome(problems, f"found again {took:.1f} s after the link came back (one `stb discover` takes "
                       f"{DISCOVER_S:g} s)")  # fmt: skip


CASES = [
    Case(AREA, "malformed packets from another host",
         "the box keeps answering; `stb discover` on a third host lists it rightly, during and after; no crash, no "
         "traceback in the box's log", _under_attack("malformed", lambda lan, found: [],
                                                      lambda lan, found: f"found in {found.seconds:.1f} s during it"),
         needs_root=True, seconds=90),
    Case(AREA, f"{FAKES} fake boxes from one host",
         "`stb discover` still lists the real box rightly, within its time and its cap on boxes; the box is unharmed",
         _under_attack("flood", _bounded, lambda lan, found: f"stb discover listed {len(found.boxes or [])} boxes "
                       f"(the real one among them) in {found.seconds:.1f} s"),
         needs_root=True, seconds=90),
    Case(AREA, "the box's link down and up",
         "the box announces itself again and a client on another host finds it within 20 s", _link_flap,
         needs_root=True, seconds=90),
]  # fmt: skip


def main(argv: list[str]) -> int:
    """``attack KIND SECONDS ADDRESS``: only inside a namespace host (it multicasts)."""
    from stb.bench.mdns_actors import in_own_namespace

    if not in_own_namespace():
        print("stb.reliability.mdns multicasts: it only runs inside a namespace host (stb.netns)", file=sys.stderr)
        return 2
    if len(argv) != 4 or argv[0] != "attack" or argv[1] not in ATTACKS:
        print(f"usage: python -m stb.reliability.mdns attack {'|'.join(ATTACKS)} SECONDS ADDRESS", file=sys.stderr)
        return 2
    packets = ATTACKS[argv[1]](argv[3])
    sent = send_for(packets, argv[3], float(argv[2]))
    print(f"{argv[1]}: {sent} packets sent ({len(packets)} kinds)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
