"""One recording's writer: a stop() that lands while the recording is already finishing (its end came, its part
is being closed) waits for it instead of cancelling it. Cancelled there, the finishing block stopped half-way and
meta.json went on saying "recording" (a fresh-Debian run of `stb bench pvr` caught it).

The moment is made exact, not hoped for: the part's writer is held in its close (a gate the test opens), so the
stop() is asked while the recorder is inside its finishing block, every run.
"""

from __future__ import annotations

import asyncio
import json
import threading

from stb.pvr.library import Library, Meta
from stb.pvr.recorder import Recorder
from stb.pvr.writer import PartWriter
from tests.pvr.rig import BASE, CH, FakeClock, FakeRelay, packets, until


def test_a_stop_while_the_recording_finishes_waits_for_it_and_meta_json_says_done(tmp_path, monkeypatch):
    closing, gate = threading.Event(), threading.Event()
    close = PartWriter.close

    def held_close(self: PartWriter) -> None:  # the disk is slow to close the part: the finishing block waits here
        closing.set()
        assert gate.wait(30), "the test never opened the gate"
        close(self)

    monkeypatch.setattr(PartWriter, "close", held_close)
    library = Library(tmp_path / "recordings")
    meta = Meta("00000000000000aa", CH[0], "News", "Morning Show", BASE, BASE + 60, timer="00000000000000bb")
    library.create(meta)
    clock, relay, events = FakeClock(), FakeRelay(), []

    async def scenario() -> Recorder:
        recorder = Recorder(library, meta, relay, clock, lambda: BASE + 60, lambda k, d: events.append(k), BASE)
        recorder.start()
        await until(lambda: relay.queues.get(CH[0]))
        relay.feed(CH[0], packets(10))
        await until(lambda: meta.size == 1880)
        clock.t = BASE + 60  # its end: the next chunk ends the recording by itself
        relay.feed(CH[0], packets(10))
        await until(closing.is_set)  # inside the finishing block, closing the part
        assert not recorder.done
        stopping = asyncio.ensure_future(recorder.stop("partial", "stopped before its end"))
        await asyncio.sleep(0)  # stop() has run up to its wait (a cancel would have been sent by now)
        gate.set()
        await asyncio.wait_for(stopping, 30)
        return recorder

    recorder = asyncio.run(scenario())
    saved = json.loads((library.folder(meta.id) / "meta.json").read_text())
    assert saved["state"] == "done" and meta.state == "done", saved  # not "recording": the finishing block ran
    assert saved["parts"][0]["end"] is not None and saved["parts"][0]["bytes"] == 3760
    assert events == ["recording_stopped"] and not (library.folder(meta.id) / ".reserve").exists()
    assert recorder.task is not None and not recorder.task.cancelled()
