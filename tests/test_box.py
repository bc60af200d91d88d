from stb.box import Box, ChannelChanged, Notice, SettingsChanged, StandbyChanged, VolumeChanged
from stb.config import StateStore
from stb.lineup.model import Channel, Lineup


def make_lineup() -> Lineup:
    channels = [Channel(number=n, id=f"ch{n}", name=f"Channel {n}", urls=[f"http://127.0.0.1/{n}"]) for n in (3, 1, 7)]
    return Lineup(name="test", channels=channels)


def make_box(tmp_path):
    box = Box(make_lineup(), StateStore(tmp_path))
    events = []
    box.subscribe(events.append)
    return box, events


def tuned(events):
    return [e.channel.number for e in events if isinstance(e, ChannelChanged)]


def test_starts_on_first_channel_by_number_then_zaps_in_number_order(tmp_path):
    box, events = make_box(tmp_path)
    box.start()
    box.zap_up()
    box.zap_up()
    box.zap_up()  # wraps from 7 to 1
    box.zap_down()  # wraps from 1 to 7
    assert tuned(events) == [1, 3, 7, 1, 7]


def test_last_channel_toggles_between_two(tmp_path):
    box, events = make_box(tmp_path)
    box.start()
    box.zap_number(7)
    box.zap_last()
    box.zap_last()
    assert tuned(events) == [1, 7, 1, 7]


def test_unknown_number_says_so_and_changes_nothing(tmp_path):
    box, events = make_box(tmp_path)
    box.start()
    assert box.zap_number(42) is False
    assert box.current.number == 1
    assert Notice("No channel 42") in events


def test_state_survives_restart(tmp_path):
    box, _ = make_box(tmp_path)
    box.start()
    box.zap_number(3)
    box.set_volume(55)
    box.toggle_mute()
    box.flush()
    box2, events = make_box(tmp_path)
    box2.start()
    assert tuned(events) == [3]
    assert VolumeChanged(55, True, restored=True) in events
    box2.zap_last()
    assert box2.current.number == 1  # the previous channel was remembered too


def test_volume_is_clamped(tmp_path):
    box, _ = make_box(tmp_path)
    box.set_volume(140)
    assert box.state.volume == 100
    box.set_volume(-3)
    assert box.state.volume == 0


def test_corrupt_state_is_announced_to_the_viewer(tmp_path):
    (tmp_path / "state.json").write_text("{oops")
    box, events = make_box(tmp_path)
    box.start()
    assert any(isinstance(e, Notice) and "corrupt" in e.text for e in events)
    assert tuned(events) == [1]


def test_likely_next_is_up_down_and_last_without_repeats(tmp_path):
    box, _ = make_box(tmp_path)
    box.start()  # on 1, nothing watched before
    numbers = lambda: [c.number for c in box.likely_next(box.current)]  # noqa: E731
    assert numbers() == [3, 7]
    box.zap_number(7)
    assert numbers() == [1, 3]  # up wraps to 1, down is 3, last (1) is already there
    box.zap_number(3)
    assert numbers() == [7, 1]  # last channel 7 is "up" already


def test_standby_toggles_once_and_is_not_saved(tmp_path):
    box, events = make_box(tmp_path)
    box.start()
    box.set_standby(True)
    box.set_standby(True)  # already: nothing new
    box.set_standby(False)
    assert [e for e in events if isinstance(e, StandbyChanged)] == [StandbyChanged(True), StandbyChanged(False)]
    box.set_standby(True)
    box.flush()
    again, _ = make_box(tmp_path)
    assert again.standby is False  # power comes back: the box comes back on


def test_a_zap_in_standby_wakes_the_box_and_tunes_only_its_channel(tmp_path):
    box, events = make_box(tmp_path)
    box.start()
    box.set_standby(True)
    box.zap_number(7)
    woke = [e for e in events if isinstance(e, StandbyChanged)][-1]
    assert not box.standby and woke == StandbyChanged(False, retune=False)  # the zap tunes channel 7 itself
    assert tuned(events) == [1, 7]
    box.set_standby(True)
    box.zap_number(7)  # the channel it is on: nothing to zap, so waking must tune it again
    assert [e for e in events if isinstance(e, StandbyChanged)][-1] == StandbyChanged(False, retune=True)
    assert tuned(events) == [1, 7]


def test_a_settings_change_is_said_so_the_announcement_can_follow(tmp_path):
    box, events = make_box(tmp_path)
    box.settings.box_name = "Den"
    box.settings_changed()
    assert events == [SettingsChanged(box_name="Den", open_on_lan=False, show_channel_on_lan=True)]


def test_a_flung_stream_plays_until_the_next_zap_and_is_never_saved(tmp_path):
    from stb.streams import stream_channel

    box, events = make_box(tmp_path)
    box.start()
    box.zap_number(3)
    stream = stream_channel("http://10.0.0.9:8000/cam/front.ts", "Front door")
    box.play_stream(stream)
    assert box.current is stream and box.is_flung(box.current) and tuned(events)[-1] == 1  # the model's number
    assert events[-1] == ChannelChanged(stream, box.lineup.by_number(3), flung=True)
    box.zap_last()  # "last" from a stream: the line-up channel watched before it
    assert box.current.number == 3 and box.flung is None
    box.play_stream(stream)
    box.zap_up()  # up from a stream: on from the channel watched before it
    assert box.current.number == 7
    box.zap_last()  # and the stream is not what "last" remembers
    assert box.current.number == 3
    box.play_stream(stream)
    box.zap_number(1)
    box.flush()
    saved = StateStore(tmp_path).load()
    assert saved.last_channel == "ch1" and saved.previous_channel == "ch3"
    assert not any(c.startswith("stream.") for c in saved.recent)


def test_a_flung_stream_wakes_the_box_and_pretunes_the_line_up_around_it(tmp_path):
    from stb.streams import stream_channel

    box, events = make_box(tmp_path)
    box.start()
    box.zap_number(3)
    box.set_standby(True)
    stream = stream_channel("udp://@239.255.42.1:5000")
    box.play_stream(stream)
    assert box.standby is False and StandbyChanged(False, retune=False) in events
    assert [c.number for c in box.likely_next(stream)] == [7, 1, 3]  # up, down from 3, and 3 itself (last)


def test_reminders_survive_a_restart_and_come_due_once_at_their_start(tmp_path):
    from stb.reminders import Reminder

    box, _ = make_box(tmp_path)
    later, ended = Reminder("ch7", 2000, 5000, "Film"), Reminder("ch3", 100, 200, "Gone")
    assert box.toggle_reminder(later) and box.toggle_reminder(ended)
    restarted, _ = make_box(tmp_path)  # saved at once, no flush needed
    assert restarted.has_reminder("ch7", 2000) and restarted.take_due_reminders(1999) == []
    due = restarted.take_due_reminders(2001)  # the one that ended while the box was off goes without a word
    assert [(r.title, channel.number) for r, channel in due] == [("Film", 7)]
    assert restarted.take_due_reminders(2002) == [] and make_box(tmp_path)[0].state.reminders == []


def test_a_state_file_with_a_bad_reminder_is_kept_aside_like_any_corrupt_state(tmp_path):
    (tmp_path / "state.json").write_text('{"volume": 30, "reminders": [{"channel_id": "ch1", "start": "soon"}]}')
    box, events = make_box(tmp_path)
    box.start()
    assert box.state.volume == 80 and box.state.reminders == []
    assert any(isinstance(e, Notice) and "reminder" in e.text for e in events)
    assert list(tmp_path.glob("state.json.corrupt-*"))
