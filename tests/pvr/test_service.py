"""The recorder's facade with a clock the test moves, a real SQLite guide and a relay stand-in (the unit seam):
timers fire by the wall clock, follow the guide, conflict, make series; recordings mark gaps and resume."""

from __future__ import annotations

import asyncio
import json

import pytest

from stb.errors import NotFound
from stb.pvr.service import TimerConflict
from tests.pvr.rig import BASE, CH, FakeClock, FakeRelay, GuideFile, make_pvr, packets, until

H = 3600.0


def day(*extra):
    """Two hours of programmes on CH[0] and CH[1], and whatever the test adds."""
    return [
        (CH[0], BASE, BASE + H, "Morning Show", None),
        (CH[0], BASE + H, BASE + 2 * H, "The Flat Upstairs", "0.0.0/1"),
        (CH[1], BASE, BASE + 2 * H, "Long Film", None),
        *extra,
    ]


def run(tmp_path, scenario, programmes=None, max_channels=2):
    guide = GuideFile(tmp_path)
    guide.write(programmes if programmes is not None else day())
    clock, relay, events = FakeClock(), FakeRelay(), []

    async def main():
        pvr = make_pvr(tmp_path, relay, clock, guide, max_channels, events)
        await pvr.async_start()
        try:
            return await scenario(pvr, clock, relay, guide, events)
        finally:
            await pvr.async_close()

    return asyncio.run(main())


def test_a_programme_timer_records_from_its_padded_start_to_its_padded_end(tmp_path):
    async def scenario(pvr, clock, relay, guide, events):
        timer = await pvr.schedule_programme(CH[0], BASE + H)
        assert (timer.begin, timer.end) == (BASE + H - 60, BASE + 2 * H + 120)
        clock.t = BASE + H - 61
        await pvr.check()
        assert not pvr.recorders, "nothing before its padded start"
        clock.t = BASE + H - 60
        await pvr.check()
        await until(lambda: relay.queues.get(CH[0]))
        relay.feed(CH[0], packets(10))
        meta = pvr.library.recordings[timer.recording]
        await until(lambda: meta.size == 1880)
        clock.t = BASE + 2 * H + 120
        await pvr.check()
        return timer, meta, events

    timer, meta, events = run(tmp_path, scenario)
    folder = tmp_path / "recordings" / meta.id
    assert (folder / "part-1.ts").read_bytes() == packets(10), "TS as received"
    saved = json.loads((folder / "meta.json").read_text())
    assert saved["state"] == "done" and saved["title"] == "The Flat Upstairs" and saved["rating"] == "12"
    assert saved["episode"] == "0.0.0/1" and saved["genre"] == ["Series"] and saved["channel"] == CH[0]
    assert [k for k, _ in events] == ["recording_started", "recording_stopped"]
    assert not (tmp_path / "state" / "timers" / f"timer-{timer.id}.json").exists(), "a finished timer is removed"


def test_a_clock_jump_over_a_timer_skips_it_and_one_into_a_timer_fires_it(tmp_path):
    async def scenario(pvr, clock, relay, guide, events):
        skipped = await pvr.schedule_programme(CH[0], BASE + H)
        fired = await pvr.schedule_programme(CH[1], BASE)
        clock.t = BASE + 3 * H  # a forward jump of three hours: both are over
        await pvr.check()
        gone = (skipped.id not in pvr.timers, fired.id not in pvr.timers)
        kinds = [(k, d["state"]) for k, d in events]
        later = await pvr.schedule_programme(CH[0], BASE + 5 * H)
        clock.t = BASE + 5 * H + 10  # into it
        await pvr.check()
        return gone, kinds, later.state, pvr.timers[later.id].recording is not None

    programmes = day((CH[0], BASE + 5 * H, BASE + 6 * H, "Evening", None))
    gone, kinds, state, started = run(tmp_path, scenario, programmes)
    assert gone == (True, True)
    assert kinds.count(("recording_failed", "missed")) == 1, kinds  # CH[1]'s was on at BASE: it started first
    assert state == "recording" and started


