"""Faults: the power cut (kill -9) in the middle of saving, and a head-end that is down when the box starts.

kill -9 during saves: a child saves the box's state, its settings and its paired devices through the
product's own stores, as fast as it can, each save a higher counter; it is killed at a random moment,
a hundred times. After each kill the files are loaded the way the box loads them at start: each
must load (old or new, never corrupt, never missing once saved) and hold at least the last counter
the child had been told was saved. The children are forked by a small server process that has
already imported the stores, so a hundred kills take seconds, not a hundred interpreter starts.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from stb.reliability.harness import Case, Outcome, small_disk

AREA = "faults"
KILLS = 100
KILL_WITHIN_S = 0.03  # each child is killed at a random moment this soon after it starts saving
KINDS = ("state", "settings", "paired")


# -- the writer: runs in the forked children ----------------------------------------------------------


def _stores(directory: Path) -> dict:
    from stb.config import StateStore
    from stb.lan.auth import PairedStore
    from stb.settings import SettingsStore

    return {"state": StateStore(directory), "settings": SettingsStore(directory), "paired": PairedStore(directory)}


def _value(kind: str, n: int):
    """The value saved as counter ``n``: every field that matters changes with it."""
    from stb.config import BoxState
    from stb.lan.auth import Device, PairedDevices
    from stb.settings import Settings

    if kind == "state":
        return BoxState(last_channel=f"ch-{n}", volume=n % 101, favourites=[f"ch-{i}" for i in range(n % 40)])
    if kind == "settings":
        return Settings(box_name=f"Box {n}", relay_channels=1 + n % 32)
    devices = [Device(f"d{n}-{i}", f"Phone {n}", "0" * 64, float(n)) for i in range(1 + n % 20)]
    return PairedDevices(devices)


def _counter(kind: str, value) -> int:
    """The counter a loaded value was saved with (-1: the defaults, nothing saved yet)."""
    if kind == "state":
        return int(value.last_channel[3:]) if value.last_channel else -1
    if kind == "settings":
        return int(value.box_name[4:]) if value.box_name.startswith("Box ") else -1
    return int(value.devices[0].paired_at) if value.devices else -1


def _save_forever(directory: Path, start: int) -> None:
    """Save the three files in turn, counters rising, telling stdout after each save returned."""
    stores = _stores(directory)
    n = start
    while True:
        for kind, store in stores.items():
            store.save(_value(kind, n))
            os.write(1, f"saved {kind} {n}\n".encode())
        n += 1


def serve_writers() -> None:
    """The fork server: for each line ``DIRECTORY START`` on stdin, fork a writer, say its pid, reap it, say so."""
    _stores(Path("."))  # import everything the writers need once, before any fork
    for line in sys.stdin:
        directory, start = line.split()
        pid = os.fork()
        if pid == 0:
            try:
                _save_forever(Path(directory), int(start))
            finally:
                os._exit(1)
        os.write(1, f"pid {pid}\n".encode())
        os.waitpid(pid, 0)
        os.write(1, b"reaped\n")


# -- the case -----------------------------------------------------------------------------------------


def _leftover_temps(directory: Path) -> list[Path]:
    """Temporary files of interrupted atomic writes (``.NAME.XXXX.tmp``) of the stores' files."""
    files = {store.path.name for store in _stores(directory).values()}
    return [p for p in directory.glob(".*.tmp") if p.name[1:].split(".tmp")[0].rsplit(".", 1)[0] in files]


def _load_all(directory: Path, acked: dict[str, int]) -> tuple[int, list[str]]:
    """Load each file as the box does at start: (how many are lost or corrupt, what was wrong)."""
    wrong = []
    for kind, store in _stores(directory).items():
        value = store.load()
        if store.notice:
            wrong.append(f"{kind}: {store.notice}")
            continue
        got = _counter(kind, value)
        if got < acked.get(kind, -1):
            what = "missing" if got < 0 else f"older than saved ({got} < {acked[kind]})"
            wrong.append(f"{kind}: {what}")
    return len(wrong), wrong


def _ack(acked: dict[str, int], said: list[str]) -> int:
    """A writer's ``saved KIND N`` (its words after the first): the newest save of each kind acknowledged."""
    kind, n = said
    acked[kind] = max(acked.get(kind, -1), int(n))
    return 1


