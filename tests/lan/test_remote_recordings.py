"""Another box's recordings list is the LAN's word: odd entries are left out, strings made printable."""

from __future__ import annotations

from stb.lan.remote_recordings import MAX_LISTED, parse_recordings


def entry(**changes):
    good = {"id": "0123456789abcdef", "title": "News", "channel": "c1", "channel_name": "Channel 1",
            "start": 1_800_000_000.0, "duration": 1800.0, "position": 60.0, "state": "done",
            "watched": False}  # fmt: skip
    return good | changes


def test_good_entries_are_read_newest_first():
    found = parse_recordings({"recordings": [entry(), entry(id="00000000000000ff", start=1_900_000_000.0)]})
    assert [r.id for r in found] == ["00000000000000ff", "0123456789abcdef"]
    assert found[1].resumable and found[1].position == 60.0


def test_hostile_entries_are_left_out_and_text_is_made_printable():
    hostile = [
        entry(id="../../etc/passwd"),
        entry(id=5),
        entry(state="owned"),
        entry(start=float("nan")),
        entry(duration=-1),
        entry(duration=True),
        entry(title=None),
        "not a dict",
        entry(start=2**60),
    ]
    assert parse_recordings({"recordings": hostile}) == []
    shown = parse_recordings({"recordings": [entry(title="\x1b]0;owned\x07News", channel_name="A" * 5000)]})[0]
    assert "\x1b" not in shown.title and shown.title.startswith("\\x1b") and len(shown.channel_name) <= 200
    assert parse_recordings({"recordings": [entry(position="12")]})[0].position == 0.0  # a string is no number


def test_answers_that_are_not_lists_give_nothing_and_long_lists_are_cut():
    assert parse_recordings(None) == [] and parse_recordings({"recordings": "x"}) == [] and parse_recordings([]) == []
    many = [entry(id=f"{n:016x}") for n in range(MAX_LISTED + 50)]
    assert len(parse_recordings({"recordings": many})) == MAX_LISTED