def test_a_conflict_names_the_timers_in_the_way_and_one_channel_counts_once(tmp_path):
    async def scenario(pvr, clock, relay, guide, events):
        a = await pvr.schedule_programme(CH[0], BASE + H)
        b = await pvr.schedule_programme(CH[1], BASE)
        same_channel = await pvr.schedule_programme(CH[0], BASE)  # on a's channel: one read serves both
        with pytest.raises(TimerConflict) as conflict:
            await pvr.schedule_programme(CH[2], BASE + H)
        await pvr.cancel_timer(b.id)
        c = await pvr.schedule_programme(CH[2], BASE + H)
        return {t.id for t in conflict.value.timers}, {a.id, b.id, same_channel.id}, c.channel

    programmes = day((CH[2], BASE + H, BASE + 2 * H, "Quiz", None))
    involved, ids, channel = run(tmp_path, scenario, programmes, max_channels=2)
    assert involved == ids, "every timer on at that moment is named (the first CH[0] one overlaps by its padding)"
    assert channel == CH[2], "dropping one of those in the way makes room"


def test_a_conflict_answered_drops_the_chosen_timer_and_schedules_the_refused_one(tmp_path):
    async def scenario(pvr, clock, relay, guide, events):
        film = await pvr.schedule_programme(CH[1], BASE)  # records now
        show = await pvr.schedule_programme(CH[0], BASE + H)
        pvr.max_channels = lambda: 1  # the household lowered it: both are now in the way of a third
        with pytest.raises(TimerConflict) as refused:
            await pvr.schedule_programme(CH[2], BASE + H)
        first = refused.value
        with pytest.raises(TimerConflict) as again:  # dropping one is not enough: both overlap the quiz
            await pvr.schedule_instead(first.timer, film.id)
        made = await pvr.schedule_instead(first.timer, show.id)
        return first, again.value, made, set(pvr.timers), film, show

    programmes = day((CH[2], BASE + H, BASE + 2 * H, "Quiz", None))
    first, again, made, left, film, show = run(tmp_path, scenario, programmes, max_channels=2)
    assert first.max_channels == 1 and {t.id for t in first.timers} == {film.id, show.id}
    assert first.timer.channel == CH[2] and first.timer.id not in {film.id, show.id}
    assert [t.id for t in again.timers] == [show.id], "the film is gone; the show is still in the way"
    assert made.channel == CH[2] and made.state == "scheduled" and left == {made.id}
    assert made is not first.timer, "the asker's copy stays its own"


def test_a_moved_programme_moves_its_timer_at_the_guide_refresh(tmp_path):
    async def scenario(pvr, clock, relay, guide, events):
        timer = await pvr.schedule_programme(CH[0], BASE + H)
        guide.write([(CH[0], BASE, BASE + H + 1800, "Morning Show", None),
                     (CH[0], BASE + H + 1800, BASE + 2 * H + 1800, "The Flat Upstairs", "0.0.0/1")])  # fmt: skip
        await pvr.guide_changed()
        return pvr.timers[timer.id]

    moved = run(tmp_path, scenario)
    assert (moved.start, moved.stop) == (BASE + H + 1800, BASE + 2 * H + 1800) and moved.reason is None
    saved = json.loads((tmp_path / "state" / "timers" / f"timer-{moved.id}.json").read_text())
    assert saved["start"] == BASE + H + 1800, "the move is saved"


