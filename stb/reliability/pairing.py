"""Pairing against a hostile household member: guesses spread over expired codes, a request that blocks the
others, a restart that forgets a lock-out, a name that reads like a message, and a box with no screen.

Each case runs a real box (in-process, or `stb run --headless` as a child) on loopback; the attacker and the
household are different source addresses (127.0.0.2, 127.0.0.3: any 127/8 address reaches loopback), as two
hosts on a LAN are to the box, which counts by the socket's address.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

from stb.reliability.harness import Case, Outcome, run_cli
from stb.reliability.livebox import API, LiveBox, Skewed, case, outcome, response_refusal, running_box

AREA = "trust"
ATTACKER, HOUSEHOLD = "127.0.0.2", "127.0.0.3"


def _case(name: str, expect: str, seconds: float = 60.0) -> Callable[[Callable[[LiveBox], Outcome]], Case]:
    """A case of this area (its own default time limit) against a fresh box."""
    return case(name, expect, seconds, area=AREA)


@contextlib.contextmanager
def _from(box_base: str, address: str) -> Iterator:
    """An HTTP client whose requests leave from ``address``."""
    import httpx

    with httpx.Client(base_url=box_base, timeout=10, transport=httpx.HTTPTransport(local_address=address)) as c:
        yield c


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _begin(c, name: str):
    return c.post(f"{API}/pairing", json={"name": name})


def _guess(c, pairing_id: str, code: str):
    return c.post(f"{API}/pairing/{pairing_id}", json={"code": code})


def _code_of(box: LiveBox, pairing_id: str) -> str | None:
    """The code the TV shows for this request (None: it is not the one shown)."""
    shown = box.app.auth.pending
    return shown.code if shown is not None and shown.id == pairing_id else None


# -- hole 6: guesses over expired codes ----------------------------------------------------------------------
@_case("pairing guesses spread over expired codes", "4 wrong codes, the code left to expire, one more wrong: "
       "429 for that address (the window is not reset by expiry); another address still pairs")  # fmt: skip
def _guesses_over_expiry(box: LiveBox) -> Outcome:
    clock = Skewed()
    box.app.auth.clock = clock
    problems, statuses = [], []
    with _from(box.base, ATTACKER) as c:
        started = _begin(c, "guesser").json()
        code = _code_of(box, started["pairing_id"]) or "000000"
        statuses += [_guess(c, started["pairing_id"], _wrong(code)).status_code for _ in range(4)]
        clock.ahead += 125  # the code expires unguessed: 4 wrong codes and no lock-out so far
        again = _begin(c, "guesser")
        if again.status_code != 202:
            return Outcome(False, f"a new pairing after the expiry gave {again.status_code}")
        pairing_id = again.json()["pairing_id"]
        fifth = _guess(c, pairing_id, _wrong(_code_of(box, pairing_id) or "000000"))
        statuses.append(fifth.status_code)
    if statuses != [403, 403, 403, 403, 429]:
        problems.append(f"wrong codes across the expiry gave {statuses}, wanted 4×403 then 429")
    with _from(box.base, HOUSEHOLD) as c:
        mine = _begin(c, "Anna's phone")
        done = _guess(c, mine.json().get("pairing_id", "-"), _code_of(box, mine.json().get("pairing_id", "")) or "")
        why = response_refusal(done, 200) if done.status_code != 200 else None
        if why:
            problems.append(f"the household's pairing after the attacker's lock-out: {why}")
    return outcome(problems, f"{statuses}; Retry-After {fifth.headers.get('retry-after')} s; the household paired")


# -- hole 6: one address blocking everyone -------------------------------------------------------------------
@_case("an attacker's pending pairing and lock-out", "the household's request is queued (202, not 409), shows "
       "when the attacker's ends or asks again, and pairs; the attacker's lock-out is its own")  # fmt: skip
def _fair_queue(box: LiveBox) -> Outcome:
    problems = []
    with _from(box.base, ATTACKER) as bad, _from(box.base, HOUSEHOLD) as good:
        first = _begin(bad, "guesser")
        mine = _begin(good, "Anna's phone")
        if mine.status_code != 202:
            return Outcome(False, f"while the attacker's code was pending the household got {mine.status_code}")
        again = _begin(bad, "guesser")  # asking again goes to the back: it cannot hold the TV
        mine_id = mine.json()["pairing_id"]
        code = _code_of(box, mine_id)
        if code is None:
            problems.append("the household's code was not shown after the attacker asked again")
        else:
            statuses = [_guess(bad, again.json()["pairing_id"], "000000").status_code for _ in range(3)]
            if statuses != [409] * 3:  # its code is not up yet: nothing to guess
                problems.append(f"the attacker's guesses at a code not shown gave {statuses}")
            done = _guess(good, mine_id, code)
            if done.status_code != 200:
                problems.append(f"the household's right code gave {done.status_code}: {done.text[:120]}")
        replaced = _guess(bad, first.json()["pairing_id"], "000000").status_code
        if replaced != 404:
            problems.append(f"the attacker's first request still answered {replaced} after it asked again")
    return outcome(problems, "the household queued (202), shown once the attacker asked again, and paired")


# -- hole 6: a restart ----------------------------------------------------------------------------------------
def _lock_out(box: LiveBox) -> int:
    """Five wrong codes from the attacker: the Retry-After of the 429 (0: none)."""
    with _from(box.base, ATTACKER) as c:
        started = _begin(c, "guesser")
        if started.status_code != 202:
            return 0
        pairing_id = started.json()["pairing_id"]
        code = _code_of(box, pairing_id) or "000000"
        answers = [_guess(c, pairing_id, _wrong(code)) for _ in range(5)]
    last = answers[-1]
    return int(last.headers.get("retry-after", "0")) if last.status_code == 429 else 0


def _restart(work: Path) -> Outcome:
    problems = []
    with running_box(work) as box:
        first = _lock_out(box)
    if not first:
        return Outcome(False, "five wrong codes did not lock the attacker out")
    book = work / "state" / "pairing-lockouts.json"
    if not book.exists():
        problems.append("no lock-out kept in the state directory")
    elif stat.S_IMODE(book.stat().st_mode) != 0o600:
        problems.append(f"{book.name} is {oct(stat.S_IMODE(book.stat().st_mode))}, not 0600")
    with running_box(work) as box:
        clock = Skewed()
        box.app.auth.clock = clock
        with _from(box.base, ATTACKER) as c:
            during = _begin(c, "guesser")
        if during.status_code != 429:
            problems.append(f"after the restart, during the lock-out, a new pairing gave {during.status_code}")
        clock.ahead += first + 1
        second = _lock_out(box)
        if not 2 * first - 2 <= second <= 2 * first + 2:
            problems.append(f"the next lock-out after the restart lasted {second} s, wanted ~{2 * first} s (doubled)")
    return outcome(problems, f"lock-out {first} s kept across the restart (429), the next one {second} s")


# -- hole 6: the name is a claim -----------------------------------------------------------------------------
HOSTILE_NAME = "Web page says: call 555-0100\x1b]0;owned\x07\u202e”"


@_case("a device name that reads like a message", "the TV says Device named “…” wants to pair, from the address; "
       "no control or format character in what it draws, nor in `stb pairing list`")  # fmt: skip
def _quoted_name(box: LiveBox) -> Outcome:
    try:
        from stb.ui.pairing import words
    except ImportError:
        return Outcome(False, "the TV draws no device-name label (stb.ui.pairing.words is missing)")
    problems = []
    with _from(box.base, ATTACKER) as c:
        started = _begin(c, HOSTILE_NAME)
    if started.status_code != 202:
        return Outcome(False, f"the pairing request gave {started.status_code}")
    pending = box.app.auth.pending
    said = words(pending, 0)
    if said[0] != "Device named" or not (said[1].startswith("“") and said[1].endswith("”")):
        problems.append(f"the TV's words {said!r} do not quote the name as a device name")
    if said[1][1:-1].count("“") or said[1][1:-1].count("”"):
        problems.append(f"the name can close the TV's quotes: {said[1]!r}")
    if ATTACKER not in said[2]:
        problems.append(f"the TV does not say where the request came from: {said[2]!r}")
    listed = run_cli(["pairing", "list"], timeout=30)
    for where, text in (("the TV", " ".join(said)), ("stb pairing list", listed.out + listed.err)):
        bad = sorted({f"U+{ord(ch):04X}" for ch in text if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\n"})
        if bad:
            problems.append(f"{where} shows {', '.join(bad)}")
    if listed.code != 0:
        problems.append(f"stb pairing list: exit {listed.code}: {listed.err.strip()[-160:]!r}")
    return outcome(problems, f"{said[0]} {said[1]} {said[2]}")


# -- a box with no screen -----------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate: Callable[[], object], limit_s: float) -> object:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    return None


def _headless(work: Path) -> Outcome:
    import httpx

    lineup = work / "channels.json"
    lineup.write_text(json.dumps({"name": "t", "channels": [
        {"number": 1, "id": "c1", "name": "One", "urls": ["http://127.0.0.1:9/1.ts"]}]}))  # fmt: skip
    port, console, log = _free_port(), work / "console.txt", work / "box.log"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    problems: list[str] = []
    with open(console, "wb") as out, open(log, "wb") as err:
        argv = ["run", "--headless", "--no-headend", "--pretune", "0", "--lineup", str(lineup), "--port", str(port)]
        box = subprocess.Popen([sys.executable, "-m", "stb", *argv], stdout=out, stderr=err, env=env)
    try:
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{base}{API}/box", timeout=2).status_code == 200
            return False

        if not _wait_for(up, 60):
            return Outcome(False, f"the box did not answer: {log.read_text(errors='replace')[-300:]}")
        with _from(base, ATTACKER) as stranger, _from(base, HOUSEHOLD) as phone:
            mine = _begin(phone, "Anna's phone").json()
            theirs = _begin(stranger, "Totally the owner").json()
            printed = _wait_for(lambda: [ln for ln in console.read_text(errors="replace").splitlines()
                                         if "wants to pair" in ln and "Anna" in ln], 20)  # fmt: skip
            if not printed:
                problems.append(f"no code on the console: {console.read_text(errors='replace')[-200:]!r}")
            listed = run_cli(["pairing", "list", "--json"], timeout=30)
            rows = json.loads(listed.out) if listed.code == 0 else []
            if listed.code != 0:
                return Outcome(False, f"stb pairing list: exit {listed.code}: {listed.err.strip()[-200:]!r}")
            by_name = {r["name"]: r for r in rows}
            anna = by_name.get("Anna's phone", {})
            if not {"id", "name", "address", "code", "seconds_left"} <= set(anna):
                problems.append(f"stb pairing list --json lacks fields: {rows}")
            elif anna["id"] != mine["pairing_id"] or anna["address"] != HOUSEHOLD or not anna["code"]:
                problems.append(f"stb pairing list shows {anna}, not this request from {HOUSEHOLD}")
            elif printed and anna["code"][:3] not in printed[0]:  # type: ignore[index]
                problems.append(f"the console's code {printed[0]!r} is not the listed one")  # type: ignore[index]
            sock = Path(os.environ["STB_STATE_DIR"]) / "pairing.sock"
            if not sock.exists() or stat.S_IMODE(sock.stat().st_mode) != 0o600:
                problems.append(f"{sock} is missing or not 0600")
            denied = run_cli(["pairing", "deny", theirs["pairing_id"]], timeout=30)
            approved = run_cli(["pairing", "approve", mine["pairing_id"]], timeout=30)
            for cli in (denied, approved):
                if cli.code != 0:
                    problems.append(f"exit {cli.code}: {cli.err.strip()[-160:]!r}")
            done = phone.post(f"{API}/pairing/{mine['pairing_id']}", json={"code": ""})
            refused = stranger.post(f"{API}/pairing/{theirs['pairing_id']}", json={"code": "123456"})
            if done.status_code != 200:
                problems.append(f"the approved device's call gave {done.status_code}: {done.text[:160]}")
            else:
                token = done.json()["token"]
                state = phone.get(f"{API}/state", headers={"Authorization": f"Bearer {token}"})
                if state.status_code != 200:
                    problems.append(f"the approved device's token gave {state.status_code}")
            if refused.status_code != 403:
                problems.append(f"the refused device's call gave {refused.status_code}")
        unknown = run_cli(["pairing", "approve", "no-such-id"], timeout=30)
        if unknown.code in (0, None) or "Traceback" in unknown.err:
            problems.append(f"approving an unknown id: exit {unknown.code}, {unknown.err.strip()[-120:]!r}")
    finally:
        box.terminate()
        try:
            box.wait(20)
        except subprocess.TimeoutExpired:
            box.kill()
            box.wait()
    nobody = run_cli(["pairing", "list"], timeout=30)
    if nobody.code in (0, None) or "Traceback" in nobody.err or "no box" not in nobody.err:
        problems.append(f"with no box running: exit {nobody.code}, {nobody.err.strip()[-120:]!r}")
    return outcome(problems, "code on the console; listed with id, name, address, code, seconds left; approved "
                   "device paired without the code, denied one 403; clear errors with no box")  # fmt: skip


RESTART = Case(AREA, "a restart during a pairing lock-out", "the lock-out (kept 0600 in the state directory) "
               "still holds after the restart, and the next one doubles", _restart, seconds=120)  # fmt: skip
HEADLESS = Case(AREA, "a headless box paired by a person", "`stb run --headless` prints the code; `stb pairing list "
                "--json` shows it over the 0600 socket; approve pairs without the code, deny refuses; clear errors",
                _headless, seconds=150)  # fmt: skip
CASES = [_guesses_over_expiry, _fair_queue, RESTART, _quoted_name, HEADLESS]
