"""The keyframe cache's choice (likely channels, none held, a budget) and a real box zapping through it."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from stb.box import Box
from stb.config import StateStore
from stb.headend.catalog import demo_lineup
from stb.lineup.model import Channel, Lineup
from stb.relay.feed import ChannelSource
from stb.relay.local import CacheSummary
from stb.tv.cache import CALM_S, REFRESH_S, CacheBudget, KeyframeCache, cacheable
from tests.ui.keys import step_until


class Feeds:
    """Records what the cache asks for; its summary is what a test says the relay measured."""

    def __init__(self) -> None:
        self.kept: list[list[str]] = []
        self.summary = CacheSummary()

    def keep(self, sources: Sequence[ChannelSource]) -> None:
        self.kept.append([s.id for s in sources])

    def route(self, channel: Channel) -> Sequence[str]:
        return channel.urls


def lineup(n: int = 12) -> Lineup:
    return Lineup(name="t", channels=[Channel(number=i, id=f"c{i}", name=f"C{i}", urls=[f"http://h.test/{i}.ts"])
                                      for i in range(1, n + 1)])  # fmt: skip


@pytest.fixture
def box(tmp_path):
    return Box(lineup(), StateStore(tmp_path))


def test_it_reads_further_neighbours_then_favourites_then_recent_never_what_players_hold(box):
    box.zap("c6")
    box.toggle_favourite("c11")
    box.toggle_favourite("c8")  # also a neighbour: once
    box.state.recent = ["c6", "c1", "c12"]
    cache = KeyframeCache(Feeds(), box, held=lambda: {"c7", "c5", "c1"}, budget=CacheBudget(channels=10))
    assert [c.id for c in cache.candidates()] == ["c8", "c4", "c9", "c3", "c11", "c12"]


def test_digits_being_typed_put_the_channels_they_may_become_first(box):
    feeds = Feeds()
    box.zap("c6")
    cache = KeyframeCache(feeds, box, held=lambda: {"c10"}, budget=CacheBudget(channels=3))
    cache.typing("1")
    assert feeds.kept[-1] == ["c1", "c11", "c12"]  # c10 is held by a player already
    cache.typing("")
    assert feeds.kept[-1] == ["c8", "c4", "c9"]


def test_it_keeps_as_many_as_allowed_and_nothing_in_standby(box):
    feeds = Feeds()
    box.zap("c6")
    cache = KeyframeCache(feeds, box, held=set, budget=CacheBudget(channels=2))
    cache.refresh()
    assert feeds.kept == [["c8", "c4"]]
    cache.refresh()
    assert len(feeds.kept) == 1  # nothing changed: the relay is not asked again
    box.set_standby(True)
    cache.refresh()
    assert feeds.kept[-1] == []


def test_over_the_bandwidth_budget_it_sheds_one_and_takes_it_back_when_calm(box):
    feeds, now = Feeds(), [0.0]
    box.zap("c6")
    cache = KeyframeCache(feeds, box, held=set, budget=CacheBudget(channels=3, bits_per_s=10e6),
                          clock=lambda: now[0])  # fmt: skip
    cache.refresh()
    feeds.summary = CacheSummary(3, ("c8", "c4", "c9"), 12e6, 1000)
    cache.step()
    assert cache.allowed == 2 and feeds.kept[-1] == ["c8", "c4"]
    feeds.summary = CacheSummary(2, ("c8", "c4"), 1e6, 1000)
    for _ in range(int(CALM_S / REFRESH_S) + 2):
        now[0] += REFRESH_S
        cache.step()
    assert cache.allowed == 3 and feeds.kept[-1] == ["c8", "c4", "c9"]
    assert cache.describe()[0] == "Keyframe cache: 2 of 3 channels ready (up to 3)"
    assert cache.describe()[1] == "Reading them: 1.0 of 10 Mbit/s, 0.0 of 64 MB held"


def test_hls_channels_are_left_to_their_own_players():
    assert not cacheable(Channel(number=1, id="h", name="H", urls=["http://h.test/live/index.m3u8"]))
    assert cacheable(Channel(number=1, id="m", name="M", urls=["udp://@239.1.1.1:5000"]))


def test_a_box_with_the_cache_zaps_to_a_cached_channel_through_it(tmp_path, headend):
    """A real box: its favourite is read ahead; a zap there plays from the cache's loopback URL."""
    from stb.assembly import build_app
    from stb.bench.zap import channel_on_screen

    plain = demo_lineup(*headend)
    live_edge = Lineup(name=plain.name, channels=[c.model_copy(update={"urls": [u + "?join=live" for u in c.urls]})
                                                  for c in plain.channels[:10]])  # fmt: skip
    store = StateStore(tmp_path / "state")
    app = build_app(live_edge, headless=True, store=store, guide_db=tmp_path / "g.db", pretune=0, keyframe_cache=True)
    app.start()
    try:
        app.box.toggle_favourite("cinema-one")
        step_until(app, lambda: app.tv.cache is not None and "cinema-one" in app.tv.cache.kept, "the cache kept it")
        local = app.services[-1].local
        step_until(app, lambda: "cinema-one" in local.summary.ready, "a keyframe of the favourite")
        app.box.zap("cinema-one")
        step_until(app, lambda: channel_on_screen(app.player) == 3, "the favourite on screen")
        assert app.player._urls[app.player._url_index] == local.url("cinema-one")
        assert app.screen.cache_summary()[0].startswith("Keyframe cache:")
    finally:
        app.close()


def test_a_channel_another_screen_watches_is_read_once_through_the_tvs_relay_and_cached(tmp_path, headend):
    """The network relay reads through the TV's own relay: one upstream read, and the channel is held there."""
    import http.client

    from stb.assembly import build_app
    from stb.bench.relay_box import start_paired

    store = StateStore(tmp_path / "state")
    app = build_app(demo_lineup(*headend), headless=True, store=store, guide_db=tmp_path / "g.db", pretune=0,
                    keyframe_cache=True, api_port=0)  # fmt: skip
    token, _tv = start_paired(app, "Laptop", "cache test")
    try:
        local = app.services[0].local
        assert local is not None
        conn = http.client.HTTPConnection("127.0.0.1", app.net.bound_port, timeout=30)
        conn.request("GET", "/stream/channel/cinema-one", headers={"Authorization": f"Bearer {token}"})
        answer = conn.getresponse()
        assert answer.status == 200 and len(answer.read(200 * 188)) == 200 * 188
        step_until(app, lambda: "cinema-one" in local.summary.ready, "the watched channel held by the TV's relay")
        relayed = app.net.ctx.relay.feeds["cinema-one"]
        assert relayed.source.urls[0] == local.url("cinema-one")  # read from the TV's relay, not the provider
        conn.close()
    finally:
        app.close()