def test_a_timer_the_guide_moves_into_a_conflict_says_so(tmp_path):
    async def scenario(pvr, clock, relay, guide, events):
        moving = await pvr.schedule_programme(CH[0], BASE + H)
        await pvr.schedule_programme(CH[1], BASE + 3 * H)
        await pvr.schedule_programme(CH[2], BASE + 3 * H)
        guide.write([*programmes[:2], (CH[0], BASE + 3 * H, BASE + 4 * H, "The Flat Upstairs", "0.0.0/1")])
        await pvr.guide_changed()
        return pvr.timers[moving.id]

    programmes = [(CH[1], BASE + 3 * H, BASE + 4 * H, "Film", None), (CH[2], BASE + 3 * H, BASE + 4 * H, "Quiz", None),
                  (CH[0], BASE + H, BASE + 2 * H, "The Flat Upstairs", "0.0.0/1")]  # fmt: skip
    moved = run(tmp_path, scenario, programmes, max_channels=2)
    assert moved.start == BASE + 3 * H and "Film" in moved.reason and "Quiz" in moved.reason


def test_a_series_rule_records_each_episode_once(tmp_path):
    flat = "The Flat Upstairs"
    programmes = [
        (CH[0], BASE + H, BASE + 2 * H, flat, "0.0.0/1"),
        (CH[0], BASE + 5 * H, BASE + 6 * H, flat, "0.1.0/1"),
        (CH[0], BASE + 9 * H, BASE + 10 * H, flat, "0.0.0/1"),  # a repeat of the first
        (CH[0], BASE + 12 * H, BASE + 13 * H, "Other Show", "0.0.0/1"),
        (CH[1], BASE + 14 * H, BASE + 15 * H, flat, "0.2.0/1"),  # another channel: not this rule's
    ]

    async def scenario(pvr, clock, relay, guide, events):
        rule = await pvr.schedule_series(CH[0], BASE + H)
        first = sorted((t.start, t.episode) for t in pvr.timers.values() if t.rule == rule.id)
        guide.write([*programmes, (CH[0], BASE + 20 * H, BASE + 21 * H, flat, "0.3.0/1")])
        await pvr.guide_changed()
        after = sorted((t.start, t.episode) for t in pvr.timers.values() if t.rule == rule.id)
        return first, after

    first, after = run(tmp_path, scenario, programmes)
    assert first == [(BASE + H, "0.0.0/1"), (BASE + 5 * H, "0.1.0/1")]
    assert after == [*first, (BASE + 20 * H, "0.3.0/1")], "a new episode in the refreshed guide is added"


def test_a_series_without_episode_ids_records_each_airing_of_the_title(tmp_path):
    programmes = [(CH[0], BASE + H * i, BASE + H * i + 1800, "Daily Quiz", None) for i in (1, 3, 5)]

    async def scenario(pvr, clock, relay, guide, events):
        await pvr.schedule_series(CH[0], BASE + H)
        return sorted(t.start for t in pvr.timers.values())

    assert run(tmp_path, scenario, programmes) == [BASE + H, BASE + 3 * H, BASE + 5 * H]


def test_a_source_drop_is_a_gap_and_the_recording_goes_on_in_a_new_part(tmp_path):
    async def scenario(pvr, clock, relay, guide, events):
        timer = await pvr.schedule_now(CH[1])
        await until(lambda: relay.queues.get(CH[1]))
        meta = pvr.library.recordings[timer.recording]
        relay.feed(CH[1], packets(5))
        await until(lambda: meta.size == 5 * 188)
        relay.cut(CH[1])
        await until(lambda: bool(meta.gaps))
        relay.down.clear()
        await until(lambda: relay.queues.get(CH[1]))
        relay.feed(CH[1], packets(7))
        await until(lambda: meta.size == 12 * 188)
        return meta

    meta = run(tmp_path, scenario)
    assert [p.file for p in meta.parts] == ["part-1.ts", "part-2.ts"] and [p.bytes for p in meta.parts] == [940, 1316]
    assert len(meta.gaps) == 1 and meta.gaps[0].end is not None and "ended" in meta.gaps[0].reason


def test_unknown_things_are_not_found(tmp_path):
    async def scenario(pvr, clock, relay, guide, events):
        errors = []
        for call in (lambda: pvr.schedule_programme(CH[0], BASE + 17), lambda: pvr.schedule_now("no-such"),
                     lambda: pvr.cancel_timer("0" * 16), lambda: pvr.delete_recording("0" * 16)):  # fmt: skip
            with pytest.raises(NotFound) as found:
                await call()
            errors.append(str(found.value))
        return errors

    assert all(run(tmp_path, scenario))


