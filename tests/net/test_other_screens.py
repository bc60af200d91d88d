"""Box to box on a pretend home LAN: the Other screens menu, pairing with another box, mirroring it.

Two whole boxes (`App`s with libVLC, pygame and the API) run in namespace hosts of their own, each in a
process (``mdns_hosts.py tv``), with the demo head-end in box A's host. Box B lists A with what it shows
(never itself), follows A's zaps in the list, pairs with A by typing the code A's TV shows (read from
A, as a person reads the screen) with key presses on B, mirrors A (B's pictures carry A's channel
marker, and follow A's zaps), and tunes A's channel from its own line-up.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stb.headend.catalog import demo_lineup
from stb.pvr.library import Meta, Part
from stb.reliability.tvlab import demo_clip
from stb.ts.span import pcr_span
from tests.net.mdns_hosts import Actor
from tests.netns import netns_lan

pytestmark = [pytest.mark.netns, pytest.mark.slow]

A_ID, B_ID = "aaaa1111aaaa1111", "bbbb2222bbbb2222"


def peek_until(actor: Actor, predicate, what: str, timeout: float = 30.0) -> dict:
    """Ask the box what it shows until ``predicate(peek)``; fail after ``timeout`` s with the last answer."""
    deadline = time.monotonic() + timeout
    last: dict = {}
    while time.monotonic() < deadline:
        actor.send("peek")
        last = actor.expect(10, "peek")
        if predicate(last):
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last peek {last}; {actor.describe()}")


def wait_for_headend(host, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if host.run(["curl", "-sf", "-o", "/dev/null", f"http://{host.address}:8554/health"]).returncode == 0:
            return
        time.sleep(0.3)
    raise AssertionError("the head-end did not answer within the time-out")


REC_ID = "0123456789abcdef"


def record_on(state: Path) -> None:
    """A recording in a box's state directory, as its recorder leaves one: channel 4's clip looped to ~50 s
    (the picture carries channel 4's marker), its metadata beside it."""
    folder = state / "recordings" / REC_ID
    folder.mkdir(parents=True)
    clip = folder / "clip.ts"
    clip.write_bytes(demo_clip(4))
    subprocess.run(["ffmpeg", "-v", "error", "-stream_loop", "4", "-i", str(clip), "-map", "0", "-c", "copy",
                    "-f", "mpegts", str(folder / "part-1.ts")], check=True, timeout=60)  # fmt: skip
    clip.unlink()
    length = pcr_span(folder / "part-1.ts") or 30.0
    start = time.time() - 3600
    meta = Meta(REC_ID, "cinema", "Cinema One", "The Last Express", start, start + length, state="done",
                parts=[Part("part-1.ts", start, start + length, (folder / "part-1.ts").stat().st_size)])  # fmt: skip
    (folder / "meta.json").write_text(json.dumps(meta.to_json()))


def _position_on(state: Path, timeout: float) -> float:
    """The resume position a box keeps for the recording, once it is set."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        position = json.loads((state / "recordings" / REC_ID / "meta.json").read_text()).get("position", 0.0)
        if position > 0:
            return position
        time.sleep(0.2)
    raise AssertionError("the box never got the position where the other screen stopped")


def start_tv(host, tmp_path, name: str, box_id: str, lineup_json: str, before=lambda state: None) -> Actor:
    state = tmp_path / name
    state.mkdir()
    before(state)
    (state / "settings.json").write_text(json.dumps({"box_id": box_id, "box_name": name}))
    (state / "channels.json").write_text(lineup_json)
    actor = Actor(host, "tv", str(state), str(state / "channels.json"))
    actor.expect(60, "ready")  # pygame, libVLC, the API and the announcement are up
    return actor


@pytest.mark.timeout(420)
def test_a_second_box_lists_pairs_with_mirrors_and_tunes_the_first(tmp_path):
    with netns_lan(2) as (a_host, b_host), open(tmp_path / "headend.log", "w") as headend_log:
        headend = [sys.executable, "-m", "stb", "headend", "--host", a_host.address, "--port", "8554"]
        a_host.popen(headend, stdout=headend_log, stderr=headend_log)
        wait_for_headend(a_host)
        lineup = demo_lineup(a_host.address, 8554).model_dump_json(exclude_none=True)
        a = start_tv(a_host, tmp_path, "Den", A_ID, lineup, before=record_on)
        b = start_tv(b_host, tmp_path, "Bedroom", B_ID, lineup)
        try:
            peek_until(a, lambda p: p["marker"] == 1, "box A playing channel 1", 60)
            seen = peek_until(b, lambda p: p["boxes"], "box B finding box A", 60)
            assert [box_id for _, box_id, _ in seen["boxes"]] == [A_ID]  # A, and never B itself
            peek_until(b, lambda p: p["boxes"] == [["Den", A_ID, channel(lineup, 1)["name"]]], "A's channel", 20)

            a.send("zap 2")
            peek_until(b, lambda p: p["boxes"] == [["Den", A_ID, channel(lineup, 2)["name"]]], "A's zap in B's list")

            b.send("press o return return")  # Other screens, Den, Watch here: not paired yet, so pairing
            shown = peek_until(a, lambda p: p["code"], "A's TV showing a pairing code", 20)["code"]
            peek_until(b, lambda p: p["screen"] == "code", "B asking for the code", 20)
            wrong = "".join(str((int(d) + 1) % 10) for d in shown)
            b.send("press " + " ".join(wrong))
            told = peek_until(b, lambda p: p["screen"] == "code" and p["message"], "B saying the code was wrong", 20)
            assert "Wrong code" in told["message"]
            b.send("press " + " ".join(shown))
            mirrored = peek_until(b, lambda p: p["mirroring"] == "Den" and p["marker"] == 2, "B mirroring A", 40)
            assert mirrored["relay_live"] is None  # B's own live stream shows nothing while it mirrors
            assert (tmp_path / "Bedroom" / "box-tokens.json").exists()
            assert shown not in (tmp_path / "Bedroom" / "box-tokens.json").read_text()

            a.send("zap 3")
            peek_until(b, lambda p: p["marker"] == 3, "B's mirror following A's zap", 30)

            b.send("press escape")  # Back: B's own channel again
            back = peek_until(b, lambda p: p["mirroring"] is None and p["marker"] == 1, "B back on its channel", 30)
            assert back["channel"] == back["relay_live"] == channel(lineup, 1)["id"]  # its relay follows it again

            b.send("press o return down return")  # Other screens, Den, Tune the same channel
            tuned = peek_until(b, lambda p: p["marker"] == 3, "B tuning A's channel from its own line-up", 30)
            assert tuned["channel"] == channel(lineup, 3)["id"] and tuned["mirroring"] is None

            # the multi-room DVR: A's recording plays on B, and where B stops is where every screen resumes
            b.send("press o return down down return")  # Other screens, Den, Its recordings
            peek_until(b, lambda p: p["screen"] == "recordings", "B listing A's recordings", 30)
            b.send("press return")  # the only one: play it here
            peek_until(b, lambda p: p["recording"] == REC_ID and p["marker"] == 4 and (p["position"] or 0) >= 20,
                       "B playing A's recording past 20 s", 90)  # fmt: skip
            b.send("press end")  # back to live TV: the position goes to A
            peek_until(b, lambda p: p["recording"] is None and p["marker"] == 3, "B back on live TV", 30)
            kept = _position_on(tmp_path / "Den", 30)
            assert kept >= 20
            b.send("press o return down down return")  # again: it resumes where B stopped, as A keeps it
            peek_until(b, lambda p: p["screen"] == "recordings", "B listing A's recordings again", 30)
            b.send("press return")
            pressed = time.monotonic()
            peek_until(b, lambda p: p["recording"] == REC_ID and (p["position"] or 0) >= kept - 2,
                       "B resuming A's recording where it stopped", 60)  # fmt: skip
            assert time.monotonic() - pressed < kept - 6  # resumed there, not played up to it from the start
        finally:
            for actor in (b, a):
                actor.send("stop")
            for actor in (b, a):
                actor.finish(timeout=30)


def channel(lineup_json: str, number: int) -> dict:
    return next(c for c in json.loads(lineup_json)["channels"] if c["number"] == number)
