"""The pre-tuning CPU budget: over budget, pre-tuned channels are shed; calm again, they come back."""

from __future__ import annotations

import time

import pytest

from stb.lineup.model import Channel
from stb.player import zapper as zapper_module
from stb.player.engine import Engine
from stb.player.zapper import Zapper


def test_pretuned_channels_are_shed_over_budget_and_return_when_calm(clip, monkeypatch):
    monkeypatch.setattr(zapper_module, "CPU_WINDOW_S", 0.2)
    monkeypatch.setattr(zapper_module, "CPU_CALM_S", 0.5)
    channels = [
        Channel(number=n, id=f"c{n}", name=f"C{n}", urls=[str(clip)], vlc_options=["input-repeat=100"])
        for n in (1, 2, 3)
    ]
    load = {"cores": 0.2, "cpu": 0.0, "at": time.monotonic()}

    def cpu_clock() -> float:  # the CPU time of a process using load["cores"] since the last reading
        now = time.monotonic()
        load["cpu"] += load["cores"] * (now - load["at"])
        load["at"] = now
        return load["cpu"]

    engine = Engine()
    zapper = Zapper(
        engine,
        pretune=2,
        likely_next=lambda c: [x for x in channels if x.id != c.id],
        cpu_budget=1.0,
        cpu_clock=cpu_clock,
    )

    def pump(until, what):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            zapper.step(time.monotonic())
            if until():
                return
            time.sleep(0.01)
        pytest.fail(f"timed out waiting for {what}: allowed {zapper.allowed}, pre-tuned {zapper.pretuned}")

    try:
        zapper.zap(channels[0])
        pump(lambda: set(zapper.pretuned) == {"c2", "c3"}, "both pre-tuned")
        cpu_clock()
        load["cores"] = 1.6
        pump(lambda: zapper.allowed == 0 and zapper.pretuned == {}, "both shed")
        assert zapper.active.channel.id == "c1"  # the channel on screen is never shed
        cpu_clock()
        load["cores"] = 0.1
        pump(lambda: zapper.allowed == 2 and set(zapper.pretuned) == {"c2", "c3"}, "both back")
    finally:
        zapper.release()
        engine.release()
