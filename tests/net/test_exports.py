"""M3U, XMLTV and HDHomeRun exports of a running box: read back with the project's own readers."""

from __future__ import annotations

import os
import re
import subprocess
import time

import httpx
import pytest
from lxml import etree

from stb.assembly import build_app
from stb.config import StateStore
from stb.guide.query import Guide
from stb.guide.store import import_sources
from stb.headend.catalog import demo_lineup
from stb.lineup.m3u import parse_m3u
from stb.lineup.model import Channel, Lineup
from stb.net.exports import export_ids
from stb.ts.packets import SYNC
from stb.ui.app import App
from tests.net.test_api import pair, run_client

pytestmark = pytest.mark.slow


@pytest.fixture
def box(tmp_path, headend):
    lineup = demo_lineup(*headend)
    import_sources(tmp_path / "g.db", lineup.guide_sources)
    app = build_app(
        lineup, headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db", pretune=0, api_port=0
    )
    app.start()
    yield app
    app.close()


def fetch(box: App, paths: list[str], with_token: bool = True) -> tuple[str, dict[str, httpx.Response]]:
    def client(base):
        root = base.removesuffix("/api/v1")
        with httpx.Client(timeout=30) as c:
            token = pair(c, base, box) if with_token else "nope"
            return token, {p: c.get(root + p.replace("TOKEN", token)) for p in paths}

    return run_client(box, client, timeout=60)


def test_playlist_lists_the_lineup_with_relay_urls_that_play(box):
    token, got = fetch(box, ["/playlist.m3u?token=TOKEN"])
    response = got["/playlist.m3u?token=TOKEN"]
    assert response.status_code == 200 and response.headers["content-type"].startswith("audio/x-mpegurl")
    result = parse_m3u(response.text)
    assert result.problems == []
    exported = {c.id: c for c in result.lineup.channels}
    expected = {c.id: c for c in box.box.lineup.channels}
    assert exported.keys() == expected.keys()
    for cid, channel in exported.items():
        assert (channel.number, channel.name) == (expected[cid].number, expected[cid].name)
        assert channel.urls == [f"http://127.0.0.1:{box.net.bound_port}/stream/channel/{cid}?token={token}"]
        # the guide's own dotted id (news-24.demo), else one derived from the channel's: the XMLTV uses the same
        assert channel.guide_id == (expected[cid].guide_id or f"{cid}.stb")
        assert re.fullmatch(r"[-a-z0-9]+\.(demo|stb)", channel.guide_id)
        # the head-end's logos are on its loopback: the export points at the box, which fetches them
        root = f"http://127.0.0.1:{box.net.bound_port}"
        assert channel.logo == (f"{root}/api/v1/lineup/{cid}/logo?token={token}" if expected[cid].logo else None)
    assert result.lineup.guide_sources == [f"http://127.0.0.1:{box.net.bound_port}/xmltv.xml?token={token}"]

    first = exported[box.box.lineup.sorted_channels()[0].id]

    def play(_base):
        with httpx.Client(timeout=20) as c:
            logo = c.get(first.logo)
            with c.stream("GET", first.urls[0]) as r:
                body = r.iter_raw(4096)
                return logo, r.status_code, next(body)

    logo, status, data = run_client(box, play, timeout=60)
    assert status == 200 and data[0] == SYNC
    assert logo.status_code == 200 and logo.headers["content-type"].startswith("image/") and logo.content


def test_xmltv_reads_back_into_the_same_guide(box, tmp_path):
    _, got = fetch(box, ["/xmltv.xml?token=TOKEN"])
    response = got["/xmltv.xml?token=TOKEN"]
    assert response.status_code == 200
    path = tmp_path / "exported.xml"
    path.write_bytes(response.content)
    report = import_sources(tmp_path / "again.db", [str(path)])
    assert report.programmes > 0
    lineup = box.box.lineup
    # the exported guide uses the export's ids (the playlist's tvg-id): a line-up with those as guide ids matches it
    ids = export_ids(lineup)
    relabelled = lineup.model_copy(
        update={"channels": [c.model_copy(update={"guide_id": ids[c.id]}) for c in lineup.channels]}
    )
    original, again = Guide(tmp_path / "g.db", lineup), Guide(tmp_path / "again.db", relabelled)
    now = time.time()
    channel_ids = [c.id for c in lineup.channels]
    before = original.window(channel_ids, now, now + 6 * 3600)
    after = again.window(channel_ids, now, now + 6 * 3600)
    compared = 0
    for cid in channel_ids:
        a = [p._replace(id=0) for p in before[cid]]  # every field the store keeps, only the row ids differ
        b = [p._replace(id=0) for p in after[cid]]
        assert a == b, f"{cid}: the exported guide differs"
        compared += len(a)
    assert compared > 20
    kept = [p for rows in before.values() for p in rows]
    assert any(p.credits and p.date for p in kept) and any(p.rating_system == "FSK" for p in kept)
    assert any(p.episode_ns and p.episode_onscreen for p in kept) and any(p.star_rating for p in kept)


