"""The Other screens menu's states with the peers seam faked: the network side is tested in test_other_screens."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from stb.lan.discovery import FoundBox
from stb.lan.peers import LiveTarget, Outcome
from stb.lan.remote_recordings import RecordingTarget, RemoteRecording
from stb.lineup.model import Channel, Lineup
from stb.skin.theme import Theme
from stb.ui.otherscreens import OtherScreensScreen, ScreensHooks, describe_remote, same_channel

LINEUP = Lineup(name="t", channels=[Channel(number=n, id=f"c{n}", name=f"Channel {n}", urls=[f"http://x/{n}"])
                                    for n in (1, 2, 3)])  # fmt: skip
DEN = FoundBox(name="Den", box_id="d1", addresses=["10.0.0.5"], port=8600, model="stb", version="1", api_path="/api/v1",
               pairing_required=True, channel="Channel 2", host="h.local.", channel_id="c2")  # fmt: skip


@dataclass
class FakePeers:
    boxes: tuple = (DEN,)
    error: str | None = None
    token: str | None = None
    calls: list = field(default_factory=list)
    answers: dict = field(default_factory=dict)  # call name -> Outcome, answered at once

    def token_for(self, box_id):
        return self.token

    def _answer(self, name, done, *args):
        self.calls.append((name, *args))
        if name in self.answers:
            done(self.answers[name])

    def begin_pairing(self, box, device_name, done):
        self._answer("begin", done, device_name)

    def complete_pairing(self, box, pairing_id, code, done):
        if self.answers.get("complete", Outcome(False)).ok:
            self.token = "new"  # as Peers keeps the token before it answers
        self._answer("complete", done, pairing_id, code)

    def open_live(self, box, done):
        self._answer("open", done)

    def list_recordings(self, box, done):
        self._answer("list", done)

    def open_recording(self, box, recording, done):
        self._answer("play", done, recording.id)


def screen(peers: FakePeers, lineup: Lineup = LINEUP):
    watched, tuned = [], []
    hooks = ScreensHooks(peers, lambda: lineup, lambda: "Bedroom", lambda box, t: watched.append((box.name, t)),
                         tuned.append, lambda box, t: watched.append((box.name, t)))  # fmt: skip
    return OtherScreensScreen(Theme(), hooks), watched, tuned


def keys(s: OtherScreensScreen, *actions: str) -> None:
    for action in actions:
        assert s.handle(action, 0.0)


def test_the_same_channel_is_matched_by_id_then_by_name_and_not_when_hidden():
    assert same_channel(LINEUP, DEN).id == "c2"
    assert same_channel(LINEUP, replace(DEN, channel_id="elsewhere", channel="channel  3")).id == "c3"
    assert same_channel(LINEUP, replace(DEN, channel_id=None, channel="Cinema")) is None
    assert same_channel(LINEUP, replace(DEN, channel=None)) is None


def test_a_paired_box_is_mirrored_and_a_channel_missing_here_is_said_not_tuned():
    target = LiveTarget("http://10.0.0.5:8600/stream/live?token=t", "Channel 2")
    s, watched, tuned = screen(FakePeers(token="t", answers={"open": Outcome(True, target)}))
    keys(s, "ok", "down", "ok")  # Den, Tune the same channel: c2 is in this line-up
    assert [c.id for c in tuned] == ["c2"] and s.closed

    s, watched, tuned = screen(FakePeers(boxes=(replace(DEN, channel="Cinema", channel_id="x"),)))
    keys(s, "ok", "down", "ok")
    assert tuned == [] and not s.closed and s.message == "Cinema is not in this box's line-up"

    s, watched, _ = screen(FakePeers(token="t", answers={"open": Outcome(True, target)}))
    keys(s, "ok", "ok")  # Watch here, with a token: straight to the stream
    assert watched == [("Den", target)] and s.closed


def test_watching_an_unpaired_box_pairs_with_the_code_and_a_wrong_code_is_typed_again():
    peers = FakePeers(answers={"begin": Outcome(True, "p1")})
    s, watched, _ = screen(peers)
    keys(s, "ok", "ok")
    assert s.state == "code" and peers.calls == [("begin", "Bedroom")]
    peers.answers["complete"] = Outcome(False, error="that is not the code on the TV; 4 tries left", status=403)
    keys(s, *(f"digit_{d}" for d in "123456"))
    assert s.state == "code" and s.message.startswith("Wrong code") and s.digits == ""
    keys(s, "digit_9", "back")  # Back erases a digit first
    assert s.digits == ""
    target = LiveTarget("http://10.0.0.5:8600/stream/live?sig=s&exp=1&dev=d", None)
    peers.answers.update(complete=Outcome(True, True), open=Outcome(True, target))
    keys(s, *(f"digit_{d}" for d in "654321"))
    assert ("complete", "p1", "654321") in peers.calls and watched == [("Den", target)]
    assert "token=" not in target.url


def test_a_revoked_token_pairs_again_and_back_while_waiting_ignores_the_late_answer():
    peers = FakePeers(token="old", answers={"open": Outcome(False, error="pair first", status=401)})
    s, _, _ = screen(peers)
    keys(s, "ok", "ok")
    assert [c[0] for c in peers.calls] == ["open", "begin"] and s.state == "busy"
    keys(s, "back")  # stop waiting: the pairing answer, when it comes, changes nothing
    assert s.state == "actions"
    late = []
    peers.begin_pairing = lambda box, name, done: late.append(done)
    keys(s, "ok")
    keys(s, "back")
    late[0](Outcome(True, "p2"))
    assert s.state == "actions" and s.pairing_id is None


def test_the_list_keeps_its_focus_on_a_box_while_others_come_and_go_and_keeps_digits_from_live_tv():
    other = replace(DEN, name="Attic", box_id="a0")
    peers = FakePeers(boxes=(other, DEN))
    s, _, _ = screen(peers)
    keys(s, "down")
    assert s.boxes[s._focus_index()].box_id == "d1"
    peers.boxes = (DEN,)  # the attic box went away
    assert s.boxes[s._focus_index()].box_id == "d1"
    assert s.handle("digit_5", 0.0)  # kept: no zap on live TV underneath
    assert not s.handle("volume_up", 0.0)  # volume still reaches the TV
    keys(s, "back")
    assert s.closed


def test_its_recordings_are_listed_played_here_and_an_unpaired_box_pairs_first():
    shows = [RemoteRecording(f"000000000000000{n}", f"Show {n}", "c1", "Channel 1", 1e9 - n, 60.0, 0.0, "done", False)
             for n in (1, 2)]  # fmt: skip
    target = RecordingTarget(shows[1], "https://10.0.0.5:8601/hls/recording/x/index.m3u8?sig=s", 12.0)
    peers = FakePeers(answers={"begin": Outcome(True, "p1"), "complete": Outcome(True, True),
                               "list": Outcome(True, shows), "play": Outcome(True, target)})  # fmt: skip
    s, played, _ = screen(peers)
    keys(s, "ok", "down", "down", "ok")  # Den, Its recordings: not paired yet, so the code first
    assert s.state == "code"
    keys(s, *(f"digit_{d}" for d in "123456"))  # paired: then its recordings, not its live stream
    assert s.state == "recordings" and [r.title for r in s.recordings] == ["Show 1", "Show 2"]
    assert "open" not in [c[0] for c in peers.calls]
    keys(s, "down", "ok")
    assert ("play", shows[1].id) in peers.calls and played == [("Den", target)] and s.closed

    s, _, _ = screen(FakePeers(token="t", answers={"list": Outcome(True, [])}))
    keys(s, "ok", "down", "down", "ok")
    assert s.state == "recordings" and s.message == "Den has no recordings"
    keys(s, "ok", "back")  # nothing to play; Back: its actions again
    assert s.state == "actions" and not s.closed

    s, _, _ = screen(FakePeers(token="t", answers={"list": Outcome(False, error="that box is not reachable")}))
    keys(s, "ok", "down", "down", "ok")
    assert s.state == "actions" and s.message == "Could not list its recordings: that box is not reachable"


def test_describe_remote_says_where_to_resume_and_what_is_recording():
    base = RemoteRecording("0000000000000001", "News", "c1", "Channel 1", 0.0, 1800.0, 0.0, "done", False)
    assert describe_remote(base)[1].endswith("30 min · New")
    assert describe_remote(replace(base, position=754.0))[1].endswith("Resume at 12 min")
    assert describe_remote(replace(base, state="recording"))[1].endswith("Recording now")
    assert describe_remote(replace(base, episode="Part 2"))[0] == "News: Part 2"