class Buffer:
    """The TV's timeshift buffer as the recorder sees it (TimeshiftHold): it holds CH[1] since BASE + 60."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, float]] = []

    def copy_since(self, channel_id, since, into):
        self.asked.append((channel_id, since))
        if channel_id != CH[1]:
            return None
        into.write_bytes(packets(30))
        return max(since, BASE + 60)


def test_record_now_keeps_what_the_timeshift_buffer_holds_of_the_programme_as_its_first_part(tmp_path):
    async def scenario(pvr, clock, relay, guide, events):
        pvr.timeshift = Buffer()
        clock.t = BASE + 600
        held = await pvr.schedule_now(CH[1])
        not_held = await pvr.schedule_now(CH[0])
        await until(lambda: relay.queues.get(CH[1]) and relay.queues.get(CH[0]))
        relay.feed(CH[1], packets(4))
        relay.feed(CH[0], packets(4))
        metas = [pvr.library.recordings[t.recording] for t in (held, not_held)]
        await until(lambda: all(m.parts and m.parts[-1].bytes == 4 * 188 for m in metas) and not pvr._copies)
        return pvr.timeshift.asked, metas

    asked, (held, not_held) = run(tmp_path, scenario)
    assert asked == [(CH[1], BASE), (CH[0], BASE)], "from the programme's start"
    assert [(p.file, p.source, p.bytes) for p in held.parts] == [("part-1.ts", "timeshift", 30 * 188),
                                                                 ("part-2.ts", "live", 4 * 188)]  # fmt: skip
    assert held.parts[0].start == BASE + 60, "as far back as the buffer holds"
    assert [p.source for p in not_held.parts] == ["live"], "nothing held: live only"


def test_another_thread_gets_copies_of_the_state(tmp_path):
    async def scenario(pvr, clock, relay, guide, events):
        timer = await pvr.schedule_programme(CH[0], BASE + H)
        loop = asyncio.get_running_loop()
        view = await loop.run_in_executor(None, lambda: pvr.submit(pvr.view).result(10))  # as the TV's thread would
        view.timers[0].title = "changed on the TV's side"
        return timer, view, pvr.timers[timer.id].title

    timer, view, title = run(tmp_path, scenario)
    assert [t.id for t in view.timers] == [timer.id] and view.recordings == () and view.free_bytes > 0
    assert title == "The Flat Upstairs", "the copy is the TV's own"


def test_a_check_that_fails_once_does_not_stop_the_timers(tmp_path):
    async def scenario(pvr, clock, relay, guide, events):
        timer = await pvr.schedule_programme(CH[0], BASE + H)
        save, failed = pvr.files.save_timer, []

        def full_disk_once(t):
            if not failed:
                failed.append(t.id)
                raise OSError(28, "No space left on device")
            save(t)

        pvr.files.save_timer = full_disk_once
        clock.t = BASE + H  # the ticker's next look starts it: the first save fails, a later look succeeds
        await until(lambda: timer.id in pvr.recorders and pvr.recorders[timer.id].task is not None)
        return failed

    assert run(tmp_path, scenario), "the failure happened, and the ticker went on"


def test_a_channel_that_sends_nothing_is_a_failed_recording(tmp_path):
    async def scenario(pvr, clock, relay, guide, events):
        relay.down.add(CH[1])
        timer = await pvr.schedule_now(CH[1])
        await until(lambda: timer.recording and pvr.library.recordings[timer.recording].gaps)
        clock.t = timer.end
        await until(lambda: timer.id not in pvr.timers)
        return pvr.library.recordings[timer.recording], events

    meta, events = run(tmp_path, scenario)
    assert meta.state == "failed" and meta.parts == [] and "is down" in meta.gaps[0].reason
    assert [k for k, _ in events] == ["recording_started", "recording_failed"]
