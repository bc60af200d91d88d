"""Finding boxes: real discovery between namespace hosts, `match_box` rules, and the TXT parser."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stb.errors import StbError
from stb.lan.discovery import FoundBox, box_from_txt, match_box, parse_txt
from tests.net.mdns_hosts import Actor
from tests.netns import netns_lan


def _txt(*entries: bytes) -> bytes:
    return b"".join(bytes([len(e)]) + e for e in entries)


GOOD_TXT = _txt(b"id=abc123", b"name=Living Room", b"model=TestBox 1", b"ver=0.1.0", b"api=/api/v1", b"pair=1",
                b"ch=News 24")  # fmt: skip


# -- real discovery (netns) ---------------------------------------------------------------------------


@pytest.mark.netns
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_discover_from_another_host_finds_the_box():
    with netns_lan(2) as (box_host, phone):
        box = Actor(box_host, "box", "Living Room", "abc123", "8080", "--channel", "News 24")
        box.expect(15, "registered")
        started = time.time()
        finder = Actor(phone, "discover", "3")
        as_json = Actor(phone, "cli", "discover", "--interface", "eth0", "--timeout", "3", "--json")
        as_text = Actor(phone, "cli", "discover", "--interface", "eth0", "--timeout", "3")
        found = finder.expect(5, "found")
        assert found["t"] - started < 5
        expected = {
            "name": "Living Room",
            "box_id": "abc123",
            "port": 8080,
            "model": "TestBox 1",
            "version": "0.1.0",
            "api_path": "/api/v1",
            "pairing_required": True,
            "channel": "News 24",
            "host": "stb-abc123.local.",
        }
        assert {k: found["box"][k] for k in expected} == expected
        assert found["box"]["addresses"][0] == box_host.address
        assert finder.expect(10, "done")["boxes"] == [found["box"]]

        code, stderr = as_json.finish(timeout=15)
        assert (code, stderr) == (0, "")
        assert [box["box_id"] for box in json.loads("".join(as_json.lines))] == ["abc123"]
        code, stderr = as_text.finish(timeout=15)
        assert (code, stderr) == (0, "")
        assert as_text.lines == [f"Living Room  id abc123  {box_host.address}:8080  on News 24\n"]


@pytest.mark.netns
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_discover_cli_errors_are_one_line():
    with netns_lan(1) as (phone,):
        bad_interface = Actor(phone, "cli", "discover", "--interface", "wlan9", "--timeout", "1")
        bad_timeout = Actor(phone, "cli", "discover", "--timeout", "0")
        nothing = Actor(phone, "cli", "discover", "--interface", "eth0", "--timeout", "0.5")
        code, stderr = bad_interface.finish(timeout=15)
        assert code == 1
        assert stderr.startswith("stb: no network interface named 'wlan9' (have: ") and stderr.count("\n") == 1
        assert bad_timeout.finish(timeout=15) == (1, "stb: --timeout wants seconds in (0, 60], not 0\n")
        assert nothing.finish(timeout=15) == (0, "no boxes found within 0.5 s\n")


# -- match_box ----------------------------------------------------------------------------------------


def _found(name: str, box_id: str, *addresses: str, port: int = 8080) -> FoundBox:
    return FoundBox(name=name, box_id=box_id, addresses=list(addresses), port=port, model="m", version="1",
                    api_path="/api/v1", pairing_required=True, channel=None, host=f"stb-{box_id}.local.")  # fmt: skip


BOXES = [
    _found("Living Room", "aaa111", "10.0.0.5", "fe80::1%2"),
    _found("Living Room (2)", "bbb222", "10.0.0.6", port=9090),
    _found("Kitchen", "ccc333", "10.0.0.7", "2001:db8::7"),
]


@pytest.mark.parametrize(
    ("wanted", "box_id"),
    [
        ("Living Room", "aaa111"),  # exact name wins over being a prefix of "Living Room (2)"
        ("living room", "aaa111"),
        ("LIVING ROOM (2)", "bbb222"),
        ("kit", "ccc333"),  # unique prefix
        ("  Kitchen ", "ccc333"),
        ("bbb222", "bbb222"),  # id
        ("BBB222", "bbb222"),
        ("10.0.0.7", "ccc333"),  # address
        ("10.0.0.6:9090", "bbb222"),  # address:port
        ("fe80::1", "aaa111"),  # IPv6, scope ignored
        ("[2001:db8::7]:8080", "ccc333"),
        ("2001:db8:0::7", "ccc333"),  # any spelling of the same address
    ],
)
def test_match_box_finds(wanted, box_id):
    assert match_box(BOXES, wanted).box_id == box_id


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        ("Living", r"'Living' matches several boxes: Living Room \(id aaa111\), Living Room \(2\) \(id bbb222\)"),
        ("Bedroom", r"no box matches 'Bedroom'; found: Living Room \(id aaa111\), .*Kitchen \(id ccc333\)"),
        ("10.0.0.6:8080", "no box matches"),  # right address, wrong port
        ("10.0.0.99", "no box matches"),
        ("", "which box"),
    ],
)
def test_match_box_explains_failures(wanted, message):
    with pytest.raises(StbError, match=message) as caught:
        match_box(BOXES, wanted)
    assert "\n" not in str(caught.value)


def test_match_box_with_nothing_found():
    with pytest.raises(StbError, match="no boxes were found on the network"):
        match_box([], "Kitchen")


# -- TXT parsing --------------------------------------------------------------------------------------


def test_a_good_record_becomes_a_found_box():
    box = box_from_txt("Living Room (2)._stb._tcp.local.", GOOD_TXT, addresses=["fe80::1%2", "10.0.0.5"], port=8080,
                       host="stb-abc123.local.")  # fmt: skip
    assert box == FoundBox(name="Living Room (2)", box_id="abc123", addresses=["10.0.0.5", "fe80::1%2"], port=8080,
                           model="TestBox 1", version="0.1.0", api_path="/api/v1", pairing_required=True,
                           channel="News 24", host="stb-abc123.local.")  # fmt: skip


def test_txt_rules():
    raw = _txt(b"ID=x1", b"id=second", b"flag", b"=nokey", b"bad=\xff\xfe", b"ch=", b"pair=0", b"api=relative")
    assert parse_txt(raw) == {"id": "x1", "flag": None, "ch": "", "pair": "0", "api": "relative"}
    box = box_from_txt("x._stb._tcp.local.", raw, addresses=[], port=1, host=None)
    assert box is not None
    assert (box.channel, box.pairing_required, box.api_path, box.host) == (None, False, "/api/v1", "")


@pytest.mark.parametrize(
    "raw", [b"", b"\x00", b"\x05id=", _txt(b"name=no id"), _txt(b"id="), b"\xff" + b"id=x" * 10, b"\x0a\x80\x81"]
)
def test_unusable_records_are_ignored(raw):
    assert box_from_txt("x._stb._tcp.local.", raw, addresses=["10.0.0.1"], port=8080, host="h.local.") is None


def test_no_port_is_unusable():
    assert box_from_txt("x._stb._tcp.local.", GOOD_TXT, addresses=[], port=None, host=None) is None
    assert box_from_txt("x._stb._tcp.local.", GOOD_TXT, addresses=[], port=70000, host=None) is None


def test_every_truncation_of_a_good_record_parses_or_is_ignored():
    for cut in range(len(GOOD_TXT) + 1):
        box = box_from_txt("x._stb._tcp.local.", GOOD_TXT[:cut], addresses=[], port=8080, host=None)
        assert box is None or box.box_id == "abc123"


@given(st.binary(max_size=2048), st.text(max_size=80), st.integers(-5, 70000))
def test_any_bytes_never_raise(raw, name, port):
    box = box_from_txt(name, raw, addresses=["10.0.0.1"], port=port, host=None)
    assert box is None or (box.box_id and 0 < box.port < 65536)


@given(st.dictionaries(st.text("abcdefghij", min_size=1, max_size=9), st.text(max_size=60), max_size=12))
def test_well_formed_entries_round_trip(values):
    raw = _txt(*(f"{key}={value}".encode() for key, value in values.items()))
    assert parse_txt(raw) == values


def test_the_channel_id_is_read_only_beside_a_shown_channel():
    def txt(**values: str) -> bytes:
        return b"".join(bytes([len(e)]) + e for e in (f"{k}={v}".encode() for k, v in values.items()))

    shown = box_from_txt("Den._stb._tcp.local.", txt(id="d1", ch="News 24", cid="news-24"), addresses=["10.0.0.5"],
                         port=8600, host="h.local.")  # fmt: skip
    hidden = box_from_txt("Den._stb._tcp.local.", txt(id="d1", cid="news-24"), addresses=["10.0.0.5"], port=8600,
                          host="h.local.")  # fmt: skip
    assert shown is not None and shown.channel_id == "news-24"
    assert hidden is not None and hidden.channel is None and hidden.channel_id is None
