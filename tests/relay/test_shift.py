"""Timeshift on the TV's own relay: the channel on screen written to disk once, served from any moment."""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest

from stb.headend.catalog import demo_lineup
from stb.lineup.model import Channel
from stb.relay.feed import ChannelSource
from stb.relay.local import LocalRelay
from stb.relay.shift import buffers_directory
from stb.ts.packets import PACKET, pid_of, random_access
from tests.relay.test_local import wait_for
from tests.ts.probe import key_frames


@pytest.fixture
def lineup(headend):
    return demo_lineup(*headend)


@pytest.fixture
def local(lineup, tmp_path):
    def find(channel_id: str) -> ChannelSource | None:
        channel = lineup.by_id(channel_id)
        return None if channel is None else ChannelSource(channel.id, channel.name, tuple(channel.urls))

    relay = LocalRelay(find, max_clients=4, shift_root=tmp_path / "timeshift")
    relay.start()
    yield relay
    relay.stop()


def get(url: str, size: int) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}" if parts.query else parts.path)
        answer = conn.getresponse()
        return answer.status, answer.read(size) if answer.status == 200 else answer.read()
    finally:
        conn.close()


def spans(local: LocalRelay, channel_id: str, seconds: float) -> bool:
    window = local.window(channel_id)
    return window is not None and window.live_at - window.start_at >= seconds


def test_the_channel_on_screen_is_buffered_and_served_from_a_keyframe_at_any_moment(local, lineup, tmp_path):
    news = lineup.channels[0]
    assert list(local.route(news)) == [local.url(news.id)]  # through the relay only: it tries the URLs itself
    flung = Channel(number=999, id="flung-1", name="Flung", urls=["http://198.51.100.7/clip.ts"])
    assert list(local.route(flung)) == [local.guarded(flung.urls[0])]  # not a line-up channel: through the guard
    local.watch(news)
    wait_for(lambda: spans(local, news.id, 4), "four seconds buffered")
    window = local.window(news.id)
    assert window.error is None
    for at in (window.start_at, (window.start_at + window.live_at) / 2, window.live_at + 100):
        status, data = get(local.shift_url(news.id, at), 300 * PACKET)
        assert status == 200
        assert pid_of(data[:PACKET]) == 0 and random_access(data[2 * PACKET : 3 * PACKET])
        assert key_frames(tmp_path / "from.ts", data)[0] == "1"
    assert list((tmp_path / "timeshift").rglob("*.ts"))


def test_bad_moments_and_unbuffered_channels_are_refused_plainly(local, lineup):
    news = lineup.channels[0]
    local.watch(news)
    wait_for(lambda: spans(local, news.id, 0.5), "something buffered")
    status, body = get(local.shift_url(news.id, 0).replace("at=0.000", "at=soon"), 100)
    assert status == 400 and b"number" in body
    status, body = get(local.shift_url(lineup.channels[1].id, 0), 100)
    assert status == 404 and b"no timeshift buffer" in body


def test_the_channel_left_keeps_its_buffer_and_the_one_before_that_goes(local, lineup, tmp_path):
    first, second, third = lineup.channels[:3]
    local.watch(first)
    wait_for(lambda: spans(local, first.id, 1), "the first channel buffered")
    local.watch(second)
    wait_for(lambda: spans(local, second.id, 1), "the second channel buffered")
    assert local.window(first.id) is not None  # zapped away by mistake: go back and start over
    folders = {p.parent for p in (tmp_path / "timeshift").rglob("*.ts")}
    assert len(folders) == 2
    local.watch(third)
    wait_for(lambda: local.window(first.id) is None, "the oldest buffer dropped")
    wait_for(lambda: spans(local, third.id, 1), "the third channel buffered")
    assert local.window(second.id) is not None
    wait_for(lambda: len({p.parent for p in (tmp_path / "timeshift").rglob("*.ts")}) == 2, "its files removed")
    local.watch(None)  # standby: nothing written, what was kept stays for a while
    time.sleep(0.5)
    before = local.window(third.id)
    time.sleep(1.0)
    assert local.window(third.id).live_at == before.live_at


def test_a_crashed_boxs_buffers_are_removed_and_a_running_ones_kept(tmp_path):
    root = tmp_path / "timeshift"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    crashed = root / f"box-{dead.stdout.strip()}-x"
    crashed.mkdir(parents=True)
    (crashed / "00000001.ts").write_bytes(b"G" * PACKET)
    running = root / "box-1-y"  # pid 1 is alive
    running.mkdir()
    mine = buffers_directory(root)
    assert mine.is_dir() and mine.parent == root
    assert not crashed.exists() and running.exists()


def test_record_now_copies_what_the_buffer_holds_from_a_keyframe(local, lineup, tmp_path):
    news = lineup.channels[0]
    local.watch(news)
    wait_for(lambda: spans(local, news.id, 3), "three seconds buffered")
    since = time.time() - 2
    began = local.copy_since(news.id, since, tmp_path / "held.ts")
    assert began is not None and began <= since + 0.05  # the keyframe at or before it
    data = (tmp_path / "held.ts").read_bytes()
    assert len(data) % PACKET == 0 and key_frames(tmp_path / "probe.ts", data)[0] == "1"
    assert local.copy_since(lineup.channels[1].id, since, tmp_path / "none.ts") is None


def test_a_screen_that_takes_the_channel_behind_live_gets_it_from_a_keyframe_there(local, lineup):
    news, other = lineup.channels[:2]
    assert local.taken_url(news.id, 2.0) is None  # nothing buffered: the API answers 404
    local.watch(news)
    wait_for(lambda: spans(local, news.id, 3), "three seconds buffered")
    status, data = get(local.taken_url(news.id, 2.0), 300 * PACKET)
    assert status == 200 and pid_of(data[:PACKET]) == 0 and random_access(data[2 * PACKET : 3 * PACKET])
    for bad in ("nan", "inf", "soon"):
        status, body = get(local.taken_url(news.id, 2.0).replace("behind=2.000", f"behind={bad}"), 100)
        assert status == 400 and b"number" in body, bad
    assert local.taken_url(other.id, 2.0) is None