def test_xmltv_passes_tv_validate_file(box, tmp_path):
    """xmltv-util's validator, the DTD and its checks (dotted ids, every channel with programmes), is the judge."""
    _, got = fetch(box, ["/xmltv.xml?token=TOKEN"])
    path = tmp_path / "exported.xml"
    path.write_bytes(got["/xmltv.xml?token=TOKEN"].content)
    env = {**os.environ, "XMLTV_SUPPLEMENT": "/usr/share/xmltv"}  # the DTD from the package, not the network
    result = subprocess.run(["tv_validate_file", str(path)], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    text = path.read_text()
    assert "<credits>" in text and "<date>" in text and '<rating system="FSK">' in text
    lineup, now = box.box.lineup, time.time()
    scheduled = Guide(tmp_path / "g.db", lineup).scheduled([c.id for c in lineup.channels], now, now + 86400)
    assert 0 < len(scheduled) < len(lineup.channels)  # the demo has channels without a guide: they are left out
    ids = export_ids(lineup)
    channels = {e.get("id"): [n.text for n in e.iter("display-name")] for e in etree.parse(path).iter("channel")}
    # the channel number, for apps that map guides by number (Plex)
    assert channels == {ids[c.id]: [c.name, str(c.number)] for c in lineup.channels if c.id in scheduled}


def test_export_ids_are_dotted_unique_and_the_guides_own_where_they_can_be():
    def channel(number, cid, guide_id=None, shift=0.0):
        return Channel(number=number, id=cid, name=cid, urls=["http://x.test/"], guide_id=guide_id, guide_shift=shift)

    lineup = Lineup(name="t", channels=[
        channel(1, "news", "news.demo"),
        channel(2, "news-plus-1", "news.demo", 1.0),  # shifted times: not the source's channel
        channel(3, "news-hd", "news.demo"),  # the same guide channel twice: the second gets its own id
        channel(4, "sport_1", "Sport 1"),  # not a proper XMLTV id
        channel(5, "sport-1"),
        channel(6, "bbc1.uk"),  # already dotted
        channel(7, "arte..de."),
    ])  # fmt: skip
    assert export_ids(lineup) == {
        "news": "news.demo", "news-plus-1": "news-plus-1.stb", "news-hd": "news-hd.stb", "sport_1": "sport-1.stb",
        "sport-1": "sport-1-2.stb", "bbc1.uk": "bbc1.uk", "arte..de.": "arte.de",
    }  # fmt: skip


def test_hdhomerun_tuner_answers_with_its_token_in_the_path(box):
    token, got = fetch(box, ["/hdhr/TOKEN/discover.json", "/hdhr/TOKEN/lineup.json", "/hdhr/TOKEN/lineup_status.json"])
    discover = got["/hdhr/TOKEN/discover.json"].json()
    base = f"http://127.0.0.1:{box.net.bound_port}"
    assert discover["BaseURL"] == f"{base}/hdhr/{token}" and discover["LineupURL"].endswith("/lineup.json")
    assert (
        discover["FriendlyName"] == box.box.settings.box_name
        and discover["TunerCount"] >= 1
        and len(discover["DeviceID"]) == 8
    )
    lineup = got["/hdhr/TOKEN/lineup.json"].json()
    assert [(e["GuideNumber"], e["GuideName"]) for e in lineup] == [
        (str(c.number), c.name) for c in box.box.lineup.sorted_channels() if not c.radio
    ]
    assert lineup[0]["URL"].startswith(f"{base}/stream/channel/") and lineup[0]["URL"].endswith(f"?token={token}")
    assert got["/hdhr/TOKEN/lineup_status.json"].json()["ScanInProgress"] == 0


def test_exports_refuse_without_a_token(box):
    _, got = fetch(box, ["/playlist.m3u", "/xmltv.xml?token=TOKEN", "/hdhr/TOKEN/discover.json",
                         "/hdhr/open/lineup.json"], with_token=False)  # fmt: skip
    for path, response in got.items():
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"
