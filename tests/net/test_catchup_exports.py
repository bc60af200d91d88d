"""Catch-up through the box: the M3U export's catch-up attributes, read back with our own importer, lead to
the box's catch-up route, which plays the head-end's archive (Range too); the XMLTV marks playable programmes."""

from __future__ import annotations

import subprocess
import time
from datetime import datetime

import httpx
import pytest
from lxml import etree

from stb.guide.query import Guide
from stb.guide.store import import_sources
from stb.headend.catalog import BY_ID, CHANNELS
from stb.lineup.catchup import archive_url, of_channel
from stb.lineup.m3u import parse_m3u
from stb.lineup.model import Channel, Lineup
from stb.net import exports
from stb.ts.packets import SYNC
from tests.net.test_api import pair, run_client
from tests.net.test_exports import box, fetch  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow


def test_exported_catchup_reads_back_and_plays_through_the_box(box, tmp_path):  # noqa: F811
    token, got = fetch(box, ["/playlist.m3u?token=TOKEN"])
    text = got["/playlist.m3u?token=TOKEN"].text
    headend_port = box.box.lineup.headend.port
    assert f":{headend_port}/" not in text  # neither the provider's streams nor its archive templates leak
    exported = {c.id: c for c in parse_m3u(text).lineup.channels}
    root = f"http://127.0.0.1:{box.net.bound_port}"
    for demo in CHANNELS:
        catchup = of_channel(exported[demo.id].urls[0], exported[demo.id].catchup)
        if demo.hls:
            assert catchup is None
            continue
        assert catchup is not None and (catchup.mode, catchup.days) == ("default", 3), demo.id
        assert catchup.source == f"{root}/catchup/channel/{demo.id}?start={{utc}}&end={{utcend}}&token={token}"
    now = int(time.time())
    urls = {
        cid: archive_url(of_channel(exported[cid].urls[0], exported[cid].catchup), now - 3600, now - 3540, now)
        for cid in ("news-24", "sports-arena")  # shift and Flussonic style at the head-end
    }

    def play(_base):
        answers = {}
        with httpx.Client(timeout=30) as c:
            for cid, url in urls.items():
                whole = c.get(url)
                part = c.get(url, headers={"Range": "bytes=188000-375999"})
                past_end = c.get(url, headers={"Range": f"bytes={len(whole.content)}-"}).status_code
                # a stock player seeking through the box: ffmpeg jumps 40 s in with a range request
                seek = subprocess.run(["ffmpeg", "-v", "error", "-ss", "40", "-i", url, "-frames:v", "1", "-f", "null",
                                       "-"], capture_output=True, text=True, timeout=60)  # fmt: skip
                answers[cid] = (whole, part, past_end, seek)
        return answers

    for cid, (whole, part, past_end, seek) in run_client(box, play, timeout=180).items():
        assert whole.status_code == 200 and whole.content[0] == SYNC, cid
        assert seek.returncode == 0 and seek.stderr == "", (cid, seek.stderr)
        if cid == "sports-arena":  # a fixed duration (a shift-style archive runs until now: it grows)
            assert past_end == 416
        assert int(whole.headers["content-length"]) == len(whole.content)
        assert part.status_code == 206 and part.content == whole.content[188000:376000], cid
        path = tmp_path / f"{cid}.ts"
        path.write_bytes(whole.content)
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", str(path)],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout.split()  # fmt: skip
        assert set(probe) == {"aac", "h264"}, cid


def test_catchup_route_refuses_what_it_must(box):  # noqa: F811
    box.box.parental.set_pin("1234")
    box.box.parental.toggle_channel_lock("cinema-one")
    now = int(time.time())

    def client(base):
        root = base.removesuffix("/api/v1")
        with httpx.Client(timeout=30) as c:
            token = pair(c, base, box)

            def get(cid, **params):
                return c.get(f"{root}/catchup/channel/{cid}", params={"token": token, **params}).status_code

            return {
                "no token": c.get(f"{root}/catchup/channel/news-24", params={"start": now - 600}).status_code,
                "future": get("news-24", start=now + 600),
                "too old": get("news-24", start=now - 4 * 86400),
                "not a number": get("news-24", start="1e9"),
                "no such channel": get("nope", start=now - 600),
                "no catch-up": get("travel-hls", start=now - 600),
                "locked": get("cinema-one", start=now - 600, end=now - 60),
            }

    assert run_client(box, client, timeout=60) == {
        "no token": 401, "future": 404, "too old": 404, "not a number": 422, "no such channel": 404,
        "no catch-up": 404, "locked": 403,
    }  # fmt: skip


def test_xmltv_marks_programmes_that_can_be_played_back(box):  # noqa: F811
    token, got = fetch(box, ["/xmltv.xml?token=TOKEN"])
    now = time.time()
    tree = etree.fromstring(got["/xmltv.xml?token=TOKEN"].content)
    marked = unmarked_past = 0
    for programme in tree.iter("programme"):
        start = time.mktime(time.strptime(programme.get("start")[:14] + "UTC", "%Y%m%d%H%M%S%Z"))
        urls = [u.text for u in programme.iter("url") if u.get("system") == "catchup"]
        channel = programme.get("channel").removesuffix(".demo")
        playable = start < now and channel in BY_ID and not BY_ID[channel].hls
        if playable:
            assert urls and f"/catchup/channel/{channel}?start=" in urls[0] and f"token={token}" in urls[0]
            marked += 1
        else:
            assert urls == []
            unmarked_past += start < now
    assert marked > 0


