import gzip
import json
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from stb.cli import main
from stb.lineup.load import load_lineup, save_lineup
from stb.lineup.model import Channel, Lineup
from tests.guide.xmltv_docs import HOUR, document, programme


@pytest.fixture
def setup(tmp_path, write, now):
    guide = write("g.xml", document({"a.tv": ["Alpha"]}, [programme("a.tv", now, now + HOUR, "Alpha News")]))
    lineup = tmp_path / "channels.json"
    save_lineup(
        Lineup(name="t", guide_sources=[guide], channels=[
            Channel(number=7, id="alpha", name="Alpha", urls=["http://h.test/a"], guide_id="a.tv"),
            Channel(number=8, id="beta", name="Beta", urls=["http://h.test/b"]),
        ]),
        lineup,
    )  # fmt: skip
    return ["--lineup", str(lineup), "--db", str(tmp_path / "g.db")]


def test_import_from_the_lineups_sources_then_now_and_search(setup, capsys):
    assert main(["guide", "import", *setup, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["programmes"] == 1
    assert report["matching"] == {"matched": 1, "by_rule": {"guide id": 1, "guide name": 0, "channel name": 0},
                                  "unmatched": ["beta"]}  # fmt: skip
    assert main(["guide", "now", *setup, "--channel", "7", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["now"]["title"] == "Alpha News"
    assert main(["guide", "search", "news", *setup]) == 0
    assert "Alpha News" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["import", "--zone", "Nowhere/Land"], "unknown time zone"),
        (["import", "/nonexistent.xml"], "cannot read"),
        (["now", "--at", "tomorrow"], "--at wants"),
        (["now", "--channel", "99"], "no channel 99"),
    ],
)
def test_errors_are_one_line(setup, extra, message):
    if extra[0] == "now":
        main(["guide", "import", *setup])
    argv = [sys.executable, "-m", "stb", "guide", extra[0], *setup, *extra[1:]]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_no_guide_yet_says_how_to_get_one(tmp_path, setup):
    result = subprocess.run([sys.executable, "-m", "stb", "guide", "now", *setup], capture_output=True, text=True)
    assert result.returncode == 1 and "stb guide import" in result.stderr


# --- --json output shapes ------------------------------------------------------------------------

ROW_KEYS = {"number", "channel", "name", "now", "next"}
PROGRAMME_KEYS = {
    "id", "channel", "start", "stop", "title", "sub_title", "description", "categories", "episode_ns",
    "episode_onscreen", "icon", "rating_system", "rating", "star_rating", "is_new", "previously_shown", "language",
    "credits", "date",
}  # fmt: skip


@pytest.fixture
def day(tmp_path, write, now):
    rich = (
        '<sub-title lang="en">Part one</sub-title><desc>Headlines and weather</desc><category>News</category>'
        '<category>Weather</category><episode-num system="xmltv_ns">0.4.</episode-num><icon src="http://i.test/n.png"/>'
        '<rating system="FSK"><value>12</value></rating><star-rating><value>3/5</value></star-rating><new/>'
    )
    progs = [programme("a.tv", now - HOUR, now, "Breakfast"), programme("a.tv", now, now + HOUR, "Alpha News", rich)]
    progs += [programme("a.tv", now + i * HOUR, now + (i + 1) * HOUR, f"Film {i}") for i in range(1, 4)]
    progs.append(programme("a.tv", now + 4 * HOUR, now + 5 * HOUR, "Late News"))
    guide = write("g.xml", document({"a.tv": ["Alpha"]}, progs))
    lineup = tmp_path / "channels.json"
    save_lineup(
        Lineup(name="t", guide_sources=[guide], channels=[
            Channel(number=8, id="beta", name="Beta", urls=["http://h.test/b"]),
            Channel(number=7, id="alpha", name="Alpha", urls=["http://h.test/a"], guide_id="a.tv"),
        ]),
        lineup,
    )  # fmt: skip
    args = ["--lineup", str(lineup), "--db", str(tmp_path / "g.db")]
    assert main(["guide", "import", *args]) == 0
    return args


def json_of(capsys, *argv: str):
    assert main(list(argv)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


def assert_programme_shape(p: dict) -> None:
    assert set(p) == PROGRAMME_KEYS
    assert all(isinstance(p[k], int) for k in ("id", "start", "stop")) and p["start"] < p["stop"]
    assert isinstance(p["title"], str) and isinstance(p["categories"], list)
    assert isinstance(p["is_new"], bool) and isinstance(p["previously_shown"], bool)


def test_now_json_for_one_channel(day, capsys, now):
    rows = json_of(capsys, "guide", "now", *day, "--channel", "7", "--json")
    assert isinstance(rows, list) and len(rows) == 1
    row = rows[0]
    assert set(row) == ROW_KEYS
    assert (row["number"], row["channel"], row["name"]) == (7, "alpha", "Alpha")
    assert_programme_shape(row["now"])
    assert_programme_shape(row["next"])
    current = row["now"]
    assert (current["title"], current["start"], current["stop"], current["channel"]) == (
        "Alpha News", now, now + HOUR, "alpha",
    )  # fmt: skip
    assert current["sub_title"] == "Part one" and current["description"] == "Headlines and weather"
    assert current["categories"] == ["News", "Weather"] and current["episode_ns"] == "0.4."
    assert (current["rating_system"], current["rating"], current["star_rating"]) == ("FSK", "12", "3/5")
    assert current["icon"] == "http://i.test/n.png" and current["is_new"] is True
    assert (row["next"]["title"], row["next"]["start"]) == ("Film 1", now + HOUR)


def test_now_json_lists_every_channel_in_number_order_with_null_for_unmatched(day, capsys):
    rows = json_of(capsys, "guide", "now", *day, "--json")
    assert [(r["number"], r["channel"]) for r in rows] == [(7, "alpha"), (8, "beta")]
    assert all(set(r) == ROW_KEYS for r in rows)
    assert rows[1]["now"] is None and rows[1]["next"] is None


def test_search_json_is_a_list_of_programmes_in_line_up_terms(day, capsys, now):
    found = json_of(capsys, "guide", "search", "news", *day, "--json")
    assert isinstance(found, list) and [(p["title"], p["start"]) for p in found] == [
        ("Alpha News", now), ("Late News", now + 4 * HOUR),
    ]  # fmt: skip
    for p in found:
        assert_programme_shape(p)
        assert p["channel"] == "alpha"  # the line-up id, not the guide's "a.tv"
    assert json_of(capsys, "guide", "search", "news", *day, "--limit", "1", "--json")[0]["title"] == "Alpha News"
    assert json_of(capsys, "guide", "search", "nothing-like-this", *day, "--json") == []


# --- url-tvg from an M3U header, through the line-up, into `stb guide import --lineup` -------------


def local_minute(seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def test_url_tvg_of_an_imported_playlist_is_the_guide_source(tmp_path, guide_server, capsys, now):
    progs = []
    for cid, label in (("alpha.tv", "Alpha"), ("beta.tv", "Beta")):
        progs += [programme(cid, now + i * HOUR, now + (i + 1) * HOUR, f"{label} {i}") for i in range(-2, 5)]
    doc = document({"alpha.tv": ["Alpha"], "beta.tv": ["Beta"]}, progs).encode()
    guide_server.files["/epg/guide.xml"] = gzip.compress(doc)  # gzip behind an .xml name, as providers do
    url = guide_server.url("/epg/guide.xml")
    playlist = tmp_path / "tv.m3u"
    playlist.write_text(
        f'#EXTM3U url-tvg="{url}"\n'
        '#EXTINF:-1 tvg-chno="5" tvg-id="alpha.tv",Alpha\nhttp://h.test/alpha.ts\n'
        '#EXTINF:-1 tvg-chno="6" tvg-name="Beta HD" tvg-shift="-1.5",Beta +1.5\nhttp://h.test/beta.ts\n'
        '#EXTINF:-1 tvg-chno="7",Gamma\nhttp://h.test/gamma.ts\n'
    )
    lineup_path = tmp_path / "channels.json"
    assert main(["lineup", "import", str(playlist), "-o", str(lineup_path)]) == 0
    lineup = load_lineup(lineup_path)
    assert lineup.guide_sources == [url]
    ids = {c.number: c.id for c in lineup.channels}
    assert lineup.by_number(6).guide_shift == -1.5
    capsys.readouterr()

    args = ["--lineup", str(lineup_path), "--db", str(tmp_path / "g.db")]
    report = json_of(capsys, "guide", "import", *args, "--json")  # no sources given: the line-up's
    assert [(s["source"], s["compression"], s["programmes"]) for s in report["sources"]] == [(url, "gzip", 14)]
    assert report["matching"] == {
        "matched": 2, "by_rule": {"guide id": 1, "guide name": 1, "channel name": 0}, "unmatched": [ids[7]],
    }  # fmt: skip
    assert [r["path"] for r in guide_server.requests] == ["/epg/guide.xml"]

    rows = json_of(capsys, "guide", "now", *args, "--at", local_minute(now + 600), "--json")
    table = {r["number"]: r for r in rows}
    assert (table[5]["now"]["title"], table[5]["now"]["start"]) == ("Alpha 0", now)
    # tvg-shift -1.5 h: at now+10 min the channel shows what the guide lists for now+1 h 40 min, 1.5 h earlier.
    shifted_now, shifted_next = table[6]["now"], table[6]["next"]
    assert (shifted_now["title"], shifted_now["start"], shifted_now["stop"]) == ("Beta 1", now - 1800, now + 1800)
    assert (shifted_next["title"], shifted_next["start"]) == ("Beta 2", now + 1800)
    assert table[7]["now"] is None


def test_a_line_up_without_guide_sources_is_a_one_line_error(tmp_path):
    lineup = tmp_path / "channels.json"
    save_lineup(Lineup(name="t", channels=[Channel(number=1, id="a", name="A", urls=["http://h.test/a"])]), lineup)
    argv = [sys.executable, "-m", "stb", "guide", "import", "--lineup", str(lineup), "--db", str(tmp_path / "g.db")]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "no guide sources given and none in" in result.stderr


@pytest.mark.parametrize("failure", ["404", "refused", "html"])
def test_http_source_failures_are_one_line_and_keep_the_guide(tmp_path, guide_server, now, failure):
    db = tmp_path / "g.db"
    guide_server.files["/g.xml"] = document({"a.tv": ["Alpha"]}, [programme("a.tv", now, now + HOUR)]).encode()
    url = guide_server.url("/g.xml")
    assert main(["guide", "import", url, "--db", str(db), "--lineup", str(tmp_path / "none.json")]) == 0
    if failure == "404":
        del guide_server.files["/g.xml"]
        expected = "HTTP 404"
    elif failure == "html":
        guide_server.files["/g.xml"] = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
        expected = "not an XMLTV guide"
    else:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{s.getsockname()[1]}/g.xml"  # closed when the block ends: refused
        expected = "cannot fetch"
    argv = [sys.executable, "-m", "stb", "guide", "import", url, "--db", str(db)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"stb: {url}") and result.stderr.count("\n") == 1 and expected in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM programmes").fetchone()[0] == 1


# --- a guide that would wipe the previous one --------------------------------------------------------


def cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stb", "guide", *argv], capture_output=True, text=True, timeout=120)


def programmes_in(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM programmes").fetchone()[0]


def test_an_empty_guide_is_refused_in_one_line_and_the_old_one_kept_unless_forced(tmp_path, write, now):
    db, path = str(tmp_path / "g.db"), write("g.xml", document({"a": ["A"]}, [programme("a", now, now + HOUR)]))
    assert cli("import", path, "--db", db, "--lineup", "/nonexistent").returncode == 0
    write("g.xml", "<tv></tv>")  # what a failed grabber leaves
    refused = cli("import", path, "--db", db, "--lineup", "/nonexistent")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "no programmes in it; the previous guide is kept (--force imports it anyway)" in refused.stderr
    assert programmes_in(db) == 1
    assert cli("import", path, "--db", db, "--lineup", "/nonexistent", "--force").returncode == 0
    assert programmes_in(db) == 0


def test_a_guide_far_smaller_than_before_is_refused_with_a_configurable_fraction(tmp_path, write, now):
    db = str(tmp_path / "g.db")
    path = write(
        "g.xml", document({"a": ["A"]}, [programme("a", now + i * HOUR, now + (i + 1) * HOUR) for i in range(40)])
    )
    assert cli("import", path, "--db", db, "--lineup", "/nonexistent").returncode == 0
    write("g.xml", document({"a": ["A"]}, [programme("a", now + i * HOUR, now + (i + 1) * HOUR) for i in range(3)]))
    refused = cli("import", path, "--db", db, "--lineup", "/nonexistent")
    assert refused.returncode == 1 and "only 3 programmes left, under 10% of the 40" in refused.stderr
    assert programmes_in(db) == 40
    assert cli("import", path, "--db", db, "--lineup", "/nonexistent", "--min-fraction", "0.05").returncode == 0
    assert programmes_in(db) == 3
    assert "wants a number from 0 to 1" in cli("import", path, "--db", db, "--min-fraction", "2").stderr


def test_a_guide_whose_programmes_all_ended_says_so_and_what_forcing_keeps(tmp_path, write, now):
    db = str(tmp_path / "g.db")
    old = [programme("a", now - 10 * 86400 + i * HOUR, now - 10 * 86400 + (i + 1) * HOUR) for i in range(5)]
    path = write("g.xml", document({"a": ["A"]}, old))
    refused = cli("import", path, "--db", db, "--lineup", "/nonexistent")
    assert refused.returncode == 1
    assert "all 5 programmes ended more than 2 days ago; nothing was imported" in refused.stderr
    forced = cli("import", path, "--db", db, "--lineup", "/nonexistent", "--force")
    assert forced.returncode == 0
    assert forced.stdout.splitlines()[-1].endswith("; 0 in the guide (5 of them old or duplicates, not kept)")
    assert "; 0 kept: all 5 ended before the pruning cut-off" in forced.stdout


def test_a_second_source_with_the_same_channels_is_no_broken_source(tmp_path, write, now):
    """Playlists often name two guides that overlap; the second keeps nothing new, and that is fine."""
    db = str(tmp_path / "g.db")
    progs = [programme("a", now + i * HOUR, now + (i + 1) * HOUR) for i in range(5)]
    first, mirror = (
        write("first.xml", document({"a": ["A"]}, progs)),
        write("mirror.xml", document({"a": ["A"]}, progs)),
    )
    for _ in range(2):  # the first import, and a refresh with the previous guide in place
        done = cli("import", first, mirror, "--db", db, "--lineup", "/nonexistent")
        assert done.returncode == 0, done.stderr
        assert "mirror.xml: 5 programmes, 1 channels (0.0 MB); 0 kept: all 5 duplicate an earlier source" in done.stdout
        assert programmes_in(db) == 5


def test_times_without_an_offset_are_utc_unless_a_zone_is_given(tmp_path, write):
    doc = '<tv><programme start="20300101120000" stop="20300101130000" channel="a"><title>Noon</title></programme></tv>'
    path = write("g.xml", doc)
    for zone, expected in ((None, 1893499200), ("Europe/Berlin", 1893499200 - 3600)):
        db = str(tmp_path / f"{zone or 'utc'}.db".replace("/", "-"))
        argv = ["import", path, "--db", db, "--lineup", "/nonexistent", *(["--zone", zone] if zone else [])]
        assert cli(*argv).returncode == 0
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT start FROM programmes").fetchone()[0] == expected
