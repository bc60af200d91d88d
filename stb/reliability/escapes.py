"""Terminal escapes in what the LAN announces (issue 19, hole 7): TXT values and instance names carrying a
window-title change, a screen clear, colours and a bidi override must reach `stb discover`'s output only as
visible escapes, with no traceback there or in the box's log.

It runs on the namespace LAN of the mDNS cases (:mod:`stb.reliability.mdns`): a real box, an attacker host
announcing the hostile boxes by multicast, and a client host running `stb discover` (text and ``--json``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

from stb.reliability.harness import TRACEBACK, Case, Outcome
from stb.reliability.mdns import DISCOVER_S, attack, finished, lan_with_box, outcome

AREA = "trust"


def _controls(text: str) -> list[str]:
    """The Cc/Cf characters in ``text`` (line ends aside), as U+XXXX."""
    return sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cc", "Cf") and c != "\n"})


def _discover(client, *extra: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "stb", "discover", *extra, "--interface", "eth0", "--timeout", f"{DISCOVER_S:g}"]
    return client.run(argv, timeout=DISCOVER_S + 30)


def _escapes(work: Path) -> Outcome:
    with lan_with_box(work) as lan:
        attacker = attack(lan, "escapes", 3 * DISCOVER_S + 10)
        time.sleep(1.5)  # announced before the client looks
        text = _discover(lan.client)
        listed = _discover(lan.client, "--json")
        code, said = finished(attacker, 3 * DISCOVER_S + 40)
        problems = [] if code == 0 else [f"the attacker failed ({code}): {said[-200:]}"]
        for what, done in (("stb discover", text), ("stb discover --json", listed)):
            if done.returncode != 0 or TRACEBACK in done.stderr:
                problems.append(f"{what}: exit {done.returncode}: {done.stderr.strip()[-200:]!r}")
            bad = _controls(done.stdout + done.stderr)
            if bad:
                problems.append(f"{what} printed {', '.join(bad)} raw")
        boxes = json.loads(listed.stdout) if listed.returncode == 0 and listed.stdout.strip() else []
        hostile = [b for b in boxes if str(b.get("box_id", "")).startswith("esc-")]
        if not any(str(b.get("box_id", "")).startswith("esc-txt") for b in hostile):
            problems.append(f"none of the hostile boxes was listed (the case saw nothing to check): {boxes}")
        elif "\\x1b" not in text.stdout:
            problems.append("the escapes are not shown as visible \\x1b in the listing")
        problems += lan.box_health()
        return outcome(problems, f"{len(hostile)} hostile boxes listed, their escapes shown as text; "
                       "no traceback in `stb discover` or the box's log")  # fmt: skip


CASES = [
    Case(AREA, "terminal escapes in TXT records and instance names",
         "`stb discover` (text and --json) prints no control or format character, shows them as \\x1b…, no "
         "traceback there or in the box's log", _escapes, needs_root=True, seconds=120),
]  # fmt: skip