def test_xmltv_reaches_back_as_far_as_each_channels_archive(tmp_path):
    """IPTV Simple offers "Play programme" only for what its guide holds: a 2-day archive needs 2 days of guide."""
    now = (int(time.time()) // 3600) * 3600 + 1800
    hour = 3600

    def programmes(channel, first, last):
        return "".join(
            f'<programme start="{exports._stamp(now + h * hour)}" stop="{exports._stamp(now + (h + 1) * hour)}" '
            f'channel="{channel}"><title>{channel} {h}</title></programme>'
            for h in range(first, last)
        )

    source = tmp_path / "source.xml"
    source.write_text(
        '<tv><channel id="arch.test"><display-name>A</display-name></channel>'
        '<channel id="plain.test"><display-name>P</display-name></channel>'
        '<channel id="gone.test"><display-name>G</display-name></channel>'
        + programmes("arch.test", -40, 3) + programmes("plain.test", -40, 3) + programmes("gone.test", -30, -20)
        + "</tv>"
    )  # fmt: skip
    db = tmp_path / "g.db"
    import_sources(db, [str(source)], now=now)

    def channel(number, cid, **catchup):
        return Channel(number=number, id=cid, name=cid, urls=[f"http://provider.test/{cid}.ts"],
                       guide_id=f"{cid}.test", catchup=catchup)  # fmt: skip

    lineup = Lineup(name="t", channels=[
        channel(1, "arch", catchup="shift", **{"catchup-days": "2"}),
        channel(2, "plain"),
        channel(3, "gone"),  # only old programmes and no archive: nothing in the export's window
    ])  # fmt: skip
    text = b"".join(exports.xmltv(Guide(db, lineup), lineup, now, "http://box:8600", "T"))
    tree = etree.fromstring(text)
    assert [c.get("id") for c in tree.iter("channel")] == ["arch.test", "plain.test"]
    starts: dict[str, list[int]] = {}
    for p in tree.iter("programme"):
        start = int(datetime.strptime(p.get("start"), "%Y%m%d%H%M%S %z").timestamp())
        starts.setdefault(p.get("channel"), []).append(start)
        archive = [u.text for u in p.iter("url") if u.get("system") == "catchup"]
        playable = p.get("channel") == "arch.test" and start < now
        assert archive == ([exports.catchup_url("http://box:8600", "arch", start, start + hour, "T")] if playable
                           else []), p.get("start")  # fmt: skip
    assert min(starts["arch.test"]) == now - 40 * hour  # the whole archive's reach (the source has 40 h)
    assert min(starts["plain.test"]) == now - 6 * hour  # a channel without an archive: 6 h back


def test_head_of_streams_and_catchup_answers_like_get_without_streaming(box):  # noqa: F811
    """Kodi's own player asks a URL without an extension what it is with HEAD; a 405 made it take TV for audio."""
    box.box.parental.set_pin("1234")
    box.box.parental.toggle_channel_lock("cinema-one")
    now = int(time.time())
    headend = f"http://{box.box.lineup.headend.host}:{box.box.lineup.headend.port}"

    def client(base):
        root = base.removesuffix("/api/v1")
        with httpx.Client(timeout=30) as c:  # one keep-alive connection: each HEAD has ended before the next
            token = pair(c, base, box)
            archive = {"start": now - 3600, "end": now - 1800}
            answers = {
                "live": c.head(f"{root}/stream/channel/music-hits", params={"token": token}),
                "catch-up": c.head(f"{root}/catchup/channel/music-hits", params={"token": token, **archive}),
            }

            def code(path, **params):
                return c.head(f"{root}{path}", params=params).status_code

            codes = {
                "no token": code("/stream/channel/music-hits"),
                "no such channel": code("/stream/channel/nope", token=token),
                "live locked": code("/stream/channel/cinema-one", token=token),
                "catch-up locked": code("/catchup/channel/cinema-one", token=token, **archive),
                "catch-up future": code("/catchup/channel/music-hits", token=token, start=now + 600),
                "catch-up no token": code("/catchup/channel/music-hits", **archive),
            }
            viewers = c.get(f"{headend}/health").json()["channels"]["music-hits"]["clients"]
            return answers, codes, viewers

    answers, codes, viewers = run_client(box, client, timeout=60)
    for name, answer in answers.items():
        assert answer.status_code == 200, name
        assert answer.headers["content-type"] == "video/mp2t" and "content-length" not in answer.headers, name
        assert answer.content == b"", name
    assert codes == {
        "no token": 401, "no such channel": 404, "live locked": 403, "catch-up locked": 403, "catch-up future": 404,
        "catch-up no token": 401,
    }  # fmt: skip
    assert viewers == 0  # neither the channel nor its archive was opened at the head-end
