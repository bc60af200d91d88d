"""The zeroconf announcer: real mDNS between namespace hosts (tests/netns.py), never on real links."""

from __future__ import annotations

import re
import time

import pytest

from stb.errors import StbError
from stb.net.announce import Announcer, lan_addresses
from tests.net.mdns_hosts import Actor
from tests.netns import netns_lan


def _box(host, name: str = "Living Room", box_id: str = "abc123", *extra: str) -> Actor:
    box = Actor(host, "box", name, box_id, "8080", *extra)
    box.expect(15, "registered")
    return box


def _watch(host) -> Actor:
    watcher = Actor(host, "watch")
    watcher.expect(15, "watching")
    return watcher


@pytest.mark.netns
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_channel_follows_updates_and_rapid_updates_are_coalesced():
    with netns_lan(2) as (box_host, tv):
        box = _box(box_host, "Living Room", "abc123", "--channel", "News 24")
        watcher = _watch(tv)
        added = watcher.expect(5, "added")
        assert added["ch"] == "News 24"

        box.send("ch Sport 1")
        watcher.expect(5, "updated", ch="Sport 1")

        time.sleep(1.2)  # past the throttle window: the first of a burst goes out at once
        box.send("burst 10 Ch 0.2")
        box.expect(5, "burst")
        watcher.expect(5, "updated", ch="Ch 9")  # the last value always arrives
        time.sleep(1.5)  # anything late would show up now
        box.send("stop")
        box.expect(5, "stopped")
        watcher.expect(5, "removed")
        burst = [e["ch"] for e in watcher.events if e["event"] == "updated" and (e["ch"] or "").startswith("Ch ")]
        changes = [ch for i, ch in enumerate(burst) if i == 0 or burst[i - 1] != ch]
        assert changes[-1] == "Ch 9"
        assert len(changes) <= 2, f"10 updates in 0.2 s should go out as at most 2, saw {changes}"


@pytest.mark.netns
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_same_name_on_two_hosts_gets_distinct_instance_names():
    with netns_lan(3) as (first, second, tv):
        assert _box(first, "Living Room", "aaa111").events[-1]["instance"] == "Living Room"
        assert _box(second, "Living Room", "bbb222").events[-1]["instance"] == "Living Room (2)"
        watcher = _watch(tv)
        seen = {watcher.expect(5, "added")["name"], watcher.expect(5, "added")["name"]}
        assert seen == {"Living Room._stb._tcp.local.", "Living Room (2)._stb._tcp.local."}


@pytest.mark.netns
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_stop_sends_goodbyes():
    with netns_lan(2) as (box_host, tv):
        box = _box(box_host)
        watcher = _watch(tv)
        watcher.expect(5, "added")
        asked = time.time()
        box.send("stop")
        box.expect(10, "stopped")
        removed = watcher.expect(3, "removed", name="Living Room._stb._tcp.local.")
        assert removed["t"] - asked < 3
        assert box.finish()[0] == 0


@pytest.mark.netns
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_readdress_announces_a_new_address():
    with netns_lan(2) as (box_host, tv):
        box = _box(box_host)
        watcher = _watch(tv)
        assert box_host.address in watcher.expect(5, "added")["addresses"]
        extra = box_host.address.rsplit(".", 1)[0] + ".200"
        box_host.run(["ip", "addr", "add", f"{extra}/24", "dev", "eth0"], check=True)
        box.send("readdress")
        assert box.expect(10, "readdress")["changed"] is True
        watcher.expect(5, "updated", match=lambda e: extra in e["addresses"])
        box.send("readdress")
        assert box.expect(10, "readdress")["changed"] is False
        box.send("stop")
        watcher.expect(3, "removed")  # goodbyes still go out after re-binding


# -- no network ---------------------------------------------------------------------------------------


def test_an_unknown_interface_is_a_one_line_error():
    with pytest.raises(StbError, match=r"no network interface named 'nope0' \(have: .*lo"):
        lan_addresses(["nope0"])


def test_loopback_alone_has_addresses_when_asked_for():
    found = lan_addresses(["lo"])
    assert "127.0.0.1" in found.ipv4
    assert "127.0.0.1" in found.bind


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"name": "  "}, "needs a name"), ({"box_id": ""}, "needs an id"), ({"port": 0}, "out of range")],
)
def test_announcer_refuses_bad_settings(kwargs, message):
    settings = {"name": "Box", "box_id": "b1", "port": 8080, "model": "m", "version": "1", **kwargs}
    with pytest.raises(StbError, match=message):
        Announcer(**settings)


def test_names_and_txt_values_fit_dns_limits():
    long = "Wohnzimmer-Fernseher-" + "é" * 60
    announcer = Announcer(name=long, box_id="b1", port=8080, model="m" * 400, version="1")
    for number in (1, 2, 37):
        instance = announcer._instance(number)
        assert len(instance.encode()) <= 63
        assert number == 1 or instance.endswith(f" ({number})")
    announcer._channel = "Ч" * 300
    txt = announcer._txt()
    assert all(len(f"{key}={value}".encode()) <= 255 for key, value in txt.items())
    assert txt["ch"].startswith("ЧЧЧ") and txt["model"].startswith("mmm")


