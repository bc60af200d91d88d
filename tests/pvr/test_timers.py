"""Timer files: one atomic file each; a damaged one is named, kept aside, and the others load."""

from __future__ import annotations

from stb.pvr.conflicts import conflicts
from stb.pvr.timers import Timer, TimerFiles, new_id


def timer(channel: str, start: float, stop: float, **extra) -> Timer:
    return Timer(new_id(), channel, f"On {channel}", start, stop, **extra)


def test_timers_round_trip_and_a_corrupt_file_is_set_aside(tmp_path):
    files = TimerFiles(tmp_path / "timers")
    good, other = timer("a", 100, 200, pad_before=60), timer("b", 300, 400, kind="now")
    files.save_timer(good)
    files.save_timer(other)
    broken = tmp_path / "timers" / f"timer-{new_id()}.json"
    broken.write_text('{"id": "not hex", "channel"')
    wrong_id = tmp_path / "timers" / f"timer-{new_id()}.json"
    wrong_id.write_text((tmp_path / "timers" / f"timer-{good.id}.json").read_text())

    timers, rules = files.load()

    assert sorted(t.id for t in timers) == sorted([good.id, other.id]) and rules == []
    assert next(t for t in timers if t.id == good.id) == good
    assert len(files.problems) == 2 and any(broken.name in p and "kept it as" in p for p in files.problems)
    kept = sorted(p.name for p in (tmp_path / "timers").glob("*.corrupt-*"))
    assert len(kept) == 2 and not broken.exists() and not wrong_id.exists()
    assert files.load()[0] and files.problems == [], "loaded again: nothing more to set aside"


def test_conflicts_count_channels_not_timers():
    a, b = timer("a", 0, 100), timer("b", 50, 150)
    same = timer("a", 60, 90)
    assert conflicts(same, [a, b], 2) == [], "a second timer on a channel read already costs nothing"
    c = timer("c", 80, 120)
    assert {t.id for t in conflicts(c, [a, b], 2)} == {a.id, b.id}
    assert conflicts(timer("c", 100, 120), [a, b], 2) == [], "a's end is not an overlap"
    assert conflicts(c, [a, timer("b", 50, 150, state="done")], 2) == [], "finished timers take no channel"