def _kill_during_saves(work: Path) -> Outcome:
    directory = work / "state"
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    command = [sys.executable, "-c", "from stb.reliability.faults import serve_writers; serve_writers()"]
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    acked: dict[str, int] = {}
    lost, problems, most_temps, saves = 0, [], 0, 0
    try:
        for kill in range(KILLS):
            start = max(acked.values(), default=-1) + 1
            server.stdin.write(f"{directory} {start}\n")
            server.stdin.flush()
            pid = None
            while pid is None and (line := server.stdout.readline()):  # the writer may save before its pid is said
                word, *rest = line.split()
                if word == "pid":
                    pid = int(rest[0])
                else:
                    saves += _ack(acked, rest)
            if pid is None:
                raise RuntimeError("the fork server ended")
            time.sleep(rng.uniform(0, KILL_WITHIN_S))
            os.kill(pid, signal.SIGKILL)
            while (line := server.stdout.readline()) and line != "reaped\n":
                saves += _ack(acked, line.split()[1:])
            most_temps = max(most_temps, len(_leftover_temps(directory)))
            bad, wrong = _load_all(directory, acked)
            lost += bad
            problems += [f"kill {kill + 1}: {w}" for w in wrong]
    finally:
        server.stdin.close()
        server.kill()
        server.wait(10)
    temps = _leftover_temps(directory)
    saw = (f"{KILLS} kills over {saves} acknowledged saves: {lost} lost or corrupt loads; up to {most_temps} "
           f"temporary files left by killed writes before a load, {len(temps)} after the last one")  # fmt: skip
    if problems:
        saw += "; " + "; ".join(problems[:3])
    return Outcome(not problems and not temps and saves > KILLS, saw, lost)


# -- the head-end down at boot ------------------------------------------------------------------------


def _headend_down_at_boot(work: Path) -> Outcome:
    """The box starts on a line-up whose head-end is not running; it comes up 3 s later on that port."""
    from stb.reliability.tvlab import GOOD_TV, PICTURE_S, BoxLab

    with BoxLab(work, headend=True, headend_up=False, wait_for_picture=False) as lab:
        down = lab.watch(lambda: lab.app.player.state.value == "failed", 10)
        told = lab.app.player.state.value == "failed" and lab.app.screen.centre_message()
        lab.watch(lambda: False, max(0.0, 3.0 - down.seconds))
        lab.start_headend()
        up_at = time.monotonic()
        up = lab.watch(lambda: lab.shows_channel(GOOD_TV, up_at), PICTURE_S + 10)
        pictures = lab.shows_channel(GOOD_TV, up_at)
    problems = [text for bad, text in (
        (not told, "the TV did not say the channel is unavailable"),
        (not pictures, f"no pictures {up.seconds:.0f} s after the head-end came up"),
        (not (down.kept_drawing and up.kept_drawing), "the TV stopped drawing"),
    ) if bad]  # fmt: skip
    saw = (f"head-end down: {down.describe()}; up: channel {GOOD_TV}'s pictures {up.seconds:.1f} s later "
           f"without a key press ({up.describe()})")  # fmt: skip
    return Outcome(not problems, ("; ".join(problems) + " — " if problems else "") + saw)


# -- timeshift on a full disk ---------------------------------------------------------------------------


def _timeshift_disk_full(work: Path) -> Outcome:
    """Timeshift's buffer on a disk with no room to spare: it stops and says so; live TV and the box go on."""
    from stb.reliability.tvlab import GOOD_TV, PICTURE_S, BoxLab
    from stb.settings import Settings, SettingsStore

    with small_disk(work / "small-disk", "8m") as disk:
        SettingsStore(work / "state").save(Settings(timeshift_dir=str(disk)))
        with BoxLab(work, timeshift=True) as lab:
            said = lab.watch(lambda: any("Timeshift stopped" in t for t in lab.osd_texts()), PICTURE_S)
            stopped = any("Timeshift stopped" in t for t in said.texts)
            going_on = time.monotonic()
            live = lab.watch(lambda: lab.shows_channel(GOOD_TV, going_on), PICTURE_S)
            playing = lab.shows_channel(GOOD_TV, going_on)
            lab.app.box.set_volume(40)
            lab.app.box.flush()
            saved = lab.app.box.store.load().volume == 40
    problems = [text for bad, text in (
        (not stopped, "the TV never said the timeshift buffer stopped"),
        (not playing, "live TV did not go on"),
        (not saved, "the box's state was not saved"),
        (not (said.kept_drawing and live.kept_drawing), "the TV stopped drawing"),
    ) if bad]  # fmt: skip
    notice = next((t for t in said.texts if "Timeshift" in t), "nothing")
    saw = f"said {notice!r} after {said.seconds:.1f} s; live pictures {live.seconds:.1f} s later; state saved"
    return Outcome(not problems, ("; ".join(problems) + " — " if problems else "") + saw)


CASES = [
    Case(AREA, "kill -9 during state, settings and paired-device saves", f"{KILLS} kills at random moments: every "
         "file loads, old or new, never corrupt or missing; no temporary files pile up", _kill_during_saves,
         seconds=60),
    Case(AREA, "disk full under the timeshift buffer", "TV: 'Timeshift stopped: …' once; live TV plays on; the "
         "box's state is still saved", _timeshift_disk_full, needs_root=True, seconds=60),
    Case(AREA, "head-end down at boot, then up", "TV: 'Channel unavailable' at once, then the channel's pictures "
         "by itself once the head-end is up", _headend_down_at_boot, seconds=60),
]  # fmt: skip