def test_hidden_channel_leaves_no_ch_key():
    announcer = Announcer(name="Box", box_id="b1", port=8080, model="m", version="1", show_channel=False)
    announcer._channel = "News 24"
    assert "ch" not in announcer._txt()
    announcer.show_channel = True
    assert announcer._txt()["ch"] == "News 24"
    assert announcer._txt()["pair"] == "1"


def test_the_channel_id_goes_with_the_channel_and_hides_with_it():
    announcer = Announcer(name="Box", box_id="b1", port=8080, model="m", version="1", show_channel=False)
    announcer._channel, announcer._channel_id = "News 24", "news-24"
    assert "cid" not in announcer._txt()
    announcer.show_channel = True
    assert announcer._txt()["cid"] == "news-24" and announcer._txt()["ch"] == "News 24"


@pytest.mark.netns
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_rename_says_goodbye_to_the_old_name_and_announces_the_new_one():
    with netns_lan(2) as (box_host, tv):
        box = _box(box_host, "Living Room")
        watcher = _watch(tv)
        assert watcher.expect(5, "added")["txt"]["name"] == "Living Room"
        box.send("rename  Den ")
        assert box.expect(15, "renamed")["instance"] == "Den"
        watcher.expect(5, "removed", name="Living Room._stb._tcp.local.")
        added = watcher.expect(5, "added", name="Den._stb._tcp.local.")
        assert added["txt"]["name"] == "Den" and added["txt"]["id"] == "abc123"
        box.send("stop")
        watcher.expect(5, "removed", name="Den._stb._tcp.local.")  # goodbyes go out for the new name


@pytest.mark.netns
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_renaming_to_a_name_taken_on_the_lan_gets_a_number():
    with netns_lan(3) as (den, box_host, tv):
        _box(den, "Den", "aaa111")
        box = _box(box_host, "Kitchen", "bbb222")
        watcher = _watch(tv)
        box.send("rename Den")
        assert box.expect(15, "renamed")["instance"] == "Den (2)"
        watcher.expect(10, "added", name="Den (2)._stb._tcp.local.")
        box.send("rename Kitchen")  # back: the plain name is free again
        assert box.expect(15, "renamed")["instance"] == "Kitchen"


@pytest.mark.netns
@pytest.mark.slow
@pytest.mark.timeout(90)
def test_the_box_renamed_in_settings_is_announced_under_its_new_name_without_a_restart(tmp_path):
    """The whole path: Settings on the TV (UI thread) → NetworkSide → the announcer on the network loop."""
    with netns_lan(2) as (box_host, tv):
        app = Actor(box_host, "app", str(tmp_path))
        name = app.expect(30, "announced", match=lambda e: e["instance"] is not None)["instance"]
        assert re.fullmatch("Living Room [0-9A-F]{4}", name)  # a new box's default name is its own
        watcher = _watch(tv)
        added = watcher.expect(5, "added", name=f"{name}._stb._tcp.local.")
        assert added["txt"]["name"] == name and added["txt"]["pair"] == "1"

        app.send("key menu right")  # Settings, first item (Box name): the next name
        assert app.expect(5, "pressed")["name"] == "Bedroom"
        watcher.expect(5, "removed", name=f"{name}._stb._tcp.local.")
        assert watcher.expect(10, "added", name="Bedroom._stb._tcp.local.")["txt"]["name"] == "Bedroom"
        app.expect(10, "announced", instance="Bedroom")

        # "Open on this LAN" (no PIN set), then "Open it" in the dialog that asks: pairing no longer required
        app.send("key " + "down " * settings_row("Open on this LAN", tmp_path) + "right right ok")
        watcher.expect(5, "updated", match=lambda e: e["txt"].get("pair") == "0")
        app.send("stop")
        app.expect(15, "stopped")
        watcher.expect(5, "removed", name="Bedroom._stb._tcp.local.")


def settings_row(label: str, tmp_path) -> int:
    """Where a row is in Settings (counted from the first), read off the screen itself, not hard-coded."""
    from stb.box import Box
    from stb.config import StateStore
    from stb.lineup.model import Channel, Lineup
    from stb.skin.theme import Theme
    from stb.ui.settings import Hooks, SettingsScreen

    box = Box(Lineup(name="x", channels=[Channel(number=1, id="c1", name="C1", urls=["http://h.test/1"])]),
              StateStore(tmp_path / "rows"))  # fmt: skip
    hooks = Hooks(push=lambda screen: None, set_pretuning=lambda on: None, set_refresh_hours=lambda hours: None,
                  refresh_guide_now=lambda: None, skins=list)  # fmt: skip
    return [item.label for item in SettingsScreen(box, Theme(), hooks).items].index(label)
